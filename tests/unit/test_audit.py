"""The audit trail: who changed a channel, action, handoff, agent or API key, when, and what."""

import pytest
from django.apps import apps
from django.forms.models import model_to_dict
from django.urls import reverse

from actions import audit, configfile
from actions.audit import acting_as, history_of
from actions.models import Agent, ApiKey, Handoff, MessagingChannel, SendTextAction
from tests.factories import BOOKING_MESSAGE, make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

ACCOUNT_SID = "AC" + "1234abcd" * 4


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def action_data(action, **overrides):
    data = {
        "name": action.name,
        "description": action.description,
        "channel": str(action.channel_id),
        "recipient_mode": "contact",
        "recipient_template": "",
        "message_template": action.message_template,
        "enabled": "on",
        "schema_mode": "table",
        "parameters_schema": "",
        "params-TOTAL_FORMS": "1",
        "params-INITIAL_FORMS": "0",
        "params-0-name": "booking_reference",
        "params-0-type": "text",
        "params-0-description": "The booking reference number",
        "params-0-required": "on",
        "params-0-format": "",
    }
    data.update(overrides)
    return data


def channel_data(**overrides):
    data = {
        "name": "customer_notifications",
        "provider": "twilio",
        "sender": "+15005550006",
        "sender_sandbox": "",
        "sender_pre_release": "",
        "sender_live": "",
        "account_sid": ACCOUNT_SID,
        "auth_token": "",
    }
    data.update(overrides)
    return data


def handoff_data(handoff, **overrides):
    data = {
        "name": handoff.name,
        "description": handoff.description,
        "utterance": handoff.utterance,
        "method": handoff.method,
        "phone_number": handoff.phone_number,
    }
    if handoff.is_default:
        data["is_default"] = "on"
    data.update(overrides)
    return data


def changes_of(entry) -> dict:
    return {c.label: c for c in entry.changes}


def every_value_in(history_model) -> str:
    """Every value of every historical row, as one text to search."""
    rows = history_model.objects.all()
    return " ".join(str(value) for row in rows for value in model_to_dict(row).values())


# --- Changes from the pages ----------------------------------------------------------------------


def test_an_action_edited_on_its_page_records_the_user_and_the_changed_fields(admin, admin_user):
    action = make_action()
    response = admin.post(
        reverse("action_edit", args=[action.pk]),
        action_data(action, description="Texts the booking reference to the caller."),
    )
    assert response.status_code == 302

    record = action.history.first()
    assert record.history_user == admin_user
    latest = history_of(action)[0]
    assert (latest.who, latest.kind) == ("admin", "changed")
    description = changes_of(latest)["Description"]
    assert description.new == "Texts the booking reference to the caller."
    assert description.old.startswith("Sends a booking confirmation SMS")
    assert history_of(action)[-1].kind == "created"


def test_a_long_message_template_change_shows_the_part_that_changed(admin):
    action = make_action()
    template = BOOKING_MESSAGE.replace("Reply to this message", "Call us")
    admin.post(
        reverse("action_edit", args=[action.pk]), action_data(action, message_template=template)
    )
    change = changes_of(history_of(action)[0])["Message template"]
    assert "Reply to this message" in change.old
    assert "Call us" in change.new
    assert len(change.new) < len(template)


def test_a_parameters_schema_change_is_summarised_by_parameter(admin):
    action = make_action()
    data = action_data(
        action,
        **{
            "params-TOTAL_FORMS": "2",
            "params-1-name": "arrival_date",
            "params-1-type": "text",
            "params-1-description": "The day the guest arrives",
            "params-1-format": "",
            # An optional parameter is read inside a with.
            "message_template": "Booked.{{ with .parameters.booking_reference }} Ref {{ . }}"
            "{{ end }}",
        },
    )
    del data["params-0-required"]
    admin.post(reverse("action_edit", args=[action.pk]), data)
    change = changes_of(history_of(action)[0])["Parameters schema"]
    assert change.summary == "added arrival_date; made optional booking_reference"
    assert any(line.startswith("+") and "arrival_date" in line for line in change.diff)


def test_a_channel_change_of_action_is_named_not_numbered(admin):
    action = make_action()
    other = make_channel(name="marketing")
    admin.post(reverse("action_edit", args=[action.pk]), action_data(action, channel=other.pk))
    change = changes_of(history_of(action)[0])["Channel"]
    assert (change.old, change.new) == ("customer_notifications", "marketing")


