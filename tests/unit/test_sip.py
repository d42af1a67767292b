"""Handoff rules, instructions, TwiML and Vapi destinations (actions.sip and Handoff.clean)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from actions.handoffs import sip
from actions.models import Handoff
from tests.factories import make_handoff


def handoff(**fields) -> Handoff:
    values = {"name": "agent_queue", "description": "Transfer to live agent queue"}
    values.update(fields)
    return Handoff(**values)


def errors_of(h: Handoff) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        h.clean()
    return caught.value.message_dict


# --- methods and their fields ----------------------------------------------------------
def test_a_refer_needs_a_phone_number():
    assert "phone_number" in errors_of(handoff(method="refer"))


def test_a_refer_number_is_normalised_to_e164():
    h = handoff(method="refer", phone_number="+44 (0)1234 567890".replace("(0)", ""))
    h.clean()
    assert h.phone_number == "+441234567890"


def test_a_number_that_is_not_a_number_is_refused_on_its_field():
    assert (
        "not a phone number"
        in errors_of(handoff(method="refer", phone_number="call me"))["phone_number"][0]
    )


def test_a_number_with_the_wrong_length_is_refused():
    assert "phone_number" in errors_of(handoff(method="refer", phone_number="+4412"))


def test_a_bye_with_a_phone_number_is_refused_on_the_phone_number():
    errors = errors_of(handoff(method="bye", phone_number="+441234567890"))
    assert errors["phone_number"] == ["A bye ends the call: it has no phone number."]


def test_a_bye_with_an_endpoint_is_refused():
    assert "outbound_endpoint" in errors_of(handoff(method="bye", outbound_endpoint="sip.a.com"))


def test_a_bye_needs_nothing_else():
    h = handoff(method="bye")
    h.clean()
    assert (h.phone_number, h.outbound_endpoint, h.outbound_encryption) == ("", "", "")


def test_an_invite_without_an_endpoint_is_refused_on_the_endpoint():
    errors = errors_of(handoff(method="invite", phone_number="+15551234567"))
    assert list(errors) == ["outbound_endpoint"]


def test_an_invite_without_a_number_is_refused_on_the_number():
    errors = errors_of(handoff(method="invite", outbound_endpoint="sip.example.com"))
    assert list(errors) == ["phone_number"]


def test_an_invite_defaults_to_encrypted_media():
    h = handoff(method="invite", phone_number="+15551234567", outbound_endpoint="SIP.Example.com")
    h.clean()
    assert h.outbound_encryption == "TLS/SRTP"
    assert h.outbound_endpoint == "sip.example.com"


def test_an_unknown_encryption_is_refused():
    h = handoff(
        method="invite",
        phone_number="+15551234567",
        outbound_endpoint="sip.example.com",
        outbound_encryption="ROT13",
    )
    assert "outbound_encryption" in errors_of(h)


def test_a_refer_with_an_endpoint_is_refused():
    h = handoff(method="refer", phone_number="+15551234567", outbound_endpoint="sip.example.com")
    assert "outbound_endpoint" in errors_of(h)


def test_an_unknown_method_is_refused_on_the_method():
    assert "method" in errors_of(handoff(method="transfer"))


def test_a_description_is_required():
    assert "description" in errors_of(handoff(method="bye", description="  "))


@pytest.mark.parametrize(
    "endpoint",
    [
        "sip.example.com",
        "sip.example.com:5061",
        "203.0.113.5",
        "203.0.113.5:5060",
        "[2001:db8::1]:5061",
        "pbx",
    ],
)
def test_valid_endpoints_are_accepted(endpoint):
    assert sip.normalise_endpoint(endpoint) == endpoint.lower()


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("sip:agent@example.com", "without “sip:”"),
        ("example.com:99999", "out of range"),
        ("exa mple.com", "not a host"),
        ("-bad-.example.com", "not a host"),
        ("999.1.1.1", "not a valid IPv4"),
        ("example.com/path", "not a host"),
    ],
)
def test_invalid_endpoints_are_refused_with_a_reason(endpoint, says):
    with pytest.raises(ValidationError) as caught:
        sip.normalise_endpoint(endpoint)
    assert says in caught.value.messages[0]


# --- SIP headers -----------------------------------------------------------------------
def header_errors(headers) -> list[str]:
    return errors_of(handoff(method="bye", sip_headers=headers))["sip_headers"]


def test_a_valid_header_is_kept_and_trimmed():
    h = handoff(method="bye", sip_headers=[{"key": " X-Reason ", "value": " escalation "}])
    h.clean()
    assert h.sip_headers == [{"key": "X-Reason", "value": "escalation"}]


def test_a_header_value_with_a_newline_is_refused():
    problems = header_errors([{"key": "X-Reason", "value": "a\r\nVia: evil"}])
    assert problems == [
        "Header 1: The value of X-Reason must be on one line: no line breaks or NUL characters."
    ]


def test_a_header_value_with_nul_is_refused():
    assert "one line" in header_errors([{"key": "X-Reason", "value": "a\0b"}])[0]


@pytest.mark.parametrize(
    "name", ["Via", "call-id", "CSeq", "Contact", "Refer-To", "From", "To", "i"]
)
def test_reserved_headers_are_refused(name):
    assert "set by the SIP stack" in header_errors([{"key": name, "value": "x"}])[0]


@pytest.mark.parametrize("name", ["X Reason", "X-Reason:", "Ré", "X-Re\nason", ""])
def test_header_names_must_be_sip_tokens(name):
    problem = header_errors([{"key": name, "value": "x"}])[0]
    assert "not a valid SIP header name" in problem or "Give the header a name" in problem


def test_a_header_value_over_256_characters_is_refused():
    assert "longer than 256" in header_errors([{"key": "X-Long", "value": "v" * 257}])[0]


def test_a_header_value_of_256_characters_is_accepted():
    h = handoff(method="bye", sip_headers=[{"key": "X-Long", "value": "v" * 256}])
    h.clean()


def test_more_than_20_headers_are_refused():
    headers = [{"key": f"X-H{n}", "value": "v"} for n in range(21)]
    assert header_errors(headers) == ["At most 20 SIP headers; there are 21."]


def test_the_same_header_twice_is_refused():
    headers = [{"key": "X-Reason", "value": "a"}, {"key": "x-reason", "value": "b"}]
    assert "already header 1" in header_errors(headers)[0]


def test_every_header_problem_is_reported_with_its_row():
    headers = [
        {"key": "Via", "value": "x"},
        {"key": "X-Ok", "value": "ok"},
        {"key": "X-B", "value": ""},
    ]
    problems = header_errors(headers)
    assert [p.split(":")[0] for p in problems] == ["Header 1", "Header 3"]


def test_headers_of_the_wrong_shape_are_refused():
    assert header_errors({"X-Reason": "x"}) == [
        'SIP headers must be a list of {"key": …, "value": …} pairs.'
    ]
    assert "must be" in header_errors([["X-Reason", "x"]])[0]


def test_a_header_without_an_x_prefix_is_a_warning_not_an_error():
    h = handoff(method="bye", sip_headers=[{"key": "User-to-User", "value": "abc"}])
    h.clean()
    assert "no X- prefix" in sip.header_warnings(h.sip_headers)[0]
    assert sip.header_warnings([{"key": "X-Reason", "value": "x"}]) == []


# --- the default ------------------------------------------------------------------------
@pytest.mark.django_db
def test_making_a_handoff_default_undefaults_the_other():
    first = make_handoff("agent_queue")
    second = make_handoff("escalation_handoff", is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


@pytest.mark.django_db
def test_the_database_refuses_two_defaults():
    make_handoff("agent_queue")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Past save()'s un-defaulting, as a concurrent writer would be.
        Handoff.objects.bulk_create(
            [Handoff(name="other", description="x", method="bye", is_default=True)]
        )


# --- what a handoff becomes -------------------------------------------------------------
@pytest.fixture
def escalation():
    h = handoff(
        name="escalation_handoff",
        method="refer",
        phone_number="+15551234567",
        sip_headers=[{"key": "X-Reason", "value": "escalation"}],
    )
    h.clean()
    return h


@pytest.fixture
def invite():
    h = handoff(
        name="overflow",
        method="invite",
        phone_number="+15551234567",
        outbound_endpoint="sip.example.com:5061",
        sip_headers=[
            {"key": "X-Reason", "value": "after hours"},
            {"key": "X-Queue", "value": "a&b"},
        ],
        utterance="Connecting you now.",
    )
    h.clean()
    return h


def test_the_refer_instruction(escalation):
    assert sip.instruction(escalation) == {
        "method": "refer",
        "phone_number": "+15551234567",
        "outbound_endpoint": None,
        "outbound_encryption": None,
        "sip_headers": [{"key": "X-Reason", "value": "escalation"}],
    }


def test_the_refer_twiml_on_a_sip_leg_carries_headers_as_uri_parameters(escalation):
    assert sip.twiml(escalation) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Refer>'
        "<Sip>tel:+15551234567?X-Reason=escalation</Sip></Refer></Response>"
    )


def test_the_refer_twiml_on_a_phone_leg_dials_the_number(escalation):
    assert sip.twiml(escalation, sip_leg=False) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>'
        "<Number>+15551234567</Number></Dial></Response>"
    )


def test_the_invite_instruction_and_twiml(invite):
    assert sip.instruction(invite)["outbound_endpoint"] == "sip.example.com:5061"
    assert sip.instruction(invite)["outbound_encryption"] == "TLS/SRTP"
    assert sip.twiml(invite) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>'
        "sip:+15551234567@sip.example.com:5061;transport=tls"
        "?X-Reason=after%20hours&amp;X-Queue=a%26b</Sip></Dial></Response>"
    )


def test_an_unencrypted_invite_uses_udp():
    h = handoff(
        method="invite",
        phone_number="+15551234567",
        outbound_endpoint="203.0.113.5",
        outbound_encryption="UDP/RTP",
    )
    h.clean()
    assert "sip:+15551234567@203.0.113.5;transport=udp</Sip>" in sip.twiml(h)


def test_the_bye_instruction_and_twiml():
    h = handoff(name="end_call", method="bye")
    h.clean()
    assert sip.instruction(h) == {
        "method": "bye",
        "phone_number": None,
        "outbound_endpoint": None,
        "outbound_encryption": None,
        "sip_headers": [],
    }
    assert sip.twiml(h) == '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>'


def test_vapi_destinations(escalation, invite):
    assert sip.vapi_destination(escalation) == {"type": "number", "number": "+15551234567"}
    assert sip.vapi_destination(invite) == {
        "type": "sip",
        "sipUri": "sip:+15551234567@sip.example.com:5061;transport=tls",
        "sipHeaders": {"X-Reason": "after hours", "X-Queue": "a&b"},
        "message": "Connecting you now.",
    }
    assert sip.vapi_destination(handoff(method="bye")) is None


@pytest.mark.django_db
def test_the_admin_site_refuses_what_the_builder_refuses(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/actions/handoff/add/",
        {
            "name": "end_call",
            "description": "End the call gracefully",
            "method": "bye",
            "phone_number": "+441234567890",
            "sip_headers": '[{"key": "Via", "value": "x"}]',
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A bye ends the call: it has no phone number." in page
    assert "set by the SIP stack" in page
    assert not Handoff.objects.exists()
