"""Names people can read, in the browser: typing a display name suggests the identifier (by the
same rule as the server's), an identifier typed by hand is left alone, lists show names as
links with the identifier beside, and a list's search finds by either."""

import pytest
from playwright.sync_api import expect

from actions.common.validation import identifier_from
from actions.models import MessagingChannel
from tests.factories import make_channel
from tests.unit.test_display_names import SUGGESTIONS

pytestmark = pytest.mark.browser


def test_the_display_name_suggests_the_identifier_as_the_server_would(admin_page):
    page = admin_page
    page.goto("/channels/new/")
    display, identifier = page.get_by_label("Display name"), page.get_by_label("Identifier")
    for typed, expected in SUGGESTIONS:
        display.fill(typed)
        expect(identifier).to_have_value(expected)
        assert identifier_from(typed) == expected  # the script and the server agree

    display.fill("Customer notifications")
    expect(identifier).to_have_value("customer_notifications")
    page.screenshot(path="var/test-artifacts/names-suggested.png", full_page=True)
    # Typed by hand, the identifier is the admin's: the display name no longer changes it.
    identifier.fill("notify")
    display.fill("Customer notifications (UK)")
    expect(identifier).to_have_value("notify")
    assert page.console_errors == []


@pytest.mark.parametrize("width", [390, 1366])
def test_a_list_shows_names_as_links_and_searches_them(admin_page, width):
    for name, display in (("reminders", "Appointment reminders"), ("receipts", "Payment receipts")):
        make_channel(name, display_name=display)
    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/channels/")
    link = page.get_by_role("link", name="Appointment reminders")
    expect(link).to_be_visible()
    assert link.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline" or (
        link.evaluate("e => getComputedStyle(e).color")
        != page.locator("main p.muted").first.evaluate("e => getComputedStyle(e).color")
    )  # it looks like a link: underlined or in the link colour
    expect(page.locator("code.identifier", has_text="reminders")).to_be_visible()

    page.get_by_role("searchbox", name="Search").fill("payment")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("search-result")).to_have_text("1 channel matching “payment”.")
    expect(page.get_by_role("link", name="Payment receipts")).to_be_visible()
    expect(page.get_by_role("link", name="Appointment reminders")).to_have_count(0)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    page.screenshot(path=f"var/test-artifacts/names-list-search-{width}.png", full_page=True)

    page.get_by_role("link", name="Payment receipts").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payment receipts")
    expect(page.get_by_role("heading", level=1).locator("code")).to_have_text("receipts")
    assert MessagingChannel.objects.count() == 2
    assert page.console_errors == []
