"""The send log, the dashboard and the CSV export over 1,000,000 messages.

The script makes its own PostgreSQL database, applies the migrations and fills it with
PostgreSQL COPY: 20 send-text actions, 5 agents, 4 channels, and N messages (default one
million) spread over the last 90 days, with their timeline events (3 to 5 each): mostly
delivered, some undelivered or failed with Twilio's error codes, a few still on their way in
the last minutes; one agent, with its own action and channel, retired 60 days ago. Then it
serves the pages in-process, through Django's test client logged in as an admin (the whole
middleware stack, the session, the templates; no HTTP, DEBUG off), and times each request:

- the list's first page, a page 60 days deep (its cursor) and the "Older →" pages after it;
- every filter, some combinations, rare ones (a status and an agent that match few rows; a
  retired agent, action or channel whose messages are all old: the worst cases for a
  newest-first keyset page) and the three kinds of search;
- the dashboard (/);
- the CSV export: time to its first chunk, then the whole export streamed once, as rows/s,
  with the process's memory (RSS) sampled at 10%, 50% and 100% of the rows.

Targets: every page < 200 ms (median and p95); the export's first chunk < 1 s; its memory
flat (RSS grows < 50 MB from 10% to 100% of the rows, under 50 bytes a row: holding the rows
would take far more). Exit status 1 when a target is missed.

Usage: .venv/bin/python bench/sendlog_bench.py [--messages 1000000] [--repeat 10] [--reuse]
       [--keep] [--explain] [--no-export] [--database-url postgres://…]
--reuse keeps a database that already holds the messages (no fill; the dashboard counts
from today, so fill it the same day); --keep leaves the database in place at the end (it is
dropped otherwise); --explain prints EXPLAIN (ANALYZE, BUFFERS) of each page's queries on the
messages.
"""

import argparse
import itertools
import os
import random
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import _stack

from actions.sendlog.query import encode_cursor

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/switchboard_sendlog_bench"
DAYS = 90
PAGE_TARGET_MS = 200
FIRST_BYTE_TARGET_MS = 1000
MEMORY_GROWTH_LIMIT_MB = 50

# Who sends what: four channels (sandbox, pre-release and live senders), 20 actions, 5 agents.
CHANNELS = {
    "uk_mobile": ("+447700900001", "+447700900002", "+447700900003"),
    "us_longcode": ("+14155550100", "+14155550101", "+14155550102"),
    "notifications": (
        "MG" + "0" * 31 + "1",
        "MG" + "0" * 31 + "2",
        "MG" + "0" * 31 + "3",
    ),
    # A campaign's own number, retired with its action 60 days ago.
    "spring_campaign": ("+447700900011", "+447700900012", "+447700900013"),
}
ACTIONS = {
    "send_booking_confirmation": "uk_mobile",
    "send_booking_reminder": "uk_mobile",
    "send_booking_cancellation": "uk_mobile",
    "send_reschedule_link": "uk_mobile",
    "send_directions": "uk_mobile",
    "send_opening_hours": "uk_mobile",
    "send_payment_link": "notifications",
    "send_receipt": "notifications",
    "send_invoice_copy": "notifications",
    "send_refund_notice": "notifications",
    "send_order_status": "us_longcode",
    "send_tracking_link": "us_longcode",
    "send_return_label": "us_longcode",
    "send_support_ticket": "us_longcode",
    "send_callback_time": "uk_mobile",
    "send_password_reset": "notifications",
    "send_verification_code": "notifications",
    "send_survey_link": "notifications",
    "send_feedback_thanks": "notifications",
    "send_spring_offer": "spring_campaign",
}
AGENTS = {
    "reception": (0.50, ["send_booking_confirmation", "send_booking_reminder",
                         "send_directions", "send_opening_hours", "send_callback_time",
                         "send_reschedule_link", "send_password_reset"]),
    "bookings": (0.30, ["send_booking_confirmation", "send_booking_cancellation",
                        "send_reschedule_link", "send_payment_link", "send_receipt"]),
    "orders": (0.19, ["send_order_status", "send_tracking_link", "send_return_label",
                      "send_refund_notice", "send_invoice_copy", "send_support_ticket",
                      "send_verification_code"]),
    "surveys": (0.01, ["send_survey_link", "send_feedback_thanks"]),
    # A campaign, retired 60 days ago with its own action and channel: every message of
    # theirs is 60 to 90 days old, the worst case for a newest-first filtered page.
    "spring_offers": (0.0, ["send_spring_offer"]),
}  # fmt: skip
RARE_AGENT = "surveys"
RETIRED_AGENT, RETIRED_ACTION, RETIRED_CHANNEL = (
    "spring_offers",
    "send_spring_offer",
    "spring_campaign",
)
RETIRED_AFTER_DAYS = 60
RETIRED_SHARE = 0.03  # of the messages before it was retired
ENVIRONMENTS = (["live", "pre_release", "sandbox"], [0.85, 0.08, 0.07])
NUMBER_POOL = 200_000  # distinct recipients: about 5 messages each
STAFF_NUMBERS = ["+447700900900", "+447700900901", "+447700900902"]  # the builder's tests
TEST_SHARE = 0.005
# Outcomes of messages older than a few minutes: (status, error code, share).
OUTCOMES = [
    ("delivered", "", 0.905),
    ("sent", "", 0.010),
    ("undelivered", "30003", 0.015),
    ("undelivered", "30005", 0.008),
    ("undelivered", "30006", 0.007),
    ("failed", "21610", 0.020),
    ("failed", "21211", 0.015),
    ("failed", "30003", 0.010),
    ("failed", "30005", 0.006),
    ("failed", "30006", 0.004),
]
ERRORS = {
    "30003": "Unreachable destination handset",
    "30005": "Unknown destination handset",
    "30006": "Landline or unreachable carrier",
    "21610": "Attempt to send to unsubscribed recipient",
    "21211": "Invalid 'To' Phone Number",
}
REJECTED_BY_API = {"21610", "21211"}  # Twilio refuses these at once: no SID, no delivery report
RECENT_MINUTES = 3  # messages this new may still be on their way

