"""No Docker engine runs here, so the deployment files are kept honest by reading them:
docker-compose.yml, the Dockerfile, README.md's settings table and test command, .ci/run."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from sila.platform.cli import command_names, parse_args
from sila.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SETTING_NAMES = {"SILA_" + name.upper() for name in Settings.model_fields}
REQUIRED = {"SILA_" + name.upper() for name, f in Settings.model_fields.items() if f.is_required()}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def sila_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run our image (built from this repository)."""
    return {name: svc for name, svc in compose["services"].items() if "build" in svc}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def test_the_stack_has_every_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    sinks = [n for n, s in services.items() if "mailpit" in str(s.get("image", "")) or "mailhog" in str(s.get("image", ""))]
    assert sinks, "a mail sink service"
    assert set(sila_services(compose)) == {"web", "worker", "beat", "migrate"}


def test_every_sila_command_is_a_real_subcommand_with_real_options(compose: dict[str, Any]) -> None:
    known = command_names()
    commands = {}
    for name, service in sila_services(compose).items():
        command = service["command"]
        assert isinstance(command, list) and command[0] == "sila", f"{name}: run the `sila` command"
        assert command[1] in known, f"{name}: `sila {command[1]}` is not a subcommand ({sorted(known)})"
        try:
            args = parse_args(command[1:])  # the real parser: unknown options fail here
        except SystemExit as exc:
            raise AssertionError(f"{name}: `{' '.join(command)}` does not parse") from exc
        commands[name] = args.command
    assert commands == {"web": "serve", "worker": "worker", "beat": "beat", "migrate": "migrate"}


def test_environment_names_are_real_settings(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for var in environment(service):
            if var.startswith("SILA_"):
                assert var in SETTING_NAMES, f"{name}: {var} is not a setting (sila/platform/settings.py)"
    for name, service in sila_services(compose).items():
        env = environment(service)
        assert REQUIRED <= set(env), f"{name} lacks {REQUIRED - set(env)}"
        assert env["SILA_ENV"] == "production"
        assert env["SILA_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["SILA_DATABASE_URL"]
        assert env["SILA_REDIS_URL"].startswith("redis://redis:6379")
        assert env["SILA_EMAIL_PROVIDER"] == "smtp"
        # The secret is never baked into the file: compose refuses to start without it.
        assert env["SILA_SECRET_KEY"].startswith("${SILA_SECRET_KEY:?")


def test_migrations_run_once_before_web_worker_and_beat(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"].get("restart") == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_healthchecks_and_exactly_one_beat(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has a healthcheck"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert "scale" not in services["beat"]


def test_the_dockerfile_installs_the_package_and_pdf_dependencies(compose: dict[str, Any]) -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-hosny-amiri", "fonts-noto-core"):
        assert package in text
    assert "pip install" in text and "-e ." in text  # editable: templates/ and static/ sit beside sila/
    copied = set(re.findall(r"^COPY\s+(\S+)", text, re.M))
    for needed in ("pyproject.toml", "sila", "templates", "static", "migrations"):
        assert needed in copied, f"the image needs {needed}"
        assert (ROOT / needed).exists()


# --- README and CI -----------------------------------------------------------------------------


def _readme() -> str:
    return (ROOT / "README.md").read_text()


def _default_cell(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is None:
        return "(unset)"
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def test_readme_settings_table_matches_the_settings() -> None:
    table = _readme().split("<!-- settings:start -->")[1].split("<!-- settings:end -->")[0]
    rows = {}
    for line in table.splitlines():
        m = re.match(r"^\|\s*`(SILA_[A-Z0-9_]+)`\s*\|\s*(.*?)\s*\|\s*(.+?)\s*\|$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    missing, extra = SETTING_NAMES - set(rows), set(rows) - SETTING_NAMES
    assert not missing, f"add rows to README.md's settings table for {sorted(missing)}"
    assert not extra, f"README.md's settings table names settings that are gone: {sorted(extra)}"
    for name, field in Settings.model_fields.items():
        assert rows["SILA_" + name.upper()] == _default_cell(field), f"README default of SILA_{name.upper()}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    m = re.search(r"^TEST_COMMAND=\((.+)\)$", ci, re.M)
    assert m, ".ci/run names its TEST_COMMAND"
    command = m.group(1)
    section = _readme().split("## Run the tests")[1].split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert blocks and blocks[0].strip() == command, "README's test command and .ci/run's differ"
    assert "set -euo pipefail" in ci
    assert subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")]).returncode == 0
    # The run-the-platform command names the real console script and subcommand.
    run = _readme().split("## Run the platform")[1]
    assert ".venv/bin/sila dev" in run and "dev" in command_names()
