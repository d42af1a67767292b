import json

import pytest
from django.core.exceptions import ValidationError

from actions.messaging.forms import SendTextActionForm
from actions.models import SendTextAction
from tests.factories import BOOKING_MESSAGE, BOOKING_SCHEMA, make_action, make_channel

pytestmark = pytest.mark.django_db


def form_data(channel, **overrides):
    data = {
        "name": "send_booking_confirmation",
        "description": "Sends a booking confirmation SMS to the caller.",
        "channel": str(channel.pk),
        "recipient_mode": "contact",
        "recipient_template": "",
        "message_template": BOOKING_MESSAGE,
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


def errors_of(channel, **overrides):
    form = SendTextActionForm(form_data(channel, **overrides), instance=SendTextAction())
    assert not form.is_valid()
    assert not SendTextAction.objects.exists()
    return form.errors


def test_the_documented_booking_action_saves_from_the_table():
    channel = make_channel()
    form = SendTextActionForm(form_data(channel), instance=SendTextAction())
    assert form.is_valid(), form.errors
    action = form.save()
    assert action.parameters_schema == BOOKING_SCHEMA
    assert "message" not in action.effective_schema()["properties"]


def test_the_summary_action_with_an_empty_message_gets_the_message_parameter():
    channel = make_channel()
    data = form_data(
        channel,
        name="send_summary_sms",
        message_template="",
        **{"params-TOTAL_FORMS": "0"},
    )
    form = SendTextActionForm(data, instance=SendTextAction())
    assert form.is_valid(), form.errors
    tool = form.save().tool_definition()
    assert tool["function"]["parameters"]["required"] == ["message"]


def test_a_json_schema_is_accepted_in_json_mode():
    channel = make_channel()
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "minLength": 4}},
        "required": ["code"],
    }
    data = form_data(
        channel,
        schema_mode="json",
        parameters_schema=json.dumps(schema),
        message_template="Your code is {{ .parameters.code }}",
    )
    form = SendTextActionForm(data, instance=SendTextAction())
    assert form.is_valid(), form.errors
    assert form.save().parameters_schema == schema


def test_invalid_json_is_refused_on_the_schema_field():
    errors = errors_of(make_channel(), schema_mode="json", parameters_schema="{nope")
    assert "not valid JSON" in errors["parameters_schema"][0]


def test_a_schema_failing_the_metaschema_is_refused_on_the_schema_field():
    schema = json.dumps({"type": "object", "properties": {"x": {"type": 5}}})
    errors = errors_of(make_channel(), schema_mode="json", parameters_schema=schema)
    assert "not a valid JSON Schema" in errors["parameters_schema"][0]


def test_a_schema_that_is_not_an_object_is_refused_on_the_schema_field():
    errors = errors_of(make_channel(), schema_mode="json", parameters_schema='{"type": "array"}')
    assert '"type": "object"' in errors["parameters_schema"][0]


def test_a_parameter_named_message_with_an_empty_body_is_refused():
    errors = errors_of(make_channel(), message_template="", **{"params-0-name": "message"})
    assert "“message” is added automatically" in errors["parameters_schema"][0]


def test_a_template_that_does_not_parse_is_refused_with_line_and_column():
    errors = errors_of(make_channel(), message_template="Hi\n{{ .parameters.booking_reference ")
    message = errors["message_template"][0]
    assert message.startswith("Line 2")
    assert "unclosed action" in message


def test_an_unknown_function_in_a_template_gets_gos_message():
    errors = errors_of(make_channel(), message_template="{{ upper .parameters.booking_reference }}")
    assert 'function "upper" not defined' in errors["message_template"][0]


def test_a_template_reading_an_undeclared_parameter_is_refused():
    errors = errors_of(make_channel(), message_template="Ref {{ .parameters.booking_ref }}")
    assert (
        "“booking_ref”, which the parameters schema does not declare"
        in errors["message_template"][0]
    )


def test_a_template_reading_a_field_that_does_not_exist_is_refused():
    errors = errors_of(make_channel(), message_template="Hi {{ .caller.name }}")
    assert ".caller.name does not exist" in errors["message_template"][0]


def test_a_recipient_template_reading_an_undeclared_parameter_is_refused():
    errors = errors_of(
        make_channel(),
        recipient_mode="custom",
        recipient_template="{{ .parameters.phone_number }}",
    )
    assert "“phone_number”" in errors["recipient_template"][0]


def test_a_recipient_template_may_read_variables_and_declared_parameters():
    channel = make_channel()
    for template in ("{{ .variables.customer_phone }}", "{{ .parameters.booking_reference }}"):
        form = SendTextActionForm(
            form_data(channel, recipient_mode="custom", recipient_template=template),
            instance=SendTextAction(),
        )
        assert form.is_valid(), form.errors


def test_a_literal_recipient_must_be_e164_and_is_normalised():
    errors = errors_of(make_channel(), recipient_mode="custom", recipient_template="555 1234")
    assert "international" in errors["recipient_template"][0]
    form = SendTextActionForm(
        form_data(
            make_channel(name="other"),
            recipient_mode="custom",
            recipient_template="+44 20 7946 0958",
        ),
        instance=SendTextAction(),
    )
    assert form.is_valid(), form.errors
    assert form.save().recipient_template == "+442079460958"


