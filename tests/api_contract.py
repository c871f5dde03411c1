"""The API against its own OpenAPI document, tried by schemathesis (every check, every phase,
stateful sequences included) as an ordinary member of a project, on a fresh SQLite file.

Usage: python3 tests/api_contract.py target/release/server

Exits with schemathesis's status; prints how many cases it ran. The few operations left out end
the very credentials the run uses (revoking its token, signing out everywhere); their own tests
are in the Rust suite.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

from local_server import running

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "schemathesis.toml")

# Operations that would end the run's own credentials.
LEFT_OUT = [
    ("DELETE", "/api/token/"),
    ("DELETE", "/api/me/sessions"),
    ("DELETE", "/api/me/tokens/{id}"),
]


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def main():
    accounts = [
        ["createsuperuser", "--username", "owner", "--email", "owner@example.com",
         "--password", "owner-pass-1"],
        ["users", "create", "member", "--email", "member@example.com",
         "--password", "member-pass-1"],
    ]
    # schemathesis sends bad credentials on purpose, many times: the throttle would otherwise
    # answer 429 to the rest of the run.
    unthrottled = {"LOGIN_FAILURES_PER_ADDRESS": "1000000",
                   "LOGIN_FAILURES_PER_USERNAME": "1000000"}
    with running(sys.argv[1], setup=accounts, env=unthrottled) as server:
        base = server.base
        owner = call(base, "POST", "/api/token/",
                     body={"username": "owner", "password": "owner-pass-1"})["token"]
        member = call(base, "POST", "/api/token/",
                      body={"username": "member", "password": "member-pass-1"})["token"]
        call(base, "POST", "/api/projects/1/members", owner, {"user": "member", "role": "member"})
        # Something to read: a sprint with tasks, a label and a comment.
        sprint = call(base, "POST", "/api/sprints", member,
                      {"name": "Contract", "end": time.strftime("%Y-%m-%d",
                                                               time.gmtime(time.time() + 86400 * 14))})
        label = call(base, "POST", "/api/labels", member, {"name": "Bug", "colour": "red"})
        for n in range(3):
            task = call(base, "POST", "/api/tasks", member,
                        {"name": f"Task {n}", "sprint": sprint["id"], "labels": [label["id"]],
                         "points": 3})
        call(base, "POST", f"/api/tasks/{task['id']}/comments", member, {"body": "Looks good"})

        command = [
            sys.executable, "-m", "schemathesis.cli", "--config-file", CONFIG, "run", f"{base}/api/openapi.json",
            "-H", f"Authorization: Token {member}",
            "--checks", "all",
            # Every phase (examples, coverage, fuzzing, stateful): the default. (Naming them on
            # the command line would replace the config file's stateful settings.)
            "--workers", "2",
            "--seed", "20261207",
            "--no-color",
        ]
        for method, path in LEFT_OUT:
            command += ["--exclude-name", f"{method} {path}"]
        # In the run's own directory: schemathesis keeps a cache where it runs.
        result = subprocess.run(command, capture_output=True, text=True, cwd=server.work)
        report = os.path.join(os.path.dirname(HERE), "target", "api-contract.txt")
        with open(report, "w") as out:
            out.write(result.stdout + result.stderr)
        # The summary, and every failure in full in the report file.
        print(result.stdout[-6000:])
        print(result.stderr[-3000:], file=sys.stderr)
        print(f"api contract: the whole report is in {report}")
        cases = re.search(r"(\d+) generated", result.stdout)
        print(f"api contract: {cases.group(1) if cases else '?'} cases generated", flush=True)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
