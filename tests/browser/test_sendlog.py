import pytest
from playwright.sync_api import expect

from actions.models import Message
from tests.unit.test_sendlog import message

pytestmark = pytest.mark.browser


def test_an_admin_filters_the_send_log_to_failed_messages(admin_page):
    message(1, status="failed", error_code="30006", conversation_id="conv-failed")
    message(2, status="delivered")
    page = admin_page
    page.goto("/send-log/")
    expect(page.get_by_test_id("sendlog-row")).to_have_count(2)
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("sendlog-row")).to_have_count(1)
    assert "status=failed" in page.url  # the view can be shared
    expect(page.get_by_test_id("sendlog-row")).to_contain_text("failed")
    expect(page.get_by_test_id("sendlog-row")).to_contain_text("30006")
    assert page.console_errors == []


def test_a_queued_message_turns_delivered_on_the_open_page_without_a_reload(admin_page):
    queued = message(1, status="queued")
    page = admin_page
    page.goto("/send-log/")
    row = page.get_by_test_id("sendlog-row")
    expect(row).to_contain_text("queued")
    page.evaluate("window.notReloaded = true")
    Message.objects.filter(pk=queued.pk).update(status="delivered")
    expect(row).to_contain_text("delivered", timeout=10_000)
    assert page.evaluate("window.notReloaded") is True
    assert page.console_errors == []
