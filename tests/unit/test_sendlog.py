"""The send log list: filters, search, cursor pagination, masking, polling rows."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from actions.models import Agent, Message
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.django_db

NOW = timezone.now()


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
    created_at = values.pop("created_at", NOW - timedelta(minutes=n))
    m = Message.objects.create(**values)
    Message.objects.filter(pk=m.pk).update(created_at=created_at)
    m.refresh_from_db()
    return m


def rows(client, query="") -> list[str]:
    response = client.get(f"/send-log/{query}")
    assert response.status_code == 200
    return [str(m.pk) for m in response.context["page"].rows]


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_list_is_newest_first(admin):
    old, new = message(5), message(1)
    assert rows(admin) == [str(new.pk), str(old.pk)]


@pytest.mark.parametrize(
    ("field", "value", "query"),
    [
        ("status", "failed", "?status=failed"),
        ("environment", "sandbox", "?environment=sandbox"),
        ("conversation_id", "CA-42", "?q=CA-42"),
        ("provider_sid", "SM" + "a" * 32, "?q=SM" + "a" * 32),
        ("to", "+15551234567", "?q=%2B1+(555)+123-4567"),
        ("to", "+15551234567", "?q=0015551234567"),
    ],
)
def test_each_filter_and_search_finds_only_its_messages(admin, field, value, query):
    message(1)
    match = message(2, **{field: value})
    assert rows(admin, query) == [str(match.pk)]


def test_action_agent_and_channel_filters(admin):
    channel = make_channel()
    other_channel = make_channel(name="other_channel")
    action = make_action(channel)
    agent = Agent.objects.create(name="booking_bot")
    message(1, channel=other_channel)
    match = message(2, action=action, agent=agent, channel=channel)
    assert rows(admin, f"?action={action.name}") == [str(match.pk)]
    assert rows(admin, "?agent=booking_bot") == [str(match.pk)]
    assert rows(admin, f"?channel={channel.name}&action={action.name}") == [str(match.pk)]


def test_the_date_range_is_whole_days(admin):
    today = timezone.localdate()
    message(1, created_at=NOW - timedelta(days=3))
    recent = message(2)
    assert rows(admin, f"?date_from={today:%Y-%m-%d}") == [str(recent.pk)]


def test_a_bad_filter_is_named_and_filters_nothing(admin):
    message(1)
    response = admin.get("/send-log/?date_from=31/01/2025&status=nope&q=7700+900123")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"date_from", "status", "q"}
    assert "country code" in errors["q"][0]
    assert len(response.context["page"].rows) == 1


def test_pages_follow_the_cursor_without_repeats_or_gaps_while_messages_arrive(admin, monkeypatch):
    monkeypatch.setattr("actions.common.pages.PAGE_SIZE", 3)
    made = [message(n) for n in range(1, 8)]
    seen, query, pages = [], "", 0
    while True:
        pages += 1
        response = admin.get(f"/send-log/{query}")
        seen += [str(m.pk) for m in response.context["page"].rows]
        message(0, created_at=timezone.now())  # a new message arrives between pages
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        query = f"?after={cursor}"
    assert pages == 3
    assert seen == [str(m.pk) for m in made]


def test_a_damaged_cursor_shows_the_newest_page_with_a_note(admin):
    message(1)
    response = admin.get("/send-log/?after=not-a-cursor", follow=True)
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 1
    assert "damaged" in response.content.decode()


def test_numbers_are_masked_without_the_permission(client, reviewer_user):
    message(1, to="+447700903456")
    user = reviewer_user
    client.force_login(user)
    page = client.get("/send-log/").content.decode()
    assert "+44 ••• ••• 3456" in page
    assert "+447700903456" not in page
    user.user_permissions.add(Permission.objects.get(codename="view_unmasked_numbers"))
    client.force_login(User.objects.get(pk=user.pk))
    assert "+447700903456" in client.get("/send-log/").content.decode()


def test_rows_on_their_way_poll_and_terminal_rows_do_not(admin):
    queued, done = message(1, status="queued"), message(2, status="delivered")
    page = admin.get("/send-log/").content.decode()
    assert f'hx-get="/send-log/{queued.pk}/row/"' in page
    assert f'hx-get="/send-log/{done.pk}/row/"' not in page
    Message.objects.filter(pk=queued.pk).update(status="delivered")
    row = admin.get(f"/send-log/{queued.pk}/row/", HTTP_HX_REQUEST="true").content.decode()
    assert "delivered" in row
    assert "hx-get" not in row


def test_the_send_log_needs_a_login(client, admin_user):
    response = client.get("/send-log/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
