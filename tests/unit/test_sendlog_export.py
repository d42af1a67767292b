"""The send log's CSV export: the list's filters, streamed in batches, masked, defused."""

import csv
import io
import math
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Message
from actions.sendlog import export
from tests.unit.test_sendlog import NOW, message

pytestmark = pytest.mark.django_db

URL = "/send-log/export.csv"


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def reviewer(client, admin_user, reviewer_user):
    client.force_login(reviewer_user)
    return client


def download(client, query="") -> list[dict[str, str]]:
    response = client.get(f"{URL}{query}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert header == export.HEADER
    return [dict(zip(header, row, strict=True)) for row in reader]


def listed(client, query="") -> list[str]:
    response = client.get(f"/send-log/{query}")
    assert response.status_code == 200
    assert response.context["page"].next_cursor is None
    return [str(m.pk) for m in response.context["page"].rows]


def test_the_header_names_every_column_in_order(admin):
    response = admin.get(URL)
    first_line = next(iter(response.streaming_content)).decode()
    assert first_line == (
        "id,created_at,action,agent,channel,environment,test,conversation_id,to,from,status,"
        "provider_sid,error_code,error_message,attempts,resent_from,body,parameters,variables,"
        "redacted_at\r\n"
    )


def test_the_download_is_a_streamed_utf8_csv_attachment_named_for_the_time_in_utc(admin):
    message(1)
    response = admin.get(URL)
    assert response.streaming is True
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="send-log-')
    stamp = disposition.removeprefix('attachment; filename="send-log-').removesuffix('.csv"')
    when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - when) < timedelta(minutes=1)


def test_an_admin_gets_every_field_of_a_message_with_full_numbers(admin):
    created_at = datetime(2025, 1, 31, 11, 59, 1, 5, tzinfo=UTC)
    redacted_at = datetime(2025, 1, 31, 12, 0, 5, 250000, tzinfo=UTC)
    original = message(3, status="failed", created_at=created_at - timedelta(hours=1))
    resend = message(
        2,
        created_at=created_at,
        action_name="send_booking_confirmation",
        agent_name="booking_bot",
        channel_name="customer_notifications",
        environment="pre_release",
        conversation_id="CA-42",
        to="+447700900123",
        sender="+15005550006",
        status="failed",
        provider_sid="SM" + "a" * 32,
        error_code="30006",
        error_message="Landline or unreachable carrier",
        attempts=3,
        resent_from=original,
        body="Your booking, reférence «B-7»,\nis confirmed.",
        parameters={"booking_reference": "B-7", "callback": "+447700900999"},
        variables={"customer": {"name": "Zoë"}},
        redacted_at=redacted_at,
    )
    rows = download(admin)
    assert [r["id"] for r in rows] == [str(resend.pk), str(original.pk)]
    assert rows[0] == {
        "id": str(resend.pk),
        "created_at": "2025-01-31T11:59:01.000005Z",
        "action": "send_booking_confirmation",
        "agent": "booking_bot",
        "channel": "customer_notifications",
        "environment": "pre_release",
        "test": "false",
        "conversation_id": "CA-42",
        "to": "+447700900123",
        "from": "+15005550006",
        "status": "failed",
        "provider_sid": "SM" + "a" * 32,
        "error_code": "30006",
        "error_message": "Landline or unreachable carrier",
        "attempts": "3",
        "resent_from": str(original.pk),
        "body": "Your booking, reférence «B-7»,\nis confirmed.",
        "parameters": '{"booking_reference": "B-7", "callback": "+447700900999"}',
        "variables": '{"customer": {"name": "Zoë"}}',
        "redacted_at": "2025-01-31T12:00:05.250000Z",
    }
    assert rows[1]["resent_from"] == ""
    assert rows[1]["redacted_at"] == ""


