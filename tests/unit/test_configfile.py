import json
import textwrap
import time

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from actions import configfile
from actions.channels import credentials
from actions.configfile import ConfigError, Problem, loading
from actions.messaging.forms import SendTextActionForm
from actions.models import Agent, ApiKey, Handoff, MessagingChannel, SendTextAction
from tests.factories import DOCUMENTED_HANDOFFS, make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


@pytest.fixture
def twilio_env(settings):
    """Twilio credentials from the environment, as a deployment that keeps them out of the
    database has them: imported Twilio channels need them."""
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = "environment-token"


def yaml_text(source: str) -> str:
    return textwrap.dedent(source).lstrip()


def counts() -> dict[str, int]:
    return {
        "channels": MessagingChannel.objects.count(),
        "actions": SendTextAction.objects.count(),
        "handoffs": Handoff.objects.count(),
        "agents": Agent.objects.count(),
    }


def problems_of(text: str, prune: bool = False) -> list[str]:
    """Every problem importing `text` reports; the database must be left as it was."""
    before = counts()
    with pytest.raises(ConfigError) as caught:
        configfile.apply(configfile.load(text), prune=prune)
    assert counts() == before
    return [str(p) for p in caught.value.problems]


def wipe() -> None:
    Agent.objects.all().delete()
    SendTextAction.objects.all().delete()
    Handoff.objects.all().delete()
    MessagingChannel.objects.all().delete()


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]


DESIGN_EXAMPLE = yaml_text(
    """
    channels:
      - name: customer_notifications
        provider: twilio            # or console
        sender: "+15005550006"      # E.164 number, or a Messaging Service SID "MG…"
        env_senders: {sandbox: "+441111111111", pre_release: "+442222222222", live: "+443333333333"}
    actions:
      - name: send_booking_confirmation
        description: Sends a booking confirmation SMS to the caller. Use after the caller has confirmed their booking details.
        channel: customer_notifications
        recipient: contact                                   # or: {template: "{{ .parameters.phone_number }}"}
        parameters: {type: object, properties: {booking_reference: {type: string, description: The booking reference number}}, required: [booking_reference]}
        message: "Hi, your booking is confirmed! Reference: {{ .parameters.booking_reference }}."   # omit or "" -> auto message parameter
        require_consent: false
        fallback_handoff: agent_queue
    handoffs:                      # the same schema as a PolyAI config/handoffs.yaml
      - name: agent_queue
        description: Transfer to live agent queue
        is_default: true
        sip_config: {method: refer, phone_number: "+441234567890"}
        sip_headers: [{key: X-Reason, value: escalation}]
    agents:
      - name: booking_bot
        actions: [send_booking_confirmation]
        handoffs: [agent_queue]
    """  # noqa: E501
)

# DESIGN_EXAMPLE as export writes it: every key, in the documented order.
DESIGN_EXAMPLE_EXPORTED = yaml_text(
    """
    channels:
      - name: customer_notifications
        provider: twilio
        sender: '+15005550006'
        env_senders:
          sandbox: '+441111111111'
          pre_release: '+442222222222'
          live: '+443333333333'
    actions:
      - name: send_booking_confirmation
        description: Sends a booking confirmation SMS to the caller. Use after the caller has confirmed their booking details.
        channel: customer_notifications
        recipient: contact
        parameters:
          type: object
          properties:
            booking_reference:
              type: string
              description: The booking reference number
          required:
            - booking_reference
        message: 'Hi, your booking is confirmed! Reference: {{ .parameters.booking_reference }}.'
        max_segments: 10
        ask_for_number: false
        require_consent: false
        fallback_handoff: agent_queue
        enabled: true
    handoffs:
      - name: agent_queue
        description: Transfer to live agent queue
        is_default: true
        sip_config:
          method: refer
          phone_number: '+441234567890'
        sip_headers:
          - key: X-Reason
            value: escalation
        utterance: ''
    agents:
      - name: booking_bot
        description: ''
        actions:
          - send_booking_confirmation
        handoffs:
          - agent_queue
    """  # noqa: E501
)


def build_setup():
    """A configuration using every field: both providers, all three methods, agents."""
    notifications = make_channel(
        sender_sandbox="+441111111111",
        sender_pre_release="+442222222222",
        sender_live="+443333333333",
    )
    reminders = MessagingChannel(
        name="reminders", provider="twilio", sender="+15005550007", account_sid=ACCOUNT_SID
    )
    reminders.set_auth_token("stored-token")
    reminders.full_clean()
    reminders.save()
    queue = make_handoff("agent_queue", utterance="Let me connect you now.")
    make_handoff("escalation_handoff")
    make_handoff("end_call")
    make_handoff(
        "sip_desk",
        description="Call out to the help desk's SIP trunk",
        method="invite",
        phone_number="+15557654321",
        outbound_endpoint="sip.example.com:5061",
        outbound_encryption="UDP/RTP",
        sip_headers=[{"key": "X-Team", "value": "desk"}, {"key": "X-Priority", "value": "2"}],
    )
    confirmation = make_action(notifications, fallback_handoff=queue, require_consent=True)
    summary = make_action(
        reminders,
        name="send_summary_sms",
        description="Texts the caller a summary of the call, written by the agent.",
        message_template="",
        parameters_schema={"type": "object", "properties": {}, "required": []},
    )
    make_action(
        notifications,
        name="send_to_a_friend",
        description="Sends the booking link to a number the caller gives.",
        recipient_mode="custom",
        recipient_template="{{ .parameters.phone_number }}",
        parameters_schema={
            "type": "object",
            "properties": {
                "phone_number": {"type": "string", "pattern": "^\\+[1-9][0-9]{6,14}$"},
                "size": {"type": "string", "enum": ["small", "large"], "default": "small"},
            },
            "required": ["phone_number"],
        },
        message_template="Your friend sent you a booking link:\nhttps://book.example.com",
        enabled=False,
    )
    bot = Agent.objects.create(name="booking_bot", description="The booking line's agent")
    bot.actions.add(confirmation, summary)
    bot.handoffs.add(queue, Handoff.objects.get(name="end_call"))
    Agent.objects.create(name="idle_bot")
    return bot


