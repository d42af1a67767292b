"""A handoff's transfer settings (cold or warm, whisper, caller ID, digits) at the edges: the
rules at save, the form, the whisper callbacks' signatures, the configuration file."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from twilio.request_validator import RequestValidator

from actions import configfile
from actions.models import Agent, Handoff, HandoffLog
from tests.factories import make_handoff

pytestmark = pytest.mark.django_db

WARM = {"mode": "warm", "summary_header": "X-Transfer-Summary", "whisper": True,
        "caller_id": "caller", "send_digits": "ww123"}  # fmt: skip


@pytest.mark.parametrize(
    ("transfer", "key"),
    [
        ({"mode": "lukewarm"}, "mode"),
        ({"mode": "warm", "summary_header": "Summary"}, "summary_header"),
        ({"caller_id": "boss"}, "caller_id"),
        ({"send_digits": "12ab"}, "send_digits"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_wrong_transfer_settings_are_refused_naming_the_key(transfer, key):
    with pytest.raises(ValidationError) as refused:
        make_handoff("sales", description="Sales", transfer=transfer)
    assert refused.value.message_dict["transfer"][0].startswith(f"{key}: ")


def test_the_form_saves_a_warm_transfer(admin_client):
    handoff = make_handoff("sales", description="Sales")
    data = {
        "name": "sales", "description": "Sales", "method": "refer",
        "phone_number": "+441234567890", "transfer_mode": "warm",
        "transfer_summary_header": "X-Transfer-Summary", "transfer_whisper": "on",
        "transfer_caller_id": "caller", "transfer_send_digits": "ww123",
    }  # fmt: skip
    assert admin_client.post(f"/handoffs/{handoff.pk}/", data).status_code == 302
    handoff.refresh_from_db()
    assert handoff.transfer == WARM


def test_the_transfer_round_trips_through_the_file():
    make_handoff("sales", description="Sales", transfer=WARM)
    exported = configfile.export_config()
    assert "transfer:\n      mode: warm" in exported
    Handoff.objects.all().delete()
    configfile.apply(configfile.load(exported))
    assert Handoff.objects.get().transfer == WARM
    assert configfile.export_config() == exported


def test_the_whisper_callbacks_need_twilios_signature(client, settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "a" * 32, "t" * 32
    log = HandoffLog.objects.create(
        handoff_name="sales", agent=Agent.objects.create(name="bot"), summary="Ann, an upgrade"
    )
    path = reverse("twilio_whisper", args=[log.pk])
    assert client.post(path, {}).status_code == 403
    signature = RequestValidator("t" * 32).compute_signature(settings.PUBLIC_BASE_URL + path, {})
    whisper = client.post(path, {}, headers={"X-Twilio-Signature": signature})
    assert "Ann, an upgrade" in whisper.content.decode()
    answer = reverse("twilio_whisper_answer", args=[log.pk])
    params = {"Digits": "9"}
    signature = RequestValidator("t" * 32).compute_signature(
        settings.PUBLIC_BASE_URL + answer, params
    )
    declined = client.post(answer, params, headers={"X-Twilio-Signature": signature})
    assert declined.content.decode().endswith("<Hangup /></Response>")
    log.refresh_from_db()
    assert log.whisper_declined


def test_header_values_are_templates_over_the_calls_variables(client):
    from actions.models import ApiKey

    handoff = make_handoff(
        "sales",
        description="Sales",
        sip_headers=[
            {"key": "X-Customer", "value": "{{ .variables.customer_id }}"},
            {"key": "X-Tier", "value": "{{ .variables.tier }}"},  # not sent: left out
        ],
        transfer={"mode": "warm"},
    )
    agent = Agent.objects.create(name="bot")
    agent.handoffs.add(handoff)
    key = ApiKey.issue(agent, "sandbox")[1]
    answer = client.post(
        "/api/v1/handoffs/sales/invoke",
        {"variables": {"customer_id": "C-42"}, "summary": "Wants an upgrade"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    assert answer["sip"]["sip_headers"] == [
        {"key": "X-Customer", "value": "C-42"},
        {"key": "X-Transfer-Summary", "value": "Wants an upgrade"},
    ]
    assert HandoffLog.objects.get().instruction["sip_headers"] == answer["sip"]["sip_headers"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("{{ .variables.x", "not a valid template"), ("{{ .parameters.x }}", "reads .parameters.x")],
)
def test_a_header_template_that_cannot_work_is_refused_at_save(value, fragment):
    with pytest.raises(ValidationError) as refused:
        make_handoff("sales", description="Sales", sip_headers=[{"key": "X-A", "value": value}])
    assert fragment in refused.value.message_dict["sip_headers"][0]
