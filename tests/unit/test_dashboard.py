"""The home page's dashboard: sends by status, delivery rate, failures, slow actions, chart."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from actions.common.times import duration
from actions.messaging import provider_errors
from actions.models import Message
from actions.sendlog import charts, dashboard
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
NEW_YORK = ZoneInfo("America/New_York")
# A Wednesday, three days after the clocks went forward: the week starts on a day in EST.
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=NEW_YORK)


def message(n=0, **fields) -> Message:
    values = {
        "to": "+447700900123",
        "sender": "+15005550006",
        "body": "Hi",
        "provider": "console",
        "status": "delivered",
        "environment": "live",
        "conversation_id": f"conv-{n}",
    }
    values.update(fields)
    created_at = values.pop("created_at", timezone.now() - timedelta(minutes=n))
    updated_at = values.pop("updated_at", created_at)
    m = Message.objects.create(**values)
    Message.objects.filter(pk=m.pk).update(created_at=created_at, updated_at=updated_at)
    return m


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def main_of(response) -> str:
    """The page's own content, without the site navigation."""
    assert response.status_code == 200
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def svg_of(html: str) -> ET.Element:
    """The page's SVG, parsed as XML: it fails here unless the SVG is well-formed."""
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ET.fromstring(html[start:end])  # noqa: S314 — our own page, not untrusted input


# --- the numbers ---------------------------------------------------------------------------


def test_counts_by_status_split_today_from_the_last_7_days_at_local_midnight(new_york):
    message(1, status="delivered", created_at=local(2025, 3, 12, 0, 0))  # today's first moment
    message(2, status="failed", created_at=local(2025, 3, 11, 23, 59, 59))  # yesterday
    message(3, status="queued", created_at=local(2025, 3, 6, 0, 0))  # the week's first moment
    # 23:59:59 EST the day before the week: 04:59:59 UTC, after a fixed -4h day boundary.
    message(4, status="sent", created_at=local(2025, 3, 5, 23, 59, 59))
    message(5, status="sending", created_at=local(2025, 3, 13, 0, 0))  # tomorrow

    board = dashboard.summary(now=NOW)

    today, week = board.periods
    assert (today.date_from, today.date_to) == (NOW.date(), NOW.date())
    assert (week.date_from, week.date_to) == (NOW.date() - timedelta(days=6), NOW.date())
    assert {s: n for s, n in today.counts.items() if n} == {"delivered": 1}
    assert {s: n for s, n in week.counts.items() if n} == {
        "delivered": 1,
        "failed": 1,
        "queued": 1,
    }
    assert [d.total for d in board.days][-7:] == [1, 0, 0, 0, 0, 1, 1]
    assert board.days[-1].day == NOW.date() and len(board.days) == dashboard.CHART_DAYS


def test_each_status_count_links_to_the_send_log_of_that_status_and_those_days(
    client, reviewer_user, new_york, monkeypatch
):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    message(1, status="undelivered")
    client.force_login(reviewer_user)
    html = main_of(client.get(reverse("home")))
    log = reverse("sendlog_list")
    today = f"{log}?status=undelivered&amp;date_from=2025-03-12&amp;date_to=2025-03-12"
    week = f"{log}?status=undelivered&amp;date_from=2025-03-06&amp;date_to=2025-03-12"
    assert f'href="{today}">1</a>' in html
    assert f'href="{week}">1</a>' in html
    assert f'href="{log}?date_from=2025-03-12&amp;date_to=2025-03-12">1</a>' in html


def test_the_delivery_rate_counts_only_messages_with_a_final_outcome():
    for n, status in enumerate(["delivered"] * 3 + ["undelivered", "failed", "queued", "sent"]):
        message(n, status=status, created_at=timezone.now())

    week = dashboard.summary().week

    assert week.finished == 5
    assert week.delivery_rate == pytest.approx(60.0)


def test_the_delivery_rate_is_unknown_while_every_message_is_in_flight(client, reviewer_user):
    message(1, status="queued", created_at=timezone.now())
    assert dashboard.summary().week.delivery_rate is None
    client.force_login(reviewer_user)
    assert "No message has a final outcome yet" in main_of(client.get(reverse("home")))


def test_top_failure_codes_are_the_most_frequent_of_the_last_7_days():
    now = timezone.now()
    for n, code in enumerate(["30003", "21610", "30003", "30005", "21610", "30003"]):
        status = "failed" if n % 2 else "undelivered"
        message(n, status=status, error_code=code, error_message=f"Error {code}", created_at=now)
    message(10, status="delivered", error_code="30005", created_at=now)
    message(11, status="failed", error_code="30005", created_at=now - timedelta(days=8))

    codes = dashboard.summary().failure_codes

    assert [(c.code, c.count) for c in codes] == [("30003", 3), ("21610", 2), ("30005", 1)]
    assert codes[0].message == "Error 30003"


def test_failure_codes_read_in_plain_words_with_the_providers_text_beside_them(
    client, reviewer_user
):
    message(1, status="failed", error_code="30003", error_message="Unreachable <handset> x")
    message(2, status="failed", error_code="39999", error_message="Something <new>")
    client.force_login(reviewer_user)
    html = main_of(client.get(reverse("home")))
    known = provider_errors.explain("30003").title
    assert re.search(rf"<code>30003</code></td>\s*<td>{known}<br>", html)
    assert "Unreachable &lt;handset&gt; x" in html
    # A code with no explanation of its own is told by the provider's text.
    assert re.search(r"<code>39999</code></td>\s*<td>Something &lt;new&gt;</td>", html)


