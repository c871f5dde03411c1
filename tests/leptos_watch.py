#!/usr/bin/env python3
"""`cargo leptos watch` as the README describes it: it builds the server and the bundle, serves
the site on its address, serves the page's bundle, and listens for the browser's live reload.

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
import urllib.request


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url):
    """(status, body bytes); status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
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


def check(site, reload_port, page):
    """What is wrong with the served site, as a list of sentences (empty: nothing)."""
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
    # watch listens there.
    if str(reload_port) not in page:
        problems.append(f"the page has no live-reload script for port {reload_port}")
    try:
        socket.create_connection(("127.0.0.1", reload_port), timeout=5).close()
    except OSError as error:
        problems.append(f"nothing listens for live reload on port {reload_port} ({error})")
    return problems


def stop(watch):
    try:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(watch.pid, signal.SIGKILL)
        watch.wait()


def main():
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else 1800
    site_port, reload_port = free_port(), free_port()
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
            problems = [failure] if failure else check(site, reload_port, page)
        finally:
            stop(watch)
    took = time.monotonic() - started
    if problems:
        for problem in problems:
            print(f"leptos watch: {problem}")
        return 1
    print(f"leptos watch: served the page, its bundle and live reload on {site} ({took:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