MESSAGE_COLUMNS = [
    "id", "action_id", "channel_id", "agent_id", "action_name", "channel_name", "agent_name",
    "is_test", "environment", "conversation_id", "to", "sender", "body", "parameters",
    "variables", "status", "provider", "provider_sid", "provider_status", "error_code",
    "error_message", "attempts", "resent_from_id", "redacted_at", "idempotency_key",
    "request_hash", "created_at", "updated_at",
]  # fmt: skip
EVENT_COLUMNS = ["message_id", "status", "at", "detail", "data"]


# --- The database ---------------------------------------------------------------------------


def maintenance_url(url: str) -> tuple[str, str]:
    """The URL of the server's `postgres` database, and the name of the bench's database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def database_exists(url: str) -> bool:
    import psycopg

    admin, name = maintenance_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def on_server(url: str, *statements: str) -> None:
    """Run statements about the bench's database ({} is its name) from the server's own."""
    import psycopg
    from psycopg import sql

    admin, name = maintenance_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        for statement in statements:
            conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def recreate_database(url: str) -> None:
    on_server(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}")


def drop_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    on_server(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")


def message_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM actions_message")
        return cursor.fetchone()[0]


# --- The fill ---------------------------------------------------------------------------------


def make_catalogue() -> tuple[dict, dict, dict]:
    """The channels, actions and agents, through the ORM (a few dozen rows)."""
    from actions.models import Agent, MessagingChannel, SendTextAction

    channels = {}
    for name, (sandbox, pre_release, live) in CHANNELS.items():
        channels[name] = MessagingChannel.objects.create(
            name=name,
            provider="twilio",
            sender=live,
            sender_sandbox=sandbox,
            sender_pre_release=pre_release,
            sender_live=live,
        )
    actions = {}
    for name, channel in ACTIONS.items():
        actions[name] = SendTextAction.objects.create(
            name=name,
            description=f"Sends the caller a text: {name.removeprefix('send_').replace('_', ' ')}.",
            channel=channels[channel],
            parameters_schema={
                "type": "object",
                "properties": {"reference": {"type": "string", "description": "A reference"}},
                "required": ["reference"],
            },
            message_template="Hi, here is your reference: {{ .parameters.reference }}.",
        )
    agents = {}
    for name, (_, names) in AGENTS.items():
        agents[name] = Agent.objects.create(name=name, description=f"The {name} line.")
        agents[name].actions.set(actions[n] for n in names)
    return channels, actions, agents


def make_numbers(rng: random.Random) -> list[str]:
    numbers = set()
    us_areas = ["212", "312", "415", "503", "617", "646", "702", "718", "917"]
    while len(numbers) < NUMBER_POOL:
        if rng.random() < 0.75:
            numbers.add(f"+447{rng.randrange(100_000_000, 999_999_999)}")
        else:
            numbers.add(f"+1{rng.choice(us_areas)}{rng.randrange(2_000_000, 9_999_999)}")
    return sorted(numbers)


def sid(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.getrandbits(128):032x}"


def timeline(rng, status, code, created, provider):
    """The events of one message, oldest first: [(status, at, detail)], and its attempts."""
    at = created
    events = [("queued", at, "Invoked")]
    attempts = 1
    if status == "queued":
        return events, 0
    if rng.random() < 0.03:  # a transient error, then a retry
        at += timedelta(milliseconds=rng.randint(30, 300))
        events.append(("sending", at, "Attempt 1"))
        at += timedelta(milliseconds=rng.randint(500, 3000))
        events.append(("queued", at, "Retrying in 2.0s: the provider did not answer in time"))
        attempts = 2
    at += timedelta(milliseconds=rng.randint(30, 300))
    events.append(("sending", at, f"Attempt {attempts}"))
    if status == "sending":
        return events, attempts
    at += timedelta(milliseconds=rng.randint(150, 900))
    if code in REJECTED_BY_API:
        events.append(("failed", at, ERRORS[code]))
        return events, attempts
    events.append(("sent", at, f"Accepted by {provider}"))
    if status == "sent":
        return events, attempts
    at += timedelta(milliseconds=rng.randint(1500, 20_000))
    detail = f"Twilio reported {status}" + (f" (error {code})" if code else "")
    events.append((status, at, detail))
    return events, attempts


def fill(database_url: str, n: int, seed: int = 1) -> None:
    """The catalogue through the ORM, then n messages and their events with COPY."""
    import psycopg

    rng = random.Random(seed)
    channels, actions, agents = make_catalogue()
    numbers = make_numbers(rng)
    agent_names = list(AGENTS)
    agent_weights = [AGENTS[a][0] for a in agent_names]
    outcome_weights = [share for *_, share in OUTCOMES]
    all_actions = [a for a in ACTIONS if a != RETIRED_ACTION]  # for the builder's tests

    now = datetime.now(UTC).replace(microsecond=0)
    span = DAYS * 86400.0
    # Rows arrive in time order, as they do in production: the table is ordered by time.
    offsets = sorted(rng.random() * span for _ in range(n))
    recent_cut = now - timedelta(minutes=RECENT_MINUTES)
    retired_cut = now - timedelta(days=RETIRED_AFTER_DAYS)
    recently_failed: list[uuid.UUID] = []

    def message_rows():
        on_their_way = itertools.cycle(["queued", "sending", "sent", "delivered"])
        conversation, left_in_conversation = "", 0
        for offset in offsets:
            created = now - timedelta(seconds=span - offset)
            message_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            is_test = rng.random() < TEST_SHARE
            if is_test:
                agent, environment = None, "sandbox"
                action = rng.choice(all_actions)
                to = rng.choice(STAFF_NUMBERS)
            else:
                if created < retired_cut and rng.random() < RETIRED_SHARE:
                    agent = RETIRED_AGENT
                else:
                    agent = rng.choices(agent_names, agent_weights)[0]
                action = rng.choice(AGENTS[agent][1])
                environment = rng.choices(*ENVIRONMENTS)[0]
                to = numbers[rng.randrange(NUMBER_POOL)]
            channel = ACTIONS[action]
            sandbox, pre_release, live = CHANNELS[channel]
            sender = {"sandbox": sandbox, "pre_release": pre_release, "live": live}[environment]
            if left_in_conversation <= 0:
                conversation = sid(rng, "CA")
                left_in_conversation = rng.choice([1, 1, 1, 2, 2, 3])
            left_in_conversation -= 1
            if created >= recent_cut:
                status, code = next(on_their_way), ""
            else:
                status, code, _ = rng.choices(OUTCOMES, outcome_weights)[0]
            events, attempts = timeline(rng, status, code, created, "twilio")
            has_sid = status not in ("queued", "sending") and code not in REJECTED_BY_API
            provider_sid = sid(rng, "SM") if has_sid else ""
            resent_from = None
            if status in ("failed", "undelivered") and code not in REJECTED_BY_API:
                recently_failed.append(message_id)
                if len(recently_failed) > 500:
                    recently_failed.pop(0)
            elif recently_failed and rng.random() < 0.002:
                resent_from = recently_failed.pop(rng.randrange(len(recently_failed)))
            keyed = not is_test and rng.random() < 0.3
            reference = f"B{rng.randrange(100_000, 999_999)}"
            yield (
                (
                    message_id,
                    actions[action].pk,
                    channels[channel].pk,
                    agents[agent].pk if agent else None,
                    action,
                    channel,
                    agent or "",
                    is_test,
                    environment,
                    "" if is_test else conversation,
                    to,
                    sender,
                    f"Hi, thanks for calling. Your reference is {reference}; reply to this "
                    "message or call us back on the same number if anything needs changing.",
                    f'{{"reference": "{reference}"}}',
                    "{}" if is_test else '{"caller_name": "Sam"}',
                    status,
                    "twilio",
                    provider_sid,
                    status if provider_sid else "",
                    code,
                    ERRORS.get(code, ""),
                    attempts,
                    resent_from,
                    None,
                    sid(rng, "") if keyed else "",
                    f"{rng.getrandbits(256):064x}" if keyed else "",
                    created,
                    events[-1][1],
                ),
                [(message_id, s, at, detail, "{}") for s, at, detail in events],
            )

    with psycopg.connect(database_url) as conn:
        # Generated rows are consistent by construction; FK checks would queue 5M triggers.
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET synchronous_commit = off")
        dropped = drop_secondary_indexes(conn, ["actions_message", "actions_messageevent"])
        message_sql = "COPY actions_message ({}) FROM STDIN".format(
            ", ".join(f'"{c}"' for c in MESSAGE_COLUMNS)
        )
        event_sql = "COPY actions_messageevent ({}) FROM STDIN".format(", ".join(EVENT_COLUMNS))
        rows = message_rows()
        done = 0
        chunk = 100_000
        while done < n:
            batch = [next(rows) for _ in range(min(chunk, n - done))]
            with conn.cursor() as cursor:
                with cursor.copy(message_sql) as copy:
                    for message, _ in batch:
                        copy.write_row(message)
                with cursor.copy(event_sql) as copy:
                    for _, events in batch:
                        for event in events:
                            copy.write_row(event)
            done += len(batch)
            print(f"  {done:,} messages", end="\r", flush=True)
        print()
        for statement in dropped:
            conn.execute(statement)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE) actions_message")
        conn.execute("VACUUM (ANALYZE) actions_messageevent")


def drop_secondary_indexes(conn, tables: list[str]) -> list[str]:
    """Drop the tables' indexes that back no constraint; return the statements that rebuild them.

    Loading first and indexing after is several times faster than updating each index per row.
    """
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname "
        "NOT IN (SELECT conname FROM pg_constraint)",
        [tables],
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


# --- The requests -----------------------------------------------------------------------------


def admin_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench_admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def reviewer_client():
    """A Reviewer: numbers masked, in the page and in the export."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from actions.accounts import roles

    user, _ = get_user_model().objects.get_or_create(username="bench_reviewer")
    roles.set_role(user, roles.REVIEWER)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def get(client, url: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    return elapsed, response.content.decode()


ROW = re.compile(r'data-testid="sendlog-row"')
OLDER = re.compile(r'href="\?(?:[^"]*&amp;)?after=([A-Za-z0-9_-]+)"')


def older_cursor(html: str) -> str | None:
    match = OLDER.search(html)
    return match.group(1) if match else None


def time_page(client, url: str, repeat: int) -> tuple[list[float], int]:
    _, html = get(client, url)  # warm up
    times = [get(client, url)[0] for _ in range(repeat)]
    return times, len(ROW.findall(html))


def follow_older(client, url: str, args) -> tuple[list[float], int]:
    """Each of the next pages, as a person clicking "Older →" sees them."""
    times, rows = [], 0
    _, html = get(client, url)
    for _ in range(args.older_pages):
        cursor = older_cursor(html)
        if not cursor:
            break
        url = "/send-log/?" + urlencode({"after": cursor})
        get(client, url)  # warm up
        for _ in range(max(1, args.repeat // 2)):
            elapsed, html = get(client, url)
            times.append(elapsed)
        rows += len(ROW.findall(html))
    return times, rows


def explain(client, url: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each query of the page that reads the messages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    plans = []
    for query in queries.captured_queries:
        if 'FROM "actions_message"' not in query["sql"]:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = [row[0] for row in cursor.fetchall()]
        # The list's column list says nothing about the plan.
        sql = re.sub(r"^SELECT .{300,}? FROM ", "SELECT … FROM ", query["sql"])
        plans.append("\n".join([sql, *plan]))
    return "\n\n".join(plans)


def reference_points():
    """What the requests look for, picked from the data: a number, a SID, a conversation…"""
    from actions.models import Message

    newest = Message.objects.order_by("-created_at").values_list("created_at", flat=True)[0]
    deep = (
        Message.objects.filter(created_at__lte=newest - timedelta(days=60))
        .order_by("-created_at", "-id")
        .values_list("created_at", "id")[0]
    )
    recent = Message.objects.filter(created_at__lte=newest - timedelta(days=2)).order_by(
        "-created_at"
    )
    with_sid = recent.exclude(provider_sid="").values_list("provider_sid", "conversation_id")[0]
    to = recent.filter(is_test=False, to__startswith="+44").values_list("to", flat=True)[0]
    national = f"+44 {to[3:7]} {to[7:]}"  # as a person types it: +44 7700 900123
    return {
        "newest": newest,
        "deep_cursor": encode_cursor(*deep),
        "sid": with_sid[0],
        "conversation": with_sid[1],
        "number": national,
        "staff_number": f"+44 {STAFF_NUMBERS[0][3:7]} {STAFF_NUMBERS[0][7:]}",
        "week_from": (newest - timedelta(days=37)).date().isoformat(),
        "week_to": (newest - timedelta(days=31)).date().isoformat(),
    }


def page_cases(points) -> list[tuple[str, str]]:
    def log(**params):
        return "/send-log/" + ("?" + urlencode(params) if params else "")

    week = {"date_from": points["week_from"], "date_to": points["week_to"]}
    return [
        ("first page", log()),
        ("page 60 days deep (cursor)", log(after=points["deep_cursor"])),
        ("status=failed", log(status="failed")),
        ("status=queued (a handful, all in the last minutes)", log(status="queued")),
        ("status=sending (a handful, all in the last minutes)", log(status="sending")),
        ("status=undelivered", log(status="undelivered")),
        ("status=sent (1%: no delivery report came)", log(status="sent")),
        ("action=send_receipt", log(action="send_receipt")),
        (f"action={RETIRED_ACTION} (all 60+ days old)", log(action=RETIRED_ACTION)),
        ("agent=orders", log(agent="orders")),
        (f"agent={RETIRED_AGENT} (all 60+ days old)", log(agent=RETIRED_AGENT)),
        (f"agent={RARE_AGENT} (1% of messages)", log(agent=RARE_AGENT)),
        ("channel=us_longcode", log(channel="us_longcode")),
        (f"channel={RETIRED_CHANNEL} (all 60+ days old)", log(channel=RETIRED_CHANNEL)),
        ("environment=live", log(environment="live")),
        ("environment=pre_release", log(environment="pre_release")),
        ("a week, 30 days ago", log(**week)),
        ("status=failed & action=send_receipt", log(status="failed", action="send_receipt")),
        ("status=failed & a week, 30 days ago", log(status="failed", **week)),
        (
            f"rare: status=undelivered & agent={RARE_AGENT}",
            log(status="undelivered", agent=RARE_AGENT),
        ),
        (
            f"rare: status=failed & agent={RARE_AGENT} & environment=pre_release",
            log(status="failed", agent=RARE_AGENT, environment="pre_release"),
        ),
        ("search: phone number (+44 …)", log(q=points["number"])),
        ("search: the builder's test number (+44 …)", log(q=points["staff_number"])),
        ("search: SM… SID", log(q=points["sid"])),
        ("search: conversation id", log(q=points["conversation"])),
        ("dashboard /", "/"),
    ]


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def time_export(client, total: int) -> dict:
    """Time to the first chunk (median of 3), then a stream of `total` rows: rows/s and RSS."""
    firsts = []
    for _ in range(3):
        started = time.perf_counter()
        response = client.get("/send-log/export.csv")
        chunks = iter(response.streaming_content)
        next(chunks)
        firsts.append((time.perf_counter() - started) * 1000)
        response.close()
    marks = {int(total * 0.1): "10%", int(total * 0.5): "50%"}
    samples, lines = {}, 0
    started = time.perf_counter()
    response = client.get("/send-log/export.csv")
    next_mark = min(marks)
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        if lines >= next_mark:
            samples[marks[next_mark]] = rss_mb()
            later = [m for m in marks if m > lines]
            next_mark = min(later) if later else float("inf")
        if lines > total:
            break
    elapsed = time.perf_counter() - started
    samples["100%"] = rss_mb()
    response.close()
    rows = min(lines - 1, total)  # less the header
    return {"first_ms": firsts, "rows": rows, "seconds": elapsed, "rss": samples}


# --- The run ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per page")
    parser.add_argument("--older-pages", type=int, default=5, help='"Older →" pages to follow')
    parser.add_argument("--reuse", action="store_true", help="keep the data if it is there")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--explain", action="store_true", help="print each page's query plan")
    parser.add_argument("--no-export", action="store_true", help="skip the CSV export")
    parser.add_argument(
        "--masked-rows",
        type=int,
        default=100_000,
        help="rows of the masked (Reviewer's) export to stream",
    )
    args = parser.parse_args()

    url = args.database_url
    os.environ["DATABASE_URL"] = url
    reuse = args.reuse and database_exists(url)
    if not reuse:
        recreate_database(url)
    _stack.configure("sendlog")
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    try:
        if reuse and message_count() >= args.messages:
            print(f"reusing {message_count():,} messages in {url}")
        else:
            if reuse:
                from django.db import connections

                connections.close_all()
                recreate_database(url)
                call_command("migrate", verbosity=0)
            started = time.perf_counter()
            print(f"filling {url} with {args.messages:,} messages")
            fill(url, args.messages)
            print(f"filled in {time.perf_counter() - started:.0f} s")
        return run(args)
    finally:
        if not args.keep:
            drop_database(url)


def run(args) -> int:
    from django.db import connection

    client = admin_client()
    points = reference_points()
    total = message_count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM actions_messageevent")
        events = cursor.fetchone()[0]
    age = datetime.now(UTC) - points["newest"]
    print(f"{total:,} messages, {events:,} events; newest {age.total_seconds() / 3600:.1f} h ago")

    results = []  # (label, times in ms, rows on the page, url)
    for label, url in page_cases(points):
        times, rows = time_page(client, url, args.repeat)
        results.append((label, times, rows, url))
        if url.startswith("/send-log/?after=") or url == "/send-log/":
            older = f"Older → {args.older_pages} pages after the {label}"
            results.append((older, *follow_older(client, url, args), url))

    failed = False
    width = max(len(label) for label, *_ in results)
    print(f"\n{'request':<{width}}  {'rows':>5}  {'median':>8}  {'p95':>8}")
    for label, times, rows, url in results:
        median, p95 = _stack.median(times), _stack.percentile(times, 95)
        ok = p95 < PAGE_TARGET_MS
        failed |= not ok
        verdict = "PASS" if ok else "FAIL"
        shown = rows if url.startswith("/send-log/") else "—"
        print(f"{label:<{width}}  {shown:>5}  {median:6.1f}ms  {p95:6.1f}ms  {verdict}")
    print(f"target: every page < {PAGE_TARGET_MS} ms (p95 of {args.repeat})")

    if args.explain:
        for label, times, _, url in results:
            print(f"\n--- {label} ({_stack.median(times):.1f} ms): {url}")
            print(explain(client, url))

    if not args.no_export:
        failed |= not report_export(client, total, "unmasked, an Admin")
        masked = min(total, args.masked_rows)
        failed |= not report_export(reviewer_client(), masked, "masked, a Reviewer")
    return 1 if failed else 0


def report_export(client, total: int, who: str) -> bool:
    export = time_export(client, total)
    first = _stack.median(export["first_ms"])
    rss = export["rss"]
    growth = rss["100%"] - rss.get("10%", rss["100%"])
    first_ok = first < FIRST_BYTE_TARGET_MS
    memory_ok = growth < MEMORY_GROWTH_LIMIT_MB and export["rows"] == total
    print(f"\nCSV export, {who}: {export['rows']:,} rows")
    print(
        f"first chunk: median {first:.0f} ms of {len(export['first_ms'])} "
        f"(target < {FIRST_BYTE_TARGET_MS} ms)  {'PASS' if first_ok else 'FAIL'}"
    )
    print(
        f"streamed in {export['seconds']:.1f} s: {export['rows'] / export['seconds']:,.0f} rows/s"
    )
    print(
        "RSS " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items())
        + f": +{growth:.0f} MB (flat: < {MEMORY_GROWTH_LIMIT_MB} MB)  "
        + ("PASS" if memory_ok else "FAIL")
    )  # fmt: skip
    return first_ok and memory_ok


if __name__ == "__main__":
    sys.exit(main())
