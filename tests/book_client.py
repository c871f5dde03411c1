#!/usr/bin/env python3
"""The book's chapter-4 Python client session, run unchanged against our server.

Starts the given server binary on a free loopback port with a throw-away SQLite file, creates
the book's demo user (demo/test), then replays the `requests` calls of "Using a Python Client"
(form-encoded bodies, HTTP Basic auth, whole-object PUT) and checks every answer.

Usage: python3 tests/book_client.py target/release/server
"""

import datetime
import sys

import requests

from local_server import running


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("  ok  " + message)


def replay(base):
    # >>> response = requests.get('http://localhost:8000/api/')
    response = requests.get(base + "/api/")
    check(response.status_code == 200, "GET /api/ answers 200 without auth")
    api = response.json()
    # DRF's root lists every registered collection: the book's three, and labels.
    check(
        sorted(api) == ["labels", "sprints", "tasks", "users"],
        "the root lists sprints, tasks, users (and labels)",
    )

    response = requests.get(api["sprints"])
    check(response.status_code == 401, "sprints without auth answer 401")
    check("Basic" not in response.headers.get("WWW-Authenticate", ""), "no Basic challenge (no browser pop-up)")
    response = requests.get(api["sprints"], auth=("demo", "test"))
    check(response.status_code == 200, "sprints with HTTP Basic answer 200")

    today = datetime.date.today()
    two_weeks = datetime.timedelta(days=14)
    data = {"name": "Current Sprint", "end": today + two_weeks}
    response = requests.post(api["sprints"], data=data, auth=("demo", "test"))
    check(response.status_code == 201, "a form-encoded sprint is created (201)")
    sprint = response.json()
    check(sprint["name"] == "Current Sprint", "the sprint keeps its name")
    check(sprint["description"] == "", "description defaults to ''")
    check(sprint["end"] == (today + two_weeks).isoformat(), "end is the ISO date sent")
    check({"self", "tasks"} <= set(sprint["links"]), "links include self and tasks")
    check(sprint["links"]["tasks"].endswith("?sprint={}".format(sprint["id"])), "tasks link filters by sprint")

    data = {"name": "Something Task", "sprint": sprint["id"]}
    response = requests.post(api["tasks"], data=data, auth=("demo", "test"))
    check(response.status_code == 201, "a form-encoded task is created (201)")
    task = response.json()
    check(task["assigned"] is None and task["completed"] is None and task["due"] is None, "unset fields are null")
    check(task["status"] == 1 and task["status_display"] == "Not Started", "a new task is Not Started")
    check(task["order"] == 0 and task["sprint"] == sprint["id"], "order 0, in the sprint")
    check(task["links"]["assigned"] is None, "no assignee link yet")

    # The book PUTs the whole dict back: links repeated as keys, id and status_display included,
    # None values dropped by requests.
    task["assigned"] = "demo"
    task["status"] = 2
    task["started"] = today
    response = requests.put(task["links"]["self"], data=task, auth=("demo", "test"))
    check(response.status_code == 200, "the whole-object PUT is accepted (200)")
    task = response.json()
    check(task["assigned"] == "demo", "the task is assigned to demo")
    check(task["status"] == 2 and task["status_display"] == "In Progress", "the task is In Progress")
    check(task["started"] == today.isoformat(), "started is today")
    check(task["due"] is None and task["completed"] is None, "omitted fields stay null")
    check(task["links"]["assigned"].endswith("/api/users/demo"), "the assignee link points at demo")

    # Chapter 4's browsable-API checks, through the same client.
    response = requests.get(api["tasks"], params={"search": "foo"}, auth=("demo", "test"))
    check(response.json()["count"] == 0, "search=foo finds nothing")
    response = requests.get(api["tasks"], params={"search": "something"}, auth=("demo", "test"))
    check(response.json()["count"] == 1, "search=something finds the task")
    response = requests.get(api["tasks"], params={"assigned": "demo"}, auth=("demo", "test"))
    check(response.json()["count"] == 1, "assigned=demo finds the task")
    response = requests.get(api["tasks"], params={"backlog": "True"}, auth=("demo", "test"))
    check(response.json()["count"] == 0, "backlog=True finds no sprint task")
    data = {"name": "Past", "end": today - datetime.timedelta(days=1)}
    response = requests.post(api["sprints"], data=data, auth=("demo", "test"))
    check(response.status_code == 400, "a past end date is refused (400)")
    check(response.json() == {"end": ["End date cannot be in the past."]}, "with the book's message")

    # The token flow the Backbone client uses.
    response = requests.post(base + "/api/token/", data={"username": "demo", "password": "test"})
    check(response.status_code == 200 and len(response.json()["token"]) == 40, "a 40-character token is issued")
    headers = {"Authorization": "Token " + response.json()["token"]}
    check(requests.get(api["users"], headers=headers).status_code == 200, "the token authenticates")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    demo = ["createsuperuser", "--username", "demo", "--email", "demo@example.com",
            "--password", "test"]
    with running(sys.argv[1], setup=[demo], env={"RUST_LOG": "warn"}, quiet=False) as server:
        print("book client transcript against " + server.base)
        replay(server.base)
        print("book client: all checks passed")


if __name__ == "__main__":
    main()
