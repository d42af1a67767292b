"""The handoff pages through the test client: every rule is the model's, shown on its field."""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.handoffs.forms import HandoffForm
from actions.messaging.forms import SendTextActionForm
from actions.models import Agent, Handoff, HandoffLog, SendTextAction
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

DEFAULT_DATA = {
    "name": "agent_queue",
    "description": "Transfer to live agent queue",
    "is_default": "on",
    "utterance": "Let me connect you now.",
    "method": "refer",
    "phone_number": "+441234567890",
}


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def data(**overrides):
    values = dict(DEFAULT_DATA)
    for key, value in overrides.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def headers(*pairs):
    return {"header_key": [k for k, _ in pairs], "header_value": [v for _, v in pairs]}


def create(client, **overrides):
    return client.post(reverse("handoff_create"), data(**overrides))


def field_error(response, field) -> str:
    """The text of the error slot of one field, as the page shows it: a form field's slot
    (`id_<field>_error`), a header row's (`header-key-<n>_error`), a log filter's."""
    html = response.content.decode()
    slot = {"header-": f"header-key-{field[7:]}_error"}.get(field[:7], f"id_{field}_error")
    pattern = rf'<small class="error" id="({slot}|error-{field})">(.*?)</small>'
    match = re.search(pattern, html, re.S)
    assert match, f"no error slot for {field}"
    return match.group(2)


def text(response) -> str:
    return response.content.decode()


