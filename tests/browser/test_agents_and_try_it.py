import json
import re

import pytest
from playwright.sync_api import expect

from actions.models import Agent, ApiKey, Message
from actions.models.agent import hash_key
from tests.factories import make_action, make_twilio_channel

pytestmark = pytest.mark.browser


def test_an_admin_creates_an_agent_and_a_key_shown_once(admin_page, twilio):
    make_action(make_twilio_channel(twilio))
    page = admin_page
    page.goto("/agents/")
    page.get_by_role("button", name="New agent").click()
    page.get_by_label("Identifier").fill("booking_bot")
    page.get_by_label("send_booking_confirmation").check()
    page.get_by_role("button", name="Save agent").click()
    expect(page.get_by_text("Agent “booking_bot” saved.")).to_be_visible()

    page.get_by_label("Environment").select_option("live")
    page.get_by_role("button", name="Create API key").click()
    key = page.get_by_test_id("new-key").input_value()
    assert key.startswith("sb_live_")
    stored = ApiKey.objects.get()
    assert stored.key_hash == hash_key(key) and stored.agent.name == "booking_bot"
    page.screenshot(path="var/test-artifacts/api-key-created.png")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("copy-new-key").click()
    expect(page.locator(".copied")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    # A reload shows the key no more, says why, and issues no second key.
    page.reload()
    expect(page.get_by_test_id("key-gone")).to_contain_text("shown once")
    assert key not in page.content() and ApiKey.objects.count() == 1
    page.get_by_role("button", name="Back to “booking_bot”").click()
    assert key not in page.content()
    expect(page.get_by_role("table").get_by_text(stored.prefix)).to_be_visible()
    page.get_by_role("link", name="Revoke…").click()
    page.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_text("revoked: calls with it are now refused")).to_be_visible()
    assert not ApiKey.objects.get().is_active
    page.locator("details.history > summary").click()
    expect(page.locator(".history-entry").first).to_contain_text(f"revoked API key {stored.prefix}")


def test_try_it_sends_for_real_and_the_status_arrives(admin_page, twilio, celery_worker):
    action = make_action(make_twilio_channel(twilio))
    Agent.objects.create(name="booking_bot").actions.add(action)
    page = admin_page
    page.goto(f"/actions/{action.pk}/")
    page.get_by_label("booking_reference").fill("TRY123")
    page.get_by_role("button", name="Send for real").click()
    result = page.get_by_test_id("try-result")
    expect(result).to_contain_text("HTTP 202")
    expect(result).to_contain_text("Reference: TRY123")
    expect(page.get_by_test_id("message-status")).to_contain_text(
        re.compile("delivered"), timeout=20_000
    )
    message = Message.objects.get()
    assert message.is_test and message.status == "delivered"
    sent = [r for r in twilio.requests if r.path.endswith("/Messages.json")]
    assert (
        sent[0]
        .form["Body"]
        .endswith("Reference: TRY123. Reply to this message if you need to make changes.")
    )
    page.screenshot(path="var/test-artifacts/action-try-it.png", full_page=True)


def test_try_it_shows_the_error_the_agent_would_get(admin_page, twilio):
    action = make_action(make_twilio_channel(twilio))
    page = admin_page
    page.goto(f"/actions/{action.pk}/")
    page.get_by_label("Sample contact number").fill("")
    page.get_by_role("button", name="Send for real").click()
    result = page.get_by_test_id("try-result")
    expect(result).to_contain_text("HTTP 422")
    answer = json.loads(result.locator("pre").first.inner_text())
    assert answer["error"]["code"] == "recipient_unavailable"
    assert not Message.objects.exists()
