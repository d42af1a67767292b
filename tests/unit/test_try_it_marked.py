"""Try-it and channel test messages are marked as tests everywhere: the send log's list
(badge and filter), a message's page, the CSV export and the dashboard's filter."""

import csv
import io

import pytest
from django.urls import reverse

from actions.models import Agent, ApiKey, Message
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.django_db

CALLER = "+15551234567"


@pytest.fixture
def messages(client, admin_user):
    """One message from an agent's invoke, one from the action page's Try it."""
    action = make_action(make_channel())
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(action)
    key = ApiKey.issue(agent, "sandbox")[1]
    body = {"contact": {"phone_number": CALLER}, "parameters": {"booking_reference": "A1"}}
    client.post(
        f"/api/v1/actions/{action.name}/invoke",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    client.force_login(admin_user)
    client.post(
        reverse("action_try", args=[action.pk]),
        {"sample-booking_reference": "T1", "sample_contact": CALLER, "sample_variables": "{}"},
        headers={"HX-Request": "true"},
    )
    agent_message = Message.objects.get(is_test=False)
    test_message = Message.objects.get(is_test=True)
    return agent_message, test_message


def test_the_list_badges_tests_and_filters_by_origin(client, messages):
    agent_message, test_message = messages
    html = client.get(reverse("sendlog_list")).content.decode()
    assert html.count('data-testid="test-badge"') == 1
    only = client.get(reverse("sendlog_list"), {"tests": "only"}).content.decode()
    assert f"message-{test_message.pk}" in only and f"message-{agent_message.pk}" not in only
    without = client.get(reverse("sendlog_list"), {"tests": "exclude"}).content.decode()
    assert f"message-{agent_message.pk}" in without and f"message-{test_message.pk}" not in without


def test_the_message_page_says_where_it_came_from(client, messages):
    agent_message, test_message = messages
    page = client.get(reverse("message_detail", args=[test_message.pk])).content.decode()
    assert "sent from the builder (Try it), not by an agent" in page
    page = client.get(reverse("message_detail", args=[agent_message.pk])).content.decode()
    assert "an agent&#x27;s call" in page or "an agent's call" in page


def test_the_csv_has_a_test_column_and_follows_the_filter(client, messages):
    agent_message, test_message = messages
    response = client.get(reverse("sendlog_export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["id"]: r["test"] for r in rows} == {
        str(agent_message.pk): "false",
        str(test_message.pk): "true",
    }
    response = client.get(reverse("sendlog_export"), {"tests": "exclude"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["id"] for r in rows] == [str(agent_message.pk)]


def test_the_dashboard_counts_by_origin_and_links_with_it(client, messages):
    everything = client.get("/", {}).content.decode()
    agents_only = client.get("/", {"tests": "exclude"}).content.decode()
    tests_only = client.get("/", {"tests": "only"}).content.decode()
    assert 'data-testid="origin-filter"' in everything
    assert "?tests=exclude&amp;" in agents_only  # every link keeps the origin
    board = client.get("/", {"tests": "exclude"}).context["board"]
    assert board.today_period.total == 1
    assert client.get("/", {"tests": "only"}).context["board"].today_period.total == 1
    assert client.get("/").context["board"].today_period.total == 2
    assert '<strong aria-current="true">Tests only</strong>' in tests_only
