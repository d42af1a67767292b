"""Template help beside the message and recipient fields: a button per field the template can
read inserts it at the cursor (an optional parameter inside `with`), the preview follows, and
a short syntax reference opens beside the field."""

import pytest
from playwright.sync_api import expect

from actions.messaging.preview import insertable
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.browser


def test_insertable_fields_guard_the_optional_ones():
    effective = {
        "type": "object",
        "properties": {"ref": {"type": "string"}, "notes": {"type": "string"},
                       "caller_consent": {"type": "boolean"}},
        "required": ["ref", "caller_consent"],
    }  # fmt: skip
    found = dict(insertable(effective))
    assert found["ref"] == "{{ .parameters.ref }}"
    assert found["notes (optional)"] == "{{ with .parameters.notes }}{{ . }}{{ end }}"
    assert "caller_consent" not in " ".join(found)
    assert found["contact's number"] == "{{ .contact.phone_number }}"


def test_a_field_is_inserted_at_the_cursor_and_the_preview_follows(admin_page):
    action = make_action(make_channel(), message_template="Hi! Ref: .")
    page = admin_page
    page.goto(f"/actions/{action.pk}/")
    message = page.get_by_label("Message", exact=True)
    message.click()
    page.evaluate("document.getElementById('id_message_template').setSelectionRange(9, 9)")
    page.get_by_test_id("insert-message").get_by_role("button", name="booking_reference").click()
    expect(message).to_have_value("Hi! Ref: {{ .parameters.booking_reference }}.")
    expect(page.get_by_test_id("sms-body")).to_have_text("Hi! Ref: ABC123.")
    page.get_by_test_id("syntax-help").locator("summary").click()
    expect(page.get_by_test_id("syntax-help")).to_contain_text("Go's own functions")
    assert page.console_errors == []


def test_the_tool_definition_is_copied_as_the_agent_receives_it(admin_page):
    import json

    action = make_action(make_channel(), require_consent=True, consent_prompt="May I text you?")
    page = admin_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/actions/{action.pk}/")
    page.get_by_test_id("copy-tool-definition").click()
    copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert copied == action.tool_definition()
    assert "ask the caller exactly: “May I text you?”" in copied["function"]["description"]
