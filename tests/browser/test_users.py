import pytest
from playwright.sync_api import expect

from actions.accounts import roles

pytestmark = pytest.mark.browser


def test_an_admin_invites_a_reviewer_who_sets_a_password_and_sees_only_the_logs(
    admin_page, browser, live_server, django_user_model
):
    page = admin_page
    page.goto("/")
    page.get_by_role("link", name="Users").click()
    page.get_by_role("button", name="New user").click()
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Reviewer", exact=False).check()
    page.get_by_role("button", name="Create and get the invite link").click()
    link = page.get_by_test_id("invite-link").input_value()
    page.screenshot(path="var/test-artifacts/users-invite.png")
    assert roles.role_of(django_user_model.objects.get(username="rita")) == roles.REVIEWER

    # Rita opens the link in her own browser.
    context = browser.new_context(base_url=live_server.url)
    rita = context.new_page()
    rita.goto(link)
    expect(rita.get_by_role("heading", name="Choose your password")).to_be_visible()
    rita.get_by_label("New password", exact=True).fill("a long enough pass phrase 42")
    rita.get_by_label("New password confirmation").fill("a long enough pass phrase 42")
    rita.get_by_role("button", name="Set my password and log in").click()
    nav = rita.locator("header nav")
    expect(nav.get_by_role("link", name="Send log")).to_be_visible()
    expect(nav.get_by_role("link", name="Actions")).to_have_count(0)
    response = rita.goto("/actions/")
    assert response.status == 403
    expect(rita.get_by_role("heading", name="Not for your role")).to_be_visible()
    context.close()
    assert page.console_errors == []