def test_duplicating_and_toggling_an_action_give_their_reasons(admin):
    action = make_action()
    admin.post(reverse("action_toggle", args=[action.pk]))
    admin.post(reverse("action_toggle", args=[action.pk]))
    admin.post(reverse("action_duplicate", args=[action.pk]))

    enabled, disabled = history_of(action)[:2]
    assert (enabled.reason, disabled.reason) == ("Enabled", "Disabled")
    assert changes_of(disabled)["Enabled"].new == "no"
    copy = SendTextAction.objects.exclude(pk=action.pk).get()
    created = history_of(copy)[0]
    assert created.kind == "created"
    assert created.reason == "Duplicated from send_booking_confirmation"


def test_making_a_handoff_the_default_records_the_other_one_losing_it(admin, admin_user):
    first = make_handoff("agent_queue")
    second = make_handoff("escalation_handoff")
    admin.post(reverse("handoff_edit", args=[second.pk]), handoff_data(second, is_default="on"))

    lost = history_of(first)[0]
    assert lost.who == "admin"
    assert lost.reason == "“escalation_handoff” became the default"
    assert changes_of(lost)["Is default"].new == "no"
    assert changes_of(history_of(second)[0])["Is default"].new == "yes"


def test_an_agents_actions_and_handoffs_changes_are_recorded(admin):
    action = make_action()
    handoff = make_handoff()
    agent = Agent.objects.create(name="booking_bot")
    url = reverse("agent_edit", args=[agent.pk])

    admin.post(url, {"name": "booking_bot", "actions": [action.pk], "handoffs": [handoff.pk]})
    added = history_of(agent)[0]
    assert added.who == "admin"
    assert changes_of(added)["Actions"].summary == "added send_booking_confirmation"
    assert changes_of(added)["Handoffs"].summary == "added agent_queue"

    admin.post(url, {"name": "booking_bot", "handoffs": [handoff.pk]})
    removed = history_of(agent)[0]
    assert changes_of(removed)["Actions"].summary == "removed send_booking_confirmation"
    assert "Handoffs" not in changes_of(removed)
    # One form save is one entry, though the row and each relation are recorded apart.
    assert [e.kind for e in history_of(agent)] == ["changed", "changed", "created"]


def test_a_deleted_action_is_still_named_in_an_agents_history(admin):
    action = make_action()
    agent = Agent.objects.create(name="booking_bot")
    url = reverse("agent_edit", args=[agent.pk])
    admin.post(url, {"name": "booking_bot", "actions": [action.pk]})
    admin.post(url, {"name": "booking_bot"})
    action.delete()
    change = changes_of(history_of(agent)[0])["Actions"]
    assert change.summary == "removed send_booking_confirmation (deleted)"


# --- Secrets never reach the history -------------------------------------------------------------


def test_a_channel_token_never_reaches_the_history_though_its_changes_do(admin):
    tokens = ["first-s3cr3t-token", "second-s3cr3t-token"]
    admin.post(reverse("channel_create"), channel_data(auth_token=tokens[0]))
    channel = MessagingChannel.objects.get()
    ciphertexts = [channel.auth_token_encrypted]
    url = reverse("channel_edit", args=[channel.pk])
    admin.post(url, channel_data(auth_token=tokens[1]))
    channel.refresh_from_db()
    ciphertexts.append(channel.auth_token_encrypted)
    admin.post(url, channel_data(provider="console", clear_auth_token="on"))

    stored = every_value_in(MessagingChannel.history.model)
    for secret in tokens + ciphertexts:
        assert secret not in stored
    history_fields = {f.name for f in MessagingChannel.history.model._meta.fields}
    assert "auth_token_encrypted" not in history_fields
    removed, replaced = history_of(channel)[:2]
    assert changes_of(replaced)["Auth token"].summary == "replaced"
    assert changes_of(removed)["Auth token"].summary == "removed"
    assert changes_of(removed)["Provider"].new == "Console"
    page = admin.get(url).content.decode()
    for secret in tokens + ciphertexts:
        assert secret not in page


