"""Names people can read: a display name for channels, actions, handoffs and agents, the
identifier suggested from it, names as links, and search on every list."""

import pytest
from django.urls import reverse

from actions.common.validation import identifier_from
from actions.models import Agent, Handoff, MessagingChannel, SendTextAction
from tests.factories import make_action, make_channel, make_handoff
from tests.unit.test_config_commands import run

pytestmark = pytest.mark.django_db

# The suggestion rule; tests/browser/test_names.py holds the page's script to the same cases.
SUGGESTIONS = [
    ("Customer notifications", "customer_notifications"),
    ("  Send booking   confirmation! ", "send_booking_confirmation"),
    ("Café Crème — Rappels", "cafe_creme_rappels"),
    ("24h support line", "h_support_line"),
    ("Ünïcödé & Co.", "unicode_co"),
    ("!!!", ""),
    ("日本語", ""),
    ("A" * 70 + " b", "a" * 64),
]


@pytest.mark.parametrize(("display_name", "identifier"), SUGGESTIONS)
def test_the_identifier_is_suggested_from_the_display_name(display_name, identifier):
    assert identifier_from(display_name) == identifier


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_channel_saved_with_only_a_display_name_takes_the_suggested_identifier(admin):
    data = {"display_name": "Customer notifications", "name": "", "provider": "console",
            "sender": "+15005550006", "stop_confirmation": "on"}  # fmt: skip
    response = admin.post(reverse("channel_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = MessagingChannel.objects.get()
    assert (channel.name, channel.display_name) == (
        "customer_notifications",
        "Customer notifications",
    )
    page = admin.get(reverse("channel_edit", args=[channel.pk])).content.decode()
    identifier = '<code class="identifier" title="Identifier">customer_notifications</code>'
    assert f"Customer notifications {identifier}" in page


def test_neither_a_display_name_nor_an_identifier_is_refused_naming_the_field(admin):
    data = {"display_name": "!!!", "name": "", "provider": "console", "sender": "+15005550006"}
    page = admin.post(reverse("channel_create"), data).content.decode()
    assert "Give it an identifier, or a display name to suggest one from." in page
    assert not MessagingChannel.objects.exists()


def test_lists_show_display_names_as_links_with_the_identifier_beside(admin):
    channel = make_channel(display_name="Customer notifications")
    action = make_action(channel)
    action.display_name = "Booking confirmation"
    action.save()
    handoff = make_handoff("agent_queue")
    agent = Agent.objects.create(name="front_desk", display_name="Front desk")
    for list_name, obj, label in (
        ("channel_list", channel, "Customer notifications"),
        ("action_list", action, "Booking confirmation"),
        ("handoff_list", handoff, "agent_queue"),  # no display name: the identifier is the link
        ("agent_list", agent, "Front desk"),
    ):
        page = admin.get(reverse(list_name)).content.decode()
        kind = list_name.split("_")[0]
        link = f'<a href="{reverse(f"{kind}_edit", args=[obj.pk])}" class="name-link">{label}</a>'
        assert link in page, list_name
        if obj.display_name:
            assert f'<code class="identifier">{obj.name}</code>' in page


@pytest.mark.parametrize(
    ("list_name", "make"),
    [
        ("channel_list", lambda n, d: make_channel(n, display_name=d)),
        ("action_list", lambda n, d: SendTextAction.objects.filter(
            pk=make_action(make_channel(f"c_{n}"), name=n).pk).update(display_name=d)),
        ("handoff_list", lambda n, d: Handoff.objects.filter(
            pk=make_handoff(n).pk).update(display_name=d)),
        ("agent_list", lambda n, d: Agent.objects.create(name=n, display_name=d)),
    ],
)  # fmt: skip
def test_every_list_searches_display_names_and_identifiers(admin, list_name, make):
    make("reminders", "Appointment reminders")
    make("receipts", "Payment receipts")
    url = reverse(list_name)
    found = admin.get(url, {"q": "APPOINTMENT"}).content.decode()
    assert "Appointment reminders" in found and "Payment receipts" not in found
    assert "matching “APPOINTMENT”" in found
    by_identifier = admin.get(url, {"q": "receipts"}).content.decode()
    assert "Payment receipts" in by_identifier and "Appointment reminders" not in by_identifier
    both = admin.get(url, {"q": "payment receipts"}).content.decode()  # every word matches
    assert "Payment receipts" in both and "Appointment reminders" not in both
    none = admin.get(url, {"q": "nothing like it"}).content.decode()
    assert "match “nothing like it”" in none
    too_long = admin.get(url, {"q": "x" * 500})
    assert too_long.status_code == 200
    assert "at most 100 characters" in too_long.content.decode()


def test_display_names_round_trip_through_the_configuration_file(tmp_path, settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    channel = make_channel(display_name="Customer notifications")
    action = make_action(channel, fallback_handoff=make_handoff("agent_queue"))
    SendTextAction.objects.filter(pk=action.pk).update(display_name="Booking confirmation")
    Handoff.objects.update(display_name="Agent queue")
    Agent.objects.create(name="front_desk", display_name="Front desk").actions.add(action)
    path = tmp_path / "config.yaml"
    run("export_config", str(path))
    text = path.read_text()
    for name in ("Customer notifications", "Booking confirmation", "Agent queue", "Front desk"):
        assert f"display_name: {name}" in text
    Agent.objects.all().delete()
    SendTextAction.objects.all().delete()
    Handoff.objects.all().delete()
    MessagingChannel.objects.all().delete()

    run("import_config", str(path))

    assert MessagingChannel.objects.get().display_name == "Customer notifications"
    assert Agent.objects.get().display_name == "Front desk"
    assert run("export_config")[0] == text


def test_selects_and_checkboxes_name_related_objects_by_display_name(admin):
    channel = make_channel(display_name="Customer notifications")
    action = make_action(channel)
    Agent.objects.create(name="front_desk")
    make_handoff("agent_queue")
    page = admin.get(reverse("action_edit", args=[action.pk])).content.decode()
    assert "Customer notifications (customer_notifications)</option>" in page
    assert ">agent_queue</option>" in page  # no display name: the identifier alone
    SendTextAction.objects.update(display_name="Booking confirmation")
    page = admin.get(reverse("agent_edit", args=[Agent.objects.get().pk])).content.decode()
    assert "Booking confirmation (send_booking_confirmation)</label>" in page
