import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from actions import configfile
from actions.models import Agent, ApiKey, Handoff, MessagingChannel, SendTextAction
from tests.factories import make_action, make_handoff

pytestmark = pytest.mark.django_db

HANDOFFS = """\
handoffs:
  - name: agent_queue
    description: Transfer to live agent queue
    is_default: true
    sip_config:
      method: refer
      phone_number: "+441234567890"
  - name: end_call
    description: End the call gracefully
    sip_config:
      method: bye
"""


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def handoffs_file(tmp_path):
    path = tmp_path / "handoffs.yaml"
    path.write_text(HANDOFFS)
    return path


def test_export_config_writes_the_configuration_to_standard_output():
    make_action()

    out, _ = run("export_config")

    assert out == configfile.export_config()
    assert "send_booking_confirmation" in out


def test_export_config_writes_a_file(tmp_path):
    make_handoff("end_call")
    path = tmp_path / "config.yaml"

    _, err = run("export_config", str(path))

    assert path.read_text() == configfile.export_config()
    assert err.strip() == f"Configuration written to {path}."


def test_import_config_applies_the_file_and_prints_what_it_did(handoffs_file):
    out, _ = run("import_config", str(handoffs_file))

    assert out.splitlines() == [
        "create handoff agent_queue",
        '    description: "Transfer to live agent queue"',
        "    is_default: true",
        '    sip_config.method: "refer"',
        '    sip_config.phone_number: "+441234567890"',
        "    sip_headers: []",
        '    utterance: ""',
        "create handoff end_call",
        '    description: "End the call gracefully"',
        "    is_default: false",
        '    sip_config.method: "bye"',
        "    sip_headers: []",
        '    utterance: ""',
        "Imported: 2 created, 0 updated, 0 deleted.",
    ]
    assert sorted(Handoff.objects.values_list("name", flat=True)) == ["agent_queue", "end_call"]

    again, _ = run("import_config", str(handoffs_file))

    assert again == "Nothing to change: the configuration already matches the file.\n"


def test_import_config_dry_run_prints_the_plan_and_writes_nothing(handoffs_file):
    make_handoff("old_handoff")
    bot = Agent.objects.create(name="old_bot")
    ApiKey.issue(bot, "live")
    handoffs_file.write_text(HANDOFFS + "agents: []\n")

    out, _ = run("import_config", str(handoffs_file), "--dry-run", "--prune")

    lines = out.splitlines()
    assert lines[0] == "create handoff agent_queue"
    assert lines[-4:] == [
        "delete handoff old_handoff",
        "delete agent old_bot",
        "Deleting agent old_bot also deletes its 1 active API key.",
        "Dry run: 2 to create, 0 to update, 2 to delete. Nothing was changed.",
    ]
    assert list(Handoff.objects.values_list("name", flat=True)) == ["old_handoff"]
    assert Agent.objects.count() == 1


def test_import_config_prune_deletes_what_the_file_leaves_out(handoffs_file):
    make_handoff("old_handoff")

    out, _ = run("import_config", str(handoffs_file), "--prune")

    assert out.splitlines()[-2:] == [
        "delete handoff old_handoff",
        "Imported: 2 created, 0 updated, 1 deleted.",
    ]
    assert sorted(Handoff.objects.values_list("name", flat=True)) == ["agent_queue", "end_call"]


def test_import_config_prints_every_problem_one_per_line_and_changes_nothing(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "actions:\n"
        "  - name: send_it\n"
        "    description: Sends it.\n"
        "    channel: nowhere\n"
        "    mesage: Hello\n"
        "handoffs:\n"
        "  - {name: agent_queue, description: Queue, sip_config: {method: transfer}}\n"
    )

    with pytest.raises(CommandError) as caught:
        run("import_config", str(path))

    assert str(caught.value).splitlines() == [
        f"{path} was not imported: 4 problems.",
        "actions[0]: unknown key 'mesage' (did you mean 'message'?) (line 2)",
        "actions[0].channel: there is no channel named 'nowhere' in the file or the database "
        "(line 4)",
        "handoffs[0].sip_config.method: Select a valid choice. transfer is not one of the "
        "available choices. (line 7)",
        # The builder's form says this too: an unknown method is checked as the default one.
        "handoffs[0].sip_config.phone_number: Enter the number to transfer the call to, e.g. "
        "+441234567890. (line 7)",
    ]
    assert SendTextAction.objects.count() == Handoff.objects.count() == 0


def test_import_config_exits_with_status_1_on_a_bad_file(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT, subprocess_env

    path = tmp_path / "bad.yaml"
    path.write_text("handoffs:\n  - name: [\n")

    result = subprocess.run(
        [sys.executable, "manage.py", "import_config", str(path)],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert f"{path} was not imported: 1 problem." in result.stderr
    assert "line 3, column 1: " in result.stderr


def test_import_config_refuses_a_file_too_big_without_reading_it_all(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# padding\n" * 1_000_000)

    with pytest.raises(CommandError) as caught:
        run("import_config", str(path))

    assert str(caught.value).splitlines()[1] == (
        "file: is too big (10,000,000 bytes): a configuration file may be at most 1,048,576 bytes"
    )


def test_import_config_from_standard_input_stops_reading_past_the_limit(monkeypatch):
    class Stdin:
        buffer = io.BytesIO(b"# padding\n" * 1_000_000)

    monkeypatch.setattr("sys.stdin", Stdin)
    with pytest.raises(CommandError) as caught:
        run("import_config", "-")

    assert "is too big (1,048,577 bytes)" in str(caught.value)
    assert Stdin.buffer.tell() == 1_048_577


def test_import_config_names_a_file_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.yaml: No such file"):
        run("import_config", str(tmp_path / "missing.yaml"))


def test_import_config_records_the_user_it_is_given(handoffs_file, django_user_model):
    django_user_model.objects.create_user(username="ops")

    run("import_config", str(handoffs_file), "--user", "ops")

    with pytest.raises(CommandError, match="There is no user named “nobody”"):
        run("import_config", str(handoffs_file), "--user", "nobody")


def test_export_then_import_into_an_empty_database_round_trips(tmp_path, settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    make_action(fallback_handoff=make_handoff("agent_queue"))
    path = tmp_path / "config.yaml"
    run("export_config", str(path))
    SendTextAction.objects.all().delete()
    Handoff.objects.all().delete()
    MessagingChannel.objects.all().delete()

    run("import_config", str(path))

    assert run("export_config")[0] == path.read_text()
