"""deploy/: the settings example, the compose file, the Dockerfile, the systemd unit, the entrypoint.

No container engine is needed: the files are parsed and cross-checked against the package
(`bot.config.Settings`, pyproject.toml), the unit is verified with `systemd-analyze` when the
machine has it, and the entrypoint script runs for real against a throwaway SQLite database
and a local HTTP server standing in for the webhook's /healthz.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from bot.config import Settings
from storage.engine import head_revision, normalize_url

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / ".env.example"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
UNIT = DEPLOY / "livehost.service"
ENTRYPOINT = DEPLOY / "entrypoint.sh"


def _env_name(field: str) -> str:
    return f"LIVEHOST_{field.upper()}"


# --- .env.example -------------------------------------------------------------------------


def _example() -> dict[str, str | None]:
    return dotenv_values(ENV_EXAMPLE)


def test_env_example_names_every_setting_and_nothing_else() -> None:
    names = set(_example())
    expected = {_env_name(field) for field in Settings.model_fields}
    assert expected - names == set(), "settings missing from deploy/.env.example"
    unknown = {n for n in names if n.startswith("LIVEHOST_")} - expected
    assert unknown == set(), "LIVEHOST_ names in .env.example that Settings does not have"


def test_env_example_comments_every_setting() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert index > 0 and lines[index - 1].startswith("# "), f"no comment above {line!r}"


def _defaults() -> dict[str, Any]:
    return {
        field: info.get_default(call_default_factory=True)
        for field, info in Settings.model_fields.items()
    }


def _clear_settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in os.environ:
        if name.startswith("LIVEHOST_"):
            monkeypatch.delenv(name)


def test_env_example_as_env_file_gives_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example says every value is the default: it must parse, and equal `Settings`'s."""
    _clear_settings_env(monkeypatch)
    parsed = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    for field, default in _defaults().items():
        assert getattr(parsed, field) == default, f"{_env_name(field)} differs from the default"


def test_env_example_as_environment_gives_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """How systemd's EnvironmentFile and compose's env_file pass it: empty values included."""
    _clear_settings_env(monkeypatch)
    for name, value in _example().items():
        monkeypatch.setenv(name, value or "")
    parsed = Settings(_env_file=None)  # type: ignore[call-arg]
    for field, default in _defaults().items():
        assert getattr(parsed, field) == default, f"{_env_name(field)} differs from the default"


