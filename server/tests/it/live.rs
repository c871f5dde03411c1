//! The live stream (`GET /socket`) end to end: the application served on a loopback port, real
//! websocket clients (tokio-tungstenite), and changes made through the REST API. Everything is
//! asserted the way a person watching a board would notice it: which frames arrive, in which
//! order, with which bodies; who is shown as present; which handshakes are refused.
//!
//! Tests that write through the API run on every backend; on PostgreSQL the server uses its
//! database bus (`LISTEN/NOTIFY`), as `server serve` does. Tests of the socket itself (refusals,
//! presence, resume, overflow, liveness) run on SQLite only: the database plays no part there.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::{Value, json};
use server::domain::{
    accounts::ticket,
    log::{self, Actor, NewEntry},
};
use server::live::outlet::BACKLOG;

use crate::harness::{
    Auth, Backend, LiveServer, NewTask, SECRET_KEY, TestApp, as_broadcast, backends, date,
};

/// A fresh app on `backend`, on the database's own event bus (as `server serve` runs).
async fn live_app(backend: &Backend) -> TestApp {
    TestApp::spawn(backend).await.with_database_bus().await
}

fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {value}"))
}

fn seq_of(frame: &Value) -> u64 {
    frame["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("no seq: {frame}"))
}

fn token_header(auth: &Auth) -> (&'static str, String) {
    ("Authorization", format!("Token {}", auth.key()))
}

/// `METHOD path` with a JSON body; panics unless it answers `expected`. Returns the body.
async fn write(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<Value>,
    expected: StatusCode,
) -> Value {
    let mut call = app.call(method.clone(), path).auth(auth);
    if let Some(body) = body {
        call = call.json(body);
    }
    let response = call.send().await;
    assert_eq!(
        response.status, expected,
        "{method} {path}: {}",
        response.text
    );
    if response.text.is_empty() {
        Value::Null
    } else {
        response.json()
    }
}

/// Asserts `frame` is the change `(model, action, id)` and carries a version.
fn assert_change(frame: &Value, model: &str, action: &str, id: i64) {
    assert_eq!(
        (
            frame["model"].as_str(),
            frame["action"].as_str(),
            frame["id"].as_i64()
        ),
        (Some(model), Some(action), Some(id)),
        "unexpected frame {frame}"
    );
    assert!(frame["version"].is_i64(), "no version in {frame}");
}

// --- 1. REST changes reach the sprint's boards ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_changes_reach_every_board_of_the_sprint_with_rest_bodies_in_order() {
    for backend in backends() {
        let app = live_app(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        // Alice uses the ticket of `links.channel`; Bob a script-style token and `?sprint=`.
        let mut a = live.join(&app, &alice, sprint).await;
        let (name, value) = token_header(&bob);
        let mut b = live
            .connect_with(&format!("sprint={sprint}"), &[(name, &value)])
            .await;
        assert_eq!(a.hello["sprint"], sprint);
        assert_eq!(a.hello["user"], "alice");
        assert_eq!(b.hello["user"], "bob");

        let created = app
            .create_task(&alice, json!({"name": "Write tests", "sprint": sprint}))
            .await;
        let id = id_of(&created);
        let patched = write(
            &app,
            &bob,
            Method::PATCH,
            &format!("/api/tasks/{id}"),
            Some(json!({"name": "Write more tests"})),
            StatusCode::OK,
        )
        .await;
        write(
            &app,
            &alice,
            Method::DELETE,
            &format!("/api/tasks/{id}"),
            None,
            StatusCode::NO_CONTENT,
        )
        .await;
        let sprint_answer = write(
            &app,
            &bob,
            Method::PATCH,
            &format!("/api/sprints/{sprint}"),
            Some(json!({"name": "Renamed"})),
            StatusCode::OK,
        )
        .await;

        for client in [&mut a, &mut b] {
            let start = client.hello_seq();
            let add = client.next_change().await;
            assert_change(&add, "task", "add", id);
            assert_eq!(
                add["body"],
                as_broadcast(&created),
                "the body is the REST representation"
            );
            assert_eq!(add["version"], created["version"]);
            assert_eq!(seq_of(&add), start + 1);

            let update = client.next_change().await;
            assert_change(&update, "task", "update", id);
            assert_eq!(update["body"], as_broadcast(&patched));
            assert_eq!(update["version"], patched["version"]);
            assert!(update["version"].as_i64() > add["version"].as_i64());
            assert_eq!(seq_of(&update), start + 2);

            let remove = client.next_change().await;
            assert_change(&remove, "task", "remove", id);
            // The last state, so a board knows where to take it from.
            assert_eq!(remove["body"]["name"], "Write more tests");
            assert_eq!(remove["body"]["sprint"], sprint);
            assert_eq!(seq_of(&remove), start + 3);

            let renamed = client.next_change().await;
            assert_change(&renamed, "sprint", "update", sprint.into());
            assert_eq!(seq_of(&renamed), start + 4);
            assert_eq!(renamed["body"]["name"], "Renamed");
            assert_eq!(renamed["body"]["version"], sprint_answer["version"]);
            assert_eq!(
                renamed["body"]["links"]["self"],
                as_broadcast(&sprint_answer)["links"]["self"]
            );
            // The writer's personal ticket never travels to other people.
            let channel = renamed["body"]["links"]["channel"].as_str().unwrap();
            assert!(
                channel.ends_with(&format!("/socket?sprint={sprint}")),
                "a broadcast sprint carries no ticket: {channel}"
            );
        }
        a.close().await;
        b.close().await;
        drop(live);
        app.cleanup().await;
    }
}

// --- 2. Routing: moves, the backlog, and no leaks ------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_reach_both_sprints_backlog_reaches_every_board_and_nothing_leaks() {
    for backend in backends() {
        let app = live_app(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let sprint_a = app.insert_sprint("A", date(14)).await.id;
        let sprint_b = app.insert_sprint("B", date(28)).await.id;
        let mut a = live.join(&app, &alice, sprint_a).await;
        let mut b = live.join(&app, &bob, sprint_b).await;

        // A task created in A: only A's board hears of it...
        let task = app
            .create_task(&alice, json!({"name": "Travels", "sprint": sprint_a}))
            .await;
        let id = id_of(&task);
        assert_change(&a.next_change().await, "task", "add", id);

        // ...and moving it to B tells both boards (it leaves one, joins the other).
        let moved = write(
            &app,
            &alice,
            Method::POST,
            &format!("/api/tasks/{id}/move"),
            Some(json!({"status": 1, "sprint": sprint_b})),
            StatusCode::OK,
        )
        .await;
        assert_eq!(moved["sprint"], sprint_b);
        for client in [&mut a, &mut b] {
            let update = client.next_change().await;
            // For B this is the first change: the add in A never reached it.
            assert_change(&update, "task", "update", id);
            assert_eq!(update["body"], as_broadcast(&moved));
        }

        // A backlog task is on every board.
        let idea = app.create_task(&bob, json!({"name": "Idea"})).await;
        for client in [&mut a, &mut b] {
            let add = client.next_change().await;
            assert_change(&add, "task", "add", id_of(&idea));
            assert_eq!(add["body"]["sprint"], Value::Null);
        }

        // A change in A, then one in B: B's next change is its own, A's next is the backlog one.
        let only_a = app
            .create_task(&alice, json!({"name": "Only A", "sprint": sprint_a}))
            .await;
        let only_b = app
            .create_task(&bob, json!({"name": "Only B", "sprint": sprint_b}))
            .await;
        write(
            &app,
            &bob,
            Method::PATCH,
            &format!("/api/sprints/{sprint_b}"),
            Some(json!({"name": "B renamed"})),
            StatusCode::OK,
        )
        .await;
        let backlog = app.create_task(&bob, json!({"name": "Later"})).await;
        assert_change(&a.next_change().await, "task", "add", id_of(&only_a));
        assert_change(&a.next_change().await, "task", "add", id_of(&backlog));
        assert_change(&b.next_change().await, "task", "add", id_of(&only_b));
        assert_change(&b.next_change().await, "sprint", "update", sprint_b.into());
        assert_change(&b.next_change().await, "task", "add", id_of(&backlog));
        a.close().await;
        b.close().await;
        drop(live);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_sprint_tells_its_board_and_puts_its_tasks_on_every_backlog() {
    for backend in backends() {
        let app = live_app(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let doomed = app.insert_sprint("Doomed", date(14)).await.id;
        let other = app.insert_sprint("Other", date(28)).await.id;
        let task = app
            .insert_task(NewTask {
                sprint: Some(doomed),
                ..NewTask::named("Orphan")
            })
            .await;
        let mut a = live.join(&app, &alice, doomed).await;
        let mut b = live.join(&app, &bob, other).await;

        write(
            &app,
            &alice,
            Method::DELETE,
            &format!("/api/sprints/{doomed}"),
            None,
            StatusCode::NO_CONTENT,
        )
        .await;
        for client in [&mut a, &mut b] {
            let update = client.next_change().await;
            assert_change(&update, "task", "update", task.id.into());
            assert_eq!(update["body"]["sprint"], Value::Null, "back in the backlog");
            assert_eq!(update["body"]["status"], 1);
        }
        assert_change(&a.next_change().await, "sprint", "remove", doomed.into());
        // B's board has nothing to do with the deleted sprint itself.
        let marker = app
            .create_task(&bob, json!({"name": "Marker", "sprint": other}))
            .await;
        assert_change(&b.next_change().await, "task", "add", id_of(&marker));
        a.close().await;
        b.close().await;
        drop(live);
        app.cleanup().await;
    }
}

/// The board as a client keeps it: tasks by id, a frame applied only when it is newer.
fn apply(board: &mut std::collections::BTreeMap<i64, Value>, frame: &Value) {
    let id = frame["id"].as_i64().expect("id");
    if frame["model"] != "task" {
        return;
    }
    let newer = board
        .get(&id)
        .is_none_or(|known| known["version"].as_i64() < frame["version"].as_i64());
    match frame["action"].as_str() {
        Some("remove") => {
            board.remove(&id);
        }
        Some("add" | "update") if newer => {
            board.insert(id, frame["body"].clone());
        }
        _ => {}
    }
    // A move carries its column's new order with each task's version: the neighbours take
    // their places here, as a board does.
    if let (Some(order), Some(versions)) = (frame["order"].as_array(), frame["versions"].as_array())
    {
        for (index, (neighbour, version)) in order.iter().zip(versions).enumerate() {
            let neighbour = neighbour.as_i64().expect("task ids");
            if let Some(task) = board.get_mut(&neighbour)
                && task["version"].as_i64() < version.as_i64()
            {
                task["order"] = json!(index);
                task["version"] = version.clone();
            }
        }
    }
}

/// `(name, status, order)` of the tasks of `sprint` on a board, sorted like a column.
fn columns(tasks: impl IntoIterator<Item = Value>, sprint: i32) -> Vec<(i64, i64, String)> {
    let mut shown: Vec<(i64, i64, String)> = tasks
        .into_iter()
        .filter(|task| task["sprint"] == sprint)
        .map(|task| {
            (
                task["status"].as_i64().unwrap(),
                task["order"].as_i64().unwrap(),
                task["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    shown.sort();
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_that_applies_the_frames_shows_what_the_api_lists_after_drags() {
    for backend in backends() {
        let app = live_app(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let other = app.insert_sprint("Next", date(28)).await.id;
        let mut ids = Vec::new();
        for (index, name) in ["A", "B", "C", "D"].into_iter().enumerate() {
            let task = app
                .insert_task(NewTask {
                    sprint: Some(sprint),
                    order: index as i16,
                    ..NewTask::named(name)
                })
                .await;
            ids.push(task.id);
        }
        let backlog = app.insert_task(NewTask::named("E")).await.id;
        let list = format!("/api/tasks?sprint={sprint}&page_size=100");

        // Bob's board: connect first, then fetch, then apply every change frame.
        let mut b = live.join(&app, &bob, sprint).await;
        let mut board = std::collections::BTreeMap::new();
        for task in app.get_json(&bob, &list).await["results"]
            .as_array()
            .unwrap()
        {
            board.insert(id_of(task), task.clone());
        }

        // Alice drags: D before A, B to In Progress, E from the backlog before C, C to the next
        // sprint, A to the end of Not Started.
        let moves = [
            (
                ids[3],
                json!({"status": 1, "sprint": sprint, "before": ids[0]}),
            ),
            (ids[1], json!({"status": 2, "sprint": sprint})),
            (
                backlog,
                json!({"status": 1, "sprint": sprint, "before": ids[2]}),
            ),
            (ids[2], json!({"status": 1, "sprint": other})),
            (ids[0], json!({"status": 1, "sprint": sprint})),
        ];
        let mut last_version = 0;
        for (id, target) in moves {
            let moved = write(
                &app,
                &alice,
                Method::POST,
                &format!("/api/tasks/{id}/move"),
                Some(target),
                StatusCode::OK,
            )
            .await;
            assert_eq!(id_of(&moved), i64::from(id));
            last_version = moved["version"].as_i64().unwrap();
            // Frames arrive until this move's own update.
            loop {
                let frame = b.next_change().await;
                apply(&mut board, &frame);
                if frame["id"] == id && frame["version"] == last_version {
                    break;
                }
            }
        }
        assert!(last_version > 1);
        // A last change: once it is here, everything the moves published (the renumbered
        // neighbours too) has arrived.
        let marker = app
            .create_task(&alice, json!({"name": "Z", "sprint": sprint}))
            .await;
        loop {
            let frame = b.next_change().await;
            apply(&mut board, &frame);
            if frame["id"] == marker["id"] {
                break;
            }
        }
        let listed = app.get_json(&bob, &list).await["results"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(
            columns(board.into_values(), sprint),
            columns(listed, sprint),
            "the live board matches a fresh fetch"
        );
        b.close().await;
        drop(live);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_writes_publish_nothing() {
    for backend in backends() {
        let app = live_app(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let other = app.insert_sprint("Next", date(28)).await.id;
        let done = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                status: 4,
                started: Some(date(-2)),
                completed: Some(date(-1)),
                ..NewTask::named("Done")
            })
            .await
            .id;
        let mut a = live.join(&app, &alice, sprint).await;

        // A stale version (412), a rule the book enforces (400), a missing task (404).
        let stale = app
            .call(Method::PATCH, &format!("/api/tasks/{done}"))
            .auth(&alice)
            .header("If-Match", "\"99\"")
            .json(json!({"name": "Stale"}))
            .send()
            .await;
        assert_eq!(
            stale.status,
            StatusCode::PRECONDITION_FAILED,
            "{}",
            stale.text
        );
        write(
            &app,
            &alice,
            Method::POST,
            &format!("/api/tasks/{done}/move"),
            Some(json!({"status": 4, "sprint": other})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        write(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{done}"),
            Some(json!({"status": 9})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        write(
            &app,
            &alice,
            Method::DELETE,
            "/api/tasks/999999",
            None,
            StatusCode::NOT_FOUND,
        )
        .await;
        let marker = app
            .create_task(&alice, json!({"name": "Marker", "sprint": sprint}))
            .await;
        let frame = a.next_change().await;
        assert_change(&frame, "task", "add", id_of(&marker));
        assert_eq!(
            seq_of(&frame),
            a.hello_seq() + 1,
            "nothing was published before"
        );
        a.close().await;
        drop(live);
        app.cleanup().await;
    }
}

// --- 3. Client frames: gestures only, stamped with the sender ------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drag_gestures_reach_the_others_stamped_with_the_sender_and_forgeries_are_dropped() {
    for backend in backends() {
        let app = live_app(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let task = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                ..NewTask::named("Dragged")
            })
            .await
            .id;
        let mut a = live.join(&app, &alice, sprint).await;
        let mut b = live.join(&app, &bob, sprint).await;

        // Alice claims to be Mallory: the server stamps who really sent it.
        a.send_json(json!({"model": "task", "id": task, "action": "dragstart", "user": "mallory"}))
            .await;
        assert_eq!(
            b.next_not_presence().await,
            json!({"model": "task", "id": task, "action": "dragstart", "user": "alice"})
        );

        // Forgeries of server frames and anything off the whitelist are never delivered.
        let forgeries = [
            json!({
                "model": "task", "id": task, "action": "update", "version": 99, "seq": 999,
                "body": {"id": task, "name": "pwned", "sprint": sprint},
            }),
            json!({"model": "task", "id": task, "action": "remove", "body": null}),
            json!({"model": "task", "id": task, "action": "add", "body": {"id": 4242, "name": "fake"}}),
            json!({"model": "sprint", "id": sprint, "action": "update", "body": {"name": "pwned"}}),
            json!({"model": "sprint", "id": sprint, "action": "dragstart"}),
            json!({"model": "task", "action": "dragstart"}),
            json!({"action": "resync"}),
            json!({"action": "hello", "seq": 0}),
        ];
        for forged in forgeries {
            a.send_json(forged).await;
        }
        a.send_text("not json").await;
        // A legitimate gesture after them: Bob's next frame must be this one (ids as strings,
        // as the book's client sometimes sends them, are normalised).
        a.send_json(json!({"model": "task", "id": task.to_string(), "action": "dragend"}))
            .await;
        assert_eq!(
            b.next_not_presence().await,
            json!({"model": "task", "id": task, "action": "dragend", "user": "alice"})
        );

        // Bob drops; Alice sees it with Bob's name.
        b.send_json(json!({"model": "task", "id": task, "action": "drop"}))
            .await;
        assert_eq!(
            a.next_not_presence().await,
            json!({"model": "task", "id": task, "action": "drop", "user": "bob"})
        );

        // Nobody got their own gestures back: a server change is the next thing both see.
        let marker = app
            .create_task(&alice, json!({"name": "Marker", "sprint": sprint}))
            .await;
        for client in [&mut a, &mut b] {
            let frame = client.next_not_presence().await;
            assert_change(&frame, "task", "add", id_of(&marker));
            assert_eq!(frame["body"]["name"], "Marker", "no forged body: {frame}");
        }
        a.close().await;
        b.close().await;
        drop(live);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_client_frame_ends_only_that_connection() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let (_, bob) = app.person("bob").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let mut a = live.join(&app, &alice, sprint).await;
    let mut b = live.join(&app, &bob, sprint).await;
    assert_eq!(a.next_presence().await, ["alice"]);
    assert_eq!(a.next_presence().await, ["alice", "bob"]);

    let huge =
        json!({"model": "task", "id": 1, "action": "dragstart", "pad": "x".repeat(16 * 1024)});
    a.send_json(huge).await;
    assert!(
        a.closed_within(Duration::from_secs(5)).await,
        "a flooding client is disconnected"
    );
    assert_eq!(b.next_presence().await, ["alice", "bob"]);
    assert_eq!(b.next_presence().await, ["bob"]);
    b.send_json(json!({"action": "presence"})).await;
    assert_eq!(
        b.next_presence().await,
        ["bob"],
        "Bob's stream is unaffected"
    );
    b.close().await;
}

// --- 4. Handshake refusals happen before the upgrade ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_without_credentials_is_refused_with_401() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    assert_eq!(live.refusal("", &[]).await, StatusCode::UNAUTHORIZED);
    assert_eq!(live.refusal("channel=", &[]).await, StatusCode::FORBIDDEN);
    for query in [format!("sprint={sprint}"), "since=1".into()] {
        assert_eq!(
            live.refusal(&query, &[]).await,
            StatusCode::UNAUTHORIZED,
            "{query}"
        );
    }
    let bad_token = [(
        "Authorization",
        "Token 0123456789abcdef0123456789abcdef01234567",
    )];
    assert_eq!(
        live.refusal(&format!("sprint={sprint}"), &bad_token).await,
        StatusCode::UNAUTHORIZED
    );
    let bad_cookie = [("Cookie", "scrum_session=ffffffffffffffffffffffff")];
    assert_eq!(
        live.refusal(&format!("sprint={sprint}"), &bad_cookie).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.state.bus.hub().connection_count(), 0);
}

#[tokio::test]
async fn a_handshake_in_another_version_is_told_which_one_is_spoken() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, alice) = app.person("alice").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let path = format!("/socket?sprint={sprint}");
    let old = app
        .call(Method::GET, &path)
        .auth(&alice)
        .websocket_upgrade("8")
        .send()
        .await;
    assert_eq!(old.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(old.header("sec-websocket-version"), "13");
    assert_eq!(
        old.json()["detail"],
        "This server speaks websocket version 13 only."
    );
    let plain = app.call(Method::GET, &path).auth(&alice).send().await;
    assert_eq!(plain.status, StatusCode::BAD_REQUEST);
    assert_eq!(plain.json()["detail"], "Expected a websocket upgrade.");
    assert_eq!(app.state.bus.hub().connection_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_expired_or_reused_tickets_are_refused_with_403() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (alice_user, alice) = app.person("alice").await;
    let sprint_a = app.insert_sprint("A", date(14)).await.id;
    let sprint_b = app.insert_sprint("B", date(28)).await.id;
    let query = app.channel_query(&alice, sprint_a).await;
    let ticket_text = query.strip_prefix("channel=").unwrap().to_owned();
    let key = SECRET_KEY.as_bytes();
    let now = chrono::Utc::now().timestamp();

    let mut refused = vec![
        ("garbage".to_owned(), "garbage"),
        (format!("{ticket_text}x"), "a changed signature"),
        (
            ticket::mint(
                b"another-key-another-key-another-key",
                sprint_a,
                alice_user.id,
                now,
            ),
            "signed with another key",
        ),
        (
            ticket::mint(
                key,
                sprint_a,
                alice_user.id,
                now - ticket::TICKET_TTL_SECS - 60,
            ),
            "expired",
        ),
    ];
    // Alice's ticket for A, edited to open B (or to be Bob's, or to live longer).
    let parts: Vec<&str> = ticket_text.split('.').collect();
    assert_eq!(parts.len(), 4, "{ticket_text}");
    refused.push((
        format!("{sprint_b}.{}.{}.{}", parts[1], parts[2], parts[3]),
        "reused for another sprint",
    ));
    refused.push((
        format!(
            "{}.{}.{}.{}",
            parts[0],
            alice_user.id + 1,
            parts[2],
            parts[3]
        ),
        "reused for another user",
    ));
    refused.push((
        format!("{}.{}.{}.{}", parts[0], parts[1], now + 86_400, parts[3]),
        "extended",
    ));
    for (ticket, why) in refused {
        let encoded: String = form_urlencoded::byte_serialize(ticket.as_bytes()).collect();
        assert_eq!(
            live.refusal(&format!("channel={encoded}"), &[]).await,
            StatusCode::FORBIDDEN,
            "{why}: {ticket}"
        );
    }

    // The genuine ticket opens A as Alice; a deactivated user's ticket opens nothing.
    let a = live.connect(&query).await;
    assert_eq!(
        (a.hello["sprint"].as_i64(), a.hello["user"].as_str()),
        (Some(sprint_a.into()), Some("alice"))
    );
    a.close().await;
    let mut inactive = alice_user.into_active_model();
    inactive.is_active = Set(false);
    inactive.update(&app.db).await.unwrap();
    assert_eq!(live.refusal(&query, &[]).await, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_origins_must_be_the_site_or_allowed() {
    let app = TestApp::spawn_with(
        &Backend::Sqlite,
        &[(
            "WS_ALLOWED_ORIGINS",
            "http://app.example.com, https://board.example.org/",
        )],
    )
    .await;
    let live = LiveServer::start(&app).await;
    let (alice_user, alice) = app.person("alice").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let ticket = app.channel_query(&alice, sprint).await;
    let cookie = format!("scrum_session={}", app.session_for(alice_user.id).await);
    let by_cookie = format!("sprint={sprint}");

    // A page elsewhere may not open Alice's stream, with her ticket or with her cookie.
    for origin in [
        "http://evil.example",
        "null",
        "http://app.example.com.evil.example",
        "https://app.example.com",
    ] {
        assert_eq!(
            live.refusal(&ticket, &[("Origin", origin)]).await,
            StatusCode::FORBIDDEN,
            "ticket from {origin}"
        );
        assert_eq!(
            live.refusal(&by_cookie, &[("Origin", origin), ("Cookie", &cookie)])
                .await,
            StatusCode::FORBIDDEN,
            "cookie from {origin}"
        );
    }

    // The site's own pages: the session cookie and `?sprint=` are enough.
    let own = live
        .connect_with(
            &by_cookie,
            &[("Origin", &live.origin()), ("Cookie", &cookie)],
        )
        .await;
    assert_eq!(own.hello["user"], "alice");
    assert_eq!(own.hello["sprint"], sprint);
    own.close().await;

    // Origins listed in WS_ALLOWED_ORIGINS (a trailing slash in the setting is forgiven).
    for origin in ["http://app.example.com", "https://board.example.org"] {
        let allowed = live.connect_with(&ticket, &[("Origin", origin)]).await;
        assert_eq!(allowed.hello["user"], "alice", "{origin}");
        allowed.close().await;
    }
    let with_cookie = live
        .connect_with(
            &by_cookie,
            &[("Origin", "http://app.example.com"), ("Cookie", &cookie)],
        )
        .await;
    assert_eq!(with_cookie.hello["user"], "alice");
    with_cookie.close().await;

    // Scripts send no Origin at all.
    live.connect(&ticket).await.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_sprint_is_refused_with_404() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (alice_user, alice) = app.person("alice").await;
    let (name, value) = token_header(&alice);
    let token = [(name, value.as_str())];
    for query in ["sprint=999999", "sprint=abc", "sprint=-1"] {
        assert_eq!(
            live.refusal(query, &token).await,
            StatusCode::NOT_FOUND,
            "{query}"
        );
    }
    // A well-signed ticket for a sprint that is gone.
    let sprint = app.insert_sprint("Gone soon", date(14)).await.id;
    let query = app.channel_query(&alice, sprint).await;
    write(
        &app,
        &alice,
        Method::DELETE,
        &format!("/api/sprints/{sprint}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(live.refusal(&query, &[]).await, StatusCode::NOT_FOUND);
    let minted = ticket::mint(
        SECRET_KEY.as_bytes(),
        424_242,
        alice_user.id,
        chrono::Utc::now().timestamp(),
    );
    assert_eq!(
        live.refusal(&format!("channel={minted}"), &[]).await,
        StatusCode::NOT_FOUND
    );
}

// --- 5. Presence ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_shows_usernames_on_every_join_and_leave() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let (_, bob) = app.person("bob").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let other = app.insert_sprint("Other", date(28)).await.id;

    let mut a1 = live.join(&app, &alice, sprint).await;
    assert_eq!(a1.next_presence().await, ["alice"]);
    let mut b = live.join(&app, &bob, sprint).await;
    assert_eq!(a1.next_presence().await, ["alice", "bob"]);
    assert_eq!(b.next_presence().await, ["alice", "bob"]);

    // Alice opens a second tab: still one Alice.
    let mut a2 = live.join(&app, &alice, sprint).await;
    assert_eq!(b.next_presence().await, ["alice", "bob"]);
    assert_eq!(a2.next_presence().await, ["alice", "bob"]);

    // Someone on another sprint is not present here.
    let mut elsewhere = live.join(&app, &bob, other).await;
    assert_eq!(elsewhere.next_presence().await, ["bob"]);

    // Closing one tab leaves Alice present; closing the other makes her leave.
    a1.close().await;
    assert_eq!(b.next_presence().await, ["alice", "bob"]);
    a2.close().await;
    assert_eq!(b.next_presence().await, ["bob"]);

    // "Who is here?" is answered to the asker only.
    b.send_json(json!({"action": "presence"})).await;
    assert_eq!(b.next_presence().await, ["bob"]);
    elsewhere.send_json(json!({"action": "presence"})).await;
    assert_eq!(elsewhere.next_presence().await, ["bob"]);
    assert!(
        b.frames_during(Duration::from_millis(300)).await.is_empty(),
        "another board's question is not answered here"
    );
    b.close().await;
    elsewhere.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_that_disconnects_mid_drag_releases_its_lock() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let (_, bob) = app.person("bob").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let mut dragging_tab = live.join(&app, &alice, sprint).await;
    let other_tab = live.join(&app, &alice, sprint).await;
    let mut b = live.join(&app, &bob, sprint).await;
    dragging_tab
        .send_json(json!({"model": "task", "id": 7, "action": "dragstart"}))
        .await;
    assert_eq!(b.next_not_presence().await["action"], "dragstart");
    // The dragging tab goes away without dragend/drop (closed, crashed, network gone).
    dragging_tab.close().await;
    let frame = b.next_not_presence().await;
    assert_eq!(
        (
            frame["id"].as_i64(),
            frame["action"].as_str(),
            frame["user"].as_str()
        ),
        (Some(7), Some("dragend"), Some("alice")),
        "Bob must learn the drag is over: {frame}"
    );
    other_tab.close().await;
    b.close().await;
}

// --- 6. Resume after a reconnect -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_board_gets_exactly_what_it_missed_or_resync() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let (_, bob) = app.person("bob").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    // Bob keeps the board open all along, so the room (and its history) stays.
    let mut b = live.join(&app, &bob, sprint).await;
    assert_eq!(b.next_presence().await, ["bob"]);
    let mut a = live.join(&app, &alice, sprint).await;
    assert_eq!(b.next_presence().await, ["alice", "bob"]);

    let first = app
        .create_task(&alice, json!({"name": "Seen", "sprint": sprint}))
        .await;
    let seen = a.next_change().await;
    assert_change(&seen, "task", "add", id_of(&first));
    let last_seen = seq_of(&seen);
    assert_change(&b.next_change().await, "task", "add", id_of(&first));

    // Alice's connection drops; two changes happen meanwhile.
    a.close().await;
    assert_eq!(b.next_presence().await, ["bob"]);
    let missed_add = app
        .create_task(&bob, json!({"name": "Missed", "sprint": sprint}))
        .await;
    let missed_update = write(
        &app,
        &bob,
        Method::PATCH,
        &format!("/api/tasks/{}", id_of(&first)),
        Some(json!({"name": "Seen, then renamed"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(seq_of(&b.next_change().await), last_seen + 1);
    assert_eq!(seq_of(&b.next_change().await), last_seen + 2);

    // Reconnecting with since: the hello, then exactly the two missed frames.
    let ticket = app.channel_query(&alice, sprint).await;
    let mut a = live.connect(&format!("{ticket}&since={last_seen}")).await;
    assert_eq!(
        a.hello_seq(),
        last_seen,
        "the stream goes on from where it was"
    );
    let replayed = a.next().await;
    assert_change(&replayed, "task", "add", id_of(&missed_add));
    assert_eq!(replayed["body"], as_broadcast(&missed_add));
    assert_eq!(seq_of(&replayed), last_seen + 1);
    let replayed = a.next().await;
    assert_change(&replayed, "task", "update", id_of(&first));
    assert_eq!(replayed["body"], as_broadcast(&missed_update));
    assert_eq!(seq_of(&replayed), last_seen + 2);
    assert_eq!(a.next_presence().await, ["alice", "bob"]);
    // Live frames continue after the replay, with no duplicates.
    let after = app
        .create_task(&bob, json!({"name": "After", "sprint": sprint}))
        .await;
    let live_frame = a.next_change().await;
    assert_change(&live_frame, "task", "add", id_of(&after));
    assert_eq!(seq_of(&live_frame), last_seen + 3);

    // Resuming with nothing missed replays nothing.
    let mut current = live
        .connect(&format!("{ticket}&since={}", last_seen + 3))
        .await;
    assert_eq!(
        current.next().await["action"],
        "presence",
        "nothing to replay"
    );

    // A seq this log never gave out (another database's, or from the future): refetch.
    for resume in ["since=9999", "since=-1"] {
        let mut stale = live.connect(&format!("{ticket}&{resume}")).await;
        assert_eq!(stale.next().await, json!({"action": "resync"}), "{resume}");
        stale.close().await;
    }
    current.close().await;
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_after_everyone_left_and_the_server_restarted_replays_from_the_log() {
    for backend in backends() {
        let app = live_app(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let mut a = live.join(&app, &alice, sprint).await;
        app.create_task(&alice, json!({"name": "Seen", "sprint": sprint}))
            .await;
        let since = seq_of(&a.next_change().await);
        a.close().await;
        drop(live);

        // The server restarts (a new instance, nothing in memory); a change is made meanwhile.
        let restarted = app.attach(&[]).await.with_database_bus().await;
        let missed = restarted
            .create_task(&alice, json!({"name": "Missed", "sprint": sprint}))
            .await;
        let live = LiveServer::start(&restarted).await;
        let ticket = restarted.channel_query(&alice, sprint).await;
        let mut again = live.connect(&format!("{ticket}&since={since}")).await;
        // From the log, or live if this instance had not delivered it yet when the board
        // joined; either way before anything newer.
        let replayed = again.next_change().await;
        assert_change(&replayed, "task", "add", id_of(&missed));
        assert_eq!(seq_of(&replayed), since + 1, "{backend:?}");
        again.close().await;
        drop(live);
        restarted.cleanup().await;
        app.cleanup().await;
    }
}

// --- 7. A subscriber that falls behind -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_falls_behind_catches_up_from_the_log() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let mut slow = live.join(&app, &alice, sprint).await;
    assert_eq!(slow.next_presence().await, ["alice"]);

    // Far more than a connection's backlog holds, and far more bytes than the kernel buffers on
    // loopback (32 KiB × 768 = 24 MiB), while the client reads nothing: the socket fills up.
    let total = BACKLOG * 3;
    let padding = "x".repeat(32 * 1024);
    let entries: Vec<NewEntry> = (0..total)
        .map(|index| NewEntry {
            model: log::Model::Task,
            object: 1_000 + index as i32,
            action: log::Action::Update,
            changes: Default::default(),
            body: json!({"id": 1_000 + index, "description": padding}),
            version: 1,
            sprints: vec![sprint],
            backlog: false,
            column: None,
            project: Some(app.project),
        })
        .collect();
    let store = &app.state.store;
    let txn = sea_orm::TransactionTrait::begin(&store.db).await.unwrap();
    let first = store
        .commit(txn, &Actor::command_line(), entries)
        .await
        .unwrap()[0] as u64;

    // Now read: every frame, in order, none twice, and no refetch: what the backlog dropped
    // came from the log.
    let mut seqs = Vec::new();
    let last = first + total as u64 - 1;
    while seqs.last() != Some(&last) {
        let frame = slow.next().await;
        assert_ne!(frame["action"], "resync", "the log had it all");
        seqs.push(seq_of(&frame));
    }
    assert_eq!(seqs, (first..=last).collect::<Vec<_>>());
    // It keeps working afterwards.
    let marker = app
        .create_task(&alice, json!({"name": "Marker", "sprint": sprint}))
        .await;
    let frame = slow.next_change().await;
    assert_change(&frame, "task", "add", id_of(&marker));
    assert_eq!(seq_of(&frame), last + 1);
    slow.close().await;
}

// --- 8. Liveness ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_answering_pings_is_dropped_within_seconds() {
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("WS_PING_INTERVAL", "1s")]).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let (_, bob) = app.person("bob").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    // Alice's client freezes after the hello: it never reads again, so it never answers a ping.
    let mut silent = live.join(&app, &alice, sprint).await;
    let mut watcher = live.join(&app, &bob, sprint).await;
    assert_eq!(watcher.next_presence().await, ["alice", "bob"]);

    let started = Instant::now();
    let deadline = started + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = watcher
            .next_within(left)
            .await
            .expect("the silent user is dropped within 10 s");
        if frame["action"] == "presence" && crate::harness::usernames(&frame) == ["bob"] {
            break;
        }
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1_500),
        "not before two ping intervals: {took:?}"
    );
    // The frozen client finds its connection closed; the one that reads is still there.
    assert!(silent.closed_within(Duration::from_secs(5)).await);
    let kept = Instant::now();
    assert!(
        watcher
            .frames_during(Duration::from_secs(4))
            .await
            .is_empty(),
        "nothing happens to a client that answers"
    );
    assert!(kept.elapsed() >= Duration::from_secs(4));
    watcher.send_json(json!({"action": "presence"})).await;
    assert_eq!(watcher.next_presence().await, ["bob"]);
    watcher.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_user_is_disconnected() {
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("WS_PING_INTERVAL", "1s")]).await;
    let live = LiveServer::start(&app).await;
    let (alice_user, alice) = app.person("alice").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let mut a = live.join(&app, &alice, sprint).await;
    let mut inactive = alice_user.into_active_model();
    inactive.is_active = Set(false);
    inactive.update(&app.db).await.unwrap();
    assert!(
        a.closed_within(Duration::from_secs(10)).await,
        "a deactivated user's stream is closed"
    );
}

// --- 9. Large changes (one instance, every backend) ----------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_change_reaches_the_board_on_every_backend() {
    for backend in backends() {
        let app = live_app(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let mut a = live.join(&app, &alice, sprint).await;
        // Over PostgreSQL's 8000-byte NOTIFY limit: it travels by reference.
        let description: String = "Long description. ".repeat(600);
        let created = app
            .create_task(
                &alice,
                json!({"name": "Big", "sprint": sprint, "description": description}),
            )
            .await;
        let add = a.next_change().await;
        assert_change(&add, "task", "add", id_of(&created));
        assert_eq!(add["body"]["description"], description);
        a.close().await;
        drop(live);
        app.cleanup().await;
    }
}

// --- Links in broadcasts cannot be forged ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_host_on_a_write_never_reaches_another_board() {
    // Even where any host is accepted (ALLOWED_HOSTS=*), broadcast links never take it.
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("ALLOWED_HOSTS", "*")]).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let (_, mallory) = app.person("mallory").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let mut board = live.join(&app, &alice, sprint).await;
    let created = app
        .create_task(&alice, json!({"name": "Target", "sprint": sprint}))
        .await;
    board.next_change().await;
    // Mallory writes with her own Host header, hoping every board's links point at her site.
    let response = app
        .call(Method::PATCH, &format!("/api/tasks/{}", id_of(&created)))
        .auth(&mallory)
        .header("host", "evil.example")
        .json(json!({"name": "Renamed"}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let update = board.next_change().await;
    assert_eq!(update["body"]["name"], "Renamed");
    let text = update.to_string();
    assert!(!text.contains("evil.example"), "{text}");
    assert_eq!(
        update["body"]["links"]["self"],
        format!("/api/tasks/{}", id_of(&created))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_flooding_gestures_is_cut_to_its_budget() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let (_, bob) = app.person("bob").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let mut flooder = live.join(&app, &alice, sprint).await;
    let mut peer = live.join(&app, &bob, sprint).await;
    for _ in 0..300 {
        flooder
            .send_json(json!({"model": "task", "id": 7, "action": "dragend"}))
            .await;
    }
    let mut relayed = 0;
    while let Some(frame) = peer.next_within(Duration::from_millis(500)).await {
        if frame["action"] == "dragend" {
            relayed += 1;
        }
        // The peer is never pushed into a resync by someone else's flood.
        assert_ne!(frame["action"], "resync");
    }
    assert!(
        (40..=60).contains(&relayed),
        "a burst of 40 plus what 20/s refills: {relayed} relayed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_card_a_vanished_tab_was_dragging_is_released() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (_, alice) = app.person("alice").await;
    let (_, bob) = app.person("bob").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let mut tab = live.join(&app, &alice, sprint).await;
    let mut peer = live.join(&app, &bob, sprint).await;
    for id in [5, 6] {
        tab.send_json(json!({"model": "task", "id": id, "action": "dragstart"}))
            .await;
    }
    tab.close().await;
    let mut released = Vec::new();
    while released.len() < 2 {
        let frame = peer
            .next_where("a dragend", |frame| frame["action"] == "dragend")
            .await;
        assert_eq!(frame["user"], "alice");
        released.push(frame["id"].as_i64().unwrap());
    }
    released.sort_unstable();
    assert_eq!(released, vec![5, 6]);
}

#[tokio::test]
async fn a_logged_out_session_cookie_no_longer_opens_the_stream() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let live = LiveServer::start(&app).await;
    let (alice_user, _) = app.person("alice").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let key = app.session_for(alice_user.id).await;
    let cookie = format!("scrum_session={key}");
    let query = format!("sprint={sprint}");
    let headers = [("Origin", live.origin()), ("Cookie", cookie.clone())];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    live.connect_with(&query, &headers).await.close().await;

    let logout = app
        .call(Method::DELETE, "/api/session")
        .auth(&Auth::Session(key.clone()))
        .header("origin", "http://localhost:3000")
        .send()
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.text);
    // A stolen copy of the cookie is worth nothing once its owner has logged out.
    assert_eq!(
        live.refusal(&query, &headers).await,
        StatusCode::UNAUTHORIZED
    );
    app.cleanup().await;
}
