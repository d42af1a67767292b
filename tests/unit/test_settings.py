import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


SECRETS = {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEBUG", "VAR_DIR", "DJANGO_SETTINGS_MODULE"}


def run_python(tmp_path, code, **env):
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    clean.update(env, VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="builder.settings")
    return subprocess.run(
        [sys.executable, *code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def run_settings(tmp_path, **env):
    code = "from django.conf import settings; print(settings.DEBUG, len(settings.SECRET_KEY))"
    return run_python(tmp_path, ["-c", code], **env)


def test_without_debug_the_web_entry_point_refuses_to_start_without_secrets(tmp_path):
    result = run_python(tmp_path, ["-c", "import builder.wsgi"])
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "FIELD_ENCRYPTION_KEY is not set" in result.stderr


def test_without_debug_a_worker_refuses_to_start_without_secrets(tmp_path):
    argv = ["-m", "celery", "-A", "builder", "worker", "--pool=solo", "--loglevel=WARNING"]
    result = run_python(tmp_path, argv, REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert "Switchboard worker cannot start: SECRET_KEY is not set" in result.stderr


def test_commands_that_need_no_secret_run_without_one(tmp_path):
    result = run_python(tmp_path, ["manage.py", "makemigrations", "--check", "--dry-run"])
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_the_deployment_check_names_each_missing_secret(tmp_path):
    result = run_python(tmp_path, ["manage.py", "check", "--deploy"])
    assert result.returncode != 0
    assert "switchboard.E001" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr
    assert "FIELD_ENCRYPTION_KEY is not set" in result.stderr


def test_in_development_a_secret_key_is_generated_once_into_var(tmp_path):
    first = run_settings(tmp_path, DEBUG="1")
    assert first.returncode == 0, first.stderr
    secret = (tmp_path / "secret_key").read_text()
    assert len(secret) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    second = run_settings(tmp_path, DEBUG="1")
    assert second.stdout == first.stdout == f"True {len(secret)}\n"
    assert (tmp_path / "secret_key").read_text() == secret


def test_debug_is_off_unless_set(tmp_path):
    result = run_settings(tmp_path, SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False ")
