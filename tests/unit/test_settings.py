import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_settings(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "VAR_DIR"}}
    clean.update(env, VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="builder.settings")
    code = "from django.conf import settings; print(settings.DEBUG, len(settings.SECRET_KEY))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_without_debug_a_missing_secret_key_is_a_clear_startup_error(tmp_path):
    result = run_settings(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


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
