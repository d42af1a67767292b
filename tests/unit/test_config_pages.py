"""The configuration pages: export as a download, import as a dry run, then apply what was shown."""

import html
import re

import pytest
import yaml
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions import configfile
from actions.models import Agent, ApiKey, Handoff, SendTextAction
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

ESCALATION = {
    "name": "escalation_handoff",
    "description": "Transfer to a live agent for complex issues",
    "sip_config": {"method": "refer", "phone_number": "+15551234567"},
    "sip_headers": [{"key": "X-Reason", "value": "escalation"}],
}
NEW_DESCRIPTION = "Texts the caller their booking reference, once they have agreed to the booking."


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def deployment():
    """A channel, an action, the default handoff, and a handoff no file below mentions."""
    action = make_action(make_channel())
    return {
        "action": action,
        "agent_queue": make_handoff("agent_queue"),
        "end_call": make_handoff("end_call"),
    }


def current() -> dict:
    return yaml.safe_load(configfile.export_config())


def edited() -> str:
    """The deployment's own file, with the action's description changed, escalation_handoff
    added and end_call left out."""
    data = current()
    data["actions"][0]["description"] = NEW_DESCRIPTION
    data["handoffs"] = [h for h in data["handoffs"] if h["name"] != "end_call"] + [ESCALATION]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def upload(client, text: str | bytes, *, prune=False, name="switchboard.yaml"):
    content = text.encode() if isinstance(text, str) else text
    data = {"file": SimpleUploadedFile(name, content, content_type="application/yaml")}
    if prune:
        data["prune"] = "on"
    return client.post(reverse("config_import"), data)


def payload(response) -> str:
    match = re.search(r'name="payload" value="([^"]*)"', response.content.decode())
    assert match, "no Apply form on the page"
    return html.unescape(match.group(1))


def apply(client, token: str):
    return client.post(reverse("config_import"), {"op": "apply", "payload": token})


