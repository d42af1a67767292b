"""The home page's numbers: did the callers get their texts?

One aggregate query over a `created_at` range (the send log's index), grouped in the
database, and a look-up of the few action names it found: nothing here reads the messages of
the period one by one into Python, and the page reads only the week's rows however many
older messages the table holds.

Days are days of the site's time zone (TIME_ZONE): "today" starts at local midnight, and a
message belongs to the local day it was created on.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, Sum
from django.utils import timezone

from actions.common.times import duration, start_of_day
from actions.messaging import provider_errors
from actions.models import HandoffLog, Message, MessageStatus, SendTextAction, TransferOutcome
from actions.sendlog import charts
from actions.sendlog.query import only_tests

STATUSES = [status.value for status in MessageStatus]
IN_FLIGHT = (
    MessageStatus.QUEUED,
    MessageStatus.SENDING,
    MessageStatus.UNCONFIRMED,
    MessageStatus.SENT,
)
NOT_DELIVERED = (MessageStatus.UNDELIVERED, MessageStatus.FAILED)
WEEK = 7  # the "last 7 days": today and the six days before it
# The chart shows the same week as the numbers: each further day is more rows to read.
CHART_DAYS = WEEK
TOP = 5


def _query(**params) -> str:
    """A send-log query string; dates as YYYY-MM-DD, empty values left out."""
    values = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items() if v}
    return urlencode(values)


@dataclass(frozen=True)
class Cell:
    """One number of the status table, and the send-log query that lists its messages."""

    count: int
    query: str


@dataclass(frozen=True)
class StatusRow:
    status: str  # "" for the total row
    label: str
    cells: list[Cell]


class _Counts:
    """What the numbers of a period or a day add up to; `counts` holds one per status."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def delivered(self) -> int:
        return self.counts[MessageStatus.DELIVERED]

    @property
    def not_delivered(self) -> int:
        return sum(self.counts[s] for s in NOT_DELIVERED)

    @property
    def in_flight(self) -> int:
        return sum(self.counts[s] for s in IN_FLIGHT)


@dataclass(frozen=True)
class Period(_Counts):
    """The messages created in a run of whole local days, counted by status."""

    label: str
    date_from: date
    date_to: date
    counts: dict[str, int]

    @property
    def finished(self) -> int:
        """Messages with a final outcome: delivered, undelivered or failed."""
        return self.delivered + self.not_delivered

    @property
    def delivery_rate(self) -> float | None:
        """Delivered / (delivered + undelivered + failed), in percent; None before any finished.

        Messages still queued, sending or sent (no delivery report yet) are left out: they
        have not failed, and have not arrived yet either.
        """
        if not self.finished:
            return None
        return 100 * self.delivered / self.finished

    def query(self, **params) -> str:
        return _query(**params, date_from=self.date_from, date_to=self.date_to)


@dataclass(frozen=True)
class Day(_Counts):
    day: date
    counts: dict[str, int]

    @property
    def query(self) -> str:
        return _query(date_from=self.day, date_to=self.day)


@dataclass(frozen=True)
class TransferCount:
    """Live transfers of the last 7 days with one outcome, as Twilio reported it."""

    outcome: str
    label: str
    count: int
    query: str  # the handoff log's, listing them