# --- Round trip, idempotence ---------------------------------------------------------------------


def test_export_import_export_gives_the_identical_file(twilio_env):
    build_setup()
    exported = configfile.export_config()
    wipe()

    plan = configfile.apply(configfile.load(exported))

    assert plan.counts == {"create": 11, "update": 0, "delete": 0}
    assert configfile.export_config() == exported


def test_export_writes_the_documented_format_in_its_key_order(twilio_env):
    channel = make_channel(
        provider="twilio",
        sender_sandbox="+441111111111",
        sender_pre_release="+442222222222",
        sender_live="+443333333333",
    )
    queue = make_handoff("agent_queue", sip_headers=[{"key": "X-Reason", "value": "escalation"}])
    action = make_action(
        channel,
        message_template="Hi, your booking is confirmed! Reference: "
        "{{ .parameters.booking_reference }}.",
        fallback_handoff=queue,
    )
    Agent.objects.create(name="booking_bot").actions.add(action)
    Agent.objects.get().handoffs.add(queue)

    assert configfile.export_config() == DESIGN_EXAMPLE_EXPORTED


def test_the_design_example_imports_and_exports_as_documented(twilio_env):
    plan = configfile.apply(configfile.load(DESIGN_EXAMPLE))

    assert [(c.kind, c.section, c.name) for c in plan.changes] == [
        ("create", "channels", "customer_notifications"),
        ("create", "actions", "send_booking_confirmation"),
        ("create", "handoffs", "agent_queue"),
        ("create", "agents", "booking_bot"),
    ]
    assert configfile.export_config() == DESIGN_EXAMPLE_EXPORTED


def test_export_leaves_out_credentials_and_api_keys(twilio_env):
    bot = build_setup()
    _, key = ApiKey.issue(bot, "live")

    exported = configfile.export_config()

    assert ACCOUNT_SID not in exported
    assert "account_sid" not in exported
    assert "token" not in exported
    assert MessagingChannel.objects.get(name="reminders").auth_token_encrypted not in exported
    assert key not in exported and key[:10] not in exported


def test_importing_the_same_file_twice_writes_nothing_the_second_time(twilio_env):
    build_setup()
    exported = configfile.export_config()
    wipe()
    configfile.apply(configfile.load(exported))
    stamps = sorted(SendTextAction.objects.values_list("name", "updated_at"))

    with CaptureQueriesContext(connection) as queries:
        second = configfile.apply(configfile.load(exported))

    assert second.is_empty
    assert writes(queries.captured_queries) == []
    assert sorted(SendTextAction.objects.values_list("name", "updated_at")) == stamps


