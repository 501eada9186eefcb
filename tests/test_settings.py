"""Configuration: production settings pass the deploy checks; bad values are refused."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.env import ConfigurationError, env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    # Only what a production process would have: not the test run's own switches.
    test_only = ("DEBUG", "PORTAL_HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {key: value for key, value in os.environ.items() if key not in test_only}
    env.update(environment)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY="k" * 20 + "production-secret-key-from-the-environment-0123456789",
        ALLOWED_HOSTS="portal.example.gov.cn", PORTAL_VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_short_secret_key_is_refused_at_start_up(tmp_path):
    result = run_manage("check", SECRET_KEY="too-short", PORTAL_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters long" in result.stderr


def test_a_malformed_boolean_is_refused_at_start_up(tmp_path):
    result = run_manage("check", DEBUG="maybe", PORTAL_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_env_readers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    monkeypatch.setenv("X_BAD_INT", "twelve")

    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 0, minimum=1) == 12
    assert env_list("X_LIST") == ["a", "b", "c"]
    with pytest.raises(ConfigurationError, match="X_BAD_INT must be an integer"):
        env_int("X_BAD_INT", 0)
    with pytest.raises(ConfigurationError, match="at least 20"):
        env_int("X_INT", 0, minimum=20)