# --- list, create, edit --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["handoff_list", "handoff_create", "handoff_log", "handoff_preview"]
)
def test_the_handoff_pages_need_a_login(client, admin_user, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_the_pages_of_one_handoff_need_a_login(client, admin_user):
    handoff = make_handoff()
    for name in ("handoff_edit", "handoff_duplicate", "handoff_delete", "handoff_preview_edit"):
        response = client.post(reverse(name, args=[handoff.pk]))
        assert response.status_code == 302 and response.url.startswith("/login/"), name
    assert Handoff.objects.count() == 1


def test_the_list_shows_method_destination_default_and_users(admin):
    queue = make_handoff("agent_queue")
    make_handoff("escalation_handoff")
    make_handoff("end_call")
    Agent.objects.create(name="booking_bot").handoffs.add(queue)
    make_action(fallback_handoff=queue)
    html = text(admin.get(reverse("handoff_list")))
    assert "+441234567890" in html and "+15551234567" in html
    assert "Ends the call" in html
    assert html.count("★ Default") == 1
    assert ">booking_bot</a>" in html
    assert ">send_booking_confirmation</a> (fallback)" in html
    assert "1 SIP header" in html
    assert reverse("handoff_log") in html


def test_the_list_is_paginated_like_the_actions(admin):
    for n in range(51):
        make_handoff(f"handoff_{n:02d}", method="bye", phone_number="")
    first = text(admin.get(reverse("handoff_list")))
    assert "Page 1 of 2" in first and "handoff_49" in first and "handoff_50" not in first
    second = text(admin.get(reverse("handoff_list") + "?page=2"))
    assert "handoff_50" in second


def test_the_documented_default_handoff_is_created_with_its_number_normalised(admin):
    response = create(admin, phone_number="+44 (0)1234 567 890".replace("(0)", ""))
    handoff = Handoff.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("handoff_edit", args=[handoff.pk])
    assert handoff.phone_number == "+441234567890"
    assert handoff.is_default and handoff.method == "refer"
    page = admin.get(response.url)
    assert "Handoff “agent_queue” saved." in text(page)
    assert 'value="+441234567890"' in text(page)


def test_editing_a_handoff_saves_the_change(admin):
    handoff = make_handoff("escalation_handoff")
    url = reverse("handoff_edit", args=[handoff.pk])
    page = text(admin.get(url))
    assert 'value="X-Reason"' in page and 'value="escalation"' in page
    response = admin.post(
        url,
        data(
            name="escalation_handoff",
            is_default=None,
            description="Transfer to a senior agent",
            phone_number="+15551234567",
            **headers(("X-Reason", "complex")),
        ),
    )
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert handoff.description == "Transfer to a senior agent"
    assert handoff.sip_headers == [{"key": "X-Reason", "value": "complex"}]
    assert not handoff.is_default


def test_removing_every_header_row_saves_no_headers(admin):
    handoff = make_handoff("escalation_handoff")
    response = admin.post(
        reverse("handoff_edit", args=[handoff.pk]),
        data(name="escalation_handoff", is_default=None, phone_number="+15551234567"),
    )
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert handoff.sip_headers == []


def test_a_blank_header_row_is_not_a_header(admin):
    response = create(admin, **headers(("", ""), ("X-Reason", "escalation"), ("  ", "")))
    assert response.status_code == 302
    assert Handoff.objects.get().sip_headers == [{"key": "X-Reason", "value": "escalation"}]


def test_the_form_takes_headers_as_parallel_lists_from_a_plain_dict_too():
    form = HandoffForm(data(**headers(("X-Reason", "escalation"))), instance=Handoff())
    assert form.is_valid(), form.errors
    assert form.save().sip_headers == [{"key": "X-Reason", "value": "escalation"}]


# --- each rule of the model, on its field ---------------------------------------------------


def test_a_bye_with_a_phone_number_is_refused_on_the_phone_field(admin):
    response = create(admin, name="end_call", method="bye", phone_number="+441234567890")
    assert response.status_code == 200
    assert "A bye ends the call: it has no phone number." in field_error(response, "phone_number")
    # Posted without JavaScript, the field stays on the page so that it can be cleared.
    assert 'name="phone_number"' in text(response)
    assert not Handoff.objects.exists()


def test_a_bye_shows_no_number_or_endpoint_fields(admin):
    handoff = make_handoff("end_call")
    page = text(admin.get(reverse("handoff_edit", args=[handoff.pk])))
    assert 'name="phone_number"' not in page
    assert 'name="outbound_endpoint"' not in page
    assert "&lt;Hangup /&gt;" in page


def test_an_invite_without_an_endpoint_is_refused_on_the_endpoint_field(admin):
    response = create(admin, method="invite", outbound_encryption="TLS/SRTP")
    assert "An invite calls out through an endpoint" in field_error(response, "outbound_endpoint")
    assert not Handoff.objects.exists()


def test_an_invite_shows_number_endpoint_and_encryption_and_saves(admin):
    response = create(
        admin,
        method="invite",
        outbound_endpoint="SIP.Example.com:5061",
        outbound_encryption="UDP/RTP",
    )
    assert response.status_code == 302
    handoff = Handoff.objects.get()
    assert handoff.outbound_endpoint == "sip.example.com:5061"
    assert handoff.outbound_encryption == "UDP/RTP"
    page = text(admin.get(response.url))
    assert 'name="outbound_endpoint"' in page and 'name="outbound_encryption"' in page
    assert "sip:+441234567890@sip.example.com:5061;transport=udp" in page


def test_a_refer_with_an_endpoint_is_refused_on_the_endpoint_field(admin):
    response = create(admin, outbound_endpoint="sip.example.com")
    assert "A refer hands the call to the phone number" in field_error(
        response, "outbound_endpoint"
    )


def test_a_number_that_is_not_a_number_is_refused_on_the_phone_field(admin):
    response = create(admin, phone_number="call the office")
    assert "is not a phone number" in field_error(response, "phone_number")
    assert not Handoff.objects.exists()


def test_a_refer_without_a_number_is_refused(admin):
    response = create(admin, phone_number="")
    assert "Enter the number to transfer the call to" in field_error(response, "phone_number")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("X-Reason", "line one\nline two", "must be on one line"),
        ("X-Reason", "line one\r\nInjected: yes", "must be on one line"),
        ("Via", "SIP/2.0/UDP evil.example.com", "is set by the SIP stack (Via)"),
        ("Call-ID", "abc", "is set by the SIP stack (Call-ID)"),
        ("i", "abc", "is set by the SIP stack (Call-ID)"),
        ("X Reason", "escalation", "is not a valid SIP header name"),
        ("X-Reason:", "escalation", "is not a valid SIP header name"),
        ("X-Reason", "x" * 257, "longer than 256 characters"),
        ("", "escalation", "Give the header a name"),
    ],
)
def test_a_bad_header_is_refused_on_its_row(admin, key, value, message):
    response = create(admin, **headers(("X-Team", "support"), (key, value)))
    assert response.status_code == 200
    assert message in field_error(response, "header-1")
    assert field_error(response, "header-0") == ""
    assert field_error(response, "header-1").startswith("Header 2: ")
    assert not Handoff.objects.exists()