def test_an_api_keys_hash_is_not_in_its_history(admin):
    agent = Agent.objects.create(name="booking_bot")
    key, plaintext = ApiKey.issue(agent, "sandbox", "front desk")
    admin.post(reverse("agent_key_revoke", args=[agent.pk, key.pk]))

    history_model = ApiKey.history.model
    assert "key_hash" not in {f.name for f in history_model._meta.fields}
    stored = every_value_in(history_model)
    assert key.key_hash not in stored
    assert plaintext not in stored
    revoked, created = history_of(agent)[:2]
    assert created.subject == f"API key {key.prefix}… (Sandbox, front desk)"
    assert created.kind == "created"
    assert (revoked.who, revoked.kind, revoked.subject) == ("admin", "revoked", created.subject)
    records = key.history.all()
    assert [r.history_change_reason for r in records] == ["API key revoked", "API key created"]


# --- Without a request ---------------------------------------------------------------------------


def test_acting_as_sets_the_user_and_the_reason(admin_user):
    with acting_as(admin_user, "Bulk rename"):
        handoff = make_handoff()
    record = handoff.history.get()
    assert (record.history_user, record.history_change_reason) == (admin_user, "Bulk rename")
    assert history_of(handoff)[0].who == "admin"

    handoff.description = "Transfer to the front desk"
    handoff.save()
    assert handoff.history.first().history_user is None
    assert history_of(handoff)[0].who == "system"


def test_a_command_line_import_is_recorded_as_the_configuration_imports(admin_user):
    data = configfile.load(
        "handoffs:\n"
        "  - name: agent_queue\n"
        "    description: Transfer to live agent queue\n"
        "    sip_config: {method: refer, phone_number: '+441234567890'}\n"
    )
    configfile.apply(data)
    handoff = Handoff.objects.get()
    entry = history_of(handoff)[0]
    assert (entry.who, entry.reason) == ("configuration import", audit.IMPORT_REASON)

    configfile.apply(configfile.load(configfile_text_with("Transfer to a person")), user=admin_user)
    entry = history_of(handoff)[0]
    assert (entry.who, entry.reason) == ("admin", audit.IMPORT_REASON)
    assert changes_of(entry)["Description"].new == "Transfer to a person"


def configfile_text_with(description: str) -> str:
    return (
        "handoffs:\n"
        "  - name: agent_queue\n"
        f"    description: {description}\n"
        "    sip_config: {method: refer, phone_number: '+441234567890'}\n"
    )


def test_objects_that_existed_before_the_history_get_a_first_record():
    migration = __import__("actions.migrations.0008_history", fromlist=["_"])
    action = make_action()
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(action)
    for model in (MessagingChannel, SendTextAction, Agent):
        model.history.all().delete()

    migration.record_the_state_when_history_began(apps, None)
    first = history_of(agent)[0]
    assert (first.kind, first.reason) == ("recorded", migration.BASELINE_REASON)
    agent.actions.remove(action)
    change = changes_of(history_of(agent)[0])["Actions"]
    assert change.summary == "removed send_booking_confirmation"


# --- The pages -----------------------------------------------------------------------------------


def edited_objects(admin):
    """Each edit page's object, changed once through its page."""
    action = make_action()
    admin.post(
        reverse("action_edit", args=[action.pk]), action_data(action, description="Texts it.")
    )
    channel = action.channel
    admin.post(
        reverse("channel_edit", args=[channel.pk]),
        channel_data(provider="console", sender="+15005550007"),
    )
    handoff = make_handoff()
    admin.post(
        reverse("handoff_edit", args=[handoff.pk]), handoff_data(handoff, utterance="One moment.")
    )
    agent = Agent.objects.create(name="booking_bot")
    admin.post(reverse("agent_edit", args=[agent.pk]), {"name": "booking_bot", "description": "Hi"})
    return {
        "action_edit": (action, "Description"),
        "channel_edit": (channel, "Sender"),
        "handoff_edit": (handoff, "Utterance"),
        "agent_edit": (agent, "Description"),
    }


@pytest.mark.parametrize("page", ["action_edit", "channel_edit", "handoff_edit", "agent_edit"])
def test_each_edit_page_shows_the_history_with_who_and_what(admin, page):
    obj, field = edited_objects(admin)[page]
    html = admin.get(reverse(page, args=[obj.pk])).content.decode()
    section = html[html.index('<details class="history"') :]
    assert "History" in section
    assert "<strong>admin</strong> changed" in section
    assert f'<span class="history-field">{field}</span>' in section
    assert "Restore this version…" in section  # the version before the change


