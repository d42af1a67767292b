import re

import pytest
from playwright.sync_api import expect

from actions.models import MessagingChannel

pytestmark = pytest.mark.browser


def test_an_admin_creates_a_channel_and_the_token_is_not_shown_again(admin_page, live_server):
    page = admin_page
    page.goto("/channels/")
    page.get_by_role("button", name="New channel").click()
    page.get_by_label("Identifier").fill("customer_notifications")
    page.get_by_label("Provider").select_option("twilio")
    page.get_by_label("Sender", exact=True).fill("+1 (500) 555-0006")
    page.get_by_label("Sandbox sender").fill("+44 1111 111111")
    page.get_by_label("Twilio Account SID").fill("AC" + "ab12" * 8)
    page.get_by_label("Twilio auth token").fill("not-shown-again")
    page.get_by_role("button", name="Save channel").click()

    expect(page.get_by_text("Channel “customer_notifications” saved.")).to_be_visible()
    expect(page.get_by_label("Sender", exact=True)).to_have_value("+15005550006")
    expect(page.get_by_text("Set — leave blank to keep it.")).to_be_visible()
    assert "not-shown-again" not in page.content()
    channel = MessagingChannel.objects.get()
    assert channel.sender_sandbox == "+441111111111"
    page.screenshot(path="var/test-artifacts/channel-form.png", full_page=True)


def test_a_bad_sender_is_refused_on_its_field(admin_page):
    page = admin_page
    page.goto("/channels/new/")
    page.get_by_label("Identifier").fill("alerts")
    page.get_by_label("Provider").select_option("console")
    page.get_by_label("Sender", exact=True).fill("555-1234")
    page.get_by_role("button", name="Save channel").click()
    expect(page.locator("#id_sender_error").first).to_contain_text("international")
    assert not MessagingChannel.objects.exists()


def test_a_test_message_shows_its_outcome_without_a_reload(admin_page, celery_worker):
    page = admin_page
    page.goto("/channels/new/")
    page.get_by_label("Identifier").fill("dev_console")
    page.get_by_label("Provider").select_option("console")
    page.get_by_label("Sender", exact=True).fill("+15005550006")
    page.get_by_role("button", name="Save channel").click()
    expect(page.get_by_text("saved.")).to_be_visible()

    page.get_by_label("Send a test message to").fill("+15551234567")
    url_before = page.url
    page.get_by_role("button", name="Send test message").click()
    expect(page.get_by_test_id("message-status")).to_contain_text(
        re.compile("delivered"), timeout=20_000
    )
    assert page.url == url_before
    page.screenshot(path="var/test-artifacts/channel-test-message.png", full_page=True)