def test_a_custom_recipient_must_not_be_empty():
    errors = errors_of(make_channel(), recipient_mode="custom", recipient_template="  ")
    assert "Enter a phone number or a template" in errors["recipient_template"][0]


def test_the_name_must_be_a_tool_name_and_unique():
    channel = make_channel()
    assert "letters, digits and underscores" in errors_of(channel, name="send sms")["name"][0]
    make_action(channel)
    form = SendTextActionForm(form_data(channel), instance=SendTextAction())
    assert not form.is_valid()
    assert "already exists" in form.errors["name"][0]


def test_the_description_is_required():
    assert errors_of(make_channel(), description="   ")["description"]


def test_a_bad_table_row_is_marked_on_its_cell():
    form = SendTextActionForm(
        form_data(make_channel(), **{"params-0-name": "bad name"}), instance=SendTextAction()
    )
    assert not form.is_valid()
    assert "Correct the parameters marked below." in form.errors["parameters_schema"]
    assert "letters, digits and underscores" in form.rows.forms[0].errors["name"][0]


def test_the_model_refuses_an_invalid_action_whatever_the_path():
    action = SendTextAction(
        name="x",
        description="d",
        channel=make_channel(),
        parameters_schema={"type": "object", "properties": {}},
        message_template="{{ .parameters.nope }}",
    )
    with pytest.raises(ValidationError) as exc:
        action.full_clean()
    assert "message_template" in exc.value.message_dict