def test_an_unchanged_database_plans_nothing_and_saves_nothing(twilio_env, monkeypatch):
    build_setup()
    exported = configfile.export_config()
    saved = []
    for model in (MessagingChannel, SendTextAction, Handoff, Agent):
        original = model.save

        def spy(self, *args, _original=original, **kwargs):
            saved.append(self.name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(model, "save", spy)

    assert configfile.plan(configfile.load(exported)).is_empty
    assert configfile.apply(configfile.load(exported), prune=True).is_empty
    assert saved == []


def test_an_update_lists_only_the_fields_that_change(twilio_env):
    configfile.apply(configfile.load(DESIGN_EXAMPLE))
    changed = DESIGN_EXAMPLE.replace("require_consent: false", "require_consent: true").replace(
        'live: "+443333333333"', 'live: "+44 3333 333334"'
    )

    plan = configfile.plan(configfile.load(changed))

    assert [(c.kind, c.name, c.fields) for c in plan.changes] == [
        (
            "update",
            "customer_notifications",
            [configfile.FieldChange("env_senders.live", "+443333333333", "+443333333334")],
        ),
        (
            "update",
            "send_booking_confirmation",
            [configfile.FieldChange("require_consent", False, True)],
        ),
    ]
    assert plan.counts == {"create": 0, "update": 2, "delete": 0}
    assert MessagingChannel.objects.get().sender_live == "+443333333333"  # plan writes nothing


def test_updating_a_channel_keeps_its_stored_credentials():
    channel = MessagingChannel(
        name="customer_notifications",
        provider="twilio",
        sender="+15005550006",
        account_sid=ACCOUNT_SID,
    )
    channel.set_auth_token("stored-token")
    channel.full_clean()
    channel.save()
    token = channel.auth_token_encrypted
    text = yaml_text(
        """
        channels:
          - name: customer_notifications
            provider: twilio
            sender: "+15005550006"
            env_senders: {live: "+443333333333"}
        """
    )

    plan = configfile.apply(configfile.load(text))

    channel.refresh_from_db()
    assert [c.kind for c in plan.changes] == ["update"]
    assert channel.sender_live == "+443333333333"
    assert channel.auth_token_encrypted == token
    assert channel.account_sid == ACCOUNT_SID
    assert credentials.for_channel(channel) == (ACCOUNT_SID, "stored-token")


def test_absent_keys_take_their_defaults():
    make_channel()
    text = yaml_text(
        """
        actions:
          - name: send_summary_sms
            description: Texts the caller a summary of the call.
            channel: customer_notifications
        """
    )

    configfile.apply(configfile.load(text))

    action = SendTextAction.objects.get()
    assert action.recipient_mode == "contact"
    assert action.parameters_schema == {"type": "object", "properties": {}, "required": []}
    assert action.message_template == ""
    assert action.enabled is True
    assert action.require_consent is False
    assert action.fallback_handoff is None


# --- All or nothing ------------------------------------------------------------------------------


def test_an_invalid_last_item_leaves_the_database_untouched():
    text = yaml_text(
        """
        channels:
          - {name: first_channel, provider: console, sender: "+15005550006"}
          - {name: second_channel, provider: console, sender: "+15005550007"}
        handoffs:
          - {name: agent_queue, description: The queue, sip_config: {method: bye}}
        actions:
          - name: first_action
            description: The first one.
            channel: first_channel
            message: Hello
          - name: last_action
            description: The last one.
            channel: second_channel
            parameters: {type: string}
        """
    )

    assert problems_of(text) == [
        'actions[1].parameters: The parameters schema must have "type": "object" at the '
        'top, with the parameters under "properties".'
    ]
    assert counts() == {"channels": 0, "actions": 0, "handoffs": 0, "agents": 0}


def test_a_database_error_on_the_last_item_rolls_back_everything(monkeypatch):
    make_channel(name="existing")
    text = yaml_text(
        """
        channels:
          - {name: existing, provider: console, sender: "+15005550009"}
          - {name: second_channel, provider: console, sender: "+15005550007"}
        actions:
          - {name: first_action, description: The first one., channel: second_channel, message: Hi}
          - {name: last_action, description: The last one., channel: existing, message: Hi}
        agents:
          - {name: bot, actions: [first_action, last_action]}
        """
    )
    original = Agent.save

    def failing_save(self, *args, **kwargs):
        if self.name == "bot":
            raise DatabaseError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Agent, "save", failing_save)

    with pytest.raises(DatabaseError):
        configfile.apply(configfile.load(text))

    assert counts() == {"channels": 1, "actions": 0, "handoffs": 0, "agents": 0}
    assert MessagingChannel.objects.get().sender == "+15005550006"


# --- PolyAI --------------------------------------------------------------------------------------

POLYAI_HANDOFFS = yaml_text(
    """
    handoffs:
      - name: agent_queue
        description: Transfer to live agent queue
        is_default: true
        sip_config:
          method: refer
          phone_number: "+441234567890"
      - name: escalation_handoff
        description: Transfer to a live agent for complex issues
        is_default: false
        sip_config:
          method: refer
          phone_number: "+15551234567"
        sip_headers:
          - key: X-Reason
            value: escalation
      - name: end_call
        description: End the call gracefully
        is_default: false
        sip_config:
          method: bye
    """
)

POLYAI_SMS_TEMPLATES = yaml_text(
    """
    sms_templates:
      - name: booking_link
        text: "Here's your booking link: https://book.example.com"
        env_phone_numbers:
          sandbox: "+441111111111"
          pre_release: "+442222222222"
          live: "+443333333333"
    """
)


def test_a_polyai_handoffs_file_imports_as_it_is():
    plan = configfile.apply(configfile.load(POLYAI_HANDOFFS))

    assert [(c.kind, c.name) for c in plan.changes] == [
        ("create", "agent_queue"),
        ("create", "escalation_handoff"),
        ("create", "end_call"),
    ]
    for name, fields in DOCUMENTED_HANDOFFS.items():
        handoff = Handoff.objects.get(name=name)
        expected = {
            "description": fields["description"],
            "is_default": fields.get("is_default", False),
            "method": fields["method"],
            "phone_number": fields.get("phone_number", ""),
            "outbound_endpoint": "",
            "outbound_encryption": "",
            "sip_headers": fields.get("sip_headers", []),
            "utterance": "",
        }
        assert {key: getattr(handoff, key) for key in expected} == expected
    assert counts() == {"channels": 0, "actions": 0, "handoffs": 3, "agents": 0}


def test_polyai_sms_templates_become_actions_on_a_channel_with_their_numbers(twilio_env):
    plan = configfile.apply(configfile.load(POLYAI_SMS_TEMPLATES))

    assert [(c.kind, c.section, c.name) for c in plan.changes] == [
        ("create", "channels", "sms_booking_link"),
        ("create", "actions", "booking_link"),
    ]
    channel = MessagingChannel.objects.get()
    assert (channel.name, channel.provider, channel.sender) == (
        "sms_booking_link",
        "twilio",
        "+443333333333",
    )
    assert [channel.sender_for(e) for e in ("sandbox", "pre_release", "live")] == [
        "+441111111111",
        "+442222222222",
        "+443333333333",
    ]
    action = SendTextAction.objects.get()
    assert action.channel == channel
    assert action.recipient_mode == "contact"
    assert action.message_template == "Here's your booking link: https://book.example.com"
    assert action.description == (
        "Sends the booking link text message to the caller: "
        "“Here's your booking link: https://book.example.com”"
    )
    assert action.enabled and not action.require_consent
    # A second import of the same templates changes nothing.
    assert configfile.plan(configfile.load(POLYAI_SMS_TEMPLATES)).is_empty


