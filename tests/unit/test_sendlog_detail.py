"""A message's page in the send log: timeline, error explanations, masking, and Resend."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from actions.common.times import duration
from actions.messaging import provider_errors
from actions.models import Message, MessageEvent, OptOut
from actions.sendlog import resend
from actions.sendlog.detail import timeline
from tests.factories import make_action, make_channel
from tests.unit.test_sendlog import message

pytestmark = pytest.mark.django_db

LISTED_CODES = [
    "21211",
    "21408",
    "21610",
    "21612",
    "21614",
    "30003",
    "30004",
    "30005",
    "30006",
    "30007",
    "30008",
]


def events(msg: Message, *steps: tuple[float, str, str]) -> None:
    """Record (seconds after the message was queued, status, detail) as its timeline."""
    for seconds, status, detail in steps:
        event = MessageEvent.objects.create(message=msg, status=status, detail=detail)
        MessageEvent.objects.filter(pk=event.pk).update(
            at=msg.created_at + timedelta(seconds=seconds)
        )


def failed(**fields) -> Message:
    """A failed message that could be resent: its channel and action still exist."""
    channel = fields.pop("channel", None) or make_channel()
    action = channel.actions.first() or make_action(channel)
    values = {
        "status": "failed",
        "channel": channel,
        "channel_name": channel.name,
        "action": action,
        "action_name": "send_booking_confirmation",
        "agent_name": "booking_bot",
        "provider": "twilio",
        "provider_sid": "SM" + "1" * 32,
        "error_code": "30003",
        "error_message": "Unreachable destination handset",
        "attempts": 1,
        "body": "Hi, your booking is confirmed! Reference: ABC123.",
        "parameters": {"booking_reference": "ABC123"},
        "variables": {"customer": "Ada"},
    }
    values.update(fields)
    msg = message(1, **values)
    events(msg, (0, "queued", "Invoked by booking_bot"), (0.2, "sending", "Attempt 1"))
    events(msg, (0.6, "failed", "Unreachable destination handset"))
    return msg


def page(client, msg: Message, **headers) -> str:
    response = client.get(f"/send-log/{msg.pk}/", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def reviewer(client, reviewer_user):
    client.force_login(reviewer_user)
    return client


# --- The timeline -------------------------------------------------------------------------


def test_the_timeline_shows_every_retry_with_its_attempt_reason_and_the_durations(admin):
    msg = message(1, status="delivered", provider="twilio", attempts=3)
    events(
        msg,
        (0, "queued", "Invoked by booking_bot"),
        (0.25, "sending", "Attempt 1"),
        (0.5, "queued", "Retrying in 1.5s: Too Many Requests"),
        (2.1, "sending", "Attempt 2"),
        (2.4, "queued", "Retrying in 3.0s: Service Unavailable"),
        (5.5, "sending", "Attempt 3"),
        (5.8, "sent", "Accepted by twilio"),
        (65.8, "delivered", "Twilio reported delivered"),
    )

    steps = timeline(msg, unmasked=True)

    assert [s.status for s in steps] == [
        "queued",
        "sending",
        "queued",
        "sending",
        "queued",
        "sending",
        "sent",
        "delivered",
    ]
    assert [s.since_previous for s in steps] == [
        "",
        "250 ms",
        "250 ms",
        "1.6 s",
        "300 ms",
        "3.1 s",
        "300 ms",
        "1 min 0 s",
    ]
    assert steps[-1].since_queued == "1 min 5 s"
    retries = [(s.attempt, s.reason, s.retry_in) for s in steps if s.is_retry]
    assert retries == [(1, "Too Many Requests", "1.5 s"), (2, "Service Unavailable", "3.0 s")]

    html = page(admin, msg)
    assert "Attempt 1 failed: Too Many Requests." in html
    assert "Attempt 2 failed: Service Unavailable." in html
    assert "next attempt in 3.0 s" in html
    assert html.count("↻ retry") == 2
    assert "+1 min 0 s" in html
    assert "1 min 5 s since queued" in html
    assert "Accepted by twilio" in html


def test_durations_read_at_every_scale():
    assert [
        duration(timedelta(seconds=s), fine=True)
        for s in (0.0421, 4.25, 185, 7500, 2 * 86400 + 3600)
    ] == ["42 ms", "4.2 s", "3 min 5 s", "2 h 5 min", "2 d 1 h"]


def test_a_message_on_its_way_polls_its_status_and_a_finished_one_does_not(admin):
    msg = message(1, status="sending")
    events(msg, (0, "queued", ""), (0.1, "sending", "Attempt 1"))
    html = page(admin, msg)
    assert f'hx-get="/send-log/{msg.pk}/"' in html
    assert 'hx-trigger="load delay:1s, every 2s"' in html

    events(msg, (0.4, "sent", "Accepted by twilio"), (2.0, "delivered", "Reported delivered"))
    Message.objects.filter(pk=msg.pk).update(status="delivered", provider_sid="SM" + "2" * 32)
    fragment = page(admin, msg, **{"HX-Request": "true"})
    assert "<html" not in fragment
    assert 'id="message-live"' in fragment
    assert "hx-get" not in fragment
    assert "delivered" in fragment and "Reported delivered" in fragment


# --- What the page shows ------------------------------------------------------------------


def test_the_page_shows_the_message_and_where_it_came_from(admin):
    msg = failed(conversation_id="CA-42", environment="sandbox")
    html = page(admin, msg)
    assert "Hi, your booking is confirmed! Reference: ABC123." in html
    assert "+447700900123" in html and "+15005550006" in html
    for text in ("send_booking_confirmation", "booking_bot", "customer_notifications"):
        assert text in html
    assert "Sandbox" in html and "CA-42" in html
    assert "SM" + "1" * 32 in html
    assert "&quot;booking_reference&quot;: &quot;ABC123&quot;" in html
    assert "&quot;customer&quot;: &quot;Ada&quot;" in html
    assert 'href="/send-log/"' in html


@pytest.mark.parametrize("code", LISTED_CODES)
def test_each_common_twilio_error_is_explained_in_plain_words(admin, code):
    explanation = provider_errors.explain(code)
    assert explanation.known
    assert explanation.title and explanation.meaning and explanation.action
    assert explanation.url == f"https://www.twilio.com/docs/api/errors/{code}"

    html = page(admin, failed(error_code=code, error_message="As Twilio put it"))
    assert escape(f"Error {code}: {explanation.title}") in html
    assert escape(explanation.meaning) in html
    assert escape(explanation.action) in html
    assert "As Twilio put it" in html


def test_an_unknown_error_code_says_so_and_links_to_twilio(admin):
    html = page(admin, failed(error_code="63999", error_message="Something new"))
    assert "Switchboard has no explanation of error 63999." in html
    assert 'href="https://www.twilio.com/docs/api/errors/63999"' in html


def test_a_reviewer_sees_every_number_masked(reviewer):
    msg = failed(
        to="+447700903456",
        body="Call us back on +447700900999 or 07700 900888. Reference 12345678.",
        parameters={"booking_reference": "ABC123", "callback": "+447700900777"},
        variables={"caller": {"phone": "+447700900666"}},
        error_code="21211",
        error_message="The 'To' number +447700903456 is not a valid phone number.",
    )
    html = page(reviewer, msg)
    for number in ("+447700903456", "+447700900999", "07700 900888", "+447700900777"):
        assert number not in html
    assert "+447700900666" not in html
    for masked in ("+44 ••• ••• 3456", "+44 ••• ••• 0999", "+44 ••• ••• 0888", "+44 ••• ••• 0777"):
        assert masked in html
    assert "+44 ••• ••• 0666" in html
    assert "Reference 12345678." in html  # not a phone number: left readable
    assert "Phone numbers are masked for your role." in html


def test_an_admin_sees_every_number_in_full(admin):
    msg = failed(
        to="+447700903456",
        body="Call us back on +447700900999.",
        parameters={"callback": "+447700900777"},
    )
    html = page(admin, msg)
    for number in ("+447700903456", "+447700900999", "+447700900777"):
        assert number in html
    assert "•••" not in html


def test_a_redacted_message_says_when_retention_removed_its_content(admin):
    redacted_at = timezone.now() - timedelta(days=2)
    msg = failed(body="", parameters={}, variables={}, redacted_at=redacted_at)
    html = page(admin, msg)
    assert "removed by the retention policy on" in html
    assert f"{timezone.localdate(redacted_at):%Y-%m-%d}" in html


def test_an_unknown_message_is_404(admin):
    missing = "00000000-0000-4000-8000-000000000000"
    assert admin.get(f"/send-log/{missing}/").status_code == 404
    assert admin.get(f"/send-log/{missing}/resend/").status_code == 404
    assert admin.post(f"/send-log/{missing}/resend/").status_code == 404
    assert admin.get("/send-log/not-a-uuid/").status_code == 404


# --- Resend -------------------------------------------------------------------------------


def test_resending_queues_a_new_message_linked_to_the_original(
    admin, django_capture_on_commit_callbacks
):
    original = failed(status="undelivered", conversation_id="CA-42", environment="live")
    with django_capture_on_commit_callbacks() as queued_sends:
        response = admin.post(f"/send-log/{original.pk}/resend/")

    copy = Message.objects.get(resent_from=original)
    assert response.status_code == 302
    assert response["Location"] == f"/send-log/{copy.pk}/"
    assert len(queued_sends) == 1  # the send task, queued once the transaction commits
    assert copy.status == "queued"
    assert copy.pk != original.pk
    for field in resend.RESENT_FIELDS:
        assert getattr(copy, field) == getattr(original, field), field
    assert (copy.attempts, copy.provider_sid, copy.error_code) == (0, "", "")
    [event] = copy.events.all()
    assert event.status == "queued"
    assert event.detail == f"Resend of message {original.pk} by admin"

    new_page = admin.get(response["Location"]).content.decode()
    assert "Resent: a new message was queued." in new_page
    assert f'Resend of <a href="/send-log/{original.pk}/"' in new_page
    assert f'Resent as <a href="/send-log/{copy.pk}/"' in page(admin, original)
    original.refresh_from_db()
    assert original.status == "undelivered"  # the original stays as it was


def test_resend_can_be_called_without_http(django_capture_on_commit_callbacks):
    original = failed()
    with django_capture_on_commit_callbacks() as queued_sends:
        copy = resend.resend(original)
    assert copy.resent_from_id == original.pk
    assert list(original.resends.all()) == [copy]
    assert copy.events.get().detail == f"Resend of message {original.pk}"
    assert len(queued_sends) == 1


def test_get_of_resend_only_asks_for_confirmation(admin):
    original = failed()
    response = admin.get(f"/send-log/{original.pk}/resend/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Resend this message?" in html
    assert '<form method="post">' in html and "csrfmiddlewaretoken" in html
    assert Message.objects.count() == 1


def test_resend_is_not_done_without_the_csrf_token(admin_user):
    original = failed()
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(f"/send-log/{original.pk}/resend/").status_code == 403
    assert Message.objects.count() == 1


def test_the_resend_button_shows_only_for_failed_or_undelivered_messages(admin):
    channel = make_channel()
    for status in ("failed", "undelivered"):
        msg = failed(status=status, channel=channel)
        assert f'href="/send-log/{msg.pk}/resend/"' in page(admin, msg)
    delivered = message(2, status="delivered", channel=channel)
    assert "/resend/" not in page(admin, delivered)


def test_a_reviewer_cannot_resend_and_is_not_offered_the_button(reviewer):
    original = failed()
    assert "/resend/" not in page(reviewer, original)
    assert "Resend" not in page(reviewer, original)
    assert reviewer.get(f"/send-log/{original.pk}/resend/").status_code == 403
    assert reviewer.post(f"/send-log/{original.pk}/resend/").status_code == 403
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("delivered", "Only failed or undelivered messages can be resent; this one is delivered."),
        ("redacted", "removed by the retention policy"),
        ("opted_out", "The recipient has opted out of text messages from this sender."),
        ("channel_deleted", "Its channel was deleted"),
        ("already_resent", "It was already resent, and that message is queued."),
    ],
)
def test_a_resend_that_cannot_be_done_is_refused_and_writes_nothing(admin, case, reason):
    original = failed()
    if case == "delivered":
        Message.objects.filter(pk=original.pk).update(status="delivered")
    elif case == "redacted":
        Message.objects.filter(pk=original.pk).update(
            body="", parameters={}, variables={}, redacted_at=timezone.now()
        )
    elif case == "opted_out":
        OptOut.objects.create(number=original.to, sender="", source="inbound")
    elif case == "channel_deleted":
        original.channel.actions.all().delete()
        original.channel.delete()
    elif case == "already_resent":
        resend.resend(original)
    messages_before, events_before = Message.objects.count(), MessageEvent.objects.count()

    response = admin.post(f"/send-log/{original.pk}/resend/", follow=True)

    assert response.redirect_chain == [(f"/send-log/{original.pk}/", 302)]
    html = response.content.decode()
    assert "Not resent." in html and reason in html
    assert Message.objects.count() == messages_before
    assert MessageEvent.objects.count() == events_before
    original.refresh_from_db()
    with pytest.raises(resend.ResendRefused):
        resend.resend(original)
    assert Message.objects.count() == messages_before


def test_a_message_whose_resend_failed_too_can_be_resent_again():
    original = failed()
    first = resend.resend(original)
    Message.objects.filter(pk=first.pk).update(status="failed")
    second = resend.resend(original)
    assert list(original.resends.order_by("created_at")) == [first, second]
