"""The web app as a newcomer starts it: `python -m bot serve` on a real port."""

import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_migrates_and_answers_health_checks(migrated, tmp_path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": migrated, "DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/nowhere").status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
