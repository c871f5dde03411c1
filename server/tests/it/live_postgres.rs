//! Several server instances on one PostgreSQL database: a change written through one instance
//! reaches the boards open on another (`LISTEN/NOTIFY`, large changes by reference through
//! `live_events`). Both as two application states in this process and as two real `server`
//! processes. Skipped when no PostgreSQL answers (see `harness::backends`).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{
    Backend, LiveServer, ServerProcess, TestApp, WsClient, as_broadcast, backends,
    channel_query_of, create_superuser, date, day, ws_request,
};

fn postgres() -> Option<Backend> {
    let found = backends()
        .into_iter()
        .find(|backend| matches!(backend, Backend::Postgres(_)));
    if found.is_none() {
        eprintln!("no PostgreSQL: skipping the multi-instance live tests");
    }
    found
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

/// Asserts the frame is `(model, action, id)` with `body`, one after `previous_seq`.
fn assert_frame(frame: &Value, action: &str, body: &Value, previous_seq: u64) -> u64 {
    assert_eq!(frame["model"], "task", "{frame}");
    assert_eq!(frame["action"], action, "{frame}");
    assert_eq!(frame["id"].as_i64(), Some(id_of(body)), "{frame}");
    assert_eq!(
        frame["body"],
        as_broadcast(body),
        "the body is the REST representation"
    );
    assert_eq!(frame["version"], body["version"]);
    let seq = seq_of(frame);
    assert_eq!(seq, previous_seq + 1, "in order, none missing");
    seq
}

/// Two instances (their own pools, hubs and buses) over one fresh database.
async fn two_instances(backend: &Backend) -> (TestApp, TestApp) {
    let one = TestApp::spawn(backend).await.with_database_bus().await;
    let two = one.attach(&[]).await.with_database_bus().await;
    (one, two)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_written_on_one_instance_reach_boards_on_the_other_in_order() {
    let Some(backend) = postgres() else { return };
    let (one, two) = two_instances(&backend).await;
    let live_one = LiveServer::start(&one).await;
    let live_two = LiveServer::start(&two).await;
    let (_, alice) = one.person("alice").await;
    let (_, bob) = one.person("bob").await;
    let sprint = one.insert_sprint("Current", date(14)).await.id;
    // A ticket minted by one instance opens the stream on the other (shared SECRET_KEY).
    let mut on_one = live_one.join(&two, &alice, sprint).await;
    let mut on_two = live_two.join(&one, &bob, sprint).await;

    let created = two
        .create_task(&bob, json!({"name": "Shared", "sprint": sprint}))
        .await;
    let id = id_of(&created);
    let patched = two
        .call(Method::PATCH, &format!("/api/tasks/{id}"))
        .auth(&bob)
        .json(json!({"name": "Shared, renamed"}))
        .send()
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let moved = two
        .call(Method::POST, &format!("/api/tasks/{id}/move"))
        .auth(&bob)
        .json(json!({"status": 2, "sprint": sprint}))
        .send()
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);

    for client in [&mut on_one, &mut on_two] {
        let start = client.hello_seq();
        let seq = assert_frame(&client.next_change().await, "add", &created, start);
        let seq = assert_frame(&client.next_change().await, "update", &patched.json(), seq);
        assert_frame(&client.next_change().await, "update", &moved.json(), seq);
    }

    // A change over PostgreSQL's 8000-byte NOTIFY limit crosses by reference.
    let description = "Ten kilobytes of description. ".repeat(350);
    assert!(description.len() > 10_000);
    let big = one
        .create_task(
            &alice,
            json!({"name": "Big", "sprint": sprint, "description": description}),
        )
        .await;
    for client in [&mut on_one, &mut on_two] {
        let frame = client.next_change().await;
        assert_eq!(frame["action"], "add");
        assert_eq!(frame["id"].as_i64(), Some(id_of(&big)));
        assert_eq!(frame["body"]["description"], description);
        assert_eq!(frame["body"], as_broadcast(&big));
    }

    on_one.close().await;
    drop((live_one, live_two));
    two.cleanup().await;
    one.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drag_gestures_and_presence_reach_boards_on_the_other_instance() {
    let Some(backend) = postgres() else { return };
    let (one, two) = two_instances(&backend).await;
    let live_one = LiveServer::start(&one).await;
    let live_two = LiveServer::start(&two).await;
    let (_, alice) = one.person("alice").await;
    let (_, bob) = one.person("bob").await;
    let sprint = one.insert_sprint("Current", date(14)).await.id;
    let mut on_one = live_one.join(&one, &alice, sprint).await;
    let mut on_two = live_two.join(&two, &bob, sprint).await;
    // Alice, on instance one, learns that Bob (on instance two) is on the sprint...
    on_one
        .next_where("presence with Alice and Bob", |frame| {
            frame["action"] == "presence" && frame["users"] == json!(["alice", "bob"])
        })
        .await;
    // ...and Bob, on instance two, sees Alice.
    on_two
        .next_where("presence with Alice and Bob", |frame| {
            frame["action"] == "presence" && frame["users"] == json!(["alice", "bob"])
        })
        .await;
    // Bob's drag reaches Alice's board on the other instance, stamped with his name.
    on_two
        .send_json(json!({"model": "task", "id": 7, "action": "dragstart"}))
        .await;
    let frame = on_one
        .next_where("Bob's dragstart", |frame| frame["action"] == "dragstart")
        .await;
    assert_eq!(
        frame,
        json!({"model": "task", "id": 7, "action": "dragstart", "user": "bob"})
    );
    // Bob leaves: Alice's board shows her alone again.
    on_two.close().await;
    on_one
        .next_where("presence with only Alice", |frame| {
            frame["action"] == "presence" && frame["users"] == json!(["alice"])
        })
        .await;
    on_one.close().await;
    drop((live_one, live_two));
    two.cleanup().await;
    one.cleanup().await;
}

/// The issue's setting verbatim: two `server` processes on one database; a board open on the
/// first sees, in order, what a script does through the REST API of the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_share_the_live_stream() {
    let Some(backend) = postgres() else { return };
    // A fresh, migrated database (dropped at the end).
    let database = TestApp::spawn(&backend).await;
    let url = database.database_url.clone();
    create_superuser(&url, "demo", "correct horse battery").await;
    let one = ServerProcess::start(&url, &[]).await;
    let two = ServerProcess::start(&url, &[]).await;

    let (status, answer) = two
        .call(
            "POST",
            "/api/token/",
            None,
            Some(&json!({"username": "demo", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let token = answer["token"].as_str().expect("token").to_owned();
    let token = Some(token.as_str());
    let (status, sprint) = two
        .call(
            "POST",
            "/api/sprints",
            token,
            Some(&json!({"name": "Sprint 1", "end": day(14)})),
        )
        .await;
    assert_eq!(status, 201, "{sprint}");
    let sprint_id = id_of(&sprint);
    // The ticket came from process two; the board connects to process one, as a browser page
    // of that process would.
    let query = channel_query_of(&sprint);
    let mut board = WsClient::open(ws_request(
        one.addr,
        &query,
        &[("Origin", one.origin().as_str())],
    ))
    .await
    .expect("process one accepts process two's ticket");
    assert_eq!(board.hello["user"], "demo");
    assert_eq!(board.hello["sprint"].as_i64(), Some(sprint_id));

    let (status, created) = two
        .call(
            "POST",
            "/api/tasks",
            token,
            Some(&json!({"name": "Across", "sprint": sprint_id})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = id_of(&created);
    let (status, patched) = two
        .call(
            "PATCH",
            &format!("/api/tasks/{id}"),
            token,
            Some(&json!({"name": "Across, renamed"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    let (status, moved) = two
        .call(
            "POST",
            &format!("/api/tasks/{id}/move"),
            token,
            Some(&json!({"status": 3, "sprint": sprint_id})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let description = "A description longer than a NOTIFY payload. ".repeat(230);
    assert!(description.len() > 10_000);
    let (status, big) = two
        .call(
            "POST",
            "/api/tasks",
            token,
            Some(&json!({"name": "Big", "sprint": sprint_id, "description": description})),
        )
        .await;
    assert_eq!(status, 201);

    // The sprint's own creation may still be on its way to process one when the board joins
    // (delivery follows the log a moment behind the commit): it arrives first, then the tasks.
    let mut previous = board.hello_seq();
    let mut first = board.next_change().await;
    if first["model"] == "sprint" {
        assert_eq!(seq_of(&first), previous + 1, "in order, none missing");
        previous = seq_of(&first);
        first = board.next_change().await;
    }
    let seq = assert_frame(&first, "add", &created, previous);
    let seq = assert_frame(&board.next_change().await, "update", &patched, seq);
    let seq = assert_frame(&board.next_change().await, "update", &moved, seq);
    let frame = board.next_change().await;
    assert_eq!(frame["body"]["description"], description);
    assert_frame(&frame, "add", &big, seq);

    board.close().await;
    drop((one, two));
    database.cleanup().await;
}

/// One instance on its database's event bus, an admin connection to the PostgreSQL server (to
/// end or refuse the app's connections), and Alice's board of a current sprint.
struct BusBoard {
    app: TestApp,
    /// The app's database name.
    name: String,
    admin: sea_orm::DatabaseConnection,
    live: LiveServer,
    alice: crate::harness::Auth,
    sprint: i32,
    board: WsClient,
}

impl BusBoard {
    /// `None` when no PostgreSQL answers.
    async fn open() -> Option<BusBoard> {
        let backend = postgres()?;
        let Backend::Postgres(admin_url) = &backend else {
            unreachable!()
        };
        let app = TestApp::spawn(&backend).await.with_database_bus().await;
        let name = app.database_url.rsplit('/').next().unwrap().to_owned();
        let admin = sea_orm::Database::connect(admin_url).await.expect("admin");
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let board = live.join(&app, &alice, sprint).await;
        Some(BusBoard {
            app,
            name,
            admin,
            live,
            alice,
            sprint,
            board,
        })
    }

    /// Creates a task on the sprint and asserts the board receives it.
    async fn task_arrives(&mut self, name: &str) -> Value {
        let task = self
            .app
            .create_task(&self.alice, json!({"name": name, "sprint": self.sprint}))
            .await;
        let frame = self.board.next_change().await;
        assert_eq!(frame["id"], task["id"], "the stream goes on: {frame}");
        frame
    }

    async fn close(self) {
        self.board.close().await;
        drop(self.live);
        self.admin.close().await.ok();
        self.app.cleanup().await;
    }
}

/// When the event bus's `LISTEN` connection is lost, the notifications sent meanwhile are
/// gone, but the log is not: a change made during the gap still reaches the board, in order,
/// with no refetch, and resuming from before the gap works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_event_bus_connection_loses_no_change() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let Some(mut bus) = BusBoard::open().await else {
        return;
    };
    let seen = bus.task_arrives("Before").await;

    let listening = |terminate: bool| {
        let sql = format!(
            "SELECT {} FROM pg_stat_activity WHERE datname = '{}' AND query ILIKE 'LISTEN%' \
             AND pid <> pg_backend_pid()",
            if terminate {
                "count(pg_terminate_backend(pid))"
            } else {
                "count(*)"
            },
            bus.name
        );
        let admin = &bus.admin;
        async move {
            let row = admin
                .query_one(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .expect("pg_stat_activity")
                .expect("a row");
            row.try_get_by_index::<i64>(0).expect("a count")
        }
    };
    assert_eq!(listening(true).await, 1, "one listener per instance");
    // Written while nobody listens: its notification reaches no one.
    let during = bus
        .app
        .create_task(&bus.alice, json!({"name": "During", "sprint": bus.sprint}))
        .await;
    let frame = bus.board.next_change().await;
    assert_eq!(frame["id"], during["id"], "no resync, no loss: {frame}");
    assert_eq!(seq_of(&frame), seq_of(&seen) + 1);
    bus.task_arrives("After").await;

    // Resuming from before the gap replays both, in order.
    let ticket = bus.app.channel_query(&bus.alice, bus.sprint).await;
    let mut resumed = bus
        .live
        .connect(&format!("{ticket}&since={}", seq_of(&seen)))
        .await;
    assert_eq!(resumed.next_change().await["id"], during["id"]);
    assert_eq!(resumed.next_change().await["body"]["name"], "After");

    resumed.close().await;
    bus.close().await;
}

/// The database refuses the app for a while (every connection ended, new ones refused): no
/// board is told to refetch, and the stream goes on once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boards_need_no_refetch_after_the_database_refused_the_bus_for_a_while() {
    use sea_orm::ConnectionTrait;

    let Some(mut bus) = BusBoard::open().await else {
        return;
    };
    let name = bus.name.clone();
    bus.admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .expect("refuse connections");
    // A connection the pool was opening as the database stopped accepting new ones shows up a
    // moment later: end connections until none has been seen for three polls in a row.
    let mut quiet_polls = 0;
    while quiet_polls < 3 {
        let ended = bus
            .admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
            .expect("end the app's connections")
            .rows_affected();
        quiet_polls = if ended == 0 { quiet_polls + 1 } else { 0 };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let meanwhile = bus
        .board
        .frames_during(std::time::Duration::from_millis(1500))
        .await;
    bus.admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .expect("accept connections");
    let after = bus.task_arrives("After").await;
    let later = bus
        .board
        .frames_during(std::time::Duration::from_millis(300))
        .await;
    assert!(
        meanwhile
            .iter()
            .chain(&later)
            .all(|frame| frame["action"] != "resync"),
        "nothing was lost, so nothing needs a refetch: {meanwhile:?} {later:?}"
    );
    assert_eq!(after["body"]["name"], "After");
    bus.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_on_the_event_bus_are_skipped_and_the_stream_goes_on() {
    use sea_orm::{ConnectionTrait, Database};

    let Some(mut bus) = BusBoard::open().await else {
        return;
    };
    // Sent on the app's own database: NOTIFY reaches listeners of that database only.
    let sender = Database::connect(&bus.app.database_url)
        .await
        .expect("connect");
    for payload in [
        "not json",
        r#"{"ref": 2147483647}"#,
        r#"{"kind": "change", "model": "nonsense"}"#,
        "",
    ] {
        sender
            .execute_unprepared(&format!(
                "SELECT pg_notify('scrum_events', '{}')",
                payload.replace('\'', "''")
            ))
            .await
            .expect("notify");
    }
    bus.task_arrives("Still live").await;
    sender.close().await.ok();
    bus.close().await;
}
