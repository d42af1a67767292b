"""The home page's first steps: each ticks itself as it is done, links only where the role may
go, and the list goes once all are done."""

import pytest
from django.urls import reverse

from actions.models import Agent, ApiKey, Message
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db


def steps_of(client) -> list[tuple[str, bool]]:
    response = client.get(reverse("home"))
    return [(s.label, s.done) for s in response.context["first_steps"]]


def test_each_step_ticks_itself_and_the_list_goes_once_all_are_done(client, admin_user):
    client.force_login(admin_user)
    assert [done for _, done in steps_of(client)] == [False] * 6
    page = client.get(reverse("home")).content.decode()
    assert 'href="/channels/new/">Add a messaging channel</a>' in page
    channel = make_channel()
    action = make_action(channel)
    assert [done for _, done in steps_of(client)] == [True, True, False, False, False, False]
    make_handoff()
    agent = Agent.objects.create(name="front_desk")
    agent.actions.add(action)
    ApiKey.issue(agent, "sandbox")
    assert [done for _, done in steps_of(client)] == [True] * 5 + [False]
    Message.objects.create(to="+15551234567", sender=channel.sender, body="Hi", is_test=True)
    assert steps_of(client) == []
    assert 'data-testid="first-steps"' not in client.get(reverse("home")).content.decode()


def test_a_reviewer_sees_the_steps_without_links_it_may_not_follow(client, reviewer_user):
    client.force_login(reviewer_user)
    page = client.get(reverse("home")).content.decode()
    assert "Add a messaging channel" in page and 'href="/channels/new/"' not in page