# --- compose.yaml -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed: compose.yaml unchecked")
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _postgres(compose: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    found = [
        (name, svc)
        for name, svc in compose["services"].items()
        if str(svc.get("image", "")).startswith("postgres:")
    ]
    assert len(found) == 1, "exactly one PostgreSQL service"
    return found[0]


def _volume_targets(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> named volume (source) of a service's short-syntax volumes."""
    targets = {}
    for entry in service.get("volumes", []):
        source, target = str(entry).split(":")[:2]
        targets[target] = source
    return targets


def test_compose_postgres_15_with_healthcheck_and_named_volume(compose: dict[str, Any]) -> None:
    _name, postgres = _postgres(compose)
    assert postgres["image"].split(":")[1].split(".")[0] == "15"
    test = postgres["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))
    volume = _volume_targets(postgres).get("/var/lib/postgresql/data")
    assert volume in compose["volumes"], "PostgreSQL's data on a declared named volume"


def test_compose_bot_runs_webhook_on_postgres_after_it_is_healthy(
    compose: dict[str, Any],
) -> None:
    pg_name, postgres = _postgres(compose)
    bot = compose["services"]["bot"]
    assert "--webhook" in bot["command"]
    assert bot["env_file"] in (".env", [".env"])
    assert bot["depends_on"][pg_name]["condition"] == "service_healthy"
    assert "healthcheck" in bot
    assert _volume_targets(bot).get("/app/data") in compose["volumes"]

    env = bot["environment"]
    url = env["LIVEHOST_DATABASE_URL"]
    assert normalize_url(url).drivername == "postgresql+psycopg"
    parsed = make_url(url.replace("${POSTGRES_PASSWORD}", "secret"))
    assert parsed.host == pg_name
    assert parsed.username == postgres["environment"]["POSTGRES_USER"]
    assert parsed.database == postgres["environment"]["POSTGRES_DB"]
    # The published container port is the one the bot listens on.
    container_ports = {str(p).rsplit(":", 1)[1] for p in bot.get("ports", [])}
    assert container_ports == {str(env["LIVEHOST_PORT"])}


def test_compose_builds_this_repository_and_knows_its_variables(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        build = service.get("build")
        if build is None:
            continue
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE
    referenced = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE.read_text(encoding="utf-8")))
    assert referenced, "compose interpolates the database password"
    assert referenced <= set(_example()), "every ${VAR} of compose.yaml is in .env.example"


def test_compose_migrates_once_before_the_instances(compose: dict[str, Any]) -> None:
    """Several instances must not race to create the schema."""
    services = compose["services"]
    migrators = [n for n, s in services.items() if s.get("command") == ["db", "upgrade"]]
    assert len(migrators) == 1
    bot = services["bot"]
    assert bot["depends_on"][migrators[0]]["condition"] == "service_completed_successfully"


# --- Dockerfile ---------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    assert current == "", "Dockerfile ends in a continuation"
    pairs = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_dockerfile_base_user_font_and_volume() -> None:
    instructions = _instructions()
    froms = [args for kw, args in instructions if kw == "FROM"]
    assert froms[-1].split()[0] in ("python:3.11-slim", "python:3.11-slim-bookworm")

    users = [(i, args) for i, (kw, args) in enumerate(instructions) if kw == "USER"]
    assert users, "the image sets a USER"
    last_user_at, user = users[-1]
    assert user.split(":")[0] not in ("root", "0")
    start = max(i for i, (kw, _) in enumerate(instructions) if kw in ("ENTRYPOINT", "CMD"))
    assert last_user_at < start

    runs = " ".join(args for kw, args in instructions if kw == "RUN")
    assert re.search(r"apt-get install[^&;]*\bfonts-wqy-microhei\b", runs)
    assert "pip install --no-cache-dir ." in runs

    volumes = " ".join(args for kw, args in instructions if kw == "VOLUME")
    assert "/app/data" in volumes
    assert any(kw == "HEALTHCHECK" for kw, _ in instructions)


def _copy_sources() -> list[str]:
    sources = []
    for kw, args in _instructions():
        if kw != "COPY":
            continue
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        if any(w.startswith("--from") for w in shlex.split(args)):
            continue
        sources.extend(words[:-1])
    return sources


def test_dockerfile_copies_what_the_package_needs_from_the_repository() -> None:
    sources = _copy_sources()
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    copied = {PurePosixPath(s).parts[0] for s in sources}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "pyproject.toml" in copied
    assert project["project"]["readme"] in copied
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert package in copied, f"package {package} is not copied into the image"
    assert not copied & {".env", ".venv", "data", "tests"}


def test_dockerfile_entrypoint_is_the_deploy_script() -> None:
    instructions = _instructions()
    copies = [shlex.split(args) for kw, args in instructions if kw == "COPY"]
    target = next(words[-1] for words in copies if "deploy/entrypoint.sh" in words)
    entrypoint = next(args for kw, args in instructions if kw == "ENTRYPOINT")
    command = shlex.split(entrypoint.strip("[]").replace(",", " "))[0]
    assert command in (target, PurePosixPath(target).name)


# --- livehost.service ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT, encoding="utf-8")
    return parser


def test_unit_runs_the_bot_as_its_own_user(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]
    exec_start = shlex.split(service["ExecStart"])
    assert PurePosixPath(exec_start[0]).name == "livehost"
    assert exec_start[1] == "run"
    assert service["User"] not in ("root", "0")
    assert service["WorkingDirectory"] == "/opt/livehost"
    assert PurePosixPath(exec_start[0]).is_relative_to(service["WorkingDirectory"])
    assert service["EnvironmentFile"].lstrip("-").startswith("/")
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_unit_hardening_leaves_the_data_folder_writable(unit: configparser.ConfigParser) -> None:
    """Where the default SQLite database and models live must be writable under ProtectSystem."""
    service = unit["Service"]
    assert service.get("ProtectSystem") in ("strict", "full", "yes", "true")
    assert service.get("NoNewPrivileges") == "yes"
    workdir = PurePosixPath(service["WorkingDirectory"])
    writable = [PurePosixPath(p.lstrip("-")) for p in service.get("ReadWritePaths", "").split()]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    database = make_url(defaults.database_url).database
    assert database is not None
    for relative in (PurePosixPath(database).parent, PurePosixPath(defaults.models_dir)):
        target = workdir / relative
        assert any(target.is_relative_to(p) for p in writable), f"{target} is read-only"
    # The read-only working directory itself must not be where anything is written.
    assert workdir not in writable or service["ProtectSystem"] != "strict"


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    true = shutil.which("true")
    if analyze is None or true is None:
        pytest.skip("systemd-analyze is not installed")
    text = UNIT.read_text(encoding="utf-8")
    # verify insists that executables exist: stand the venv's script in with `true`.
    text = re.sub(r"^(Exec\w+=)\S+", rf"\g<1>{true}", text, flags=re.M)
    copy = tmp_path / "livehost.service"
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    ours = [line for line in (result.stdout + result.stderr).splitlines() if str(copy) in line]
    if result.returncode != 0 and not ours:
        pytest.skip(f"systemd-analyze cannot run here: {result.stderr.strip()[:200]}")
    assert ours == [], "\n".join(ours)


# --- entrypoint.sh ------------------------------------------------------------------------


def _livehost() -> Path:
    script = Path(sys.executable).parent / "livehost"
    if not script.exists():
        pytest.skip("the livehost console script is not installed next to this Python")
    return script


def _run_entrypoint(
    args: list[str], cwd: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEHOST_")}
    env["PATH"] = f"{_livehost().parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra_env or {})
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _revision(database: Path) -> str | None:
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def test_entrypoint_migrates_then_hands_over_its_arguments(tmp_path: Path) -> None:
    result = _run_entrypoint(["--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: livehost" in result.stdout
    # The default database, relative to the working directory, is migrated to head.
    assert _revision(tmp_path / "data" / "livehost.db") == head_revision()


def test_entrypoint_db_upgrade_and_exit_status(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere.db"
    env = {"LIVEHOST_DATABASE_URL": f"sqlite:///{database}"}
    result = _run_entrypoint(["livehost", "db", "upgrade"], cwd=tmp_path, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert _revision(database) == head_revision()
    assert not (tmp_path / "data").exists()
    # A failing command's status comes out of the entrypoint (argparse: 2).
    wrong = _run_entrypoint(["no-such-command"], cwd=tmp_path, extra_env=env)
    assert wrong.returncode == 2
    assert "no-such-command" in wrong.stderr


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        body = b'{"database": "ok", "scheduler": "ok"}'
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[int, type[_Health]]]:
    handler = type("Handler", (_Health,), {"status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cmdline(tmp_path: Path, *argv: str) -> Path:
    path = tmp_path / "cmdline"
    path.write_bytes(b"".join(a.encode() + b"\0" for a in argv))
    return path


WEBHOOK = ("/usr/local/bin/python3", "/usr/local/bin/livehost", "run", "--webhook")
POLLING = ("/usr/local/bin/python3", "/usr/local/bin/livehost", "run")


def test_healthcheck_follows_healthz_in_webhook_mode(
    tmp_path: Path, health_server: tuple[int, type[_Health]]
) -> None:
    port, handler = health_server
    cmdline = str(_cmdline(tmp_path, *WEBHOOK))
    for listen in ("0.0.0.0", "127.0.0.1"):
        env = {"LIVEHOST_PORT": str(port), "LIVEHOST_LISTEN": listen}
        handler.status = 200
        ok = _run_entrypoint(["healthcheck", cmdline], cwd=tmp_path, extra_env=env)
        assert ok.returncode == 0, ok.stderr
        assert "scheduler" in ok.stdout
        handler.status = 503
        bad = _run_entrypoint(["healthcheck", cmdline], cwd=tmp_path, extra_env=env)
        assert bad.returncode != 0
        assert "503" in bad.stderr


def test_healthcheck_fails_when_nothing_listens_in_webhook_mode(tmp_path: Path) -> None:
    env = {"LIVEHOST_PORT": str(_free_port())}
    result = _run_entrypoint(
        ["healthcheck", str(_cmdline(tmp_path, *WEBHOOK))], cwd=tmp_path, extra_env=env
    )
    assert result.returncode != 0


def test_healthcheck_in_polling_mode_needs_no_server(tmp_path: Path) -> None:
    env = {"LIVEHOST_PORT": str(_free_port())}
    result = _run_entrypoint(
        ["healthcheck", str(_cmdline(tmp_path, *POLLING))], cwd=tmp_path, extra_env=env
    )
    assert result.returncode == 0, result.stderr
    unreadable = _run_entrypoint(["healthcheck", str(tmp_path / "nope")], cwd=tmp_path)
    assert unreadable.returncode != 0
    # The healthcheck never migrates or creates anything.
    assert not (tmp_path / "data").exists()