def test_polyai_variables_become_template_variables(twilio_env):
    text = yaml_text(
        """
        sms_templates:
          - name: booking_confirmation
            text: "Hi {{vrbl:customer_name}}, your booking for {{ vrbl:booking_date }} is confirmed. Reference: {{vrbl:booking_ref}}"
            env_phone_numbers:
              sandbox: "+15551234567"
              live: "+15559876543"
          - name: verification_code
            text: "Your code is {{vrbl:verification-code}}. It expires in 10 minutes."
        """  # noqa: E501
    )

    configfile.apply(configfile.load(text))

    confirmation = SendTextAction.objects.get(name="booking_confirmation")
    assert confirmation.message_template == (
        "Hi {{ with .variables.customer_name }}{{ . }}{{ end }}, your booking for "
        "{{ with .variables.booking_date }}{{ . }}{{ end }} is confirmed. Reference: "
        "{{ with .variables.booking_ref }}{{ . }}{{ end }}"
    )
    assert confirmation.description == (
        "Sends the booking confirmation text message to the caller: “Hi [customer_name], your "
        "booking for [booking_date] is confirmed. Reference: [booking_ref]”"
    )
    code = SendTextAction.objects.get(name="verification_code")
    assert code.message_template == (
        'Your code is {{ with index .variables "verification-code" }}{{ . }}{{ end }}. It '
        "expires in 10 minutes."
    )
    # A template without numbers goes through the one channel there is, as PolyAI's would.
    assert code.channel == confirmation.channel
    assert confirmation.channel.sender_for("pre_release") == "+15559876543"


def test_polyai_templates_reuse_a_channel_with_the_same_senders():
    channel = make_channel(sender_sandbox="+441111111111", sender_pre_release="+442222222222")
    MessagingChannel.objects.filter(pk=channel.pk).update(sender="+443333333333")
    text = POLYAI_SMS_TEMPLATES.replace("pre_release", "pre-release").replace(
        '"+443333333333"', '"+44 3333 333333"'
    )

    plan = configfile.apply(configfile.load(text))

    assert [(c.kind, c.section) for c in plan.changes] == [("create", "actions")]
    assert SendTextAction.objects.get().channel == channel


def test_polyai_templates_with_other_numbers_update_their_own_channel(twilio_env):
    configfile.apply(configfile.load(POLYAI_SMS_TEMPLATES))
    action = SendTextAction.objects.get()
    action.require_consent = True
    action.save()
    moved = POLYAI_SMS_TEMPLATES.replace("+443333333333", "+443333333330")

    plan = configfile.apply(configfile.load(moved))

    assert [(c.kind, c.name, [f.name for f in c.fields]) for c in plan.changes] == [
        ("update", "sms_booking_link", ["sender", "env_senders.live"]),
    ]
    assert SendTextAction.objects.get().require_consent  # a template has no such setting


def test_polyai_placeholders_without_an_equivalent_are_problems_at_the_text(twilio_env):
    text = yaml_text(
        """
        sms_templates:
          - name: booking_link
            text: "Book at {{fn:booking_url}} or call {{ho:agent_queue}}"
            env_phone_numbers: {live: "+443333333333"}
          - name: other
            txt: "Hello"
            env_phone_numbers: {live: "+443333333333", pre-release: 44}
        """
    )

    assert problems_of(text) == [
        "sms_templates[0].text: {{fn:booking_url}} has no equivalent here: only "
        "{{vrbl:NAME}} placeholders (conversation variables) can be translated, to "
        "{{ .variables.NAME }}",
        "sms_templates[0].text: {{ho:agent_queue}} has no equivalent here: only "
        "{{vrbl:NAME}} placeholders (conversation variables) can be translated, to "
        "{{ .variables.NAME }}",
        "sms_templates[1]: unknown key 'txt' (did you mean 'text'?)",
        "sms_templates[1].env_phone_numbers.pre-release: must be text, not the number 44: put "
        "it in quotes",
    ]


def test_polyai_template_numbers_are_checked_by_the_channel_form_at_their_place(twilio_env):
    text = POLYAI_SMS_TEMPLATES.replace('"+442222222222"', '"+44 22 call"')

    problems = problems_of(text)

    assert problems == [
        "sms_templates[0].env_phone_numbers.pre_release: “+44 22 call” is not a sender: an "
        "alphanumeric sender ID is 1 to 11 letters, digits or spaces with at least one letter "
        "(e.g. Acme Dental); a Messaging Service SID is MG followed by 32 hexadecimal digits."
    ]


def test_polyai_templates_never_prune(twilio_env):
    make_action(name="send_summary_sms")

    configfile.apply(configfile.load(POLYAI_SMS_TEMPLATES), prune=True)

    assert sorted(SendTextAction.objects.values_list("name", flat=True)) == [
        "booking_link",
        "send_summary_sms",
    ]
    assert MessagingChannel.objects.count() == 2


