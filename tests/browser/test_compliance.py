"""The compliance pages in a real browser: an admin opts a number out by hand, removes it after
the confirmation, imports a CSV; the consent ledger shows the question asked; a reviewer sees
numbers masked; the channel page's throughput fields and the public opt-in policy. Each page
at a phone's width (390 px) and a laptop's (1366 px) without sideways scrolling."""

import pytest
from playwright.sync_api import expect

from actions.models import ConsentRecord, MessagingChannel, OptOut
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (1366, 900)]


def fits(page, name, width):
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.screenshot(path=f"var/test-artifacts/{name}-{width}.png", full_page=True)
    assert overflow <= 1, f"{name} scrolls sideways by {overflow} px at {width} px"


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_an_admin_adds_removes_and_imports_opt_outs(admin_page, width, height, tmp_path):
    make_channel()
    page = admin_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/opt-outs/")
    page.get_by_label("Number").last.fill("+1 555 123 4567")
    page.get_by_label("From").select_option("")
    page.get_by_label("Reason").fill("asked on the phone")
    page.get_by_role("button", name="Opt out").click()
    expect(page.get_by_text("will not be texted from any sender")).to_be_visible()
    expect(page.locator("table")).to_contain_text("+15551234567")
    expect(page.get_by_text("Added by hand: asked on the phone")).to_be_visible()
    fits(page, "opt-outs", width)

    page.get_by_role("link", name="Remove…").click()
    expect(page.get_by_role("heading", name="Text this number again?")).to_be_visible()
    fits(page, "opt-out-remove", width)
    page.get_by_label("Reason").fill("asked to be texted again")
    page.get_by_role("button", name="Remove the opt-out").click()
    expect(page.get_by_text("may be texted again")).to_be_visible()
    assert not OptOut.objects.exists()

    csv_file = tmp_path / "opt-outs.csv"
    csv_file.write_text("number,sender,reason\n+15551230002,,moved\nnonsense,,x\n")
    page.get_by_role("button", name="Import CSV…").click()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-problems")).to_contain_text("Line 3, number:")
    fits(page, "opt-out-import", width)
    assert not OptOut.objects.exists()
    csv_file.write_text("number,sender,reason\n+15551230002,,moved\n")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("1 new opt-out(s)")).to_be_visible()
    assert page.console_errors == []


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_reviewer_reads_the_consent_ledger_masked(reviewer_page, width, height):
    make_action(make_channel(), require_consent=True)
    ConsentRecord.objects.create(
        conversation_id="CA-42", action_name="send_booking_confirmation", agent_name="front",
        channel_name="customer_notifications", sender="+15005550006", number="+15551234567",
        reported=True, prompt="May I text you your booking reference now?",
    )  # fmt: skip
    OptOut.objects.create(number="+15551234567", sender="", source="manual", reason="asked")
    page = reviewer_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/consent/")
    expect(page.locator("table")).to_contain_text("May I text you your booking reference now?")
    expect(page.locator("table")).not_to_contain_text("+15551234567")
    expect(page.get_by_test_id("consent-export")).to_be_visible()
    fits(page, "consent", width)
    page.goto("/opt-outs/")
    expect(page.locator("table")).not_to_contain_text("+15551234567")
    expect(page.get_by_role("link", name="Remove…")).to_have_count(0)
    assert page.console_errors == []


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_channel_page_sets_its_rate_and_publishes_its_opt_in_policy(admin_page, width, height):
    channel = make_channel(provider="console")
    page = admin_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"/channels/{channel.pk}/")
    expect(
        page.get_by_text("This channel's sender is a long code: it sends 1 message a second")
    ).to_be_visible()
    page.get_by_label("Messages per second", exact=True).fill("2.5")
    page.get_by_label("Public opt-in policy").fill("Callers agree when our assistant asks them.")
    page.get_by_role("button", name="Save channel").click()
    channel.refresh_from_db()
    assert channel.messages_per_second == 2.5
    page.goto(f"/channels/{channel.pk}/")
    fits(page, "channel-throughput", width)
    page.get_by_test_id("opt-in-link").click()
    expect(page.get_by_text("Callers agree when our assistant asks them.")).to_be_visible()
    fits(page, "opt-in", width)
    assert MessagingChannel.objects.get().rate_for("") == 2.5
    assert page.console_errors == []
