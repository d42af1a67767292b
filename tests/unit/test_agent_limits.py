"""Texts per recipient and per conversation: the agent's limits against SMS pumping.

Counted in the suite's Redis, under a prefix of each test's own (agents' pks can repeat
between tests on SQLite, and the counts are keyed by them).
"""

import copy
import hashlib
import uuid

import pytest
import redis
from django.urls import reverse

from actions import configfile
from actions.api.invoke import send_action
from actions.common import limits
from actions.handoffs.destinations import describe
from actions.models import Agent, ApiKey, Message, OptOut
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

NUMBER = "+15551234567"
RECIPIENT_SAY = (
    "Tell the caller you cannot send more text messages to this number today; offer another "
    "way to help."
)
CONVERSATION_SAY = (
    "Tell the caller you cannot send more text messages during this call; offer another way "
    "to help."
)


@pytest.fixture(autouse=True)
def own_counts(settings):
    settings.RATE_LIMIT_PREFIX = f"test-texts-{uuid.uuid4().hex[:12]}"
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 100
    settings.TEXTS_PER_CONVERSATION = 100


@pytest.fixture
def agent():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel()))
    return agent


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "sandbox")[1]


def body(number=NUMBER, conversation="CA-1", reference="ABC123"):
    return {
        "conversation_id": conversation,
        "contact": {"phone_number": number},
        "variables": {},
        "parameters": {"booking_reference": reference},
    }


def invoke(client, key, payload, **headers):
    return client.post(
        "/api/v1/actions/send_booking_confirmation/invoke",
        payload,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", **headers},
    )


def to_one_number(client, key, count, number=NUMBER):
    """`count` invokes to one number, each in a conversation of its own."""
    return [
        invoke(client, key, body(number, conversation=f"CA-{uuid.uuid4().hex[:8]}")).status_code
        for _ in range(count)
    ]


# --- Per recipient ---------------------------------------------------------------------------


def test_the_text_past_the_daily_limit_to_one_number_is_422_and_writes_no_message(
    client, key, settings
):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 3
    assert to_one_number(client, key, 3) == [202, 202, 202]
    response = invoke(client, key, body(conversation="CA-new"))
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "recipient_limit_reached",
            "message": "This agent has sent this number 3 text messages in the last 24 hours, "
            "its limit; nothing was sent.",
            "say": RECIPIENT_SAY,
        }
    }
    assert Message.objects.count() == 3
    assert invoke(client, key, body("+15557654321")).status_code == 202  # another number


