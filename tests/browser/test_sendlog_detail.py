import pytest
from playwright.sync_api import expect

from actions.models import Message
from tests.unit.test_sendlog import message
from tests.unit.test_sendlog_detail import events

pytestmark = pytest.mark.browser


def test_a_reviewer_finds_a_failed_message_and_reads_why_it_failed(reviewer_page):
    failed = message(
        1,
        status="failed",
        action_name="send_booking_confirmation",
        agent_name="booking_bot",
        channel_name="customer_notifications",
        provider="twilio",
        to="+447700903456",
        body="Hi, your booking is confirmed! Reference: ABC123.",
        parameters={"booking_reference": "ABC123"},
        error_code="30006",
        error_message="Landline or unreachable carrier",
        attempts=2,
    )
    events(
        failed,
        (0, "queued", "Invoked by booking_bot"),
        (0.2, "sending", "Attempt 1"),
        (0.4, "queued", "Retrying in 1.2s: Too Many Requests"),
        (1.7, "sending", "Attempt 2"),
        (2.0, "sent", "Accepted by twilio"),
        (9.0, "failed", "Twilio reported failed (error 30006)"),
    )
    message(2, status="delivered")
    page = reviewer_page

    page.goto("/send-log/")
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("sendlog-row")).to_have_count(1)
    page.get_by_test_id("sendlog-row").get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Message to +44 ••• ••• 3456")
    steps = page.get_by_test_id("timeline-step")
    expect(steps).to_have_count(6)
    expect(steps.nth(2)).to_contain_text("retry")
    expect(steps.nth(2)).to_contain_text("Attempt 1 failed: Too Many Requests.")
    expect(steps.nth(2)).to_contain_text("next attempt in 1.2 s")
    expect(steps.nth(3)).to_contain_text("+1.3 s")
    expect(steps.nth(5)).to_contain_text("9.0 s since queued")
    explanation = page.get_by_test_id("error-explanation")
    expect(explanation).to_contain_text("Error 30006: Landline or unreachable carrier")
    expect(explanation).to_contain_text("it is a landline")
    expect(explanation).to_contain_text("Ask for a mobile number")
    expect(page.get_by_test_id("body")).to_contain_text("Reference: ABC123.")
    expect(page.get_by_role("button", name="Resend…")).to_have_count(0)
    assert page.console_errors == []


def test_an_open_message_page_follows_the_message_until_it_is_delivered(admin_page):
    queued = message(1, status="queued", provider="console")
    events(queued, (0, "queued", "Invoked by booking_bot"))
    page = admin_page
    page.goto(f"/send-log/{queued.pk}/")
    expect(page.get_by_test_id("message-live")).to_contain_text("queued")
    page.evaluate("window.notReloaded = true")

    events(queued, (0.1, "sending", "Attempt 1"), (0.3, "delivered", "Reported delivered"))
    Message.objects.filter(pk=queued.pk).update(status="delivered", attempts=1)

    expect(page.get_by_test_id("timeline-step")).to_have_count(3, timeout=10_000)
    expect(page.get_by_test_id("message-live")).to_contain_text("Reported delivered")
    assert page.evaluate("window.notReloaded") is True
    assert page.console_errors == []
