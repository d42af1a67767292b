"""Configuration as code in the browser: an admin previews an import, applies it, and exports."""

import re

import pytest
import yaml
from playwright.sync_api import expect

from actions import configfile
from actions.models import Handoff, SendTextAction
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.browser

NEW_DESCRIPTION = "Texts the caller their booking reference, once they have agreed to the booking."


def test_an_admin_previews_an_import_then_applies_it(admin_page, tmp_path):
    action = make_action(make_channel())
    make_handoff("agent_queue")
    data = yaml.safe_load(configfile.export_config())
    data["actions"][0]["description"] = NEW_DESCRIPTION
    data["handoffs"].append(
        {
            "name": "escalation_handoff",
            "description": "Transfer to a live agent for complex issues",
            "sip_config": {"method": "refer", "phone_number": "+15551234567"},
            "sip_headers": [{"key": "X-Reason", "value": "escalation"}],
        }
    )
    file = tmp_path / "switchboard.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    page = admin_page
    page.goto("/")
    page.get_by_role("link", name="Configuration").click()
    page.get_by_label("Configuration file").set_input_files(file)
    page.get_by_role("button", name="Preview import").click()

    expect(page.get_by_test_id("plan-summary")).to_contain_text("create 1 and change 1")
    created = page.get_by_test_id("change-create")
    expect(created).to_have_count(1)
    expect(created).to_contain_text("New handoff")
    expect(created).to_contain_text("escalation_handoff")
    changed = page.get_by_test_id("change-update")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("send_booking_confirmation")
    expect(changed.get_by_test_id("field-description").locator(".ins")).to_have_text(
        f"+ {NEW_DESCRIPTION}"
    )
    expect(page.get_by_test_id("change-delete")).to_have_count(0)
    page.screenshot(path="var/test-artifacts/config-import-diff.png", full_page=True)
    assert not Handoff.objects.filter(name="escalation_handoff").exists()

    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("2 changes applied")).to_be_visible()
    done = page.get_by_test_id("import-done")
    expect(done).to_contain_text("Created handoff")
    expect(done).to_contain_text("Changed action")
    escalation = Handoff.objects.get(name="escalation_handoff")
    assert escalation.phone_number == "+15551234567"
    assert escalation.sip_headers == [{"key": "X-Reason", "value": "escalation"}]
    action.refresh_from_db()
    assert action.description == NEW_DESCRIPTION
    page.screenshot(path="var/test-artifacts/config-import-done.png", full_page=True)

    done.get_by_role("link", name="escalation_handoff").click()
    expect(page.get_by_label("Description")).to_have_value(
        "Transfer to a live agent for complex issues"
    )
    assert page.console_errors == []


def test_an_admin_exports_the_configuration_as_a_file(admin_page):
    make_action(make_channel())
    page = admin_page
    page.goto("/config/")
    with page.expect_download() as started:
        page.get_by_role("button", name="Export").click()
    download = started.value
    assert download.failure() is None
    assert re.fullmatch(r"switchboard-config-\d{8}T\d{6}Z\.yaml", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as exported:
        assert exported.read() == configfile.export_config()
    assert SendTextAction.objects.count() == 1
    assert page.console_errors == []