@pytest.mark.parametrize("page", ["action_create", "channel_create", "handoff_create"])
def test_a_new_objects_page_has_no_history(admin, page):
    assert 'class="history"' not in admin.get(reverse(page)).content.decode()


def test_a_long_history_shows_ten_entries_and_folds_the_rest(admin):
    action = make_action()
    for _ in range(12):
        admin.post(reverse("action_toggle", args=[action.pk]))
    html = admin.get(reverse("action_edit", args=[action.pk])).content.decode()
    older = html[html.index('class="history-older"') :]
    assert html.count('class="history-entry"') == 13
    assert older.count('class="history-entry"') == 3
    assert "3 older changes" in older


def test_a_history_longer_than_the_limit_says_there_is_more(admin):
    action = make_action()
    for _ in range(4):
        admin.post(reverse("action_toggle", args=[action.pk]))
    history = history_of(action, limit=3)
    assert [e.reason for e in history] == ["Enabled", "Disabled", "Enabled"]
    assert history.more
    assert not history_of(action).more


def test_a_builder_sees_the_history_but_no_admin_link(client, builder_user):
    client.force_login(builder_user)
    action = make_action()
    html = client.get(reverse("action_edit", args=[action.pk])).content.decode()
    assert '<details class="history"' in html
    assert "Django admin" not in html


@pytest.mark.parametrize("page", ["action_edit", "channel_edit", "handoff_edit", "agent_edit"])
def test_a_reviewer_cannot_open_an_edit_page_or_its_history(client, reviewer_user, admin, page):
    obj, _ = edited_objects(admin)[page]
    client.force_login(reviewer_user)
    response = client.get(reverse(page, args=[obj.pk]))
    assert response.status_code == 403
    assert "history-entry" not in response.content.decode()


def test_the_try_it_panel_and_a_channel_test_change_nothing_in_the_history(admin):
    action = make_action()
    counts = (action.history.count(), action.channel.history.count())
    admin.post(
        reverse("channel_test", args=[action.channel.pk]),
        {"to": "+447700900123", "environment": "sandbox"},
    )
    admin.post(
        reverse("action_try", args=[action.pk]),
        {"sample_contact": "+447700900123", "sample-booking_reference": "ABC123"},
    )
    assert (action.history.count(), action.channel.history.count()) == counts


# --- The Django admin ----------------------------------------------------------------------------


def test_the_admin_lists_a_deleted_handoff_and_brings_it_back(admin, admin_user):
    handoff = make_handoff("end_call")
    pk = handoff.pk
    admin.post(reverse("handoff_delete", args=[pk]))
    assert not Handoff.objects.filter(pk=pk).exists()

    listing = admin.get(reverse("admin:actions_handoff_deleted")).content.decode()
    assert "end_call" in listing
    assert reverse("admin:actions_handoff_history", args=[pk]) in listing
    version = Handoff.history.filter(id=pk, history_type="+").get()
    url = reverse("admin:actions_handoff_simple_history", args=[pk, version.history_id])
    response = admin.post(
        url,
        {
            "name": "end_call",
            "description": "End the call gracefully",
            "utterance": "",
            "method": "bye",
            "phone_number": "",
            "outbound_endpoint": "",
            "outbound_encryption": "",
            "sip_headers": "[]",
        },
    )
    assert response.status_code == 302
    assert Handoff.objects.get(pk=pk).description == "End the call gracefully"
    recovered = Handoff.history.filter(id=pk).first()
    assert recovered.history_user == admin_user
    listing = admin.get(reverse("admin:actions_handoff_deleted")).content.decode()
    assert f'href="{reverse("admin:actions_handoff_history", args=[pk])}"' not in listing


def test_the_admin_shows_api_keys_read_only_and_without_their_hash(admin):
    agent = Agent.objects.create(name="booking_bot")
    key, _ = ApiKey.issue(agent, "live")
    html = admin.get(reverse("admin:actions_apikey_change", args=[key.pk])).content.decode()
    assert key.key_hash not in html
    assert key.prefix in html
    history = admin.get(reverse("admin:actions_apikey_history", args=[key.pk]))
    assert history.status_code == 200
    assert key.key_hash not in history.content.decode()


