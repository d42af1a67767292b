import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_first_run_creates_the_admin_in_the_browser_and_the_page_is_then_gone(
    page, live_server, django_user_model
):
    page.goto("/actions/")
    expect(page).to_have_url(f"{live_server.url}/setup/")
    expect(page.get_by_role("heading", name="Welcome to Switchboard")).to_be_visible()

    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password confirmation").fill("short")
    page.get_by_role("button", name="Create admin account").click()
    expect(page.locator("small.error").filter(has_text="too short")).to_be_visible()
    assert not django_user_model.objects.exists()

    page.get_by_label("Password", exact=True).fill("a-long-unusual-pass-42")
    page.get_by_label("Password confirmation").fill("a-long-unusual-pass-42")
    page.get_by_role("button", name="Create admin account").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("navigation").get_by_role("link", name="Send log")).to_be_visible()
    assert django_user_model.objects.get().is_superuser
    assert page.console_errors == []

    # Once set up, the page leads home (the login for someone logged out), never to an error.
    response = page.goto("/setup/")
    assert response.status == 200 and page.url == f"{live_server.url}/"


def test_an_admin_logs_in_and_out_in_the_browser(page, live_server, admin_user):
    page.goto("/handoffs/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/handoffs/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")

    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/handoffs/")
    expect(page.get_by_role("heading", name="Handoffs")).to_be_visible()
    page.screenshot(path="var/test-artifacts/handoffs-page.png")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")
    assert page.console_errors == []


def test_htmx_loads_under_the_content_security_policy(admin_page):
    admin_page.goto("/")
    admin_page.wait_for_function("() => window.htmx !== undefined")
    assert admin_page.console_errors == []
