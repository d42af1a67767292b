"""Sender throughput: the rate of each kind of sender, the turns and the gate in Redis, the
claim in turn order, the wait recorded on the message, and "too fast" slowing the sender.

The rates held across real worker processes are tested in
tests/integration/test_sender_throughput.py, and measured in bench/throughput_bench.py.
"""

import itertools
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from actions.channels.senders import default_rate, kind_of
from actions.common import broker
from actions.messaging import outbox, throttle
from actions.messaging.status import claim
from actions.messaging.tasks import send_message
from actions.models import Message, MessagingChannel
from tests.factories import make_twilio_channel
from tests.unit.test_configfile import problems_of
from tests.unit.test_webhooks import post_signed, status_params

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("sender", "kind", "rate"),
    [
        ("+15005550006", "long_code", 1),
        ("+447700900123", "long_code", 1),
        ("+18005550100", "toll_free", 3),
        ("+18885550100", "toll_free", 3),
        ("+448000111111", "toll_free", 3),
        ("12345", "short_code", 100),
        ("123456", "short_code", 100),
        ("MG" + "a" * 32, "messaging_service", 1),
        ("Acme", "alphanumeric", 1),
    ],
)
def test_each_kind_of_sender_has_its_carriers_rate(sender, kind, rate):
    assert kind_of(sender) == kind
    assert default_rate(sender) == rate


def test_an_environments_rate_comes_before_the_channels_before_its_kinds():
    channel = MessagingChannel(name="c", sender="+15005550006", sender_live="+18005550100")
    assert channel.rate_for("") == 1  # the long code's default
    assert channel.rate_for("live") == 3  # the toll-free live sender's default
    channel.messages_per_second = 2
    assert channel.rate_for("live") == 2 and channel.rate_for("sandbox") == 2
    channel.messages_per_second_live = 50
    assert channel.rate_for("live") == 50 and channel.rate_for("") == 2


@pytest.mark.parametrize("rate", [0, 0.05, 1001])
def test_a_rate_out_of_bounds_is_refused_naming_the_field(rate):
    channel = MessagingChannel(
        name="c", provider="console", sender="+15005550006", messages_per_second_live=rate
    )
    with pytest.raises(Exception) as error:
        channel.full_clean()
    assert "messages_per_second_live" in error.value.message_dict


def sender() -> str:
    """A sender of this test's own: the turns are kept in Redis across tests."""
    import uuid

    return f"+1500555{uuid.uuid4().int % 10000:04d}"


def test_turns_are_reserved_a_turn_apart_in_the_order_asked():
    number = sender()
    waits = [throttle.reserve(number, 10) for _ in range(4)]
    assert waits[0] == pytest.approx(0, abs=0.01)
    gaps = [b - a for a, b in itertools.pairwise(waits)]
    # 1/10 s apart, and a little more (TURN_MARGIN), less the moments between the calls.
    assert all(0.09 < gap <= 0.1 * throttle.TURN_MARGIN for gap in gaps), gaps


def test_the_gate_counts_a_send_from_its_answer_and_keeps_two_starts_apart():
    number, token = sender(), "first"
    assert throttle.gate(number, 1, token) == 0
    # In flight: the provider may get it any moment; the next send looks again shortly.
    in_flight = throttle.gate(number, 1, "second")
    assert 0 < in_flight <= 0.5
    throttle.done(number, token)
    # Answered: a second must pass from the answer before the next.
    assert 0.9 < throttle.gate(number, 1, "second") <= 1.0

    fast = sender()
    assert throttle.gate(fast, 20, "a") == 0
    # Twenty a second allow twenty in a second, but two starts are half a turn apart.
    assert 0 < throttle.gate(fast, 20, "b") <= 0.5 / 20
    assert throttle.slowdown(fast) == 1


def test_too_fast_slows_the_sender_twice_as_much_each_time_up_to_eight_times():
    number = sender()
    assert [throttle.slow_down(number, 10) for _ in range(5)] == [2, 4, 8, 8, 8]
    assert throttle.slowdown(number) == 8
    # And its turns come eight times further apart.
    first, second = throttle.reserve(number, 10), throttle.reserve(number, 10)
    assert second - first == pytest.approx(8 * 0.1 * throttle.TURN_MARGIN, abs=0.01)


def queued(channel, to, due_in: float, **fields) -> Message:
    return Message.objects.create(
        channel=channel,
        to=to,
        sender=channel.sender,
        body="Hi",
        provider=channel.provider,
        due_at=timezone.now() + timedelta(seconds=due_in),
        **fields,
    )


def test_a_claim_in_turn_takes_the_senders_message_due_first(twilio):
    channel = make_twilio_channel(twilio)
    late = queued(channel, "+15551230003", due_in=2)
    first = queued(channel, "+15551230001", due_in=-1)
    second = queued(channel, "+15551230002", due_in=1)
    # The task of the message due last holds a turn: the first in line goes.
    taken, _ = claim(late.pk, in_turn=True)
    assert taken.id == first.pk
    taken, _ = claim(late.pk, in_turn=True)
    assert taken.id == second.pk
    # Without a turn a task takes its own message only.
    other = queued(channel, "+15551230004", due_in=-5)
    taken, _ = claim(late.pk)
    assert taken.id == late.pk
    assert Message.objects.get(pk=other.pk).status == "queued"


