import pytest
from playwright.sync_api import expect

from actions.models import Handoff, HandoffLog
from tests.factories import DOCUMENTED_HANDOFFS, make_handoff

pytestmark = pytest.mark.browser


def start_handoff(page, name, description):
    page.goto("/handoffs/")
    page.get_by_role("button", name="New handoff").click()
    page.get_by_label("Identifier", exact=True).fill(name)
    page.get_by_label("Description").fill(description)


def save(page, name):
    page.get_by_role("button", name="Save handoff").click()
    expect(page.get_by_text(f"Handoff “{name}” saved.")).to_be_visible()


def stored(name) -> dict:
    handoff = Handoff.objects.get(name=name)
    fields = ("description", "is_default", "method", "phone_number", "sip_headers")
    return {f: getattr(handoff, f) for f in fields}


def expected(name) -> dict:
    values = {"is_default": False, "phone_number": "", "sip_headers": []}
    values.update(DOCUMENTED_HANDOFFS[name])
    return values


def test_an_admin_creates_the_three_documented_handoffs(admin_page):
    page = admin_page
    start_handoff(page, "agent_queue", "Transfer to live agent queue")
    page.get_by_label("Default handoff").check()
    expect(page.get_by_label("SIP method")).to_have_value("refer")
    page.get_by_label("Phone number").fill("+44 1234 567890")
    save(page, "agent_queue")
    expect(page.get_by_label("Phone number")).to_have_value("+441234567890")  # E.164
    expect(page.get_by_test_id("twiml")).to_contain_text(
        "<Refer><Sip>tel:+441234567890</Sip></Refer>"
    )

    start_handoff(page, "escalation_handoff", "Transfer to a live agent for complex issues")
    page.get_by_label("Phone number").fill("+15551234567")
    page.get_by_role("button", name="+ Add header").click()
    page.get_by_label("Header 1 name").fill("X-Reason")
    page.get_by_label("Header 1 value").fill("escalation")
    expect(page.get_by_test_id("twiml")).to_contain_text("tel:+15551234567?X-Reason=escalation")
    save(page, "escalation_handoff")
    expect(page.get_by_label("Header 1 name")).to_have_value("X-Reason")

    start_handoff(page, "end_call", "End the call gracefully")
    page.get_by_label("SIP method").select_option("bye")
    expect(page.get_by_label("Phone number")).to_have_count(0)
    expect(page.get_by_test_id("twiml")).to_contain_text("<Hangup />")
    save(page, "end_call")
    page.screenshot(path="var/test-artifacts/handoff-end-call.png", full_page=True)

    for name in DOCUMENTED_HANDOFFS:
        assert stored(name) == expected(name), name
    page.goto("/handoffs/")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="agent_queue")).to_contain_text("★ Default")
    expect(rows.filter(has_text="end_call")).to_contain_text("Ends the call")
    page.screenshot(path="var/test-artifacts/handoff-list.png", full_page=True)
    assert page.console_errors == []


def test_switching_the_method_swaps_the_fields_in_place(admin_page):
    page = admin_page
    page.goto("/handoffs/new/")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    phone = page.get_by_label("Phone number")
    endpoint = page.get_by_label("Outbound endpoint")
    encryption = page.get_by_label("Outbound encryption")
    expect(phone).to_be_visible()
    expect(endpoint).to_have_count(0)
    phone.fill("+15551234567")

    page.get_by_label("SIP method").select_option("invite")
    expect(endpoint).to_be_visible()
    expect(encryption).to_have_value("TLS/SRTP")
    expect(phone).to_have_value("+15551234567")  # what was typed stays
    expect(encryption.locator("option")).to_have_text(
        ["TLS/SRTP (encrypted)", "UDP/RTP (unencrypted)"]
    )

    page.get_by_label("SIP method").select_option("bye")
    expect(phone).to_have_count(0)
    expect(endpoint).to_have_count(0)
    expect(encryption).to_have_count(0)

    page.get_by_label("SIP method").select_option("refer")
    expect(phone).to_be_visible()
    expect(endpoint).to_have_count(0)
    assert navigations == []
    assert page.url.endswith("/handoffs/new/")
    assert page.console_errors == []


