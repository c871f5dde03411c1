"""A bounded soak of the release server, from this separate process, over loopback only: REST
writes and reads at a fixed rate, and live (websocket) connections that stay open, come and go,
and must hear every change. Fails on any 5xx, on memory that keeps growing after the warm-up,
on connections the server keeps after their clients left, or on a live connection that heard
nothing.

Usage: python3 tests/soak.py target/release/server [seconds]   (default 120; SOAK_SECONDS too)

Only the standard library: HTTP/1.1 keep-alive through http.client, and the websocket client
side written out below (the handshake and reading unmasked server frames is all it needs).
"""

import base64
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

from local_server import running

REST_PER_SECOND = 100
LIVE_CONNECTIONS = 50
# Every this many seconds one live connection is closed and another opened.
CHURN_EVERY = 2.0
# Tasks on the board; past this, each creation is a deletion instead.
MAX_TASKS = 200
# Memory may grow by this much after the warm-up (allocator settling, caches filling).
RSS_GROWTH_LIMIT = 0.15


class Api:
    """One keep-alive connection to the server."""

    def __init__(self, port, token=None):
        self.port, self.token = port, token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data = None if body is None else json.dumps(body)
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                answer = self.connection.getresponse()
                text = answer.read()
                return answer.status, (json.loads(text) if text.startswith(b"{") else text)
            except (http.client.HTTPException, ConnectionError):
                # The server closed an idle keep-alive connection: open another once.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                if attempt == 2:
                    raise