def test_a_polyai_template_without_numbers_needs_a_single_channel_to_go_through():
    make_channel(name="first")
    make_channel(name="second")
    text = 'sms_templates:\n  - {name: verification_code, text: "Code: {{vrbl:code}}"}\n'

    assert problems_of(text) == [
        "sms_templates[0]: has no env_phone_numbers, and there are several channels it could be "
        "sent through (first, second): give its numbers"
    ]


# --- What the file may not be ------------------------------------------------------------------


def test_malformed_yaml_names_the_line_and_column():
    text = "handoffs:\n  - name: agent_queue\n    description: [unclosed\n  - name: x\n"

    assert problems_of(text) == [
        "line 4, column 9: expected ',' or ']', but got ':' (while parsing a flow sequence at "
        "line 3, column 18)"
    ]


def test_a_repeated_key_is_refused_rather_than_silently_replaced():
    text = "handoffs:\n  - name: a\n    name: b\n"

    assert problems_of(text) == [
        "line 3, column 5: the key 'name' is repeated (first at line 2, column 5); "
        "give each key once"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "file: is empty: it should hold channels:, actions:, handoffs:, agents: (or a "
         "PolyAI sms_templates:)"),
        ("- name: a\n", "file: must be a mapping of channels:, actions:, handoffs:, agents: "
         "(or a PolyAI sms_templates:), not a list"),
        ("handoff: []\n", "file: unknown key 'handoff' (did you mean 'handoffs'?)"),
        ("handoffs: {name: a}\n", "handoffs: must be a list of handoffs (mappings), not a mapping"),
        ("handoffs: [agent_queue]\n", "handoffs[0]: must be a mapping, not text"),
        ("x: !!python/object:os.system {}\n", None),
        ("a: \x01\n", "line 1, column 4: special characters are not allowed (U+0001)"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_configuration_is_refused(text, problem):
    problems = problems_of(text)

    if problem is None:
        assert problems[0].startswith("line 1, column 4: could not determine a constructor")
    else:
        assert problems == [problem]


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(ConfigError) as caught:
        configfile.load("handoffs:\n  - name: café\n".encode("latin-1"))

    assert [str(p) for p in caught.value.problems] == [
        "file: is not UTF-8 text (byte 0xe9 on line 2): save it as UTF-8"
    ]


def test_a_10_mb_file_is_refused_before_it_is_parsed(monkeypatch):
    def never(text):
        raise AssertionError("parsed")

    monkeypatch.setattr(loading, "_parse", never)
    big = b"handoffs:\n" + b"  - {name: a, description: b}\n" * 350_000
    assert len(big) > 10_000_000

    started = time.monotonic()
    for text in (big, big.decode()):
        with pytest.raises(ConfigError) as caught:
            configfile.load(text)
        assert [str(p) for p in caught.value.problems] == [
            f"file: is too big ({len(big):,} bytes): a configuration file may be at most "
            "1,048,576 bytes"
        ]
    assert time.monotonic() - started < 1


def test_a_file_of_exactly_the_maximum_size_is_read():
    text = "handoffs: []\n"
    text += "#" * (configfile.MAX_BYTES - len(text) - 1) + "\n"

    assert configfile.load(text.encode()) == {"handoffs": []}
    with pytest.raises(ConfigError):
        configfile.load((text + "#").encode())


def test_aliases_that_expand_beyond_reason_are_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 9):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    lines.append("handoffs: [*a8]")

    assert problems_of("\n".join(lines)) == [
        "file: holds more than 1,000,000 values once its aliases are expanded"
    ]


def test_deep_nesting_is_refused_without_crashing():
    problems = problems_of("handoffs: " + "[" * 100_000)

    assert problems == ["file: is nested too deeply to be read"]


def test_unknown_keys_are_named_with_a_suggestion():
    make_channel()
    text = yaml_text(
        """
        actions:
          - name: first
            description: First.
            channel: customer_notifications
          - name: second
            description: Second.
            channel: customer_notifications
            mesage: Hello
        handoffs:
          - name: agent_queue
            description: Queue
            sip_config: {method: refer, phone_number: "+441234567890", endpoint: x}
        channels:
          - name: other
            provider: console
            sender: "+15005550006"
            auth_token: secret
            env_senders: {pre-release: "+15005550007"}
        agents:
          - {name: bot, api_keys: [x]}
        """
    )

    assert problems_of(text) == [
        "actions[1]: unknown key 'mesage' (did you mean 'message'?)",
        "handoffs[0].sip_config: unknown key 'endpoint' (did you mean 'outbound_endpoint'?)",
        "channels[0]: 'auth_token' is not accepted: the Twilio auth token is a credential, and "
        "credentials are never part of the configuration file: set it on the channel's page or "
        "through TWILIO_AUTH_TOKEN",
        "channels[0].env_senders: unknown key 'pre-release' (did you mean 'pre_release'?)",
        "agents[0]: 'api_keys' is not accepted: API keys are never part of the configuration "
        "file: create them on the agent's page or with manage.py create_api_key",
    ]