def test_a_via_header_is_refused_with_a_message_on_the_page(admin_page):
    page = admin_page
    start_handoff(page, "escalation_handoff", "Transfer to a live agent for complex issues")
    page.get_by_label("Phone number").fill("+15551234567")
    page.get_by_role("button", name="+ Add header").click()
    page.get_by_label("Header 1 name").fill("Via")
    page.get_by_label("Header 1 value").fill("SIP/2.0/UDP evil.example.com")
    message = "Header 1: “Via” is set by the SIP stack (Via); setting it would break the call."
    # As the admin types, before any save...
    expect(page.locator("#header-key-0_error")).to_have_text(message)
    expect(page.get_by_test_id("preview-errors")).to_contain_text(message)
    # ... and when saving anyway.
    page.get_by_role("button", name="Save handoff").click()
    expect(page.locator("#header-key-0_error")).to_have_text(message)
    expect(page.get_by_label("Header 1 name")).to_have_value("Via")
    assert not Handoff.objects.exists()
    page.screenshot(path="var/test-artifacts/handoff-via-refused.png", full_page=True)

    page.get_by_label("Header 1 name").fill("X-Reason")
    expect(page.locator("#header-key-0_error")).to_be_empty()
    page.get_by_role("button", name="Save handoff").click()
    expect(page.get_by_text("Handoff “escalation_handoff” saved.")).to_be_visible()
    assert page.console_errors == []


def test_the_preview_follows_the_form_as_the_admin_types(admin_page):
    page = admin_page
    start_handoff(page, "agent_queue", "Transfer to live agent queue")
    expect(page.get_by_test_id("twiml")).to_have_count(0)
    page.get_by_label("Phone number").fill("+441234567890")
    twiml = page.get_by_test_id("twiml")
    expect(twiml).to_contain_text("<Refer><Sip>tel:+441234567890</Sip></Refer>")
    expect(page.get_by_test_id("twiml-phone")).to_contain_text(
        "<Dial><Number>+441234567890</Number></Dial>"
    )
    expect(page.get_by_text("Twilio performs a SIP REFER only on SIP calls")).to_be_visible()
    expect(page.get_by_test_id("sip-instruction")).to_contain_text('"method": "refer"')
    page.screenshot(path="var/test-artifacts/handoff-refer-preview.png", full_page=True)

    page.get_by_label("Phone number").fill("call the office")
    expect(page.get_by_test_id("preview-errors")).to_contain_text("is not a phone number")
    expect(page.locator("#id_phone_number_error")).to_contain_text("is not a phone number")
    expect(twiml).to_have_count(0)

    page.get_by_label("Phone number").fill("+441234567890")
    page.get_by_role("button", name="+ Add header").click()
    page.get_by_label("Header 1 name").fill("Reason")
    page.get_by_label("Header 1 value").fill("escalation")
    expect(page.locator("#header-warnings")).to_contain_text("“Reason” has no X- prefix")
    expect(twiml).to_contain_text("tel:+441234567890?Reason=escalation")
    page.get_by_role("button", name="Remove header 1").click()
    expect(page.get_by_label("Header 1 name")).to_have_count(0)
    expect(twiml).to_contain_text("<Sip>tel:+441234567890</Sip>")
    assert page.console_errors == []