def test_the_header_numbers_in_messages_skip_blank_rows_but_errors_land_on_the_right_row(admin):
    response = create(admin, **headers(("", ""), ("Via", "x")))
    assert "Header 1: “Via”" in field_error(response, "header-1")
    assert field_error(response, "header-0") == ""


def test_a_value_of_256_characters_is_accepted(admin):
    assert create(admin, **headers(("X-Reason", "x" * 256))).status_code == 302


def test_more_than_twenty_headers_are_refused(admin):
    pairs = [(f"X-H{n}", "v") for n in range(21)]
    response = create(admin, **headers(*pairs))
    assert "At most 20 SIP headers; there are 21." in field_error(response, "sip_headers")
    assert not Handoff.objects.exists()
    assert create(admin, **headers(*pairs[:20])).status_code == 302


def test_a_repeated_header_is_refused(admin):
    response = create(admin, **headers(("X-Reason", "a"), ("x-reason", "b")))
    assert "already header 1" in field_error(response, "header-1")


def test_a_header_without_the_x_prefix_is_saved_with_a_warning(admin):
    response = create(admin, **headers(("Reason", "escalation")))
    assert response.status_code == 302
    page = text(admin.get(response.url))
    assert "“Reason” has no X- prefix" in page
    assert Handoff.objects.get().sip_headers == [{"key": "Reason", "value": "escalation"}]


def test_a_second_default_takes_over_from_the_first(admin):
    first = make_handoff("agent_queue")
    response = create(
        admin, name="escalation_handoff", phone_number="+15551234567", is_default="on"
    )
    assert response.status_code == 302
    second = Handoff.objects.get(name="escalation_handoff")
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    page = text(admin.get(response.url))
    assert "It is now the default handoff, instead of “agent_queue”." in page


def test_a_taken_name_and_a_bad_name_are_refused_on_the_name_field(admin):
    make_handoff("agent_queue")
    assert "already exists" in field_error(create(admin), "name")
    assert "lowercase" in field_error(create(admin, name="Agent Queue"), "name").lower()


def test_an_empty_description_is_refused_with_one_message(admin):
    error = field_error(create(admin, description="  "), "description")
    assert error == "Describe what this handoff is for; the agent reads this."


# --- the method switch and the header rows, without saving ----------------------------------


def test_switching_the_method_without_javascript_shows_that_methods_fields(admin):
    response = admin.post(
        reverse("handoff_create"), data(method="invite", op="method", phone_number="+1 555 1234567")
    )
    html = text(response)
    assert response.status_code == 200 and "<html" in html
    assert 'name="outbound_endpoint"' in html and 'name="outbound_encryption"' in html
    assert 'value="+1 555 1234567"' in html  # the number typed so far is kept
    assert field_error(response, "outbound_endpoint") == ""  # nothing is checked yet
    assert not Handoff.objects.exists()

    response = admin.post(reverse("handoff_create"), data(method="bye", op="method"))
    html = text(response)
    assert 'name="phone_number"' not in html
    assert 'name="outbound_endpoint"' not in html


def test_switching_the_method_with_htmx_answers_the_fields_block_and_the_preview(admin):
    response = admin.post(
        reverse("handoff_create"),
        data(method="bye", op="method"),
        headers={"HX-Request": "true"},
    )
    html = text(response)
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="method-fields" data-method="bye">')
    assert 'name="phone_number"' not in html
    assert 'id="preview-result" aria-live="polite" hx-swap-oob="true"' in html
    assert "Hangup" in html  # the bye's preview, without the number it no longer has