class Live(threading.Thread):
    """A websocket client of a sprint's channel, counting the frames it hears."""

    def __init__(self, url):
        super().__init__(daemon=True)
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.target = parts.path + "?" + parts.query
        self.frames = 0
        self.error = None
        self.sock = socket.create_connection((self.host, self.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET {self.target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
             f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             f"Sec-WebSocket-Version: 13\r\nOrigin: http://{self.host}:{self.port}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("the websocket handshake was cut")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"websocket refused: {head[:200]!r}")
        self.closing = False

    def read_exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def run(self):
        try:
            while True:
                first, second = self.read_exactly(2)
                length = second & 0x7F
                if length == 126:
                    length = int.from_bytes(self.read_exactly(2), "big")
                elif length == 127:
                    length = int.from_bytes(self.read_exactly(8), "big")
                payload = self.read_exactly(length)
                opcode = first & 0x0F
                if opcode == 0x1:
                    self.frames += 1
                elif opcode == 0x9:
                    # Answer the server's ping (masked, as clients must).
                    mask = os.urandom(4)
                    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                    self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
                elif opcode == 0x8:
                    return
        except (OSError, ConnectionError) as error:
            if not self.closing:
                self.error = error

    def close(self):
        self.closing = True
        try:
            # A masked close frame with no payload, then the socket.
            self.sock.sendall(bytes([0x88, 0x80]) + os.urandom(4))
        except OSError:
            pass
        self.sock.close()


def memory_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_sockets(pid):
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def main():
    seconds = float(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("SOAK_SECONDS", 120))
    soaker = ["createsuperuser", "--username", "soak", "--email", "", "--password",
              "soak-pass-123"]
    failures = []
    with running(sys.argv[1], setup=[soaker]) as server:
        port, process = server.port, server.process
        token = Api(port).call("POST", "/api/token/",
                               {"username": "soak", "password": "soak-pass-123"})[1]["token"]
        api = Api(port, token)
        end = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400 * 14))
        status, sprint = api.call("POST", "/api/sprints", {"name": "Soak", "end": end})
        assert status == 201, sprint
        sockets_before = open_sockets(process.pid)

        def channel():
            return api.call("GET", f"/api/sprints/{sprint['id']}")[1]["links"]["channel"]

        lives = [Live(channel()) for _ in range(LIVE_CONNECTIONS)]
        for live in lives:
            live.start()
        retired = []

        statuses = {}
        samples = []
        started = time.time()
        interval = 1.0 / REST_PER_SECOND
        next_at = started
        next_churn = started + CHURN_EVERY
        next_sample = started
        n = 0
        tasks = []
        late = 0
        while time.time() - started < seconds:
            now = time.time()
            if now < next_at:
                time.sleep(next_at - now)
            elif now - next_at > 1.0:
                late += 1
            next_at += interval
            n += 1
            step = n % 5
            if step == 0 and len(tasks) >= MAX_TASKS:
                # The board stays the same size: memory measures the server, not the data.
                status, _ = api.call("DELETE", f"/api/tasks/{tasks.pop(0)}")
            elif step == 0 or not tasks:
                status, body = api.call("POST", "/api/tasks",
                                        {"name": f"Soak {n}", "sprint": sprint["id"]})
                if status == 201:
                    tasks.append(body["id"])
            elif step == 1:
                status, _ = api.call("PATCH", f"/api/tasks/{tasks[n % len(tasks)]}",
                                     {"description": f"edited at {n}"})
            elif step == 2:
                status, _ = api.call("POST", f"/api/tasks/{tasks[n % len(tasks)]}/move",
                                     {"sprint": sprint["id"], "status": 1 + n % 4})
            elif step == 3:
                status, _ = api.call("GET", f"/api/tasks?sprint={sprint['id']}")
            else:
                status, _ = api.call("GET", f"/api/sprints/{sprint['id']}")
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 500:
                failures.append(f"a {status} at request {n}")
            if time.time() >= next_churn:
                next_churn += CHURN_EVERY
                old = lives.pop(0)
                old.close()
                retired.append(old)
                fresh = Live(channel())
                fresh.start()
                lives.append(fresh)
            if time.time() >= next_sample:
                next_sample += 5
                samples.append((time.time() - started, memory_kib(process.pid),
                                open_sockets(process.pid)))
        elapsed = time.time() - started
        rate = n / elapsed

        # A connection opened in the last moments has had its hello by now.
        time.sleep(1)
        for live in lives:
            if live.error:
                failures.append(f"a live connection failed: {live.error}")
        deaf = [live for live in lives if live.frames == 0]
        if deaf:
            failures.append(f"{len(deaf)} live connections heard nothing")
        heard = sum(live.frames for live in lives + retired)
        for live in lives:
            live.close()
        time.sleep(3)
        _, metrics = api.call("GET", "/metrics")
        metrics = metrics.decode() if isinstance(metrics, bytes) else str(metrics)
        open_live = [line for line in metrics.splitlines() if line.startswith("live_connections ")]
        if open_live != ["live_connections 0"]:
            failures.append(f"live connections left open on the server: {open_live}")
        sockets_after = open_sockets(process.pid)
        # The listener, the keep-alive API connection and the database are all that stay.
        if sockets_after > sockets_before + 2:
            failures.append(f"sockets leaked: {sockets_before} before, {sockets_after} after")

        warm = [rss for at, rss, _ in samples if at >= seconds * 0.25]
        warm_start = warm[0] if warm else samples[-1][1]
        peak_after = max(warm) if warm else warm_start
        final = samples[-1][1]
        growth = (final - warm_start) / warm_start
        if growth > RSS_GROWTH_LIMIT:
            failures.append(f"memory grew {growth:.0%} after the warm-up "
                            f"({warm_start} KiB → {final} KiB)")
        print(f"soak: {elapsed:.0f} s, {n} requests ({rate:.1f}/s, {late} late), "
              f"statuses {dict(sorted(statuses.items()))}, {LIVE_CONNECTIONS} live connections "
              f"({len(retired)} replaced), {heard} frames heard")
        print(f"soak: memory {samples[0][1]} KiB at start, {warm_start} KiB after the warm-up, "
              f"{final} KiB at the end (peak {peak_after} KiB, growth {growth:+.1%}); "
              f"sockets {sockets_before} before, {sockets_after} after")
        if late > n * 0.01:
            failures.append(f"{late} requests were sent more than a second late: the server "
                            f"did not keep up with {REST_PER_SECOND}/s")
    if failures:
        print("soak: FAILED\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("soak: passed")


if __name__ == "__main__":
    main()
