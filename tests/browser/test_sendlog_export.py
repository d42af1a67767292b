"""Exporting the send log from the browser: the filtered view, as a file."""

import csv
import re

import pytest
from playwright.sync_api import expect

from tests.unit.test_sendlog import message

pytestmark = pytest.mark.browser


def test_an_admin_downloads_the_failed_messages_with_full_numbers(admin_page):
    newer = message(1, status="failed", to="+447700900111", error_code="30006")
    older = message(3, status="failed", to="+15551230000", parameters={"callback": "+447700900999"})
    message(2, status="delivered", to="+447700900222")
    page = admin_page
    page.goto("/send-log/")
    expect(page.get_by_test_id("sendlog-row")).to_have_count(3)
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("sendlog-row")).to_have_count(2)

    with page.expect_download() as started:
        page.get_by_test_id("export-csv").click()
    download = started.value
    assert download.failure() is None
    assert re.fullmatch(r"send-log-\d{8}T\d{6}Z\.csv", download.suggested_filename)
    with open(download.path(), newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [row["id"] for row in rows] == [str(newer.pk), str(older.pk)]
    assert [row["to"] for row in rows] == ["+447700900111", "+15551230000"]
    assert {row["status"] for row in rows} == {"failed"}
    assert rows[1]["parameters"] == '{"callback": "+447700900999"}'
    assert page.console_errors == []


def test_with_a_bad_filter_there_is_nothing_to_export_and_the_page_names_the_filter(
    admin_page,
):
    message(1)
    page = admin_page
    page.goto("/send-log/?date_from=31/01/2025")
    expect(page.locator("#error-date_from")).to_contain_text("YYYY-MM-DD")
    expect(page.get_by_test_id("export-csv")).to_have_count(0)
    response = page.goto("/send-log/export.csv?date_from=31/01/2025")
    assert response.status == 400
    assert "date_from" in page.content()