def test_the_recipient_limit_refusal_offers_the_actions_fallback(client, agent, key, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    action = agent.actions.get()
    action.fallback_handoff = queue = make_handoff("agent_queue")
    action.save()
    assert to_one_number(client, key, 1) == [202]
    error = invoke(client, key, body()).json()["error"]
    assert error["code"] == "recipient_limit_reached"
    assert error["fallback"] == describe(queue)
    assert error["say"].startswith(
        "Tell the caller you cannot send more text messages to this number today; offer to "
        "transfer them instead ("
    )
    assert error["say"].endswith('call transfer_call with destination "agent_queue".')


def test_numbers_written_differently_are_counted_as_one(client, key, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    assert invoke(client, key, body("+1 555 123 4567")).status_code == 202
    assert invoke(client, key, body("+1 (555) 123-4567")).status_code == 422


def test_the_recipient_limit_counts_every_key_of_the_agent(client, agent, key, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 2
    live = ApiKey.issue(agent, "live")[1]
    assert to_one_number(client, key, 1) + to_one_number(client, live, 1) == [202, 202]
    assert to_one_number(client, key, 1) + to_one_number(client, live, 1) == [422, 422]


def test_the_recipient_limit_is_each_agents_own(client, agent, key, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    other = Agent.objects.create(name="support_bot")
    other.actions.add(agent.actions.get())
    other_key = ApiKey.issue(other, "sandbox")[1]
    assert to_one_number(client, key, 2) == [202, 422]
    assert to_one_number(client, other_key, 2) == [202, 422]


def test_an_agents_own_recipient_limit_overrides_the_default_both_ways(
    client, agent, key, settings
):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 5
    agent.texts_per_recipient_per_day = 2
    agent.save()
    assert to_one_number(client, key, 3) == [202, 202, 422]
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    agent.texts_per_recipient_per_day = 3
    agent.save()
    assert to_one_number(client, key, 4, number="+15557654321") == [202, 202, 202, 422]


# --- Per conversation ------------------------------------------------------------------------


def test_the_text_past_the_conversation_limit_is_422_and_writes_no_message(client, key, settings):
    settings.TEXTS_PER_CONVERSATION = 2
    answers = [invoke(client, key, body(f"+1555000000{n}", "CA-9")) for n in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 422]
    assert answers[2].json() == {
        "error": {
            "code": "conversation_limit_reached",
            "message": "This agent has sent 2 text messages in this conversation, its limit; "
            "nothing was sent.",
            "say": CONVERSATION_SAY,
        }
    }
    assert Message.objects.count() == 2
    assert invoke(client, key, body("+15550000009", "CA-10")).status_code == 202


def test_the_conversation_limit_refusal_offers_the_actions_fallback(client, agent, key, settings):
    settings.TEXTS_PER_CONVERSATION = 1
    action = agent.actions.get()
    action.fallback_handoff = queue = make_handoff("agent_queue")
    action.save()
    assert invoke(client, key, body("+15550000001", "CA-9")).status_code == 202
    error = invoke(client, key, body("+15550000002", "CA-9")).json()["error"]
    assert error["code"] == "conversation_limit_reached"
    assert error["fallback"] == describe(queue)
    assert error["say"].startswith(
        "Tell the caller you cannot send more text messages during this call; offer to "
        "transfer them instead ("
    )


def test_the_conversation_limit_counts_every_key_of_the_agent_and_its_own_overrides(
    client, agent, key, settings
):
    settings.TEXTS_PER_CONVERSATION = 1
    agent.texts_per_conversation = 2
    agent.save()
    live = ApiKey.issue(agent, "live")[1]
    answers = [
        invoke(client, k, body(f"+1555000000{n}", "CA-9")).status_code
        for n, k in enumerate([key, live, key, live])
    ]
    assert answers == [202, 202, 422, 422]


def test_an_invoke_without_a_conversation_id_meets_only_the_recipient_limit(client, key, settings):
    settings.TEXTS_PER_CONVERSATION = 1
    answers = [invoke(client, key, body(f"+1555000000{n}", "")).status_code for n in range(3)]
    assert answers == [202, 202, 202]


# --- What counts -----------------------------------------------------------------------------


def test_an_idempotent_replay_does_not_count_again(client, key, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 2
    settings.TEXTS_PER_CONVERSATION = 2
    first = invoke(client, key, body(), **{"Idempotency-Key": "call-1-sms"})
    again = invoke(client, key, body(), **{"Idempotency-Key": "call-1-sms"})
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    second = invoke(client, key, body(reference="DEF456"))
    assert second.status_code == 202  # the replay took neither limit's second text
    assert invoke(client, key, body(reference="GHI789")).status_code == 422
    assert Message.objects.count() == 2


def test_a_text_refused_for_another_reason_does_not_count(client, key, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    settings.TEXTS_PER_CONVERSATION = 1
    opt_out = OptOut.objects.create(number=NUMBER, sender="+15005550006", source="inbound")
    assert invoke(client, key, body()).json()["error"]["code"] == "opted_out"
    missing = body()
    missing["parameters"] = {}
    assert invoke(client, key, missing).status_code == 400
    opt_out.delete()
    assert invoke(client, key, body()).status_code == 202


def test_a_refusal_by_one_limit_takes_nothing_from_the_other(client, key, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    settings.TEXTS_PER_CONVERSATION = 2
    assert invoke(client, key, body(NUMBER, "CA-9")).status_code == 202
    assert invoke(client, key, body(NUMBER, "CA-9")).status_code == 422  # per recipient
    # The conversation's second text is still there for another number.
    assert invoke(client, key, body("+15557654321", "CA-9")).status_code == 202
    # And the other way round: the number's text held by a refused conversation is given back.
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 2
    settings.TEXTS_PER_CONVERSATION = 1
    assert invoke(client, key, body(NUMBER, "CA-20")).status_code == 202
    answer = invoke(client, key, body(NUMBER, "CA-20"))
    assert answer.json()["error"]["code"] == "conversation_limit_reached"
    assert invoke(client, key, body(NUMBER, "CA-21")).status_code == 202


def test_try_it_and_test_messages_without_an_agent_are_not_limited(agent, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    settings.TEXTS_PER_CONVERSATION = 1
    action = agent.actions.get()
    for _ in range(3):
        answer = send_action(action, copy.deepcopy(body()), agent=None, environment="sandbox",
                             is_test=True)  # fmt: skip
        assert answer["status"] == "queued"
    assert Message.objects.count() == 3


def test_without_redis_texts_are_not_limited(client, key, settings, monkeypatch):
    monkeypatch.setattr(limits, "_down_until", 0.0)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    assert to_one_number(client, key, 3) == [202, 202, 202]


def test_redis_holds_neither_the_number_nor_the_conversation_id(client, key, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    to_one_number(client, key, 2)
    stored = redis.Redis.from_url(settings.REDIS_URL).keys(f"{settings.RATE_LIMIT_PREFIX}*")
    names = b" ".join(stored).decode()
    assert "texts-per-recipient" in names
    assert hashlib.sha256(NUMBER.encode()).hexdigest()[:32] in names
    assert "5551234567" not in names and "CA-" not in names


# --- Where the limits and their refusals show ------------------------------------------------


def test_the_agent_page_shows_and_edits_the_text_limits(client, admin_user, agent, settings):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 10
    settings.TEXTS_PER_CONVERSATION = 5
    client.force_login(admin_user)
    url = reverse("agent_edit", args=[agent.pk])
    page = " ".join(client.get(url).text.split())
    assert (
        "Texts: 10 to one number in any 24 hours (the default), 5 in one conversation "
        "(the default), with all its keys." in page
    )
    assert 'placeholder="10"' in page and "Blank: the default, 10." in page
    client.post(
        url,
        {"name": agent.name, "texts_per_recipient_per_day": "3", "texts_per_conversation": ""},
    )
    agent.refresh_from_db()
    assert (agent.texts_per_recipient_per_day, agent.texts_per_conversation) == (3, None)
    page = " ".join(client.get(url).text.split())
    assert "Texts: 3 to one number in any 24 hours, 5 in one conversation (the default)" in page


def test_the_agent_page_refuses_a_text_limit_of_zero(client, admin_user, agent):
    client.force_login(admin_user)
    url = reverse("agent_edit", args=[agent.pk])
    response = client.post(url, {"name": agent.name, "texts_per_conversation": "0"})
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.text
    agent.refresh_from_db()
    assert agent.texts_per_conversation is None


def test_refusals_show_on_the_agent_page_and_the_send_log_without_the_number(
    client, admin_user, agent, key, settings, user_in_role
):
    settings.TEXTS_PER_RECIPIENT_PER_DAY = 1
    settings.TEXTS_PER_CONVERSATION = 1
    client.force_login(admin_user)
    url = reverse("agent_edit", args=[agent.pk])
    assert "Refused today by these limits: none." in " ".join(client.get(url).text.split())
    assert 'id="limit-refusals"' not in client.get(reverse("sendlog_list")).text

    assert invoke(client, key, body(NUMBER, "CA-1")).status_code == 202
    assert invoke(client, key, body(NUMBER, "CA-2")).status_code == 422  # to one number
    assert invoke(client, key, body(NUMBER, "CA-3")).status_code == 422
    assert invoke(client, key, body("+15557654321", "CA-1")).status_code == 422  # conversation

    page = " ".join(client.get(url).text.split())
    assert (
        "Refused today by these limits: 0 requests over the limit a minute, 2 texts to one "
        "number, 1 in one conversation." in page
    )
    log = client.get(reverse("sendlog_list")).text
    refusals = " ".join(log.split('id="limit-refusals"')[1].split("</div>")[0].split())
    assert "booking_bot</a>: 2 texts past its limit to one number, 1 past its limit in one " in (
        refusals
    )
    assert "request" not in refusals.split("</p>")[1]  # none refused: not mentioned
    assert "5551234567" not in refusals and "7654321" not in refusals

    client.force_login(user_in_role("Reviewer", username="reviewer"))
    refusals = client.get(reverse("sendlog_list")).text.split('id="limit-refusals"')[1]
    assert "booking_bot: 2 texts past its limit to one number" in " ".join(refusals.split())


def test_refusals_of_another_day_are_not_shown(agent, settings):
    limits.note_refusal(str(agent.pk), "texts-per-recipient")
    settings.TIME_ZONE = "Pacific/Kiritimati"  # already tomorrow somewhere
    first = limits.refusals_today()
    settings.TIME_ZONE = "Pacific/Pago_Pago"  # and yesterday somewhere else
    second = limits.refusals_today()
    assert not (first and second)


def test_importing_the_configuration_keeps_an_agents_own_text_limits(agent):
    agent.texts_per_recipient_per_day = 3
    agent.texts_per_conversation = 2
    agent.save()
    configfile.apply(configfile.load("agents:\n  - {name: booking_bot, description: Books}\n"))
    agent.refresh_from_db()
    assert agent.description == "Books"
    assert (agent.texts_per_recipient_per_day, agent.texts_per_conversation) == (3, 2)