def test_a_reviewer_gets_every_number_masked_as_on_the_page(reviewer):
    message(
        1,
        to="+447700900123",
        body="Call us back on 07700 900456 or +44 7700 900888, ref 12345678.",
        parameters={"callback": "+447700900999", "booking_reference": "B-7"},
        variables={"caller": {"numbers": ["+15551234567"]}},
        error_message="The 'To' number +447700900123 is not reachable.",
    )
    response = reviewer.get(URL)
    text = b"".join(response.streaming_content).decode()
    for number in ("7700900123", "7700 900456", "7700 900888", "7700900999", "5551234567"):
        assert number not in text
    (row,) = download(reviewer)
    assert row["to"] == "'+44 ••• ••• 0123"  # masked, so no longer a plain number: defused
    assert row["body"] == ("Call us back on +44 ••• ••• 0456 or +44 ••• ••• 0888, ref 12345678.")
    assert row["parameters"] == '{"booking_reference": "B-7", "callback": "+44 ••• ••• 0999"}'
    assert row["variables"] == '{"caller": {"numbers": ["+1 ••• ••• 4567"]}}'
    assert row["error_message"] == "The 'To' number +44 ••• ••• 0123 is not reachable."
    assert row["from"] == "+15005550006"


def test_an_admin_gets_the_numbers_a_reviewer_does_not(client, admin_user, reviewer_user):
    message(1, to="+447700903456", parameters={"callback": "+447700900999"})
    client.force_login(reviewer_user)
    (masked,) = download(client)
    client.force_login(admin_user)
    (full,) = download(client)
    assert (masked["to"], full["to"]) == ("'+44 ••• ••• 3456", "+447700903456")
    assert masked["parameters"] == '{"callback": "+44 ••• ••• 0999"}'
    assert full["parameters"] == '{"callback": "+447700900999"}'


