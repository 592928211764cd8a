"""Checks the deployment files against the code, without Docker.

- docker-compose.yml is valid by the Compose Specification's JSON schema
  (.ci/compose-spec.json, from github.com/compose-spec/compose-spec, Apache-2.0);
- every service command (compose, Procfile, Dockerfile CMD, healthchecks) is one the
  code accepts: `python -m server <command> [options]` parses with server/cli.py,
  `python -m workers`, and `arq ... workers.settings.WorkerSettings`;
- every BOOKING_* name in compose, .env.example, Procfile, README.md and docs/ is a
  setting of server/config.py, and the settings compose gives each service load;
- .env.example's BOOKING_* values load; Prometheus' targets are compose services that
  serve metrics on that port.

Usage: python .ci/check_deploy.py (from the checkout); exit status 1 on any problem.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.cli import build_parser  # noqa: E402
from server.config import PREFIX, TEST_PREFIX, ConfigError, Settings, load_settings  # noqa: E402

KNOWN = {f"{PREFIX}{field.upper()}" for field in Settings.__struct_fields__}
NAME = re.compile(r"\bBOOKING_[A-Z0-9_]+\b")
# ${VAR}, ${VAR:-default}, ${VAR:?message}: a placeholder of the right kind for a URL.
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")
PLACEHOLDERS = {"BOOKING_JWT_SECRET": "x" * 40, "BOOKING_PLATFORM_TOKEN": "p" * 20}

problems: list[str] = []


def problem(message: str) -> None:
    problems.append(message)


def interpolate(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in PLACEHOLDERS:
            return PLACEHOLDERS[name]
        default = re.match(r"\$\{[A-Z0-9_]+:-([^}]*)\}", match.group(0))
        return default.group(1) if default else "placeholder"

    return INTERPOLATION.sub(one, value)


def check_command(where: str, command: list[str] | str) -> None:
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv and argv[0] == "CMD":
        argv = argv[1:]
    if argv and argv[0] == "CMD-SHELL":
        return  # images' own tools (pg_isready): nothing of ours
    if argv[:3] == ["python", "-m", "server"]:
        try:
            build_parser().parse_args([interpolate(a) for a in argv[3:]])
        except SystemExit:
            problem(f"{where}: `{' '.join(argv)}` is not a command server/cli.py accepts")
    elif argv[:3] == ["python", "-m", "workers"]:
        if argv[3:]:
            problem(f"{where}: `python -m workers` takes no arguments")
    elif argv[:1] == ["arq"]:
        if argv[-1] != "workers.settings.WorkerSettings":
            problem(f"{where}: arq must be given workers.settings.WorkerSettings")
    elif argv[:2] == ["python", "-c"] or argv[:1] in (["redis-server"], ["redis-cli"]):
        pass
    else:
        problem(f"{where}: unknown command {argv}")


def check_names(where: str, text: str) -> None:
    for name in sorted(set(NAME.findall(text))):
        if name not in KNOWN and not name.startswith(TEST_PREFIX):
            problem(f"{where}: {name} is not a setting in server/config.py")


def check_compose() -> dict[str, Any]:
    path = ROOT / "docker-compose.yml"
    compose = yaml.safe_load(path.read_text())
    schema = json.loads((ROOT / ".ci" / "compose-spec.json").read_text())
    for error in jsonschema.Draft7Validator(schema).iter_errors(compose):
        location = "/".join(str(p) for p in error.absolute_path) or "(top)"
        problem(f"docker-compose.yml: {location}: {error.message}")
    check_names("docker-compose.yml", path.read_text())
    for name, service in compose.get("services", {}).items():
        where = f"docker-compose.yml: service {name}"
        if "command" in service and "image" in service and "booking" in str(service["image"]):
            check_command(where, service["command"])
        test = service.get("healthcheck", {}).get("test")
        if test:
            check_command(f"{where} healthcheck", test)
        env = service.get("environment") or {}
        if isinstance(env, dict) and any(k.startswith(PREFIX) for k in env):
            values = {k: interpolate(str(v)) for k, v in env.items() if k.startswith(PREFIX)}
            try:
                load_settings(values)
            except ConfigError as exc:
                problem(f"{where}: {exc}")
    return compose


def check_procfile() -> None:
    path = ROOT / "Procfile"
    check_names("Procfile", path.read_text())
    for line in path.read_text().splitlines():
        if ":" in line and not line.startswith("#"):
            kind, command = line.split(":", 1)
            check_command(f"Procfile {kind}", interpolate(command.replace("$PORT", "8000")))


def check_dockerfile() -> None:
    check_names("Dockerfile", (ROOT / "Dockerfile").read_text())
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD "):
            check_command("Dockerfile CMD", json.loads(line[4:]))


def check_env_example() -> None:
    path = ROOT / ".env.example"
    check_names(".env.example", path.read_text())
    values = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.startswith(PREFIX) and not line.startswith("#"):
            values[key] = value
    try:
        load_settings(values)
    except ConfigError as exc:
        problem(f".env.example: {exc}")


def check_docs() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*"))]:
        if path.is_file() and path.suffix in (".md", ".yml", ".conf"):
            check_names(str(path.relative_to(ROOT)), path.read_text())


FENCE = re.compile(r"^ *```(?:sh|bash)\n(.*?)^ *```", re.MULTILINE | re.DOTALL)


def shell_lines(text: str) -> list[str]:
    """The commands of a document's shell blocks, continuation lines joined."""
    lines: list[str] = []
    for block in FENCE.findall(text):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            command = line.split(" #")[0].strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def check_doc_commands(compose: dict[str, Any]) -> None:
    """`python -m server ...` in README/docs parses; `docker compose run SERVICE ...`
    names a compose service and runs a command the code accepts."""
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        where = str(path.relative_to(ROOT))
        for line in shell_lines(path.read_text()):
            if "-m server" not in line and "docker compose run" not in line:
                continue
            try:
                argv = shlex.split(re.sub(r"\$\(.*?\)", "X", line))
            except ValueError as exc:
                problem(f"{where}: `{line}`: {exc}")
                continue
            while argv and "=" in argv[0] and not argv[0].startswith("-"):
                argv = argv[1:]  # VAR=value prefixes
            if argv[:4] == ["docker", "compose", "run", "--rm"]:
                rest = argv[4:]
                while rest and rest[0].startswith("-"):
                    rest = rest[2:] if rest[0] in ("-v", "-e") else rest[1:]
                if not rest or rest[0] not in compose["services"]:
                    problem(f"{where}: `{line}` names no compose service")
                else:
                    check_command(where, rest[1:])
            elif len(argv) > 2 and argv[0].endswith("python") and argv[1:3] == ["-m", "server"]:
                check_command(where, ["python", *argv[1:]])


def check_prometheus(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((ROOT / "docs" / "deploy" / "prometheus.yml").read_text())
    serving = {}
    for name, service in compose["services"].items():
        port = (service.get("environment") or {}).get(f"{PREFIX}METRICS_PORT")
        if port:
            serving[name] = str(port)
    targets = [
        target
        for job in config["scrape_configs"]
        for group in job.get("static_configs", [])
        for target in group["targets"]
    ]
    for target in targets:
        host, _, port = target.partition(":")
        if serving.get(host) != port:
            problem(f"docs/deploy/prometheus.yml: {target} is not a compose service's metrics")
    for name in serving:
        if not any(t.startswith(f"{name}:") for t in targets):
            problem(f"docs/deploy/prometheus.yml: service {name} serves metrics, not scraped")


def main() -> int:
    compose = check_compose()
    check_procfile()
    check_dockerfile()
    check_env_example()
    check_docs()
    check_prometheus(compose)
    check_doc_commands(compose)
    for message in problems:
        print(f"check_deploy: {message}", file=sys.stderr)
    if not problems:
        print("check_deploy: compose, Procfile, Dockerfile, .env.example and docs agree")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
