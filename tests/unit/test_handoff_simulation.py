"""The handoff page's simulation: each outcome's steps, what the agent is told, how the call
ends — and nothing written."""

import pytest
from django.urls import reverse

from actions.handoffs import hours
from actions.models import Agent, HandoffLog
from tests.factories import make_handoff

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales():
    make_handoff("support", description="Support line", phone_number="+15550000002")
    sales = make_handoff("sales", description="Sales", phone_number="+15550000001",
                         fallbacks=["support"])  # fmt: skip
    agent = Agent.objects.create(name="booking_bot", return_url="https://agent.example.com/r")
    agent.handoffs.add(sales)
    return sales


def simulate(admin_client, handoff, outcome) -> str:
    url = reverse("handoff_simulate", args=[handoff.pk])
    return admin_client.post(url, {"outcome": outcome}).content.decode()


def test_answered_is_one_step_then_hang_up(admin_client, sales):
    page = simulate(admin_client, sales, "completed")
    assert page.count('data-testid="simulation-step"') == 1
    assert "Answered: the caller talks to the person" in page


def test_no_answer_tries_each_fallback_then_returns_to_the_agent(admin_client, sales):
    page = simulate(admin_client, sales, "no-answer")
    assert page.count('data-testid="simulation-step"') == 2
    assert "reason=transfer_failed%3Ano-answer" in page
    assert "back to booking_bot&#x27;s return URL" in page
    assert HandoffLog.objects.count() == 0


def test_after_hours_shows_what_the_agent_is_told(admin_client, sales, monkeypatch):
    sales.hours = {"time_zone": "UTC", "weekly": {"mon": ["09:00-17:00"]}}
    sales.save()
    from datetime import UTC, datetime

    monkeypatch.setattr(hours, "current_time", lambda: datetime(2026, 12, 8, 12, tzinfo=UTC))
    page = simulate(admin_client, sales, "after-hours")
    assert "Tell the caller sales is closed until Monday 09:00; offer another way to help." in page