def test_the_slowest_actions_to_deliver_come_first_with_their_average_time():
    channel = make_channel()
    quick = make_action(channel, name="send_quick")
    slow = make_action(channel, name="send_slow")
    now = timezone.now()

    def delivered(action, seconds, status="delivered", days_ago=0):
        created = now - timedelta(days=days_ago, hours=1)
        message(
            action=action,
            action_name=action.name,
            status=status,
            created_at=created,
            updated_at=created + timedelta(seconds=seconds),
        )

    delivered(quick, 10)
    delivered(quick, 30)
    delivered(slow, 120)
    delivered(quick, 3600, status="failed")  # not delivered: no delivery time
    delivered(quick, 3600, days_ago=9)  # before the week

    slowest = dashboard.summary().slowest_actions

    assert [(a.name, a.delivered) for a in slowest] == [("send_slow", 1), ("send_quick", 2)]
    assert slowest[0].average == timedelta(seconds=120)
    assert slowest[1].average == timedelta(seconds=20)
    assert slowest[1].slowest == timedelta(seconds=30)
    assert slowest[1].average_text == "20 s" and slowest[0].average_text == "2 min"
    assert "action=send_quick" in slowest[1].query and "status=delivered" in slowest[1].query


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (59.6, "1 min"),
        (125, "2 min 5 s"),
        (3 * 3600 + 60, "3 h 1 min"),
        (90000, "1 d 1 h"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds, text):
    assert duration(timedelta(seconds=seconds)) == text


def test_the_dashboard_is_a_few_aggregate_queries_however_many_messages(
    django_assert_max_num_queries,
):
    channel = make_channel()
    action = make_action(channel)
    for n in range(30):
        message(n, action=action, status=["delivered", "failed", "queued"][n % 3])
    # The messages' one GROUP BY, the names of the slowest actions, the transfers' GROUP BY.
    with django_assert_max_num_queries(3):
        board = dashboard.summary()
        board.chart  # noqa: B018 — drawn from the same rows, no query of its own
    assert board.week.total == 30


# --- the chart ------------------------------------------------------------------------------


def test_the_chart_is_well_formed_svg_with_bars_proportional_to_the_counts(client, admin_user):
    now = timezone.now()
    for n in range(8):
        message(n, status="delivered", created_at=now)
    for n in range(2):
        message(n, status="failed", created_at=now)
    for n in range(4):
        message(n, status="delivered", created_at=now - timedelta(days=1))
    client.force_login(admin_user)

    svg = svg_of(main_of(client.get(reverse("home"))))

    assert svg.get("role") == "img"
    assert "12 delivered, 2 failed or undelivered, 0 in flight" in svg.get("aria-label")
    assert svg.find(f"{SVG}title").text == svg.get("aria-label")
    rects = [r for r in svg.iter(f"{SVG}rect") if r.get("data-value")]
    values = sorted((int(r.get("data-value")), float(r.get("height"))) for r in rects)
    assert [v for v, _ in values] == [2, 4, 8]
    ratios = {round(height / value, 3) for value, height in values}
    assert len(ratios) == 1
    # The tallest bar (10) fits under the axis maximum, and the axis is labelled from 0.
    tick_labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert tick_labels[0] == "0" and int(tick_labels[-1].replace(",", "")) >= 10
    legend = [t.text for t in svg.find(f"{SVG}g[@class='chart-legend']").iter(f"{SVG}text")]
    assert legend == ["Delivered", "Failed or undelivered", "In flight"]


def test_the_chart_escapes_its_labels_and_patterns_tell_series_apart():
    series = [
        charts.Series("a", "Sent & <counted>", "solid", "#2e7d32"),
        charts.Series("b", 'Failed "hard"', "hatch", "#c62828"),
    ]
    data = [charts.BarData("Mon", "1", "Monday <1>", {"a": 3, "b": 1})]
    chart = charts.stacked_bars(data, series, title="Sends & failures")

    svg = svg_of(render_to_string("_chart.html", {"chart": chart}))

    assert svg.get("aria-label").startswith("Sends & failures: 3 sent & <counted>, 1 failed")
    fills = {r.get("data-series"): r.get("fill") for r in svg.iter(f"{SVG}rect")}
    assert fills["a"] == "#2e7d32" and fills["b"] == "url(#chart-b)"
    assert svg.find(f".//{SVG}pattern[@id='chart-b']") is not None


def test_chart_axes_end_on_a_round_number_above_the_highest_bar():
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(1234) == [0, 500, 1000, 1500]


# --- who sees what -------------------------------------------------------------------------


def test_a_reviewer_sees_the_stats_and_the_send_log_but_no_link_to_actions(
    client, admin_user, reviewer_user
):
    message(1, created_at=timezone.now())
    client.force_login(reviewer_user)
    html = main_of(client.get(reverse("home")))
    assert "Delivery rate" in html and "<svg" in html
    assert f'href="{reverse("sendlog_list")}"' in html
    assert f'href="{reverse("action_list")}"' not in html


def test_a_builder_sees_links_to_their_work_and_no_send_statistics(
    client, admin_user, builder_user
):
    message(1, created_at=timezone.now())
    client.force_login(builder_user)
    html = main_of(client.get(reverse("home")))
    assert f'href="{reverse("action_list")}"' in html
    assert f'href="{reverse("handoff_list")}"' in html
    assert "Delivery rate" not in html and "<svg" not in html
    assert reverse("sendlog_list") not in html


def test_an_empty_database_shows_a_friendly_empty_state(client, admin_user):
    client.force_login(admin_user)
    html = main_of(client.get(reverse("home")))
    assert "No messages yet" in html
    assert "<svg" not in html
