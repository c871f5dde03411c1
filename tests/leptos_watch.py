#!/usr/bin/env python3
"""`cargo leptos watch` as the README describes it, on a fresh database: it builds the server and
the bundle and serves the first run's "Create the administrator account"; once that is done,
the app's page with its bundle, and it listens for the browser's live reload.

Usage: python3 tests/leptos_watch.py [SECONDS]   (from the workspace root; default 1800, the
build included). Exits 0 when all of that holds, 1 with what was missing otherwise; the watch
is stopped either way. It runs on free ports, a throw-away SQLite file and a site directory of
its own, so the release site in target/site and any running server are left alone.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url, form=None, origin=None):
    """(status, body bytes), redirects followed; status 0 when nothing answers. With `form`, a
    POST of those fields from a page of `origin`."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data)
    if origin:
        request.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, b""


def wait_for_page(url, watch, limit):
    """The page at `url` once it answers 200, or the reason it never did."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if watch.poll() is not None:
            return None, f"cargo leptos watch exited with {watch.returncode} before serving"
        status, body = fetch(url)
        if status == 200:
            return body.decode("utf-8", "replace"), None
        time.sleep(2)
    return None, f"nothing answered 200 at {url} within {limit:.0f} s"


def first_run(site, page):
    """Creates the administrator account the first run asks for; what went wrong, if anything."""
    if "Create the administrator account" not in page:
        return "a fresh database did not lead to the first run's page"
    password = "watch-check-password-1"
    status, _ = fetch(
        f"{site}/setup",
        form={"username": "dev", "email": "dev@example.com", "password1": password, "password2": password},
        origin=site,
    )
    return None if status == 200 else f"the first run's form answered {status}"


def check(site, reload_port, page):
    """What is wrong with the served app page, as a list of sentences (empty: nothing)."""
    problems = []
    if "<title>" not in page or "Scrum Board" not in page:
        problems.append("the page is not the Scrum board's")
    wasm = re.search(r'href="([^"]+\.wasm)"', page)
    script = re.search(r'href="([^"]+\.js)"', page)
    if not wasm or not script:
        problems.append("the page names no bundle (.js and .wasm)")
    else:
        status, body = fetch(f"{site}{wasm.group(1)}")
        if status != 200 or not body.startswith(b"\0asm"):
            problems.append(f"the bundle {wasm.group(1)} is not served ({status})")
        status, _ = fetch(f"{site}{script.group(1)}")
        if status != 200:
            problems.append(f"the bundle's script {script.group(1)} is not served ({status})")
    # The page carries the live-reload script, pointed at the watch's reload port, and the
    # watch answers a websocket handshake there.
    # (Leptos's `AutoReload`: `(function (reload_port, protocol) { … })(3001, 'ws://')`.)
    script = re.search(r"\}\)\((\d+), 'wss?://'\)", page)
    if not script or int(script.group(1)) != reload_port:
        problems.append(f"the page has no live-reload script for port {reload_port}")
    handshake = reload_handshake(reload_port)
    if not handshake.startswith("HTTP/1.1 101"):
        problems.append(f"no live reload on port {reload_port}: {handshake or 'no answer'}")
    return problems


def reload_handshake(port):
    """The status line a websocket handshake at the watch's `/live_reload` gets ("" if none)."""
    request = (
        f"GET /live_reload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(request.encode())
            return connection.recv(1024).decode("latin-1").split("\r\n", 1)[0]
    except OSError:
        return ""


def stop(watch):
    """Ends the watch and everything it started (its process group), whatever state it is in."""
    try:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        pass
    # The server the watch started may outlive it: whatever is left of the group goes.
    try:
        os.killpg(watch.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    watch.wait()


def free_ports(count):
    ports = set()
    while len(ports) < count:
        ports.add(free_port())
    return list(ports)


def main():
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else 1800
    site_port, reload_port = free_ports(2)
    # Stopped from outside (a time limit), the watch and its server must not be left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    site = f"http://127.0.0.1:{site_port}"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="leptos-watch-") as scratch:
        env = dict(
            os.environ,
            LEPTOS_SITE_ADDR=f"127.0.0.1:{site_port}",
            LEPTOS_RELOAD_PORT=str(reload_port),
            LEPTOS_SITE_ROOT="target/watch-site",
            DATABASE_URL=f"sqlite://{scratch}/watch.db?mode=rwc",
        )
        # Its own process group: the watch starts the server, and both must stop.
        watch = subprocess.Popen(["cargo", "leptos", "watch"], env=env, start_new_session=True)
        try:
            page, failure = wait_for_page(f"{site}/", watch, limit)
            failure = failure or first_run(site, page)
            if not failure:
                status, body = fetch(f"{site}/login")
                page = body.decode("utf-8", "replace")
                if status != 200:
                    failure = f"the sign-in page answered {status} after the first run"
            problems = [failure] if failure else check(site, reload_port, page)
        finally:
            stop(watch)
    took = time.monotonic() - started
    if problems:
        for problem in problems:
            print(f"leptos watch: {problem}")
        return 1
    print(f"leptos watch: first run, then the app's page, its bundle and live reload on {site} ({took:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
