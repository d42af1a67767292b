"""A channel's test panel shows each failed attempt as it happens, with its reason and when
the next one is due, without a reload — and, with a real worker against the emulator failing
twice, the real reasons."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from actions.messaging.status import move
from actions.models import Message, MessageStatus
from tests.factories import make_channel, make_twilio_channel
from tests.unit.test_status_panel import REASON, fail_attempt

pytestmark = pytest.mark.browser


def send_test(page, channel):
    page.goto(f"/channels/{channel.pk}/")
    page.get_by_label("Send a test message to").fill("+15551234567")
    page.get_by_role("button", name="Send test message").click()
    status = page.get_by_test_id("message-status")
    expect(status).to_be_visible()
    return status


def test_each_retry_appears_in_the_panel_as_it_happens(admin_page):
    channel = make_channel()  # no worker here: the test plays the worker's part, step by step
    page = admin_page
    status = send_test(page, channel)
    url = page.url
    expect(page.get_by_test_id("message-waiting")).to_contain_text("Waiting for the worker")
    message = Message.objects.get()

    fail_attempt(message, 1, 30)
    attempts = page.get_by_test_id("attempts")
    expect(attempts.locator("li")).to_have_count(1)
    expect(attempts).to_contain_text("Attempt 1 failed at ")
    expect(attempts).to_contain_text(f"{REASON} — next attempt 30.0 s later.")
    expect(page.get_by_test_id("message-waiting")).to_contain_text(
        re.compile(r"Attempt 2 at \d\d:\d\d:\d\d, in about \d+ s")
    )
    page.screenshot(path="var/test-artifacts/status-panel-retry.png", full_page=True)

    Message.objects.filter(pk=message.pk).update(due_at=timezone.now())
    fail_attempt(message, 2, 40)
    expect(attempts.locator("li")).to_have_count(2)
    move(message.pk, [MessageStatus.QUEUED], MessageStatus.SENDING, "Attempt 3")
    move(message.pk, [MessageStatus.SENDING], MessageStatus.SENT, "Sent")
    move(message.pk, [MessageStatus.SENT], MessageStatus.DELIVERED, "Delivered")
    expect(status).to_contain_text("delivered")
    expect(attempts.locator("li")).to_have_count(2)
    assert page.url == url  # all of it without a reload
    assert page.console_errors == []


def test_a_real_worker_retrying_twilio_fills_the_panel(admin_page, twilio, celery_worker):
    channel = make_twilio_channel(twilio, messages_per_second=1000)
    twilio.fail_next(2, 503)
    page = admin_page
    status = send_test(page, channel)
    expect(status).to_contain_text(re.compile("sent|delivered"), timeout=20_000)
    attempts = page.get_by_test_id("attempts")
    expect(attempts.locator("li")).to_have_count(2)
    expect(attempts.locator("li").first).to_contain_text("Attempt 1 failed at")
    expect(attempts.locator("li").first).to_contain_text("Service Unavailable (Twilio error 20503)")
    expect(attempts.locator("li").nth(1)).to_contain_text("Attempt 2 failed at")
    page.screenshot(path="var/test-artifacts/status-panel-real-retries.png", full_page=True)
    assert page.console_errors == []
