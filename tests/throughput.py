"""What the sender-throughput test and benchmark share: channels at given rates, a burst of
messages fed through the one message creator, and what the emulator's clock says of them."""

import itertools
from dataclasses import dataclass

from actions.messaging import outbox
from actions.models import Message, MessagingChannel

# Senders of each kind the emulator accepts with strict_from=False.
LONG_CODE = "+15005550006"
TOLL_FREE = "+18005550100"
SERVICE = "MG" + "2" * 32


@dataclass
class Lane:
    """One channel, its rate and the messages fed to it (in the order they were created)."""

    channel: MessagingChannel
    rate: float
    messages: list

    @property
    def sender(self) -> str:
        return self.channel.sender


def make_lanes(emulator, rates: dict[str, float | None], prefix: str = "lane") -> list[Lane]:
    """A Twilio channel per sender (`rates`: sender -> its messages_per_second, None: its
    kind's default), with the emulator's credentials."""
    lanes = []
    for i, (sender, rate) in enumerate(rates.items()):
        channel = MessagingChannel(
            name=f"{prefix}_{i}",
            provider="twilio",
            sender=sender,
            account_sid=emulator.account_sid,
            messages_per_second=rate,
        )
        channel.set_auth_token(emulator.auth_token)
        channel.full_clean()
        channel.save()
        lanes.append(Lane(channel, channel.rate_for(""), []))
    return lanes


def feed(lanes: list[Lane], counts: list[int], tag: str = "") -> None:
    """Create counts[i] messages for lane i, interleaved, through messaging/outbox.py, each to
    its own number (so the emulator's order says the messages' order)."""
    numbers = (f"+1555{n:07d}" for n in itertools.count(1000))
    queue = [lane for lane, count in zip(lanes, counts, strict=True) for _ in range(count)]
    order = sorted(range(len(queue)), key=lambda i: i % max(counts))  # round robin-ish
    for i in order:
        lane = queue[i]
        message = Message(
            channel=lane.channel,
            channel_name=lane.channel.name,
            to=next(numbers),
            sender=lane.sender,
            body=f"Throughput {tag} {len(lane.messages)}",
            provider="twilio",
            is_test=True,
        )
        assert outbox.create(message, "Throughput test")
        lane.messages.append(message)


def arrivals(emulator, lane: Lane) -> list[tuple[float, str]]:
    """(arrival time by the emulator's clock, To) of each message created from the lane's
    sender, in arrival order."""
    field = "MessagingServiceSid" if lane.sender.startswith("MG") else "From"
    return sorted(
        (r.time, r.form["To"])
        for r in list(emulator.requests)
        if r.path.endswith("/Messages.json")
        and r.status == 201
        and r.form.get(field) == lane.sender
    )


def busiest_second(times: list[float]) -> int:
    """The most arrivals in any one-second window [t, t + 1)."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def achieved_rate(times: list[float]) -> float:
    """Arrivals per second between the first and the last (n - 1 intervals)."""
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def turn_delays(times: list[float], created: list[float], rate: float) -> list[float]:
    """How late each arrival came after its turn: the moment its sender could first have sent
    it, given the messages before it (its own lane's backlog), at the sender's rate. What is
    left is what others — the other lanes, the workers — cost it."""
    delays, turn = [], 0.0
    for arrived, made in zip(times, created, strict=True):
        turn = max(made, turn)
        delays.append(max(0.0, arrived - turn))
        turn = max(turn, arrived) + 1 / rate
    return delays
