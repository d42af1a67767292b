"""The header on every page: who is logged in and their role, the API docs, a skip link for
keyboard users, and the navigation collapsed behind a Menu button on a phone."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_on_a_phone_the_navigation_opens_from_its_menu_button(admin_page):
    page = admin_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(
        page.locator("#nav-links").get_by_role("link", name="Send log", exact=True)
    ).to_be_hidden()
    page.screenshot(path="var/test-artifacts/header-closed-390.png")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(
        page.locator("#nav-links").get_by_role("link", name="Send log", exact=True)
    ).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_text("admin · Admin")
    page.screenshot(path="var/test-artifacts/header-open-390.png", full_page=True)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    page.get_by_role("link", name="API docs").click()
    expect(page).to_have_url(f"{page.url.split('/api/')[0]}/api/docs/")
    assert page.console_errors == []


def test_on_a_laptop_the_links_show_with_who_is_logged_in(reviewer_page):
    page = reviewer_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(
        page.locator("#nav-links").get_by_role("link", name="Send log", exact=True)
    ).to_be_visible()
    expect(page.get_by_test_id("who")).to_contain_text("· Reviewer")
    page.screenshot(path="var/test-artifacts/header-1366.png")


def test_the_first_tab_reaches_a_skip_link_to_the_content(admin_page):
    page = admin_page
    page.goto("/send-log/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
