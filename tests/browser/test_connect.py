"""The Connect tab in a real browser: each platform's configuration is copied with its button,
and what lands on the clipboard parses and names the agent's tools."""

import json

import pytest
import yaml
from playwright.sync_api import expect

from actions.models import Agent
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.browser


def copied(page, test_id: str) -> str:
    page.get_by_test_id(test_id).click()
    return page.evaluate("navigator.clipboard.readText()")


def test_the_connect_tab_copies_configurations_that_parse(admin_page):
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel()))
    agent.handoffs.add(make_handoff("agent_queue"))
    page = admin_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/agents/{agent.pk}/")
    page.get_by_test_id("connect-tab").click()
    expect(page.get_by_role("heading", name="Agent “booking_bot”")).to_be_visible()

    vapi_mcp = json.loads(copied(page, "copy-vapi-1"))
    assert vapi_mcp["type"] == "mcp"
    assert vapi_mcp["server"]["url"].endswith("/mcp")
    assert vapi_mcp["server"]["headers"]["X-Caller-Number"] == "{{customer.number}}"
    functions = json.loads(copied(page, "copy-vapi-2"))
    assert [f["function"]["name"] for f in functions] == [
        "send_booking_confirmation",
        "transfer_call",
    ]
    assert functions[0]["server"]["url"].endswith("/api/v1/vapi")
    expect(page.get_by_test_id("connect-vapi").locator(".copied").first).to_have_text("Copied.")

    page.get_by_test_id("connect-retell").locator("summary").click()
    retell = json.loads(copied(page, "copy-retell-1"))
    assert {f["name"] for f in retell} == {"send_booking_confirmation", "transfer_call"}
    assert all(f["type"] == "custom" and f["url"].endswith("/api/v1/retell") for f in retell)

    page.get_by_test_id("connect-elevenlabs").locator("summary").click()
    elevenlabs = json.loads(copied(page, "copy-elevenlabs-1"))
    body = elevenlabs[0]["api_schema"]["request_body_schema"]
    assert body["properties"]["system__caller_id"]["dynamic_variable"] == "system__caller_id"

    page.get_by_test_id("connect-mcp").locator("summary").click()
    client_config = json.loads(copied(page, "copy-mcp-1"))
    assert client_config["mcpServers"]["switchboard"]["url"].endswith("/mcp")

    page.get_by_test_id("connect-polyai").locator("summary").click()
    handoffs = yaml.safe_load(copied(page, "copy-polyai-1"))
    assert handoffs["handoffs"][0]["name"] == "agent_queue"
    assert handoffs["handoffs"][0]["sip_config"]["method"] == "refer"
    assert page.console_errors == []
    page.screenshot(path="var/test-artifacts/connect-tab.png", full_page=True)