def test_wrong_types_are_named():
    text = yaml_text(
        """
        channels:
          - name: customer_notifications
            provider: console
            sender: +15005550006
            env_senders: "+441111111111"
        actions:
          - name: send_it
            description: [a, list]
            channel: customer_notifications
            parameters: "{type: object}"
            require_consent: "no"
            recipient: someone
        handoffs:
          - name: agent_queue
            description: Queue
            is_default: 1
            sip_config: refer
            sip_headers: {X-Reason: escalation}
        agents:
          - name: bot
            actions: send_it
            handoffs: [7]
        """
    )

    assert problems_of(text) == [
        "channels[0].sender: must be text, not the number 15005550006: put it in quotes (YAML "
        'reads an unquoted +441234567890 as a number; write "+441234567890")',
        "channels[0].env_senders: must be a mapping, not text",
        "actions[0].description: must be text, not a list",
        "actions[0].parameters: must be a mapping (a JSON Schema), not text",
        "actions[0].require_consent: must be true or false, not text",
        "actions[0].recipient: must be contact (the caller's number) or {template: …} (a number "
        'or a template such as "{{ .parameters.phone_number }}")',
        "handoffs[0].is_default: must be true or false, not a number",
        "handoffs[0].sip_config: must be a mapping, not text",
        "handoffs[0].sip_headers: must be a list of {key, value} pairs, not a mapping",
        "agents[0].actions: must be a list of action names, not text",
        "agents[0].handoffs[0]: must be a handoff name, not a number",
    ]


def test_references_must_name_something_in_the_file_or_the_database():
    make_channel(name="saved_channel")
    text = yaml_text(
        """
        actions:
          - name: send_it
            description: Sends it.
            channel: saved_chanel
            fallback_handoff: agent_queue
            message: Hi
          - name: send_that
            description: Sends that.
            channel: saved_channel
            message: Hi
        agents:
          - name: bot
            actions: [send_that, send_this]
            handoffs: [end_call]
        """
    )

    assert problems_of(text) == [
        "actions[0].channel: there is no channel named 'saved_chanel' in the file or the "
        "database (did you mean 'saved_channel'?)",
        "actions[0].fallback_handoff: there is no handoff named 'agent_queue' in the file or "
        "the database",
        "agents[0].actions[1]: there is no action named 'send_this' in the file or the database "
        "(did you mean 'send_that'?)",
        "agents[0].handoffs[0]: there is no handoff named 'end_call' in the file or the database",
    ]


def test_references_may_name_items_defined_later_in_the_file_or_saved_before():
    make_handoff("end_call")
    text = yaml_text(
        """
        agents:
          - {name: bot, actions: [send_it], handoffs: [agent_queue, end_call]}
        actions:
          - {name: send_it, description: Sends it., channel: new_channel, message: Hi,
             fallback_handoff: end_call}
        channels:
          - {name: new_channel, provider: console, sender: "+15005550006"}
        handoffs:
          - {name: agent_queue, description: Queue, sip_config: {method: bye}}
        """
    )

    configfile.apply(configfile.load(text))

    bot = Agent.objects.get()
    assert [a.name for a in bot.actions.all()] == ["send_it"]
    assert sorted(h.name for h in bot.handoffs.all()) == ["agent_queue", "end_call"]
    assert SendTextAction.objects.get().channel.name == "new_channel"


def test_names_used_twice_in_a_section_are_refused():
    again = "  - {name: agent_queue, description: Again, sip_config: {method: bye}}\n"
    text = POLYAI_HANDOFFS + again

    assert problems_of(text) == [
        "handoffs[3].name: 'agent_queue' is already used by handoffs[0]",
    ]


def test_two_default_handoffs_are_refused():
    text = POLYAI_HANDOFFS.replace("is_default: false", "is_default: true", 1)

    assert problems_of(text) == [
        "handoffs[1].is_default: only one handoff can be the default, and handoffs[0] "
        "(agent_queue) already is"
    ]


def test_an_action_the_builder_refuses_is_refused_with_the_builders_message():
    channel = make_channel()
    form = SendTextActionForm(
        {
            "name": "send_it",
            "description": "Sends it.",
            "channel": channel.pk,
            "recipient_mode": "contact",
            "message_template": "Ref {{ .parameters.booking_ref }}",
            "enabled": "on",
            "schema_mode": "json",
            "parameters_schema": json.dumps({"type": "object", "properties": {}}),
        }
    )
    assert not form.is_valid()
    text = yaml_text(
        """
        actions:
          - name: send_it
            description: Sends it.
            channel: customer_notifications
            parameters: {type: object, properties: {}}
            message: "Ref {{ .parameters.booking_ref }}"
        """
    )

    problems = problems_of(text)

    assert problems == [f"actions[0].message: {form.errors['message_template'][0]}"]