def test_adding_and_removing_header_rows_keeps_what_was_typed(admin):
    url = reverse("handoff_create")
    response = admin.post(url, data(op="add_header", **headers(("X-Reason", "escalation"))))
    html = text(response)
    assert html.count('name="header_key"') == 2
    assert 'value="X-Reason"' in html
    response = admin.post(
        url,
        data(op="remove_header:0", **headers(("X-Reason", "escalation"), ("X-Team", "sales"))),
        headers={"HX-Request": "true"},
    )
    html = text(response)
    assert html.lstrip().startswith('<div id="sip-headers">')
    assert html.count('name="header_key"') == 1 and 'value="X-Team"' in html
    assert 'value="X-Reason"' not in html
    assert not Handoff.objects.exists()


def test_the_add_button_stops_at_twenty_rows(admin):
    pairs = [(f"X-H{n}", "v") for n in range(20)]
    html = text(admin.get(reverse("handoff_create")))
    assert "+ Add header" in html
    html = text(admin.post(reverse("handoff_create"), data(op="method", **headers(*pairs))))
    assert "+ Add header" not in html and "At most 20 SIP headers." in html


# --- the preview ---------------------------------------------------------------------------


def preview(client, handoff=None, **overrides):
    url = (
        reverse("handoff_preview_edit", args=[handoff.pk])
        if handoff
        else reverse("handoff_preview")
    )
    return client.post(url, data(**overrides), headers={"HX-Request": "true"})


def test_the_preview_of_a_refer_shows_the_instruction_and_both_twiml(admin):
    response = preview(admin, **headers(("X-Reason", "escalation")))
    html = text(response)
    assert "&quot;method&quot;: &quot;refer&quot;" in html
    assert "&quot;phone_number&quot;: &quot;+441234567890&quot;" in html
    assert "&lt;Refer&gt;&lt;Sip&gt;tel:+441234567890?X-Reason=escalation&lt;/Sip&gt;" in html
    assert "&lt;Dial&gt;&lt;Number&gt;+441234567890&lt;/Number&gt;&lt;/Dial&gt;" in html
    assert "SIP REFER only on SIP calls" in html
    assert Handoff.objects.count() == 0


def test_the_preview_shows_errors_instead_when_the_form_is_invalid(admin):
    response = preview(admin, phone_number="nope", **headers(("Via", "x")))
    html = text(response)
    assert "The preview appears once these are fixed" in html
    assert "Phone number: “nope” is not a phone number" in html
    assert "SIP headers: Header 1: “Via” is set by the SIP stack" in html
    assert "&lt;Refer&gt;" not in html
    # ... and on the fields themselves, out of band.
    phone_error = r'id="id_phone_number_error" hx-swap-oob="true">[^<]*is not a phone number'
    assert re.search(phone_error, html)
    assert re.search(r'id="header-key-0_error" hx-swap-oob="true">Header 1: ', html)


def test_the_preview_updates_only_the_error_slots_on_the_page(admin):
    html = text(preview(admin, name="end_call", method="bye", phone_number=None))
    assert 'id="id_name_error"' in html
    assert 'id="id_phone_number_error"' not in html  # a bye's page has no phone field


def test_the_preview_of_an_existing_handoff_allows_its_own_name(admin):
    handoff = make_handoff("agent_queue")
    html = text(preview(admin, handoff))
    assert "already exists" not in html and "&lt;Refer&gt;" in html


def test_the_edit_page_renders_the_preview_on_load(admin):
    handoff = make_handoff("escalation_handoff")
    html = text(admin.get(reverse("handoff_edit", args=[handoff.pk])))
    assert 'data-testid="twiml"' in html and "X-Reason=escalation" in html
    assert 'data-testid="twiml-phone"' in html


# --- duplicate and delete ------------------------------------------------------------------


def test_duplicating_makes_a_copy_with_a_free_name_that_is_never_default(admin):
    original = make_handoff("agent_queue")
    response = admin.post(reverse("handoff_duplicate", args=[original.pk]))
    copy = Handoff.objects.get(name="agent_queue_copy")
    assert response.url == reverse("handoff_edit", args=[copy.pk])
    assert not copy.is_default and copy.phone_number == original.phone_number
    original.refresh_from_db()
    assert original.is_default
    admin.post(reverse("handoff_duplicate", args=[original.pk]))
    assert Handoff.objects.filter(name="agent_queue_copy2").exists()
    assert admin.get(reverse("handoff_duplicate", args=[original.pk])).status_code == 405


