"""The pages this work added or changed, at a phone's width (390 px) and a laptop's (1366 px):
the agent's Connect tab, the handoff page (fallbacks, hours, warm transfer, simulation) and the
handoff log's transfer column. Each shows its content, and the page itself does not scroll
sideways (wide code and tables scroll inside their own box)."""

import pytest
from playwright.sync_api import expect

from actions.models import Agent, HandoffLog
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 900)])
def test_connect_handoff_and_log_pages_fit_the_width(admin_page, width, height):
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel()))
    make_handoff("support", description="Support line", phone_number="+15550000002")
    sales = make_handoff(
        "sales", description="Sales", phone_number="+15550000001", fallbacks=["support"],
        hours={"time_zone": "Europe/London", "weekly": {"mon": ["09:00-17:30"]}},
        transfer={"mode": "warm", "whisper": True},
    )  # fmt: skip
    agent.handoffs.add(sales)
    HandoffLog.objects.create(
        handoff=sales, handoff_name="sales", outcome="redirected", transfer_outcome="busy"
    )
    page = admin_page
    page.set_viewport_size({"width": width, "height": height})

    def fits(name):
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        page.screenshot(path=f"var/test-artifacts/{name}-{width}.png", full_page=True)
        assert overflow <= 1, f"{name} scrolls sideways by {overflow} px at {width} px"

    page.goto(f"/agents/{agent.pk}/connect/")
    expect(page.get_by_test_id("connect-vapi")).to_be_visible()
    fits("connect")

    page.goto(f"/handoffs/{sales.pk}/")
    expect(page.get_by_test_id("opening")).to_be_visible()
    page.get_by_role("button", name="Simulate").click()
    expect(page.get_by_test_id("simulation-step").first).to_be_visible()
    fits("handoff")

    page.goto("/handoffs/log/")
    expect(page.get_by_test_id("transfer-outcome").first).to_contain_text("Busy")
    fits("handoff-log")
    assert page.console_errors == []
