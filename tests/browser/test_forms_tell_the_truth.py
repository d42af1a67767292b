"""Forms tell the truth: a field is marked invalid exactly while it has an error — set and
cleared by live validation, never before the person typed in it; a failed save heads the form
with a summary that takes the focus and links to each field; a secret typed is not lost to
another field's error; a header row's error sits under its row."""

import pytest
from playwright.sync_api import expect

from actions.models import MessagingChannel
from tests.factories import make_channel

pytestmark = pytest.mark.browser


def test_choosing_invite_marks_nothing_and_live_validation_marks_and_clears(admin_page):
    page = admin_page
    page.goto("/handoffs/new/")
    page.get_by_label("Identifier", exact=True).fill("agent_queue")
    page.get_by_label("Description").fill("Transfer to the live agent queue")
    page.get_by_label("Method").select_option("invite")
    phone = page.get_by_label("Phone number")
    endpoint = page.get_by_label("Outbound endpoint")
    expect(endpoint).to_be_visible()
    # The preview has validated the whole form by now (both are required for an invite)...
    page.get_by_label("Utterance").fill("Putting you through.")
    expect(page.get_by_test_id("preview-errors")).to_contain_text("endpoint")
    # ... yet neither field was typed in: neither is red, neither error shows.
    for field in (phone, endpoint):
        expect(field).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_phone_number_error")).to_be_hidden()
    expect(page.locator("#id_outbound_endpoint_error")).to_be_hidden()
    page.screenshot(path="var/test-artifacts/forms-invite-untouched.png", full_page=True)

    # Typed wrong: marked by the live validation, described by its error.
    phone.fill("call the office")
    expect(phone).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_phone_number_error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("is not a phone number")
    assert "id_phone_number_error" in phone.get_attribute("aria-describedby").split()
    expect(endpoint).not_to_have_attribute("aria-invalid", "true")

    # Fixed: cleared as soon as the error clears.
    phone.fill("+441234567890")
    expect(error).to_be_empty()
    expect(phone).not_to_have_attribute("aria-invalid", "true")
    assert "id_phone_number_error" not in (phone.get_attribute("aria-describedby") or "")
    assert page.console_errors == []


def test_a_failed_save_heads_the_form_with_a_summary_that_links_to_each_field(admin_page):
    make_channel()
    page = admin_page
    page.goto("/actions/new/")
    page.get_by_label("Description").fill("Sends the booking confirmation.")
    page.get_by_role("button", name="Save action").click()

    summary = page.get_by_test_id("error-summary")
    missing_name = "Identifier: Give it an identifier, or a display name to suggest one from."
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_contain_text("to correct before saving")
    expect(summary.get_by_role("link", name=missing_name)).to_be_visible()
    expect(summary.get_by_role("link", name="Messaging channel", exact=False)).to_be_visible()
    # Every field with an error is marked, after a save, typed in or not.
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_description")).not_to_have_attribute("aria-invalid", "true")
    page.screenshot(path="var/test-artifacts/forms-error-summary.png", full_page=True)

    summary.get_by_role("link", name=missing_name).click()
    expect(page.locator("#id_name")).to_be_focused()
    page.keyboard.type("send_booking_confirmation")
    expect(page.locator("#id_name_error")).to_be_empty()
    expect(page.locator("#id_name")).not_to_have_attribute("aria-invalid", "true")
    assert page.console_errors == []


def test_the_auth_token_typed_survives_another_fields_error(admin_page, live_server):
    page = admin_page
    page.goto("/channels/new/")
    page.get_by_label("Identifier", exact=True).fill("customer_notifications")
    page.get_by_label("Provider").select_option("twilio")
    page.get_by_label("Sender", exact=True).fill("+1 555 12")
    page.get_by_label("Account SID").fill("AC" + "0" * 32)
    page.get_by_label("Twilio auth token").fill("token-typed-once")
    page.get_by_role("button", name="Save channel").click()

    expect(page.get_by_test_id("error-summary")).to_contain_text("Sender")
    token = page.get_by_label("Twilio auth token")
    expect(token).to_have_value("")  # never rendered back...
    assert "token-typed-once" not in page.content()
    expect(page.locator("#id_auth_token_helptext")).to_contain_text("is kept for this save")

    page.get_by_label("Sender", exact=True).fill("+15005550006")
    page.get_by_role("button", name="Save channel").click()
    expect(page.get_by_text("Channel “customer_notifications” saved.")).to_be_visible()
    channel = MessagingChannel.objects.get(name="customer_notifications")
    assert channel.has_auth_token  # ... yet not lost
    assert page.console_errors == []


def test_a_header_rows_error_sits_under_its_row(admin_page):
    page = admin_page
    page.goto("/handoffs/new/")
    page.get_by_label("Identifier", exact=True).fill("agent_queue")
    page.get_by_label("Description").fill("Transfer to the live agent queue")
    page.get_by_label("Phone number").fill("+441234567890")
    page.get_by_role("button", name="+ Add header").click()
    page.get_by_label("Header 1 name").fill("X Reason")
    page.get_by_label("Header 1 value").fill("escalation")
    page.get_by_role("button", name="Save handoff").click()

    error = page.locator("#header-key-0_error")
    expect(error).to_contain_text("is not a valid SIP header name")
    name, value = page.get_by_label("Header 1 name"), page.get_by_label("Header 1 value")
    expect(name).to_have_attribute("aria-invalid", "true")
    below = error.bounding_box()["y"]
    assert below >= name.bounding_box()["y"] + name.bounding_box()["height"]
    assert below >= value.bounding_box()["y"] + value.bounding_box()["height"]
    expect(page.get_by_test_id("error-summary")).to_contain_text("Header 1:")
    page.screenshot(path="var/test-artifacts/forms-header-row-error.png", full_page=True)
    assert page.console_errors == []
