import json

import pytest
from playwright.sync_api import expect

from actions.models import SendTextAction
from tests.factories import BOOKING_MESSAGE, BOOKING_SCHEMA, make_channel

pytestmark = pytest.mark.browser


def start_action(page, name, description):
    page.goto("/actions/")
    page.get_by_role("button", name="New action").click()
    page.get_by_label("Identifier", exact=True).fill(name)
    page.get_by_label("Description").fill(description)
    page.get_by_label("Messaging channel").select_option(label="customer_notifications")


def test_an_admin_builds_the_documented_booking_confirmation(admin_page):
    make_channel()
    page = admin_page
    start_action(
        page,
        "send_booking_confirmation",
        "Sends a booking confirmation SMS to the caller. Use after the caller has confirmed "
        "their booking details.",
    )
    page.get_by_label("Contact's phone number").check()
    page.get_by_role("button", name="+ Add parameter").click()
    row = page.locator(".param-row").first
    row.get_by_label("Parameter name").fill("booking_reference")
    row.get_by_label("Type").select_option("text")
    row.get_by_label("Description").fill("The booking reference number")
    expect(row.get_by_label("Required")).to_be_checked()
    page.get_by_label("Message", exact=True).fill(BOOKING_MESSAGE)

    bubble = page.get_by_test_id("sms-body")
    expect(bubble).to_have_text(
        "Hi, your booking is confirmed! Reference: ABC123. Reply to this message if you need "
        "to make changes."
    )
    expect(page.get_by_test_id("sms-stats")).to_contain_text("GSM-7 · 1 segment")
    expect(page.get_by_test_id("recipient")).to_have_text("+15551234567")
    page.get_by_label("booking_reference").fill("Ω-long-ref-" + "x" * 60)
    expect(bubble).to_contain_text("Ω-long-ref-")
    expect(page.get_by_test_id("sms-stats")).to_contain_text("2 segments")
    page.screenshot(path="var/test-artifacts/action-booking-preview.png", full_page=True)

    page.get_by_role("button", name="Save action").click()
    expect(page.get_by_text("Action “send_booking_confirmation” saved.")).to_be_visible()
    action = SendTextAction.objects.get()
    assert action.parameters_schema == BOOKING_SCHEMA
    assert action.message_template == BOOKING_MESSAGE
    assert action.recipient_mode == "contact"
    assert page.console_errors == []


def test_an_empty_message_adds_the_message_parameter_to_the_tool(admin_page):
    make_channel()
    page = admin_page
    start_action(
        page,
        "send_summary_sms",
        "Sends a text message summarising what was discussed on the call. Use at the end of "
        "the conversation when the caller asks for a written summary.",
    )
    page.get_by_label("Message", exact=True).fill("x")
    page.get_by_label("Message", exact=True).fill("")
    tool = page.get_by_test_id("tool-definition")
    expect(tool).to_contain_text('"name": "send_summary_sms"')
    expect(tool).to_contain_text('"message"')
    expect(page.locator("#auto-params")).to_contain_text("Added automatically: message")
    definition = json.loads(tool.inner_text())
    assert definition["function"]["name"] == "send_summary_sms"
    assert definition["function"]["parameters"]["required"] == ["message"]
    expect(page.locator("#sample-message")).to_be_visible()  # a sample input for it
    page.screenshot(path="var/test-artifacts/action-summary-preview.png", full_page=True)
    page.get_by_role("button", name="Save action").click()
    expect(page.get_by_text("Action “send_summary_sms” saved.")).to_be_visible()
    assert SendTextAction.objects.get().tool_definition()["function"]["parameters"]["required"] == [
        "message"
    ]


def test_a_broken_template_shows_its_error_inline_as_the_admin_types(admin_page):
    make_channel()
    page = admin_page
    start_action(page, "send_x", "Sends x.")
    page.get_by_label("Message", exact=True).fill("Hello {{ .contact.phone_number ")
    error = page.locator("#id_message_template_error")
    expect(error).to_contain_text("unclosed action")
    expect(error).to_contain_text("Line 1")
    page.get_by_label("Message", exact=True).fill("Hello {{ .contact.phone_number }}")
    expect(error).to_be_empty()
    page.screenshot(path="var/test-artifacts/action-inline-error.png")


def test_saving_an_action_that_reads_an_undeclared_parameter_is_refused(admin_page):
    make_channel()
    page = admin_page
    start_action(page, "send_y", "Sends y.")
    page.get_by_label("Message", exact=True).fill("Your ref is {{ .parameters.booking_ref }}")
    page.get_by_role("button", name="Save action").click()
    expect(page.locator("#id_message_template_error")).to_contain_text(
        "which the parameters schema does not declare"
    )
    assert not SendTextAction.objects.exists()


def test_the_table_switches_to_json_schema_and_back(admin_page):
    make_channel()
    page = admin_page
    start_action(page, "send_z", "Sends z.")
    page.get_by_role("button", name="+ Add parameter").click()
    page.locator(".param-row").first.get_by_label("Parameter name").fill("party_size")
    page.locator(".param-row").first.get_by_label("Type").select_option("integer")
    page.get_by_role("button", name="Edit as JSON Schema").click()
    editor = page.get_by_label("Parameters (JSON Schema")
    expect(editor).to_contain_text('"party_size"')
    schema = json.loads(editor.input_value())
    assert schema["properties"]["party_size"] == {"type": "integer"}
    editor.fill(json.dumps({"type": "object", "properties": {"a": {"type": "array"}}}))
    page.get_by_role("button", name="Edit as table").click()
    expect(page.get_by_text("The table cannot show this schema because")).to_be_visible()


def test_enter_in_a_text_field_saves_the_action_and_adds_no_parameter_row(admin_page):
    make_channel()
    page = admin_page
    start_action(page, "send_note", "Sends a note the agent writes.")
    page.get_by_label("Identifier", exact=True).press("Enter")
    expect(page.get_by_text("Action “send_note” saved.")).to_be_visible()
    assert page.locator(".param-row").count() == 0
    assert SendTextAction.objects.get().parameters_schema["properties"] == {}
    assert page.console_errors == []
