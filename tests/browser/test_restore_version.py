"""Restoring an earlier version from the History section of an edit page: a confirmation shows
what will change (now → then), and restoring brings the version back."""

import pytest
from playwright.sync_api import expect

from actions.models import SendTextAction
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1366])
def test_an_action_is_restored_from_its_history_after_a_confirmation(admin_page, width):
    action = make_action(make_channel())
    original = action.description
    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/actions/{action.pk}/")
    page.locator("#id_description").fill("Sends the booking confirmation, in a hurry.")
    page.get_by_role("button", name="Save action").click()
    expect(page.get_by_text("saved", exact=False).first).to_be_visible()

    page.locator("#history > summary").click()
    restore = page.get_by_test_id("restore-version")
    expect(restore).to_have_count(1)  # the version before the change; the newest is now
    restore.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Restore send-text-message action “{action.name}” to its version of"
    )
    changes = page.get_by_test_id("restore-changes")
    expect(changes).to_contain_text("Description")
    expect(changes.locator("del")).to_contain_text("in a hurry")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    page.screenshot(path=f"var/test-artifacts/restore-confirm-{width}.png", full_page=True)

    page.get_by_role("button", name="Restore this version").click()
    expect(page.get_by_text("Restored send-text-message action", exact=False)).to_be_visible()
    expect(page.locator("#id_description")).to_have_value(original)
    assert SendTextAction.objects.get().description == original
    page.locator("#history > summary").click()
    expect(page.locator(".history-entry").first).to_contain_text("Restored the version of")
    assert page.console_errors == []