def test_the_outbox_reserves_each_message_its_turn_and_says_when_it_waits(
    twilio, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(
        broker, "publish", lambda task, *args, countdown=None: published.append((args, countdown))
    )
    channel = make_twilio_channel(twilio, sender="+18005550100", name="slow_lane")
    channel.messages_per_second = 0.5  # a turn every two seconds
    channel.save()
    made = []
    for i in range(3):
        message = Message(
            channel=channel, to=f"+1555123000{i}", sender=channel.sender, body="Hi",
            provider="twilio",
        )  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.create(message, "Invoked by booking_bot")
        made.append(message)
    first, second, third = (Message.objects.get(pk=m.pk) for m in made)
    assert (third.due_at - first.due_at).total_seconds() == pytest.approx(4.12, abs=0.05)
    assert first.events.get().detail == "Invoked by booking_bot"
    assert second.events.get().detail.startswith(
        "Invoked by booking_bot. Waiting for its sender's turn: the sender sends 0.5 messages "
        "a second; due in 2."
    )
    # Each published for its turn, with the turn reserved (True).
    assert [args[1] for args, _ in published] == [True, True, True]
    assert published[0][1] is None and published[2][1] == pytest.approx(4.12, abs=0.05)


def test_a_console_channel_sends_nothing_anywhere_and_takes_no_turn(
    monkeypatch, django_capture_on_commit_callbacks
):
    from tests.factories import make_channel

    published = []
    monkeypatch.setattr(
        broker, "publish", lambda task, *args, countdown=None: published.append(args)
    )
    channel = make_channel()
    for i in range(2):
        message = Message(
            channel=channel, to=f"+1555123000{i}", sender=channel.sender, body="Hi",
            provider="console",
        )  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.create(message, "Try it")
    assert [len(args) for args in published] == [1, 1]


def test_without_redis_a_message_takes_no_turn_and_stays_queued(twilio, settings):
    channel = make_twilio_channel(twilio)
    message = queued(channel, "+15551230001", due_in=0)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert send_message(str(message.pk)) == "waiting: no turn without Redis"
    message.refresh_from_db()
    assert message.status == "queued" and not twilio.requests


def forget_turns(number: str) -> None:
    """Clear the sender's turns, window and slowdown other tests left in Redis."""
    keys = {*throttle._keys(number, "turn"), *throttle._keys(number, "sent")}
    keys |= set(throttle._keys(number, "started"))
    throttle._connect(django_settings.REDIS_URL).delete(*keys)


def test_a_429_from_the_provider_slows_the_sender_down(twilio):
    # The emulator takes Twilio's test number only; other tests send from it too.
    channel = make_twilio_channel(twilio, sender="+15005550006", messages_per_second=50)
    forget_turns(channel.sender)
    message = queued(channel, "+15551230001", due_in=0)
    twilio.fail_next(1, 429)
    with pytest.raises(Exception):  # noqa: B017 - the task asks Celery to retry it
        send_message(str(message.pk))
    assert throttle.slowdown(channel.sender) == 2
    message.refresh_from_db()
    assert message.status == "queued"
    assert "Retrying" in message.events.last().detail


def test_a_delivery_report_of_30022_slows_the_sender_down(client):
    from tests.unit.test_webhooks import TOKEN  # noqa: F401 - the channel's token

    channel = MessagingChannel(
        name="customer_notifications", provider="twilio", sender=sender(),
        account_sid="AC" + "0" * 32,
    )  # fmt: skip
    channel.set_auth_token(TOKEN)
    channel.save()
    message = Message.objects.create(
        channel=channel, to="+15551234567", sender=channel.sender, body="Hi", provider="twilio",
        status="sent", provider_sid="SM" + "b" * 32,
    )  # fmt: skip
    path = f"/webhooks/twilio/status?message={message.pk}"
    params = status_params(message, "failed", ErrorCode="30022")
    assert post_signed(client, path, params).status_code == 204
    assert throttle.slowdown(channel.sender) == 2


def test_rates_round_trip_through_the_file_and_a_wrong_one_is_named(settings):
    from actions import configfile

    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
    channel = MessagingChannel(
        name="bulk", provider="twilio", sender="MG" + "a" * 32, messages_per_second=25,
        messages_per_second_live=80.5,
    )  # fmt: skip
    channel.save()
    exported = configfile.export_config()
    assert "messages_per_second: 25\n" in exported
    assert "env_messages_per_second:\n      live: 80.5\n" in exported
    MessagingChannel.objects.all().delete()
    configfile.apply(configfile.load(exported))
    assert configfile.export_config() == exported
    made = MessagingChannel.objects.get()
    assert made.rate_for("live") == 80.5 and made.rate_for("sandbox") == 25

    wrong = exported.replace("messages_per_second: 25", "messages_per_second: fast").replace(
        "live: 80.5", "live: 5000"
    )
    problems = problems_of(wrong)
    assert any("channels[0].messages_per_second" in p and "number" in p for p in problems), problems
    assert any(
        "channels[0].env_messages_per_second.live" in p and "at most 1000" in p for p in problems
    ), problems


def test_a_message_waiting_for_its_turn_says_so_in_the_send_log(client, admin_user):
    from tests.factories import make_channel

    client.force_login(admin_user)
    waiting = queued(make_channel(), "+15551230001", due_in=42)
    page = client.get(reverse("message_detail", args=[waiting.pk])).content.decode()
    assert "Waiting: due to be sent at" in page and "in about 42 s" in page
    listing = client.get(reverse("sendlog_list")).content.decode()
    assert f"due {timezone.localtime(waiting.due_at):%H:%M:%S}" in listing