def test_deleting_asks_for_confirmation_first(admin):
    handoff = make_handoff("end_call")
    url = reverse("handoff_delete", args=[handoff.pk])
    page = admin.get(url)
    assert "Delete handoff “end_call”?" in text(page)
    assert Handoff.objects.exists()
    response = admin.post(url)
    assert response.url == reverse("handoff_list")
    assert not Handoff.objects.exists()


def test_a_handoff_in_use_cannot_be_deleted_and_the_page_says_by_what(admin):
    handoff = make_handoff("agent_queue")
    Agent.objects.create(name="booking_bot").handoffs.add(handoff)
    make_action(fallback_handoff=handoff)
    url = reverse("handoff_delete", args=[handoff.pk])
    html = text(admin.get(url))
    assert "cannot be deleted" in html
    assert "agent booking_bot" in html
    assert "action send_booking_confirmation (fallback)" in html
    assert "Delete handoff</button>" not in html
    admin.post(url)
    assert Handoff.objects.filter(pk=handoff.pk).exists()


def test_deleting_keeps_the_log_entries(admin):
    handoff = make_handoff("end_call")
    log(handoff)
    admin.post(reverse("handoff_delete", args=[handoff.pk]))
    entry = HandoffLog.objects.get()
    assert entry.handoff is None and entry.handoff_name == "end_call"
    assert "(deleted)" in text(admin.get(reverse("handoff_log")))


# --- the handoff log -----------------------------------------------------------------------


def log(handoff, at=None, **fields) -> HandoffLog:
    values = {
        "handoff": handoff,
        "handoff_name": handoff.name,
        "agent_name": "booking_bot",
        "environment": "sandbox",
        "conversation_id": "conv-1",
        "instruction": handoff.instruction(),
        "twiml": handoff.twiml(),
    }
    values.update(fields)
    entry = HandoffLog.objects.create(**values)
    if at:
        HandoffLog.objects.filter(pk=entry.pk).update(created_at=at)
    return entry


def at(day: str):
    return timezone.make_aware(datetime.fromisoformat(day + "T12:00:00"))


def test_the_log_lists_every_entry_newest_first_with_its_details(admin):
    queue = make_handoff("agent_queue")
    log(queue, at("2025-01-01"), conversation_id="conv-old")
    log(
        queue,
        at("2025-01-02"),
        conversation_id="conv-new",
        call_sid="CA" + "1" * 32,
        outcome="failed",
        outcome_detail="Twilio said: call not in progress",
        environment="live",
    )
    html = text(admin.get(reverse("handoff_log")))
    assert html.index("conv-new") < html.index("conv-old")
    assert "CA" + "1" * 32 in html
    assert 'class="status outcome-failed" data-testid="outcome">Redirect failed<' in html
    assert "Instruction returned" in html
    assert "Twilio said: call not in progress" in html
    assert "<details>" in html and "&lt;Refer&gt;" in html
    assert "&quot;method&quot;: &quot;refer&quot;" in html
    assert ">Live<" in html