# --- Restoring an earlier version -------------------------------------------------------------


def restore_url(obj, record) -> str:
    kind = {MessagingChannel: "channel", SendTextAction: "action", Handoff: "handoff"}.get(
        type(obj), "agent"
    )
    return reverse(f"{kind}_restore", args=[obj.pk, record.history_id])


def test_a_channel_is_restored_after_a_confirmation_keeping_its_current_token(admin):
    admin.post(reverse("channel_create"), channel_data(auth_token="first-token"))
    channel = MessagingChannel.objects.get()
    first = channel.history.earliest()
    admin.post(
        reverse("channel_edit", args=[channel.pk]),
        channel_data(sender="+15005550007", auth_token="second-token", help_text="Acme help"),
    )
    channel.refresh_from_db()
    token_now = channel.auth_token_encrypted

    page = admin.get(restore_url(channel, first)).content.decode()
    assert "Restore messaging channel “customer_notifications” to its version of" in page
    changes = page[page.index('data-testid="restore-changes"') :]
    assert '<span class="history-field">Sender</span>' in changes
    assert "<del>+15005550007</del>" in changes and "<ins>+15005550006</ins>" in changes
    assert "Auth token" not in changes  # secrets are not in the history: kept as they are
    assert "the current ones are kept" in page
    channel.refresh_from_db()
    assert channel.sender == "+15005550007"  # the GET changed nothing

    response = admin.post(restore_url(channel, first))
    assert response.status_code == 302
    assert response.url == reverse("channel_edit", args=[channel.pk])
    channel.refresh_from_db()
    assert (channel.sender, channel.help_text) == ("+15005550006", "")
    assert channel.auth_token_encrypted == token_now
    entry = history_of(channel)[0]
    assert entry.who == "admin" and entry.reason.startswith("Restored the version of ")
    assert sorted(c.label for c in entry.changes) == ["HELP reply", "Sender"]


def test_an_agents_actions_and_handoffs_come_back_with_its_version(admin):
    channel = make_channel()
    booking, reminder = make_action(channel), make_action(channel, name="send_reminder")
    queue = make_handoff()
    agent = Agent.objects.create(name="booking_bot")
    data = {"name": "booking_bot", "description": "Books", "actions": [booking.pk]}
    admin.post(reverse("agent_edit", args=[agent.pk]), {**data, "handoffs": [queue.pk]})
    version = agent.history.latest()
    admin.post(reverse("agent_edit", args=[agent.pk]), {**data, "actions": [reminder.pk]})
    assert set(agent.actions.all()) == {reminder} and not agent.handoffs.exists()

    page = admin.get(restore_url(agent, version)).content.decode()
    assert "added send_booking_confirmation; removed send_reminder" in page
    admin.post(restore_url(agent, version))
    assert set(agent.actions.all()) == {booking}
    assert set(agent.handoffs.all()) == {queue}


def test_a_version_that_no_longer_fits_is_not_restored_and_says_why(admin):
    handoff = make_handoff(name="agent_queue")
    first = handoff.history.earliest()
    handoff.name = "sales_queue"
    handoff.save()
    make_handoff(name="agent_queue")  # the old name is taken since

    page = admin.get(restore_url(handoff, first)).content.decode()
    assert "This version cannot be restored as it is:" in page
    assert "Name: Handoff with this Name already exists." in page
    assert "Restore this version</button>" not in page
    admin.post(restore_url(handoff, first))
    handoff.refresh_from_db()
    assert handoff.name == "sales_queue"


def test_the_current_version_and_other_objects_versions_are_not_restorable(admin):
    action = make_action(make_channel())
    other = make_action(action.channel, name="send_reminder")
    current = action.history.latest()
    page = admin.get(restore_url(action, current)).content.decode()
    assert "already as it was then: nothing to restore" in page
    assert "Restore this version</button>" not in page
    # Another action's version, or no version at all, is not this action's: 404.
    assert admin.get(restore_url(action, other.history.latest())).status_code == 404
    assert admin.get(reverse("action_restore", args=[action.pk, 999999])).status_code == 404
    # The page names no restore link for the version the action is in now.
    assert (
        "Restore this version…"
        not in admin.get(reverse("action_edit", args=[action.pk])).content.decode()
    )
