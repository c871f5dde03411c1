"""The server binary run for a test script: a fresh SQLite file in a temporary directory, a
free loopback port, a signing key of its own, the given commands first (accounts, say), then
`serve` until `/healthz` answers. Used by book_client.py, api_contract.py and soak.py.
"""

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base: str
    port: int
    process: subprocess.Popen
    # The temporary directory it runs in (its database is there).
    work: str


@contextlib.contextmanager
def running(binary, setup=(), env=None, quiet=True):
    """Yields the started `Server`; stops it (SIGTERM) on the way out."""
    binary = os.path.abspath(binary)
    work = tempfile.mkdtemp(prefix="scrum-test-")
    port = free_port()
    environment = dict(
        os.environ,
        DATABASE_URL=f"sqlite://{work}/board.db?mode=rwc",
        LEPTOS_SITE_ADDR=f"127.0.0.1:{port}",
        RUST_LOG="error",
    )
    for name in ("LOG_FORMAT", "SCRUM_PASSWORD"):
        environment.pop(name, None)
    environment["SECRET_KEY"] = secrets.token_urlsafe(32)
    environment.update(env or {})
    output = subprocess.DEVNULL if quiet else None
    for args in setup:
        subprocess.run([binary, *args], env=environment, cwd=work, check=True, stdout=output)
    process = subprocess.Popen([binary, "serve"], env=environment, cwd=work,
                               stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or process.poll() is not None:
                sys.exit("the server did not start")
            time.sleep(0.1)
        yield Server(base, port, process, work)
    finally:
        process.terminate()
        process.wait(timeout=30)
