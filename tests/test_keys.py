"""SECRET_KEY and SURVEY_KEY: `serve`, `worker` and the Telegram commands refuse to start with a
missing, default or short key off loopback, and on loopback generate one kept in DATA_DIR."""

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import cli
from bot.keys import DEFAULT_SECRET_KEY, KeyUnusable, secret_key, survey_key
from bot.settings import Settings, get_settings

STRONG = "k" * 32
PUBLIC = "https://bot.example.org"
WEAK = {
    "empty": "",
    "default": DEFAULT_SECRET_KEY,
    "31 bytes": "k" * 31,
    "31 bytes in 30 letters": "k" * 29 + "é",
}
COMMANDS = {
    "serve": ["serve"],
    "worker": ["worker"],
    "telegram-poll": ["telegram-poll"],
    "telegram-webhook": ["telegram-webhook"],
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """Settings from a clean environment: no .env, keys unset, and a database that cannot be
    opened, so a command that wrongly starts fails at once instead of serving forever."""
    monkeypatch.chdir(tmp_path)
    for name in ("SECRET_KEY", "SURVEY_KEY", "PUBLIC_BASE_URL", "DATA_DIR", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite:////proc/no/such/place.db")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "a-secret")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("weak", WEAK)
def test_commands_refuse_a_weak_secret_key_off_loopback(environment, tmp_path, command, weak):
    environment.setenv("PUBLIC_BASE_URL", PUBLIC)
    environment.setenv("SECRET_KEY", WEAK[weak])
    environment.setenv("SURVEY_KEY", STRONG)
    result = CliRunner().invoke(cli, COMMANDS[command])
    assert result.exit_code == 2, result.output
    assert "Refusing to start: SECRET_KEY must be set to at least 32" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr
    assert not (tmp_path / "data" / "secret_key").exists()


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_commands_refuse_a_missing_survey_key_off_loopback(environment, command):
    environment.setenv("PUBLIC_BASE_URL", PUBLIC)
    environment.setenv("SECRET_KEY", STRONG)
    result = CliRunner().invoke(cli, COMMANDS[command])
    assert result.exit_code == 2
    assert "SURVEY_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8000", "http://localhost.example.org", "http://0.0.0.0:8000"]
)
def test_addresses_that_only_look_local_are_not_loopback(environment, url):
    environment.setenv("PUBLIC_BASE_URL", url)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2 and "SECRET_KEY must be set" in result.stderr


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def loopback_env(migrated: str, data: Path, port: int = 8000) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": migrated, "DATA_DIR": str(data)}
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    for name in ("SECRET_KEY", "SURVEY_KEY"):
        env.pop(name, None)
    return env


def assert_private_keys(data: Path) -> dict[str, str]:
    keys = {}
    for name in ("secret_key", "survey_key"):
        path = data / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        keys[name] = path.read_text().strip()
        assert len(keys[name]) >= 32
    assert keys["secret_key"] != keys["survey_key"]
    assert not [p for p in data.iterdir() if p.name.startswith(".")], "no temporary files left"
    return keys


def test_serve_on_loopback_generates_keys_and_keeps_them(migrated, tmp_path) -> None:
    from test_app import free_port

    data = tmp_path / "data"
    kept = None
    for _ in range(2):
        port = free_port()
        server = start(
            ["serve", "--port", str(port), "--no-scheduler"], loopback_env(migrated, data, port)
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    assert (
                        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
                    )
                    break
                except httpx.TransportError:
                    assert server.poll() is None, server.stdout.read()
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
        keys = assert_private_keys(data)
        assert kept in (None, keys), "a restart uses the same keys"
        kept = keys


def test_worker_on_loopback_generates_keys(migrated, tmp_path) -> None:
    data = tmp_path / "data"
    worker = start(["worker"], {**loopback_env(migrated, data), "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(worker.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("Worker running" in line for line in lines):
            assert worker.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "worker did not start"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert_private_keys(data)


def test_processes_starting_together_agree_on_one_generated_key(tmp_path) -> None:
    settings = Settings(public_base_url="http://localhost:8000", data_dir=str(tmp_path))
    found: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: found.append(secret_key(settings))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len(set(found)) == 1
    assert (tmp_path / "secret_key").read_text().strip().encode() == found[0]


def test_a_configured_strong_key_is_used_as_it_is_and_a_spoilt_file_is_reported(tmp_path) -> None:
    settings = Settings(public_base_url=PUBLIC, secret_key=STRONG, survey_key=STRONG + "s")
    assert (
        secret_key(settings) == STRONG.encode() and survey_key(settings) == (STRONG + "s").encode()
    )
    (tmp_path / "secret_key").write_text("short\n")
    local = Settings(public_base_url="http://[::1]:8000", data_dir=str(tmp_path))
    with pytest.raises(KeyUnusable, match="holds no usable key"):
        secret_key(local)
    (tmp_path / "file").write_text("")
    blocked = Settings(public_base_url="http://127.0.0.1", data_dir=str(tmp_path / "file"))
    with pytest.raises(KeyUnusable, match="Cannot keep SECRET_KEY"):
        secret_key(blocked)