def page(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def plain(response) -> str:
    """The page's text, without tags, on one line."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page(response)))


def section(response, testid: str) -> str:
    """The HTML of one section of the page, tags kept, entities decoded ("" if absent)."""
    text = response.content.decode()
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', text, re.S)
    return html.unescape(match.group(0)) if match else ""


def state() -> dict:
    return {
        "handoffs": sorted(Handoff.objects.values_list("name", flat=True)),
        "descriptions": list(SendTextAction.objects.values_list("description", flat=True)),
    }


# --- Export -------------------------------------------------------------------------------------


def test_export_downloads_the_whole_configuration_as_a_yaml_file(admin, deployment):
    response = admin.get(reverse("config_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="switchboard-config-\d{8}T\d{6}Z\.yaml"',
        response["Content-Disposition"],
    )
    assert response.content.decode() == configfile.export_config()
    assert "end_call" in response.content.decode()


def test_the_configuration_page_offers_export_and_import(admin):
    response = admin.get(reverse("config"))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("config_export")}"' in text
    assert 'enctype="multipart/form-data"' in text
    assert "Remove what the file does not mention" in text
    assert ">Configuration</a>" in text.split("</nav>")[0]


# --- Dry run ------------------------------------------------------------------------------------


def test_uploading_shows_what_would_be_created_changed_and_deleted_and_writes_nothing(
    admin, deployment
):
    before = state()
    response = upload(admin, edited(), prune=True)
    assert response.status_code == 200
    creates, updates, deletes = (
        section(response, "creates"),
        section(response, "updates"),
        section(response, "deletes"),
    )
    assert "New handoff" in creates and "escalation_handoff" in creates
    assert "+15551234567" in creates
    assert "Changed action" in updates and "send_booking_confirmation" in updates
    assert re.search(
        rf'<tr data-testid="field-description">.*<span class="ins">\+ {NEW_DESCRIPTION}</span>',
        updates,
        re.S,
    )
    assert "Delete handoff" in deletes and "end_call" in deletes
    assert "agent_queue" not in deletes
    assert "will create 1, change 1 and delete 1." in plain(response)
    assert state() == before


def test_a_changed_field_shows_its_old_and_new_values(admin, deployment):
    data = current()
    data["handoffs"][0]["description"] = "Transfer to the agent queue"
    response = upload(admin, yaml.safe_dump(data))
    updates = section(response, "updates")
    assert "Transfer to live agent queue" in updates  # now
    assert "Transfer to the agent queue" in updates  # from the file
    assert re.search(r"<del><code>Transfer to live agent queue</code></del>", updates)
    assert re.search(r"<ins><code>Transfer to the agent queue</code></ins>", updates)


def test_a_changed_message_template_is_shown_word_by_word(admin, deployment):
    data = current()
    message = data["actions"][0]["message"]
    data["actions"][0]["message"] = message.replace("Reply to this message", "Call us")
    response = upload(admin, yaml.safe_dump(data))
    updates = section(response, "updates")
    assert re.search(r"<del>Reply to this message</del>", updates)
    assert re.search(r"<ins>Call us</ins>", updates)
    assert "{{ .parameters.booking_reference }}" in updates  # the unchanged words stay around


def test_a_changed_parameters_schema_is_shown_as_a_line_diff(admin, deployment):
    data = current()
    schema = data["actions"][0]["parameters"]
    schema["properties"]["email"] = {"type": "string", "description": "Where to send a copy"}
    response = upload(admin, yaml.safe_dump(data))
    updates = section(response, "updates")
    diff = re.search(r'<pre[^>]*class="line-diff">(.*?)</pre>', updates, re.S)
    assert diff
    added = re.findall(r'<span class="ins">(.*?)</span>', diff.group(1), re.S)
    assert any("email" in line for line in added)
    assert any("Where to send a copy" in line for line in added)
    assert re.findall(r'<span class="same">[^<]*booking_reference', diff.group(1))
    assert '<span class="del">' not in diff.group(1)


def test_pruning_an_agent_warns_that_its_api_keys_go_with_it(admin, deployment):
    agent = Agent.objects.create(name="booking_bot")
    ApiKey.issue(agent, "live")
    data = current()
    data["agents"] = []
    response = upload(admin, yaml.safe_dump(data), prune=True)
    deletes = section(response, "deletes")
    assert "Delete agent" in deletes and "booking_bot" in deletes
    assert "also deletes its 1 active API key" in deletes
    assert Agent.objects.filter(name="booking_bot").exists()


def test_without_prune_nothing_is_deleted_and_the_page_says_what_stays(admin, deployment):
    response = upload(admin, edited())
    assert section(response, "deletes") == ""
    assert "Delete handoff" not in page(response)
    assert "1 not in the file, kept as they are" in page(response)

    response = apply(admin, payload(response))
    assert response.status_code == 302
    assert Handoff.objects.filter(name="end_call").exists()
    assert Handoff.objects.filter(name="escalation_handoff").exists()


def test_a_file_that_matches_the_deployment_has_nothing_to_change(admin, deployment):
    response = upload(admin, configfile.export_config())
    assert "Nothing to change: the deployment already matches this file." in page(response)
    assert 'name="payload"' not in response.content.decode()


# --- Apply --------------------------------------------------------------------------------------


def test_applying_writes_the_changes_and_lists_them_with_links(admin, deployment):
    response = apply(admin, payload(upload(admin, edited(), prune=True)))
    assert response.status_code == 302
    assert response["Location"] == reverse("config")
    assert state()["handoffs"] == ["agent_queue", "escalation_handoff"]
    assert SendTextAction.objects.get().description == NEW_DESCRIPTION

    done = admin.get(response["Location"])
    report = section(done, "import-done")
    escalation = Handoff.objects.get(name="escalation_handoff")
    assert "3 changes applied" in page(done)
    assert f'href="{reverse("handoff_edit", args=[escalation.pk])}"' in report
    assert f'href="{reverse("action_edit", args=[deployment["action"].pk])}"' in report
    assert "Deleted handoff" in report and "end_call" in report
    # Shown once.
    assert section(admin.get(reverse("config")), "import-done") == ""


def test_applying_the_same_file_twice_changes_nothing_the_second_time(admin, deployment):
    text = edited()
    apply(admin, payload(upload(admin, text)))
    response = upload(admin, text)
    assert "Nothing to change" in page(response)


def test_an_altered_token_is_refused_and_nothing_is_written(admin, deployment):
    token = payload(upload(admin, edited(), prune=True))
    before = state()

    data, timestamp, signature = token.rsplit(":", 2)
    flipped = data[:-3] + ("A" if data[-3] != "A" else "B") + data[-2:]
    forged = signing.dumps(
        {"text": "channels: []\n", "prune": True, "plan": "x", "filename": "x.yaml"},
        salt="another.salt",
        compress=True,
    )
    for bad in (f"{flipped}:{timestamp}:{signature}", forged, "", "not a token"):
        response = apply(admin, bad)
        assert response.status_code == 400, bad
        assert "cannot be applied" in page(response)
    assert state() == before


def test_if_the_deployment_changed_since_the_preview_the_new_diff_is_shown_instead(
    admin, deployment
):
    token = payload(upload(admin, edited()))
    make_handoff("escalation_handoff", description="Made meanwhile")
    before = state()

    response = apply(admin, token)
    assert response.status_code == 200
    assert "changed after you previewed" in page(response)
    updates = section(response, "updates")
    assert "escalation_handoff" in updates and "Made meanwhile" in updates
    assert "escalation_handoff" not in section(response, "creates")
    assert state() == before
    assert Handoff.objects.get(name="escalation_handoff").description == "Made meanwhile"

    # The new preview carries a new token, which applies.
    assert apply(admin, payload(response)).status_code == 302
    assert Handoff.objects.get(name="escalation_handoff").description == ESCALATION["description"]


# --- Refused files ------------------------------------------------------------------------------


def test_problems_are_listed_with_their_places_and_nothing_is_written(admin, deployment):
    data = current()
    data["actions"][0]["parameters"] = {"type": "array"}
    data["actions"][0]["channel"] = "no_such_channel"
    data["handoffs"].append({"name": "Bad Name", "description": ""})
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(configfile.ConfigError) as raised:
        configfile.plan(configfile.load(text))
    before = state()

    response = upload(admin, text, name="broken.yaml")
    problems = section(response, "problems")
    assert len(raised.value.problems) >= 3
    listed = re.sub(r"<[^>]+>", "", problems)
    for problem in raised.value.problems:
        line = raised.value.line_of(problem)
        assert f"{problem.place}: {problem.message}" + (f" (line {line})" if line else "") in listed
    assert any(raised.value.line_of(p) for p in raised.value.problems)
    assert "broken.yaml" in problems
    assert 'name="payload"' not in response.content.decode()
    assert state() == before


def test_malformed_yaml_is_reported_with_its_line(admin, deployment):
    response = upload(admin, "channels:\n  - name: [unclosed\n")
    problems = section(response, "problems")
    assert problems
    assert re.search(r"line \d+", problems)


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "channels: []\n".encode("utf-16")],
    ids=["png", "utf-16"],
)
def test_a_binary_file_is_refused_as_not_text(admin, content):
    response = upload(admin, content, name="logo.png")
    assert "“logo.png” is not a text file" in page(response)
    assert 'name="payload"' not in response.content.decode()


def test_a_file_over_the_limit_is_refused_by_name_and_size(admin, deployment):
    before = state()
    # Not even text: the size alone refuses it, before anything is read.
    content = b"\xff" * (configfile.MAX_BYTES + 1)
    response = upload(admin, content, name="huge.yaml")
    assert "“huge.yaml” is 1.0 MB: a configuration file may be at most 1.0 MB." in page(response)
    assert "not a text file" not in page(response)
    assert state() == before


def test_uploading_no_file_asks_for_one(admin):
    response = admin.post(reverse("config_import"), {})
    assert "Choose a YAML file to import." in page(response)


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["builder_user", "reviewer_user"])
def test_builders_and_reviewers_may_not_open_the_configuration_pages(who, client, request):
    client.force_login(request.getfixturevalue(who))
    for name in ("config", "config_export", "config_import"):
        assert client.get(reverse(name)).status_code == 403, name
    assert upload(client, "handoffs: []\n").status_code == 403
    assert apply(client, "x").status_code == 403


def test_without_logging_in_the_pages_lead_to_the_login(client, admin_user):
    for name in ("config", "config_export", "config_import"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = upload(client, "handoffs: []\n")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_import_without_the_csrf_token_is_refused(admin_user, deployment):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert upload(client, edited()).status_code == 403


def test_the_other_pages_take_no_post(admin):
    assert admin.post(reverse("config_export")).status_code == 405
    assert admin.post(reverse("config")).status_code == 405
