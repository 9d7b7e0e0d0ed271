"""`forum migrate`, `forum seed-demo` and `forum serve` bring up a working demo (what `make run` does)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fresh_demo_starts_and_answers(tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "PORT": str(port),
           "HOST": "127.0.0.1", "EMAIL_URL": f"file://{tmp_path / 'outbox'}"}
    forum = [sys.executable, "-m", "app.cli"]
    subprocess.run([*forum, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    accounts = tmp_path / "accounts.txt"
    seeded = subprocess.run([*forum, "seed-demo", "--accounts-file", str(accounts)], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True, timeout=120)
    assert "admin@example.org" in seeded.stdout and "moderator@example.org" in seeded.stdout
    assert "member2@example.org" in accounts.read_text()
    again = subprocess.run([*forum, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True,
                           timeout=120)
    assert "not seeded" in again.stdout  # only into an empty database
    server = subprocess.Popen([*forum, "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        home = httpx.get(f"{base}/", timeout=5)
        assert home.status_code == 200 and "Share what works" in home.text
        assert "Good jobs" in home.text  # seeded channels with threads
        assert httpx.get(f"{base}/readyz", timeout=5).json() == {"database": "ok", "migrations": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=10)
