"""Leaving a builder form with typed changes not saved asks first; saving does not."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_channel

pytestmark = pytest.mark.browser


def test_leaving_a_changed_form_asks_and_saving_does_not(admin_page):
    channel = make_channel()
    page = admin_page
    page.goto(f"/channels/{channel.pk}/")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay

    page.on("dialog", answer)
    page.get_by_label("HELP reply").fill("Acme: texts from our assistant.")
    page.locator("#nav-links").get_by_role("link", name="Actions").click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(page).to_have_url(f"{page.url.split('/channels/')[0]}/channels/{channel.pk}/")

    page.get_by_role("button", name="Save channel").click()
    expect(page.get_by_text("saved", exact=False).first).to_be_visible()
    assert asked == ["beforeunload"]  # saving asked nothing
    channel.refresh_from_db()
    assert channel.help_text == "Acme: texts from our assistant."