def test_without_javascript_the_method_and_header_buttons_still_work(
    browser, live_server, admin_user, client
):
    client.force_login(admin_user)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto("/handoffs/new/")
        page.get_by_label("Identifier", exact=True).fill("end_call")
        page.get_by_label("Description").fill("End the call gracefully")
        page.get_by_label("SIP method").select_option("bye")
        page.get_by_role("button", name="Show this method's fields").click()
        expect(page.get_by_label("Phone number")).to_have_count(0)
        expect(page.get_by_label("Identifier", exact=True)).to_have_value("end_call")
        page.get_by_role("button", name="+ Add header").click()
        page.get_by_label("Header 1 name").fill("X-Reason")
        page.get_by_label("Header 1 value").fill("goodbye")
        page.get_by_label("Header 1 value").press("Enter")  # Enter saves, as it should
        expect(page.get_by_text("Handoff “end_call” saved.")).to_be_visible()
        handoff = Handoff.objects.get()
        assert handoff.method == "bye"
        assert handoff.sip_headers == [{"key": "X-Reason", "value": "goodbye"}]
        expect(page.get_by_test_id("twiml")).to_contain_text("<Hangup />")
    finally:
        context.close()


def test_the_log_shows_each_handoff_and_filters_by_handoff(admin_page):
    for name, outcome, detail in [
        ("agent_queue", "redirected", "Call CA1 redirected"),
        ("end_call", "failed", "The call had already ended"),
    ]:
        handoff = make_handoff(name)
        HandoffLog.objects.create(
            handoff=handoff,
            handoff_name=name,
            agent_name="booking_bot",
            environment="live",
            conversation_id=f"conv-{name}",
            call_sid="CA" + "0" * 32,
            instruction=handoff.instruction(),
            twiml=handoff.twiml(),
            outcome=outcome,
            outcome_detail=detail,
        )
    page = admin_page
    page.goto("/handoffs/")
    page.get_by_role("button", name="Handoff log").click()
    entries = page.locator("tbody.log-entry")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("conv-end_call")  # newest first
    expect(entries.first.get_by_test_id("outcome")).to_have_text("Redirect failed")
    details = entries.first.locator("details")
    expect(details.get_by_text("The call had already ended")).to_be_hidden()
    details.locator("summary").click()
    expect(details.get_by_text("The call had already ended")).to_be_visible()
    expect(details).to_contain_text("<Hangup />")
    page.screenshot(path="var/test-artifacts/handoff-log.png", full_page=True)

    page.get_by_label("Handoff", exact=True).select_option("agent_queue")
    page.get_by_role("button", name="Filter").click()
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("conv-agent_queue")
    expect(entries.first.get_by_test_id("outcome")).to_have_text("Call redirected")
    assert "handoff=agent_queue" in page.url

    page.goto("/handoffs/log/?date_from=31/01/2025")
    expect(page.get_by_text("Enter the start date as YYYY-MM-DD")).to_be_visible()
    expect(entries).to_have_count(2)
    assert page.console_errors == []


def test_build_a_chain_with_hours_and_a_warm_transfer_then_simulate_busy(admin_page):
    make_handoff("support", description="Support line", phone_number="+15550000002")
    page = admin_page
    start_handoff(page, "sales", "Transfer to the sales team")
    page.get_by_label("Phone number").fill("+15551230100")
    page.locator("#transfer_mode").select_option("warm")
    page.get_by_label("Whisper the summary").check()
    page.get_by_label("Fallbacks, in order").fill("support")
    page.locator("#hours_time_zone").fill("Europe/London")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        page.locator(f"#hours_{day}").fill("00:00-00:00")
    save(page, "sales")
    sales = Handoff.objects.get(name="sales")
    assert sales.fallbacks == ["support"] and sales.transfer["whisper"] is True
    assert sales.hours["weekly"]["mon"] == ["00:00-00:00"]
    expect(page.get_by_test_id("opening")).to_have_text("Open now")

    page.get_by_label("When the person's line is").select_option("busy")
    page.get_by_role("button", name="Simulate").click()
    steps = page.get_by_test_id("simulation-step")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("Step 1: sales")
    expect(steps.nth(0)).to_contain_text("/webhooks/twilio/whisper/1")
    expect(steps.nth(1)).to_contain_text("Step 2: support — fallback 1, after busy")
    expect(page.get_by_test_id("simulation-end")).to_contain_text(
        "the unavailable message is said, then the call ends"
    )
    assert HandoffLog.objects.count() == 0  # a simulation logs nothing
    assert page.console_errors == []