def test_the_log_filters_by_handoff_and_dates(admin):
    queue, end = make_handoff("agent_queue"), make_handoff("end_call")
    log(queue, at("2025-01-01"), conversation_id="conv-a")
    log(end, at("2025-01-02"), conversation_id="conv-b")
    log(queue, at("2025-01-03"), conversation_id="conv-c")
    url = reverse("handoff_log")

    html = text(admin.get(url, {"handoff": "agent_queue"}))
    assert "conv-a" in html and "conv-c" in html and "conv-b" not in html
    html = text(admin.get(url, {"date_from": "2025-01-02"}))
    assert "conv-a" not in html and "conv-b" in html and "conv-c" in html
    html = text(admin.get(url, {"date_to": "2025-01-02"}))
    assert "conv-a" in html and "conv-b" in html and "conv-c" not in html
    html = text(admin.get(url, {"date_from": "2025-01-02", "date_to": "2025-01-02"}))
    assert "conv-b" in html and "conv-a" not in html and "conv-c" not in html
    html = text(admin.get(url, {"handoff": "agent_queue", "date_from": "2025-01-02"}))
    assert "conv-c" in html and "conv-a" not in html and "conv-b" not in html
    assert 'value="2025-01-02"' in html  # the filters stay in the form
    assert "No handoffs match these filters." in text(
        admin.get(url, {"handoff": "end_call", "date_from": "2025-02-01"})
    )


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "yesterday"}, "date_from", "Enter the start date as YYYY-MM-DD"),
        ({"date_to": "2025-13-45"}, "date_to", "Enter the end date as YYYY-MM-DD"),
        ({"date_from": "2025-02-01", "date_to": "2025-01-01"}, "date_to", "before the start"),
        ({"handoff": "no_such_handoff"}, "handoff", "There is no handoff of that name."),
        ({"date_from": "0001-01-01", "date_to": "9999-12-31"}, None, None),
    ],
)
def test_a_bad_filter_gives_a_message_never_a_500(admin, params, field, message):
    log(make_handoff("agent_queue"), at("2025-01-01"), conversation_id="conv-a")
    response = admin.get(reverse("handoff_log"), params)
    assert response.status_code == 200
    if field:
        assert message in field_error(response, field)
        assert "Some filters were not applied" in text(response)
    else:
        assert "conv-a" in text(response)


def test_the_log_pages_keep_the_filters_in_their_links(admin):
    queue = make_handoff("agent_queue")
    start = at("2025-01-01")
    for n in range(51):
        log(queue, start + timedelta(minutes=n), conversation_id=f"conv-{n:02d}")
    html = text(admin.get(reverse("handoff_log"), {"handoff": "agent_queue"}))
    assert "Page 1 of 2" in html
    assert 'href="?handoff=agent_queue&amp;page=2"' in html
    second = text(admin.get(reverse("handoff_log"), {"handoff": "agent_queue", "page": "2"}))
    assert "conv-00" in second and "conv-50" not in second


def test_the_handoff_log_is_linked_from_the_navigation(admin):
    html = text(admin.get(reverse("home")))
    assert f'href="{reverse("handoff_log")}"' in html


# --- agents and actions --------------------------------------------------------------------


def test_an_agent_saves_its_handoffs_and_the_list_shows_them(admin):
    queue, end = make_handoff("agent_queue"), make_handoff("end_call")
    response = admin.post(
        reverse("agent_create"),
        {"name": "booking_bot", "description": "", "handoffs": [str(queue.pk), str(end.pk)]},
    )
    assert response.status_code == 302
    agent = Agent.objects.get()
    assert set(agent.handoffs.values_list("name", flat=True)) == {"agent_queue", "end_call"}
    form_html = text(admin.get(response.url))
    assert f'value="{queue.pk}"' in form_html and "checked" in form_html
    list_html = text(admin.get(reverse("agent_list")))
    assert "<code>agent_queue</code>, <code>end_call</code>" in list_html


def test_an_action_saves_its_fallback_handoff(admin):
    channel = make_channel()
    queue = make_handoff("agent_queue")
    action = make_action(channel)
    url = reverse("action_edit", args=[action.pk])
    html = text(admin.get(url))
    assert "Fallback handoff" in html and "No fallback" in html
    assert "the error the agent receives offers this handoff" in html
    form = SendTextActionForm(instance=action)
    values = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    values.update(
        {
            "schema_mode": "json",
            "parameters_schema": '{"type": "object", "properties": {"booking_reference": '
            '{"type": "string"}}, "required": ["booking_reference"]}',
            "params-TOTAL_FORMS": "0",
            "params-INITIAL_FORMS": "0",
            "enabled": "on",
            "fallback_handoff": str(queue.pk),
        }
    )
    values.pop("require_consent")
    response = admin.post(url, values)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SendTextAction.objects.get().fallback_handoff == queue
