"""The dashboard's chart shows today's bar at a phone's width too: a chart wider than the
screen scrolls, and starts scrolled to today."""

import pytest

from actions.models import Message

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 390, 1366])
def test_todays_bar_is_in_view(admin_page, width):
    Message.objects.create(to="+15551234567", sender="+15005550006", body="Hi", status="delivered")
    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    box = page.locator(".dash-chart-scroll").bounding_box()
    svg = page.locator(".dash-chart-scroll svg.chart").bounding_box()
    # The chart's right end (today) is inside the scrolling box's visible part.
    assert svg["x"] + svg["width"] <= box["x"] + box["width"] + 1
    page.screenshot(path=f"var/test-artifacts/dashboard-{width}.png")