def test_the_admin_site_refuses_what_the_builder_refuses(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    response = client.post(
        "/admin/actions/sendtextaction/add/",
        {
            "name": "send_x",
            "description": "d",
            "channel": channel.pk,
            "recipient_mode": "contact",
            "parameters_schema": '{"type": "object", "properties": {}}',
            "message_template": "Hi {{ .parameters.name }}",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "which the parameters schema does not declare" in response.content.decode()
    assert not SendTextAction.objects.exists()


def test_duplicate_copies_the_action_disabled_under_a_new_name(client, admin_user):
    action = make_action()
    client.force_login(admin_user)
    client.post(f"/actions/{action.pk}/duplicate/")
    copy = SendTextAction.objects.get(name="send_booking_confirmation_copy")
    assert not copy.enabled
    assert copy.parameters_schema == action.parameters_schema
    client.post(f"/actions/{action.pk}/duplicate/")
    assert SendTextAction.objects.filter(name="send_booking_confirmation_copy2").exists()


def test_toggle_disables_and_enables(client, admin_user):
    action = make_action()
    client.force_login(admin_user)
    client.post(f"/actions/{action.pk}/toggle/")
    action.refresh_from_db()
    assert not action.enabled
    client.post(f"/actions/{action.pk}/toggle/")
    action.refresh_from_db()
    assert action.enabled


def test_delete_asks_first(client, admin_user):
    action = make_action()
    client.force_login(admin_user)
    assert "Delete action" in client.get(f"/actions/{action.pk}/delete/").content.decode()
    assert SendTextAction.objects.filter(pk=action.pk).exists()
    client.post(f"/actions/{action.pk}/delete/")
    assert not SendTextAction.objects.filter(pk=action.pk).exists()


def test_switching_a_table_to_json_and_back_keeps_the_parameters(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    response = client.post("/actions/new/", {**form_data(channel), "op": "to_json"})
    html = response.content.decode()
    assert "booking_reference" in html and "&quot;type&quot;: &quot;object&quot;" in html
    schema_text = json.dumps(BOOKING_SCHEMA)
    data = form_data(channel, schema_mode="json", parameters_schema=schema_text)
    data.update({"params-TOTAL_FORMS": "0", "op": "to_table"})
    html = client.post("/actions/new/", data).content.decode()
    assert 'name="params-0-name"' in html and 'value="booking_reference"' in html
    assert not SendTextAction.objects.exists()


def test_a_schema_the_table_cannot_show_stays_in_json_with_a_note(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "minLength": 4}},
        "required": ["code"],
    }
    data = form_data(channel, schema_mode="json", parameters_schema=json.dumps(schema))
    data.update({"params-TOTAL_FORMS": "0", "op": "to_table"})
    html = client.post("/actions/new/", data).content.decode()
    assert "The table cannot show this schema because" in html and "minLength" in html
    action = make_action(channel, name="coded", parameters_schema=schema, message_template="x")
    html = client.get(f"/actions/{action.pk}/").content.decode()
    assert "This schema opens as JSON because" in html


def test_add_and_remove_rows_without_saving(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    html = client.post(
        "/actions/new/", {**form_data(channel), "op": "add_row"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'name="params-1-name"' in html
    assert "<html" not in html  # only the parameters block
    data = {**form_data(channel), "op": "remove_row:0"}
    html = client.post("/actions/new/", data, headers={"HX-Request": "true"}).content.decode()
    assert 'name="params-0-name"' not in html
    assert not SendTextAction.objects.exists()


def test_the_preview_renders_the_message_segments_and_tool(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    data = {**form_data(channel), "sample-booking_reference": "XYZ789"}
    html = client.post("/actions/preview/", data, headers={"HX-Request": "true"}).content.decode()
    assert "Reference: XYZ789. Reply" in html
    assert "GSM-7" in html and "1 segment" in html
    assert "send_booking_confirmation" in html
    assert "+15551234567" in html  # the sample contact is the recipient
    assert not SendTextAction.objects.exists()


def test_the_preview_warns_about_characters_that_force_ucs2(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    data = form_data(
        channel, message_template="It’s confirmed: {{ .parameters.booking_reference }}"
    )
    html = client.post("/actions/preview/", data, headers={"HX-Request": "true"}).content.decode()
    assert "UCS-2" in html
    assert "right single quotation mark" in html


def test_the_preview_shows_field_errors_out_of_band(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    data = form_data(channel, message_template="{{ .parameters.booking_ref }}")
    html = client.post("/actions/preview/", data, headers={"HX-Request": "true"}).content.decode()
    assert 'id="id_message_template_error" hx-swap-oob="true"' in html
    assert "does not declare" in html


def test_a_template_ranging_over_the_parameters_is_accepted():
    channel = make_channel()
    data = form_data(
        channel,
        message_template="{{ range $k, $v := .parameters }}{{ $k }}={{ $v }} {{ end }}",
    )
    form = SendTextActionForm(data, instance=SendTextAction())
    assert form.is_valid(), form.errors


def test_an_optional_parameter_or_a_variable_read_untested_is_refused_with_the_fix():
    channel = make_channel()
    schema = {
        "type": "object",
        "properties": {"ref": {"type": "string"}, "note": {"type": "string"}},
        "required": ["ref"],
    }
    errors = errors_of(
        channel,
        schema_mode="json",
        parameters_schema=json.dumps(schema),
        message_template="Ref {{ .parameters.ref }}. {{ .parameters.note }} {{ .variables.name }}",
    )
    note, name = errors["message_template"]
    assert note.startswith(".parameters.note reads the optional parameter “note” outside")
    assert "{{ with .parameters.note }}…{{ . }}…{{ end }}" in note
    assert "make the parameter required" in note
    assert name.startswith(".variables.name reads the variable “name” outside")


def test_tested_optional_values_are_accepted_and_left_out_when_missing(client):
    from actions.messaging import templating

    channel = make_channel()
    schema = {"type": "object", "properties": {"note": {"type": "string"}}}
    template = (
        "Booked.{{ with .parameters.note }} Note: {{ . }}{{ end }}"
        "{{ if .variables.name }} Bye {{ .variables.name }}.{{ end }}"
    )
    data = form_data(
        channel,
        schema_mode="json",
        parameters_schema=json.dumps(schema),
        message_template=template,
    )
    form = SendTextActionForm(data, instance=SendTextAction())
    assert form.is_valid(), form.errors
    render = templating.render
    assert render(template, templating.template_data({}, {}, "", "")) == "Booked."
    both = templating.template_data({"note": "2 guests"}, {"name": "Ann"}, "", "")
    assert render(template, both) == "Booked. Note: 2 guests Bye Ann."


def test_a_recipient_template_may_read_a_variable_untested():
    channel = make_channel()
    form = SendTextActionForm(
        form_data(
            channel, recipient_mode="custom", recipient_template="{{ .variables.customer_phone }}"
        ),
        instance=SendTextAction(),
    )
    assert form.is_valid(), form.errors


def test_the_preview_can_leave_the_optional_parameters_out(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    schema = {
        "type": "object",
        "properties": {"ref": {"type": "string"}, "note": {"type": "string"}},
        "required": ["ref"],
    }
    data = {
        **form_data(
            channel,
            schema_mode="json",
            parameters_schema=json.dumps(schema),
            message_template="Ref {{ .parameters.ref }}."
            "{{ with .parameters.note }} {{ . }}{{ end }}",
        ),
        "sample-ref": "R1",
        "sample-note": "Window seat",
    }
    html = client.post("/actions/preview/", data, headers={"HX-Request": "true"}).content.decode()
    assert "Ref R1. Window seat" in html
    data["sample_omit_optional"] = "1"
    html = client.post("/actions/preview/", data, headers={"HX-Request": "true"}).content.decode()
    assert "Ref R1." in html and "Ref R1. Window seat" not in html
    assert 'name="sample_omit_optional" value="1" checked' in html


def test_asking_for_a_number_shows_the_phone_number_parameter_in_the_preview(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    data = {**form_data(channel, ask_for_number="on"), "sample_contact": ""}
    html = client.post("/actions/preview/", data, headers={"HX-Request": "true"}).content.decode()
    assert "<code>phone_number</code> (optional: the agent may ask for a number" in html
    assert "&quot;phone_number&quot;: {" in html  # in the tool definition
    assert 'name="sample-phone_number"' in html
