"""A handoff's opening hours with a frozen clock: open, closed, the hour around a DST change,
a range across midnight, a public holiday; and what the agent is told outside them — through
handoff invoke, Vapi's transfer-destination request and the transfer_call tool — the handoff
page and the configuration file."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from actions import configfile
from actions.handoffs import hours
from actions.models import Agent, ApiKey, Handoff, HandoffLog
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SALES_HOURS = {
    "time_zone": "Europe/London",
    "weekly": {
        "mon": ["09:00-17:30"],
        "tue": ["09:00-12:00", "13:00-17:30"],
        "fri": ["22:00-02:00"],
        "sun": ["01:00-03:00"],
    },
    "closed": ["2026-12-21"],
    "holidays": "GB",
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(
    ("moment", "open_", "text"),
    [
        ("2026-12-07T10:00", True, "open now, until 17:30"),  # a Monday
        ("2026-12-07T08:59", False, "closed until 09:00"),
        ("2026-12-07T17:30", False, "closed until tomorrow 09:00"),
        ("2026-12-08T12:30", False, "closed until 13:00"),  # the lunch break
        ("2026-12-11T23:30", True, "open now, until tomorrow 02:00"),  # across midnight
        ("2026-12-12T01:59", True, "open now, until 02:00"),  # the range of the day before
        ("2026-12-12T02:00", False, "closed until tomorrow 01:00"),
        ("2026-12-21T10:00", False, "closed until tomorrow 09:00"),  # a closed date
        ("2026-12-28T10:00", False, "closed until tomorrow 09:00"),  # Boxing Day, substitute
    ],
)
def test_open_and_closed_at_a_frozen_moment(moment, open_, text):
    now = at(moment)
    status = hours.status(SALES_HOURS, now)
    assert status.open is open_
    assert status.describe(now, LONDON) == text


def test_the_hour_around_a_dst_change_keeps_the_wall_clock():
    # 2027-03-28: London's clocks go 01:00 -> 02:00 (GMT -> BST). The Sunday range 01:00-03:00
    # starts at a time that does not exist: it opens when the clock reads 02:00 and closes at
    # 03:00 BST, an hour of opening, not two.
    before = datetime(2027, 3, 28, 0, 59, tzinfo=ZoneInfo("UTC"))  # 00:59 GMT
    status = hours.status(SALES_HOURS, before)
    assert status.open is False
    assert status.change_at == datetime(2027, 3, 28, 1, 0, tzinfo=ZoneInfo("UTC"))  # 02:00 BST
    inside = datetime(2027, 3, 28, 1, 30, tzinfo=ZoneInfo("UTC"))  # 02:30 BST
    status = hours.status(SALES_HOURS, inside)
    assert status.open is True
    assert status.change_at == datetime(2027, 3, 28, 2, 0, tzinfo=ZoneInfo("UTC"))  # 03:00 BST
    # In autumn the clock reads 01:00-02:00 twice: the Monday 09:00 opening after it is
    # still 09:00 GMT.
    autumn = datetime(2026, 10, 26, 8, 59, tzinfo=ZoneInfo("UTC"))
    assert hours.status(SALES_HOURS, autumn).describe(autumn, LONDON) == "closed until 09:00"


MON = {"mon": ["09:00-17:00"]}


@pytest.mark.parametrize(
    ("value", "key", "fragment"),
    [
        ({"time_zone": "Mars/Olympus", "weekly": MON}, "time_zone", "not a time zone"),
        ({"time_zone": "UTC", "weekly": {"monday": ["09:00-17:00"]}}, "weekly.monday", "not a day"),
        ({"time_zone": "UTC", "weekly": {"mon": ["9-5"]}}, "weekly.mon", "not a range of hours"),
        ({"time_zone": "UTC", "weekly": {"mon": ["25:00-26:00"]}}, "weekly.mon", "does not exist"),
        ({"time_zone": "UTC", "weekly": MON, "closed": ["25/12"]}, "closed", "not a date"),
        ({"time_zone": "UTC", "weekly": MON, "holidays": "XX"}, "holidays", "not a country"),
        ({"time_zone": "UTC", "holidays": "GB"}, "weekly", "at least one day"),
    ],
)  # fmt: skip
def test_wrong_hours_are_refused_naming_the_key(value, key, fragment):
    problems = hours.problems(value)
    assert fragment in problems[key]


# --- What the agent is told ------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    def freeze(text):
        monkeypatch.setattr(hours, "current_time", lambda: at(text))

    return freeze


@pytest.fixture
def sales():
    voicemail = make_handoff(
        "voicemail", description="Leave a voicemail for the sales team", phone_number="+15550001111"
    )
    return make_handoff(
        "sales",
        description="Transfer to the sales team",
        phone_number="+15551230100",
        hours=SALES_HOURS,
        after_hours=voicemail,
    )


@pytest.fixture
def key(sales):
    agent = Agent.objects.create(name="booking_bot")
    agent.handoffs.add(sales)
    agent.actions.add(make_action(make_channel()))
    return ApiKey.issue(agent, "sandbox")[1]


def post(client, key, path, body):
    return client.post(
        path, json.dumps(body), content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip


def test_inside_its_hours_the_handoff_answers_as_before(client, key, frozen):
    frozen("2026-12-07T10:00")
    response = post(client, key, "/api/v1/handoffs/sales/invoke", {"conversation_id": "c1"})
    assert response.status_code == 200
    assert response.json()["handoff"] == "sales"


def test_outside_its_hours_invoke_refuses_saying_when_and_offers_the_after_hours(
    client, key, frozen
):
    frozen("2026-12-07T18:00")
    response = post(client, key, "/api/v1/handoffs/sales/invoke", {"conversation_id": "c1"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "handoff_closed"
    assert error["say"] == (
        "Tell the caller sales is closed until tomorrow 09:00; offer to transfer them instead "
        "(Leave a voicemail for the sales team). If they agree, call transfer_call with "
        'destination "voicemail".'
    )
    assert error["after_hours"]["handoff"] == "voicemail"
    log = HandoffLog.objects.get()
    assert (log.outcome, log.conversation_id) == ("closed", "c1")
    # The alternative is the agent's to use, though only the closed handoff is attached.
    response = post(client, key, "/api/v1/handoffs/voicemail/invoke", {"conversation_id": "c1"})
    assert response.status_code == 200


def test_without_an_alternative_the_agent_offers_a_text(client, key, sales, frozen):
    Handoff.objects.filter(pk=sales.pk).update(after_hours=None)
    frozen("2026-12-12T12:00")
    response = post(client, key, "/api/v1/handoffs/sales/invoke", {})
    assert response.json()["error"]["say"] == (
        "Tell the caller sales is closed until tomorrow 01:00; offer to send a text instead."
    )


def test_vapi_gets_the_after_hours_destination_or_an_error(client, key, sales, frozen):
    frozen("2026-12-07T18:00")
    body = {"message": {"type": "transfer-destination-request", "destination": "sales"}}
    response = post(client, key, "/api/v1/transfer-destination", body)
    assert response.json() == {"destination": {"type": "number", "number": "+15550001111"}}
    assert "closed until tomorrow 09:00" in HandoffLog.objects.get().outcome_detail
    Handoff.objects.filter(pk=sales.pk).update(after_hours=None)
    response = post(client, key, "/api/v1/vapi", body)
    assert response.json() == {
        "error": "No transfer destination: “sales” is closed until tomorrow 09:00."
    }


def test_the_transfer_tool_says_which_destination_is_closed(client, key, frozen):
    frozen("2026-12-07T18:00")
    tools = client.get("/api/v1/tools", headers={"Authorization": f"Bearer {key}"}).json()
    description = tools["tools"][-1]["function"]["description"]
    assert (
        "- sales — Transfer to the sales team (closed until tomorrow 09:00: do not offer it "
        "before then)" in description
    )
    assert "- voicemail — Leave a voicemail for the sales team\n" in description + "\n"


def test_the_handoff_page_says_open_or_closed(admin_client, sales, frozen):
    frozen("2026-12-07T10:00")
    page = admin_client.get(f"/handoffs/{sales.pk}/").content.decode()
    assert 'data-testid="opening">Open now, until 17:30</p>' in page
    frozen("2026-12-07T18:00")
    page = admin_client.get(f"/handoffs/{sales.pk}/").content.decode()
    assert 'data-testid="opening">Closed until tomorrow 09:00</p>' in page


def test_the_form_saves_hours_typed_per_day_and_refuses_wrong_ones(admin_client, sales):
    data = {
        "name": "sales",
        "description": "Transfer to the sales team",
        "method": "refer",
        "phone_number": "+15551230100",
        "hours_time_zone": "America/New_York",
        "hours_mon": "09:00-12:00, 13:00-17:00",
        "hours_closed": "2026-12-24 2026-12-31",
        "hours_holidays": "us",
        "after_hours": "",
    }
    response = admin_client.post(f"/handoffs/{sales.pk}/", data)
    assert response.status_code == 302
    sales.refresh_from_db()
    assert sales.hours == {
        "time_zone": "America/New_York",
        "weekly": {"mon": ["09:00-12:00", "13:00-17:00"]},
        "closed": ["2026-12-24", "2026-12-31"],
        "holidays": "US",
    }
    assert sales.after_hours is None
    data["hours_tue"] = "nine to five"
    page = admin_client.post(f"/handoffs/{sales.pk}/", data).content.decode()
    assert "weekly.tue: “nine” is not a range of hours such as 09:00-17:30" in page


def test_the_configuration_file_carries_hours_and_after_hours_and_round_trips(sales):
    exported = configfile.export_config()
    assert "after_hours: voicemail" in exported
    assert "time_zone: Europe/London" in exported
    Handoff.objects.filter(name="sales").delete()  # it protects its after-hours handoff
    Handoff.objects.all().delete()
    plan = configfile.apply(configfile.load(exported))
    assert {c.name for c in plan.changes} == {"sales", "voicemail"}
    assert Handoff.objects.get(name="sales").after_hours.name == "voicemail"
    assert configfile.export_config() == exported


def test_a_polyai_handoff_without_hours_exports_without_the_keys():
    make_handoff("agent_queue")
    exported = configfile.export_config()
    assert "hours" not in exported and "after_hours" not in exported