def test_every_problem_is_reported_with_its_place_and_line():
    text = yaml_text(
        """
        channels:
          - name: Customer Notifications
            provider: console
            sender: "12"
        handoffs:
          - name: agent_queue
            description: ""
            sip_config:
              method: invite
              phone_number: "+441234567890"
            sip_headers:
              - {key: X-Reason, value: escalation}
              - {key: Call-ID, value: x}
        """
    )

    with pytest.raises(ConfigError) as caught:
        configfile.apply(configfile.load(text))

    error = caught.value
    assert [(str(p), error.line_of(p)) for p in error.problems] == [
        (
            "channels[0].name: Use 1 to 64 lowercase letters, digits and underscores, starting "
            "with a letter (e.g. customer_notifications).",
            2,
        ),
        (
            "channels[0].sender: “12” is not an international phone number. Enter the number "
            "in international format, starting with + and the country code, e.g. +15551234567. "
            "A short code (5 or 6 digits), an alphanumeric sender ID (up to 11 characters) or a "
            "Twilio Messaging Service SID (MG…) is also accepted.",
            4,
        ),
        ("handoffs[0].description: Describe what this handoff is for; the agent reads this.", 7),
        (
            "handoffs[0].sip_config.outbound_endpoint: An invite calls out through an endpoint: "
            "enter its host, e.g. sip.example.com:5061.",
            8,
        ),
        (
            "handoffs[0].sip_headers[1]: Header 2: “Call-ID” is set by the SIP stack (Call-ID); "
            "setting it would break the call.",
            13,
        ),
    ]
    assert counts() == {"channels": 0, "actions": 0, "handoffs": 0, "agents": 0}


