"""compose.yaml cannot be run here (no Docker engine), so check what can be checked: it
parses, every service has a health check, and every command it runs exists."""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

import yaml

from app.cli import build_parser
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def services() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]


def _exists(program: str) -> bool:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return program in scripts or Path(sys.executable).with_name(program).exists() \
        or shutil.which(program) is not None


def test_compose_runs_postgres_chroma_two_api_replicas_and_a_worker_with_health_checks():
    found = services()
    assert {"postgres", "chroma", "api", "worker"} <= set(found)
    assert found["api"]["deploy"]["replicas"] >= 2
    for name, service in found.items():
        assert "healthcheck" in service, f"{name} has no health check"


def test_every_command_compose_runs_exists_in_the_project():
    for name, service in services().items():
        commands = [service.get("command"), service["healthcheck"]["test"][1:]]
        for command in filter(None, commands):
            program, *args = command
            if program in ("pg_isready",) and name == "postgres":
                continue  # the postgres image's own tool
            assert _exists(program), f"{name}: {program} is not installed with the project"
            if program == "careerqa":
                build_parser().parse_args(args)  # exits (SystemExit) on an unknown command
            if program == "python":
                compile(args[-1], f"{name} healthcheck", "exec")


def test_compose_settings_are_real_settings():
    env = services()["api"]["environment"]
    fields = {f"CAREERQA_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields
    assert env["CAREERQA_DATABASE_URL"].startswith("postgresql://")
    # The API replicas leave ingest to the worker service.
    assert env["CAREERQA_WORKER_IN_PROCESS"] == "false"
