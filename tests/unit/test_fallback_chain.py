"""A handoff's fallback chain at the edges: the rules at save, the SIP instruction that carries
the chain and the hours to a telephony side following it itself, the forms, and the
configuration file (export -> import -> export identical)."""

import json

import pytest
from django.core.exceptions import ValidationError

from actions import configfile
from actions.models import Agent, ApiKey, Handoff
from tests.factories import make_handoff

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales():
    make_handoff("support", description="Support line", phone_number="+15550000002")
    return make_handoff("sales", description="Sales", fallbacks=["support"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fallbacks": ["nobody"]}, "There is no handoff named nobody."),
        ({"fallbacks": ["sales2"]}, "A handoff cannot be its own fallback."),
        ({"fallbacks": ["support", "support"]}, "Each fallback once."),
        ({"fallback_on": ["answered"]}, "Move on after any of: busy, no-answer"),
    ],
)
def test_wrong_fallbacks_are_refused_naming_the_field(sales, fields, message):
    with pytest.raises(ValidationError) as refused:
        make_handoff("sales2", description="Sales 2", **fields)
    [(field, [text])] = refused.value.message_dict.items()
    assert field in fields and text.startswith(message)


def test_the_instruction_carries_the_chain_and_the_hours(client, sales):
    sales.hours = {"time_zone": "UTC", "weekly": {d: ["00:00-00:00"] for d in ("mon", "tue",
                   "wed", "thu", "fri", "sat", "sun")}}  # fmt: skip
    sales.save()
    agent = Agent.objects.create(name="booking_bot")
    agent.handoffs.add(sales)
    key = ApiKey.issue(agent, "sandbox")[1]
    answer = client.post(
        "/api/v1/handoffs/sales/invoke", json.dumps({}), content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    ).json()  # fmt: skip
    assert answer["sip"]["fallbacks"] == [
        {
            "handoff": "support",
            "method": "refer",
            "phone_number": "+15550000002",
            "outbound_endpoint": None,
            "outbound_encryption": None,
            "sip_headers": [],
        }
    ]
    assert answer["sip"]["fallback_on"] == ["busy", "no-answer", "failed", "declined"]
    assert answer["sip"]["hours"]["time_zone"] == "UTC"


def test_the_form_takes_fallbacks_in_order_and_the_outcomes(admin_client, sales):
    make_handoff("voicemail", description="Voicemail", phone_number="+15550000003")
    data = {
        "name": "sales", "description": "Sales", "method": "refer",
        "phone_number": "+441234567890", "fallbacks": "voicemail, support",
        "fallback_on": ["busy", "no-answer"],
    }  # fmt: skip
    assert admin_client.post(f"/handoffs/{sales.pk}/", data).status_code == 302
    sales.refresh_from_db()
    assert (sales.fallbacks, sales.fallback_on) == (["voicemail", "support"], ["busy", "no-answer"])


def test_the_agents_return_url_and_the_chain_round_trip_through_the_file(sales):
    agent = Agent.objects.create(
        name="booking_bot", return_url="https://agent.example.com/twiml/return"
    )
    agent.handoffs.add(sales)
    Handoff.objects.filter(pk=sales.pk).update(fallback_on=["busy"])
    exported = configfile.export_config()
    assert "return_url: https://agent.example.com/twiml/return" in exported
    assert "fallbacks:\n      - support" in exported and "fallback_on:\n      - busy" in exported
    Agent.objects.all().delete()
    Handoff.objects.all().delete()
    configfile.apply(configfile.load(exported))
    assert Handoff.objects.get(name="sales").fallbacks == ["support"]
    assert configfile.export_config() == exported


def test_a_fallback_named_nowhere_is_a_problem_at_its_place():
    text = """
handoffs:
  - name: sales
    description: Sales
    sip_config: {method: refer, phone_number: "+441234567890"}
    fallbacks: [nobody]
"""
    with pytest.raises(configfile.ConfigError) as refused:
        configfile.apply(configfile.load(text))
    assert "handoffs[0].fallbacks[0]: there is no handoff named 'nobody'" in str(refused.value)