def test_a_twilio_channel_needs_credentials_from_somewhere(settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""

    assert problems_of(DESIGN_EXAMPLE.split("actions:")[0]) == [
        "channels[0]: A Twilio channel needs an Account SID (or TWILIO_ACCOUNT_SID in the "
        "environment).",
        "channels[0]: A Twilio channel needs an auth token (or TWILIO_AUTH_TOKEN in the "
        "environment).",
    ]


def test_plan_takes_plain_data_too():
    make_channel()
    data = {
        "actions": [
            {
                "name": "send_it",
                "description": "Sends it.",
                "channel": "customer_notifications",
                "parameters": {"type": "object", "properties": {}, "required": ["x"]},
            }
        ]
    }

    with pytest.raises(ConfigError) as caught:
        configfile.plan(data)

    [problem] = caught.value.problems
    assert problem == Problem(
        "actions[0].parameters", "“required” lists x, which “properties” does not declare."
    )
    assert caught.value.line_of(problem) is None
    data["actions"][0]["parameters"]["properties"]["x"] = {"type": "string"}
    assert [c.kind for c in configfile.plan(data).changes] == ["create"]


def test_a_problem_reads_as_place_then_message():
    problem = Problem("actions[2].parameters", "'type' must be 'object'")

    assert str(problem) == "actions[2].parameters: 'type' must be 'object'"
    assert str(ConfigError([problem, Problem("file", "x")])) == (
        "actions[2].parameters: 'type' must be 'object'\nfile: x"
    )


# --- Pruning ---------------------------------------------------------------------------------


def test_without_prune_nothing_the_file_leaves_out_is_deleted():
    make_handoff("end_call")
    make_action()

    plan = configfile.apply(configfile.load(POLYAI_HANDOFFS.split("  - name: end_call")[0]))

    assert [c.kind for c in plan.changes] == ["create", "create"]
    assert counts() == {"channels": 1, "actions": 1, "handoffs": 3, "agents": 0}


def test_prune_deletes_only_in_the_sections_the_file_has():
    make_handoff("old_handoff")
    make_action(name="old_action")
    Agent.objects.create(name="old_bot")

    plan = configfile.apply(configfile.load(POLYAI_HANDOFFS), prune=True)

    assert [(c.kind, c.name) for c in plan.changes if c.kind == "delete"] == [
        ("delete", "old_handoff")
    ]
    assert plan.prune
    assert sorted(Handoff.objects.values_list("name", flat=True)) == [
        "agent_queue",
        "end_call",
        "escalation_handoff",
    ]
    assert counts() == {"channels": 1, "actions": 1, "handoffs": 3, "agents": 1}


def test_prune_with_empty_sections_deletes_everything_in_them(twilio_env):
    build_setup()

    configfile.apply(configfile.load("agents: []\nactions: []\n"), prune=True)

    assert counts() == {"channels": 2, "actions": 0, "handoffs": 4, "agents": 0}


def test_a_handoff_still_in_use_cannot_be_pruned():
    queue = make_handoff("agent_queue")
    end = make_handoff("end_call")
    make_action(fallback_handoff=end)
    Agent.objects.create(name="bot").handoffs.add(end, queue)
    text = "handoffs:\n  - {name: agent_queue, description: Queue, sip_config: {method: bye}}\n"

    assert problems_of(text, prune=True) == [
        "handoffs: the handoff 'end_call' is not in the file, so pruning would delete it, but "
        "it is used by action send_booking_confirmation (fallback), agent bot, which the file "
        "does not change: add the handoff to the file, or stop using it first"
    ]


def test_a_reference_to_what_pruning_deletes_is_refused():
    make_handoff("end_call")
    text = yaml_text(
        """
        handoffs: []
        agents:
          - {name: bot, handoffs: [end_call]}
        """
    )

    assert problems_of(text, prune=True) == [
        "agents[0].handoffs[0]: the handoff 'end_call' is not in the file's handoffs, so "
        "pruning deletes it"
    ]
    configfile.apply(configfile.load(text))  # without pruning it stays, and may be used
    assert list(Agent.objects.get().handoffs.values_list("name", flat=True)) == ["end_call"]


def test_a_channel_still_sending_cannot_be_pruned():
    make_action()

    assert problems_of("channels: []\n", prune=True) == [
        "channels: the channel 'customer_notifications' is not in the file, so pruning would "
        "delete it, but the action send_booking_confirmation that the file does not change "
        "send through it: add the channel to the file, or move those actions to another channel"
    ]


# --- The default handoff -------------------------------------------------------------------------


def test_a_new_default_takes_over_from_the_saved_one_and_the_plan_says_so():
    make_handoff("agent_queue")
    text = "handoffs:\n  - {name: night_line, description: Nights, is_default: true,\n"
    text += '     sip_config: {method: refer, phone_number: "+15551230000"}}\n'

    plan = configfile.apply(configfile.load(text))

    assert [(c.kind, c.name, c.fields) for c in plan.changes] == [
        ("update", "agent_queue", [configfile.FieldChange("is_default", True, False)]),
        (
            "create",
            "night_line",
            [
                configfile.FieldChange("description", None, "Nights"),
                configfile.FieldChange("is_default", None, True),
                configfile.FieldChange("sip_config.method", None, "refer"),
                configfile.FieldChange("sip_config.phone_number", None, "+15551230000"),
                configfile.FieldChange("sip_headers", None, []),
                configfile.FieldChange("utterance", None, ""),
            ],
        ),
    ]
    assert list(Handoff.objects.filter(is_default=True).values_list("name", flat=True)) == [
        "night_line"
    ]
    assert configfile.plan(configfile.load(text)).is_empty


def test_swapping_the_default_between_two_handoffs_in_the_file():
    configfile.apply(configfile.load(POLYAI_HANDOFFS))
    swapped = (
        POLYAI_HANDOFFS.replace("is_default: true", "is_default: maybe")
        .replace("is_default: false", "is_default: true", 1)
        .replace("is_default: maybe", "is_default: false")
    )

    configfile.apply(configfile.load(swapped))

    assert list(Handoff.objects.filter(is_default=True).values_list("name", flat=True)) == [
        "escalation_handoff"
    ]


# --- Audit trail ---------------------------------------------------------------------------


def test_each_write_carries_its_author_and_reason_for_the_audit_trail(
    twilio_env, monkeypatch, django_user_model
):
    admin = django_user_model.objects.create_user(username="ops")
    make_handoff("old_handoff")
    seen = []
    for model in (MessagingChannel, SendTextAction, Handoff, Agent):
        for method in ("save", "delete"):
            original = getattr(model, method)

            def spy(self, *args, _original=original, _method=method, **kwargs):
                seen.append(
                    (_method, self.name, getattr(self, "_history_user", None), self._change_reason)
                )
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(model, method, spy)

    configfile.apply(configfile.load(DESIGN_EXAMPLE), prune=True, user=admin)

    reason = "Imported from configuration file"
    assert seen == [
        ("save", "customer_notifications", admin, reason),
        ("save", "agent_queue", admin, reason),
        ("save", "send_booking_confirmation", admin, reason),
        ("save", "booking_bot", admin, reason),
        ("delete", "old_handoff", admin, reason),
    ]


# --- The agent API serves the same tools ---------------------------------------------------------


def tools(client, agent_name: str) -> list:
    _, key = ApiKey.issue(Agent.objects.get(name=agent_name), "live")
    response = client.get("/api/v1/tools", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    return response.json()["tools"]


def answers(client, agent_name: str) -> list:
    """What the agent is told when it invokes each of its actions and handoffs (ids aside)."""
    _, key = ApiKey.issue(Agent.objects.get(name=agent_name), "live")
    auth = {"Authorization": f"Bearer {key}"}
    body = {"conversation_id": "c-1", "contact": {"phone_number": "+447700900123"}}
    calls = [
        ("actions/send_summary_sms", {**body, "parameters": {"message": "Your summary"}}),
        (
            "actions/send_booking_confirmation",
            {**body, "parameters": {"booking_reference": "B1", "caller_consent": False}},
        ),
        ("handoffs/agent_queue", {"conversation_id": "c-1", "reason": "caller asked"}),
    ]
    seen = []
    for path, payload in calls:
        response = client.post(
            f"/api/v1/{path}/invoke", payload, content_type="application/json", headers=auth
        )
        answer = response.json()
        answer.pop("id", None)
        seen.append((path, response.status_code, answer))
    return seen


def test_an_exported_configuration_serves_the_same_tools_in_a_fresh_database(client, twilio_env):
    build_setup()
    before = tools(client, "booking_bot")
    told = answers(client, "booking_bot")
    assert [status for _, status, _ in told] == [202, 422, 200]  # 422: consent not given
    assert [t["function"]["name"] for t in before] == [
        "send_booking_confirmation",
        "send_summary_sms",
        "transfer_call",
    ]
    exported = configfile.export_config()
    ApiKey.objects.all().delete()
    wipe()
    assert counts() == {"channels": 0, "actions": 0, "handoffs": 0, "agents": 0}

    configfile.apply(configfile.load(exported))

    assert tools(client, "booking_bot") == before
    assert answers(client, "booking_bot") == told


def test_a_schema_nested_beyond_reason_is_refused():
    make_channel()
    schema = "{type: object}"
    for _ in range(70):
        schema = "{type: object, properties: {inner: " + schema + "}}"
    text = "actions:\n  - {name: a, description: b, channel: customer_notifications,\n"
    text += f"     parameters: {schema}}}\n"

    assert problems_of(text) == ["file: is nested more than 64 levels deep"]