@pytest.mark.parametrize(
    ("field", "value", "column", "cell"),
    [
        ("body", '=HYPERLINK("http://evil.example","Click")', "body", "'=HYPERLINK("),
        ("body", "+1+cmd|' /C calc'!A0", "body", "'+1+cmd"),
        ("error_message", "-2+3", "error_message", "'-2+3"),
        ("conversation_id", "@SUM(A1:A9)", "conversation_id", "'@SUM(A1:A9)"),
        ("agent_name", "\tbot", "agent", "'\tbot"),
        ("action_name", "\r=1", "action", "'\r=1"),
        ("sender", "+1 555 0100", "from", "'+1 555 0100"),
        ("sender", "+15005550006", "from", "+15005550006"),
        ("to", "+447700900123", "to", "+447700900123"),
        ("to", "+44=7700900123", "to", "'+44=7700900123"),
        ("provider_sid", "+15005550006", "provider_sid", "'+15005550006"),
        ("body", "Hi = hello, 1-2", "body", "Hi = hello, 1-2"),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_get_a_quote(admin, field, value, column, cell):
    message(1, **{field: value})
    (row,) = download(admin)
    assert row[column].startswith(cell)
    assert row[column] == ("'" + value if cell.startswith("'") else value)


def test_the_export_holds_exactly_the_filtered_list_across_batch_boundaries(admin, monkeypatch):
    monkeypatch.setattr("actions.sendlog.export.BATCH_SIZE", 3)
    monkeypatch.setattr("actions.common.pages.PAGE_SIZE", 1000)
    tie = NOW - timedelta(minutes=30)
    failed = [message(n, status="failed") for n in range(1, 6)]
    # Equal timestamps straddle a batch boundary: the id decides their order.
    failed += [message(30 + n, status="failed", created_at=tie) for n in range(5)]
    failed += [message(40 + n, status="failed") for n in range(3)]
    for n in range(8):
        message(100 + n, status="delivered")
    message(200, status="failed", environment="sandbox")

    query = "?status=failed&environment=live"
    exported = [row["id"] for row in download(admin, query)]
    assert exported == listed(admin, query)
    assert sorted(exported) == sorted(str(m.pk) for m in failed)
    assert len(set(exported)) == len(exported) == 13
    every = [row["id"] for row in download(admin)]
    assert every == listed(admin)
    assert len(set(every)) == len(every) == 22


def test_a_date_range_and_a_search_filter_the_export_like_the_list(admin):
    message(1, created_at=NOW - timedelta(days=3), to="+15551234567")
    recent = message(2, to="+15551234567")
    message(3)
    day = timezone.localdate(recent.created_at)
    query = f"?date_from={day:%Y-%m-%d}&q=%2B1+(555)+123-4567"
    assert [row["id"] for row in download(admin, query)] == [str(recent.pk)]
    assert listed(admin, query) == [str(recent.pk)]


def test_a_cursor_in_the_query_string_does_not_cut_the_export(admin, monkeypatch):
    monkeypatch.setattr("actions.common.pages.PAGE_SIZE", 1)
    made = [message(n) for n in range(3)]
    cursor = admin.get("/send-log/").context["page"].next_cursor
    assert [row["id"] for row in download(admin, f"?after={cursor}")] == [str(m.pk) for m in made]


def test_an_invalid_filter_is_refused_with_a_message_naming_it(admin):
    message(1)
    response = admin.get(f"{URL}?date_from=31/01/2025&status=nope&q=7700+900123&agent=ghost")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in response
    text = response.content.decode()
    assert "not exported" in text
    assert "From (date_from): Enter the start date as YYYY-MM-DD" in text
    assert "Status (status): Select a valid choice." in text
    assert "Search (q): “7700 900123” is not an international phone number" in text
    assert "Agent (agent): There is no agent of that name." in text


def test_an_end_date_before_the_start_date_is_refused(admin):
    response = admin.get(f"{URL}?date_from=2025-02-01&date_to=2025-01-01")
    assert response.status_code == 400
    assert "To (date_to): The end date is before the start date." in response.content.decode()


def test_a_builder_may_not_export(client, builder_user):
    message(1)
    client.force_login(builder_user)
    response = client.get(URL)
    assert response.status_code == 403
    assert b"+447700900123" not in response.content


def test_the_export_needs_a_login(client, admin_user):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_each_batch_is_one_query_of_only_the_exported_columns(admin, monkeypatch):
    monkeypatch.setattr("actions.sendlog.export.BATCH_SIZE", 5)
    for n in range(23):
        message(n)
    response = admin.get(URL)
    assert response.streaming is True
    chunks, queries = [], []
    with CaptureQueriesContext(connection) as context:
        for chunk in response.streaming_content:
            chunks.append(chunk)
            queries.append(len(context.captured_queries))
    assert queries[0] == 0  # the header goes out before the first query
    assert [b - a for a, b in zip(queries, queries[1:], strict=False)] == [1] * 5
    assert len(context.captured_queries) == math.ceil(23 / 5)
    for query in context.captured_queries:
        sql = query["sql"]
        assert "LIMIT 5" in sql
        assert "idempotency_key" not in sql
        assert "request_hash" not in sql
        assert "updated_at" not in sql
        assert "JOIN" not in sql
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 24


def test_the_query_count_does_not_grow_with_the_rows_in_a_batch(
    admin, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("actions.sendlog.export.BATCH_SIZE", 50)
    for n in range(120):
        message(n, parameters={"callback": "+447700900999"}, action_name="a", agent_name="b")
    response = admin.get(URL)
    with django_assert_max_num_queries(3):
        rows = b"".join(response.streaming_content).count(b"\r\n")
    assert rows == 121


def test_an_empty_selection_is_the_header_alone(admin):
    message(1, status="delivered")
    assert download(admin, "?status=failed") == []


@pytest.mark.parametrize(
    ("text", "column", "cell"),
    [
        ("+447700900123", "to", "+447700900123"),
        ("+447700900123", "body", "'+447700900123"),
        ("+", "to", "'+"),
        ("+44 7700 900123", "to", "'+44 7700 900123"),
        ("+４４", "from", "'+４４"),
        ("-", "body", "'-"),
        ("", "body", ""),
        ("a=b", "body", "a=b"),
    ],
)
def test_only_plain_e164_numbers_in_the_number_columns_escape_the_quote(text, column, cell):
    assert export.defuse(text, column) == cell


def test_messages_arriving_during_the_download_neither_join_it_nor_shift_its_rows(
    admin, monkeypatch
):
    monkeypatch.setattr("actions.sendlog.export.BATCH_SIZE", 2)
    made = [message(n) for n in range(1, 6)]
    response = admin.get(URL)
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"id,")
    seen = []
    for chunk in chunks:
        seen += [line.split(",")[0] for line in chunk.decode().splitlines()]
        message(0, created_at=datetime.now(UTC))  # arrives between two batches
    assert seen == [str(m.pk) for m in made]
    assert Message.objects.count() == 5 + 3