def transfer_counts(week_start: date) -> list[TransferCount]:
    """How the live transfers of the last 7 days ended, most frequent first."""
    rows = (
        HandoffLog.objects.filter(created_at__gte=start_of_day(week_start))
        .exclude(transfer_outcome="")
        .values("transfer_outcome")
        .annotate(count=Count("id"))
        .order_by("-count", "transfer_outcome")
    )
    return [
        TransferCount(
            row["transfer_outcome"],
            TransferOutcome(row["transfer_outcome"]).label,
            row["count"],
            _query(transfer=row["transfer_outcome"], date_from=week_start),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class FailureCode:
    """A provider error code among the undelivered and failed messages of the period."""

    code: str
    count: int
    title: str  # a plain-language explanation, or the provider's own message
    message: str  # the provider's error text, as stored on one of the messages


@dataclass(frozen=True)
class SlowAction:
    """An action's delivered messages: how many, and how long they took to arrive."""

    name: str
    delivered: int
    average: timedelta
    slowest: timedelta
    query: str

    @property
    def average_text(self) -> str:
        return duration(self.average)

    @property
    def slowest_text(self) -> str:
        return duration(self.slowest)


@dataclass(frozen=True)
class Dashboard:
    today: date
    time_zone: str
    periods: list[Period]  # today, then the last 7 days
    days: list[Day]  # the chart's days, oldest first, today last
    failure_codes: list[FailureCode] = field(default_factory=list)
    slowest_actions: list[SlowAction] = field(default_factory=list)
    transfers: list["TransferCount"] = field(default_factory=list)
    has_messages: bool = True

    @property
    def today_period(self) -> Period:
        return self.periods[0]

    @property
    def week(self) -> Period:
        return self.periods[-1]

    @property
    def status_rows(self) -> list[StatusRow]:
        """The status table: one row per status, one cell per period, then the total."""
        rows = [
            StatusRow(
                status,
                MessageStatus(status).label,
                [Cell(p.counts[status], p.query(status=status)) for p in self.periods],
            )
            for status in STATUSES
        ]
        rows.append(StatusRow("", "All", [Cell(p.total, p.query()) for p in self.periods]))
        return rows

    @cached_property
    def chart(self) -> charts.StackedBarChart:
        return outcome_chart(self.days)


def summary(now: datetime | None = None, tests: str = "") -> Dashboard:
    """The dashboard as of `now` (default: this moment), in the current time zone; `tests`
    as the send log's filter: "exclude" the test messages, "only" them, or "" for all."""
    today = timezone.localdate(now)
    span = max(CHART_DAYS, WEEK)
    week_start = today - timedelta(days=WEEK - 1)
    dates = [today - timedelta(days=n) for n in reversed(range(span))]
    messages = only_tests(Message.objects.all(), tests)
    groups = _groups(messages, dates, week_start)

    days = [
        Day(day, _count_by_status(groups, lambda g, n=n: g.per_day[n]))
        for n, day in enumerate(dates)
    ]
    periods = [
        _period("Today", today, today, days),
        _period("Last 7 days", week_start, today, days),
    ]
    chart_days = days[-CHART_DAYS:]
    time_zone = timezone.get_current_timezone_name()
    has_messages = bool(groups) or messages.exists()
    if not has_messages:
        return Dashboard(today, time_zone, periods, chart_days, has_messages=False)
    return Dashboard(
        today=today,
        time_zone=time_zone,
        periods=periods,
        days=chart_days,
        failure_codes=_failure_codes(groups),
        slowest_actions=_slowest_actions(groups, week_start, today),
        transfers=transfer_counts(week_start),
    )


@dataclass(frozen=True)
class _Group:
    """The messages of the days read that share a status, an error code and an action."""

    status: str
    error_code: str
    action_id: int | None
    per_day: list[int]  # how many on each of the days read, oldest first
    in_week: int  # how many in the last 7 days
    took_total: timedelta  # delivered in the last 7 days: their times to deliver, summed
    took_max: timedelta  # … and the longest of them
    message: str  # undelivered or failed in the last 7 days: one of their error texts


def _groups(messages, days: list[date], week_start: date) -> list[_Group]:
    """Everything the page shows, from one GROUP BY over the created_at range of `days`.

    Grouped by plain columns (status, error code, action), so the database knows there are
    few groups and hashes them in one pass; a count per local day, between midnights worked
    out here in the site's time zone, is one FILTER aggregate each. A few hundred groups at
    most (statuses × codes × actions), which Python then adds up.

    The time to deliver is `updated_at - created_at`. Delivered is a final status and a
    delivered message is never updated again, so its `updated_at` is the moment the delivery
    report arrived: the time is read from the message row itself, with no join over the
    events. Retention's redaction keeps `updated_at` for this reason.
    """
    bounds = [start_of_day(day) for day in days] + [start_of_day(days[-1] + timedelta(days=1))]
    in_week = Q(created_at__gte=start_of_day(week_start))
    delivered = in_week & Q(status=MessageStatus.DELIVERED)
    not_delivered = in_week & Q(status__in=NOT_DELIVERED)
    took = ExpressionWrapper(F("updated_at") - F("created_at"), output_field=DurationField())
    per_day = {
        f"day{n}": Count("id", filter=Q(created_at__gte=bounds[n], created_at__lt=bounds[n + 1]))
        for n in range(len(days))
    }
    rows = (
        messages.filter(created_at__gte=bounds[0], created_at__lt=bounds[-1])
        .values("status", "error_code", "action_id")
        .annotate(
            **per_day,
            in_week=Count("id", filter=in_week),
            took_total=Sum(took, filter=delivered),
            took_max=Max(took, filter=delivered),
            message=Max("error_message", filter=not_delivered),
        )
        .order_by()
    )
    return [
        _Group(
            status=row["status"],
            error_code=row["error_code"],
            action_id=row["action_id"],
            per_day=[row[name] for name in per_day],
            in_week=row["in_week"],
            took_total=_as_timedelta(row["took_total"]),
            took_max=_as_timedelta(row["took_max"]),
            message=row["message"] or "",
        )
        for row in rows
    ]


def _count_by_status(groups: list[_Group], count) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for g in groups:
        if g.status in counts:
            counts[g.status] += count(g)
    return counts


def _period(label: str, first: date, last: date, days: list[Day]) -> Period:
    counts = dict.fromkeys(STATUSES, 0)
    for d in days:
        if first <= d.day <= last:
            for status, n in d.counts.items():
                counts[status] += n
    return Period(label, first, last, counts)


def _failure_codes(groups: list[_Group]) -> list[FailureCode]:
    """The most frequent error codes of the week's undelivered and failed messages."""
    counts, messages = {}, {}
    for g in groups:
        if g.status in NOT_DELIVERED and g.in_week:
            counts[g.error_code] = counts.get(g.error_code, 0) + g.in_week
            messages[g.error_code] = max(messages.get(g.error_code, ""), g.message)
    top = sorted(counts, key=lambda code: (-counts[code], code))[:TOP]
    return [
        FailureCode(code, counts[code], error_title(code, messages[code]), messages[code])
        for code in top
    ]


def error_title(code: str, message: str) -> str:
    """A short, plain-language title for an error code; the provider's own text for a code
    Switchboard does not explain."""
    explanation = provider_errors.explain(code)
    if explanation and explanation.known:
        return explanation.title
    if message:
        return message
    return explanation.title if explanation else "No error code was reported"


def _slowest_actions(groups: list[_Group], first: date, last: date) -> list[SlowAction]:
    """The actions whose delivered messages of the week took longest, on average, to arrive.

    Messages whose action was deleted are left out: the send log cannot find them by action.
    """
    delivered, total, slowest = {}, {}, {}
    for g in groups:
        if g.status != MessageStatus.DELIVERED or g.action_id is None or not g.in_week:
            continue
        a = g.action_id
        delivered[a] = delivered.get(a, 0) + g.in_week
        total[a] = total.get(a, timedelta()) + g.took_total
        slowest[a] = max(slowest.get(a, timedelta()), g.took_max)
    names = dict(SendTextAction.objects.filter(pk__in=delivered).values_list("pk", "name"))
    average = {a: total[a] / delivered[a] for a in names}
    ranked = sorted(names, key=lambda a: (-average[a], names[a]))[:TOP]
    return [
        SlowAction(
            name=names[a],
            delivered=delivered[a],
            average=average[a],
            slowest=slowest[a],
            query=_query(
                action=names[a], status=MessageStatus.DELIVERED, date_from=first, date_to=last
            ),
        )
        for a in ranked
    ]


def _as_timedelta(value) -> timedelta:
    # PostgreSQL answers intervals; SQLite answers microseconds.
    if isinstance(value, timedelta):
        return value
    return timedelta(microseconds=value or 0)


# --- The chart -----------------------------------------------------------------------------

OUTCOMES = [
    charts.Series("delivered", "Delivered", "solid", "#2e7d32"),
    charts.Series("not_delivered", "Failed or undelivered", "hatch", "#c62828"),
    charts.Series("in_flight", "In flight", "dots", "#8a6d00"),
]


def outcome_chart(days: list[Day]) -> charts.StackedBarChart:
    """Messages per day, stacked by outcome."""
    bars = [
        charts.BarData(
            label=d.day.strftime("%a"),
            sublabel=str(d.day.day),
            long_label=f"{d.day:%A} {d.day.day} {d.day:%B}",
            values={
                "delivered": d.delivered,
                "not_delivered": d.not_delivered,
                "in_flight": d.in_flight,
            },
        )
        for d in days
    ]
    return charts.stacked_bars(
        bars,
        OUTCOMES,
        title=f"Messages per day, last {len(days)} days, by outcome",
        chart_id="outcomes",
    )
