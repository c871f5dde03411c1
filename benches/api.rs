//! API throughput and latency under 50 concurrent keep-alive connections, over loopback,
//! against the real router and a real SQLite file:
//!
//! - `GET /api/tasks?sprint=N` (25 of 200 tasks, Token auth)
//! - `POST /api/tasks/{id}/move` (random column and position)
//! - `PATCH /api/tasks/{id}` (a new description)
//! - `GET /api/sprints/{id}/history` over 10,000 entries (first page and a deep page, one
//!   connection: the latency a person waits for)
//!
//! Run: `cargo bench -p benches --bench api` (`BENCH_SECONDS`, `BENCH_CONNECTIONS` to tune).
//! Prints requests/s and p50/p99/max latency per scenario. Not a test: it asserts nothing
//! beyond every answer being 200.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use rand::Rng;

// The same allocator as the `server` binary, so the figures match a real deployment.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use sea_orm::{ActiveModelTrait, Set};
use server::{AppState, Config, build_router, domain::db, domain::db::entities::task};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

#[tokio::main]
async fn main() {
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let connections: usize = env_or("BENCH_CONNECTIONS", 50);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let config = Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "SECRET_KEY" => Some("bench-key-Zq8J2vX9mL4tR7wN1cF5hB3yK6dP0sG".into()),
        "DATABASE_POOL_SIZE" => std::env::var("DATABASE_POOL_SIZE").ok(),
        _ => None,
    })
    .expect("config");
    let database = db::connect_with_pool(&config.database_url, config.database_pool_size)
        .await
        .expect("connect");
    db::migrate(&database).await.expect("migrate");
    let state = AppState::new(database.clone(), config)
        .await
        .expect("state");

    // Seed: one user with a token, one sprint of 200 tasks spread over the four columns.
    let user = server::domain::accounts::users::create_user(
        &state.store,
        &server::domain::log::Actor::command_line(),
        server::domain::accounts::users::NewUser {
            username: "bench".into(),
            email: "bench@example.com".into(),
            password: "bench".into(),
            is_superuser: false,
        },
    )
    .await
    .expect("user");
    let token = server::domain::accounts::tokens::issue(&database, user.id, None)
        .await
        .expect("token");
    // The user's own project, as a person starting one gets it: they own it.
    let project = server::domain::service::projects::create(
        &state.store,
        &server::domain::log::Actor::person(&user),
        server::domain::service::projects::ProjectFields {
            name: Some("Bench".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|_| "project")
    .expect("project");
    let end = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
    let sprint = server::domain::service::sprints::create(
        &state.store,
        &server::domain::log::Actor::command_line(),
        server::domain::service::sprints::SprintFields {
            name: Some("Bench".into()),
            description: None,
            end: Some(end),
            project: Some(project.id),
            ..Default::default()
        },
    )
    .await
    .map_err(|_| "sprint")
    .expect("sprint");
    let mut task_ids = Vec::new();
    for i in 0..200 {
        let status = (i % 4) as i16 + 1;
        let created = task::ActiveModel {
            name: Set(format!("Task {i}")),
            description: Set("A task to measure with".into()),
            sprint_id: Set(Some(sprint.id)),
            status: Set(status),
            order: Set((i / 4) as i16),
            assigned_id: Set(Some(user.id)),
            started: Set((status > 1).then_some(end)),
            completed: Set((status == 4).then_some(end)),
            version: Set(1),
            project_id: Set(project.id),
            ..Default::default()
        }
        .insert(&database)
        .await
        .expect("task");
        task_ids.push(created.id);
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = build_router(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve");
    });

    println!(
        "{connections} connections, {seconds} s per scenario, SQLite, {} tasks",
        task_ids.len()
    );
    let list_path = format!("/api/tasks?sprint={}", sprint.id);
    let token = Arc::new(token);
    let list = {
        let token = token.clone();
        run(addr, connections, seconds, move |_| {
            request("GET", &list_path, &token, None)
        })
        .await
    };
    report("GET /api/tasks?sprint=N (25 of 200)", &list, seconds);
    wrk_list(
        addr,
        &format!("/api/tasks?sprint={}", sprint.id),
        &token,
        seconds,
        connections,
    );

    let ids = Arc::new(task_ids);
    let sprint_id = sprint.id;
    let move_token = token.clone();
    let move_ids = ids.clone();
    let moves = run(addr, connections, seconds, move |_| {
        let mut rng = rand::thread_rng();
        let id = move_ids[rng.gen_range(0..move_ids.len())];
        // Stay within the sprint and out of Done: a completed task may not leave its sprint,
        // and Done → another column is allowed, so every move is valid.
        let status = rng.gen_range(1..=3);
        let body = format!(r#"{{"status":{status},"sprint":{sprint_id},"before":null}}"#);
        request(
            "POST",
            &format!("/api/tasks/{id}/move"),
            &move_token,
            Some(&body),
        )
    })
    .await;
    report("POST /api/tasks/{id}/move", &moves, seconds);

    let patch_ids = ids.clone();
    let patch_token = token.clone();
    let patches = run(addr, connections, seconds, move |client| {
        let mut rng = rand::thread_rng();
        let id = patch_ids[rng.gen_range(0..patch_ids.len())];
        let body = format!(
            r#"{{"description":"Edited by client {client}: {}"}}"#,
            rng.r#gen::<u32>()
        );
        request(
            "PATCH",
            &format!("/api/tasks/{id}"),
            &patch_token,
            Some(&body),
        )
    })
    .await;
    report("PATCH /api/tasks/{id}", &patches, seconds);

    // The sprint's history over 10,000 entries: top up what the writes above logged.
    let logged =
        server::domain::log::count(&database, server::domain::log::Scope::Sprint(sprint.id))
            .await
            .expect("count");
    let missing = 10_000u64.saturating_sub(logged);
    for batch in 0..missing.div_ceil(500) {
        let entries = (0..500.min(missing - batch * 500))
            .map(|n| server::domain::log::NewEntry {
                model: server::domain::log::Model::Task,
                object: ids[(n as usize) % ids.len()],
                action: server::domain::log::Action::Update,
                changes: [("description".to_owned(), [serde_json::json!("old"), serde_json::json!("new")])]
                    .into_iter()
                    .collect(),
                body: serde_json::json!({"id": ids[(n as usize) % ids.len()], "description": "new"}),
                version: 1,
                sprints: vec![sprint_id],
                backlog: false,
                column: None,
                project: Some(project.id),
            })
            .collect();
        let txn = sea_orm::TransactionTrait::begin(&database)
            .await
            .expect("begin");
        state
            .store
            .commit(txn, &server::domain::log::Actor::command_line(), entries)
            .await
            .expect("log");
    }
    let total =
        server::domain::log::count(&database, server::domain::log::Scope::Sprint(sprint.id))
            .await
            .expect("count");
    for (label, page) in [("first page", 1), ("page 200", 200)] {
        let path = format!("/api/sprints/{sprint_id}/history?page={page}");
        let history_token = token.clone();
        let history = run(addr, 1, seconds, move |_| {
            request("GET", &path, &history_token, None)
        })
        .await;
        report(
            &format!("GET /api/sprints/{{id}}/history, {label} of {total} entries (1 connection)"),
            &history,
            seconds,
        );
    }
}

/// The list scenario again with `wrk` (Debian's package), a C load generator in its own
/// process: the in-process clients above take CPU from the server on a 2-core machine.
fn wrk_list(addr: std::net::SocketAddr, path: &str, token: &str, seconds: u64, connections: usize) {
    let output = std::process::Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-H",
            &format!("Authorization: Token {token}"),
            &format!("http://{addr}{path}"),
        ])
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            let line = |prefix: &str| {
                text.lines()
                    .find(|l| l.trim_start().starts_with(prefix))
                    .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                    .unwrap_or_default()
            };
            println!(
                "GET list with wrk ({connections} connections): {} | p50 {} | p99 {} | non-2xx: {}",
                line("Requests/sec:"),
                line("50%"),
                line("99%"),
                if text.contains("Non-2xx") {
                    "yes"
                } else {
                    "none"
                }
            );
        }
        _ => println!("(wrk not installed: apt-get install wrk for an external load generator)"),
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn request(method: &str, path: &str, token: &str, body: Option<&str>) -> String {
    let body = body.unwrap_or("");
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Runs `connections` clients, each sending the requests `make` builds back to back on one
/// keep-alive connection, for `seconds`. Returns every latency.
async fn run(
    addr: std::net::SocketAddr,
    connections: usize,
    seconds: u64,
    make: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Vec<Duration> {
    let make = Arc::new(make);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut clients = Vec::new();
    for client in 0..connections {
        let make = make.clone();
        clients.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut stream = BufReader::new(stream);
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let text = make(client);
                let started = Instant::now();
                stream
                    .get_mut()
                    .write_all(text.as_bytes())
                    .await
                    .expect("write");
                let status = read_response(&mut stream).await;
                assert_eq!(status, 200, "unexpected status");
                latencies.push(started.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await.expect("client"));
    }
    all
}

/// Reads one HTTP/1.1 response (Content-Length or chunked) and returns its status.
async fn read_response(stream: &mut BufReader<TcpStream>) -> u16 {
    let mut line = String::new();
    stream.read_line(&mut line).await.expect("status line");
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        line.clear();
        stream.read_line(&mut line).await.expect("header");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().expect("length");
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    if chunked {
        loop {
            line.clear();
            stream.read_line(&mut line).await.expect("chunk size");
            let size = usize::from_str_radix(line.trim(), 16).expect("hex size");
            let mut chunk = vec![0; size + 2];
            stream.read_exact(&mut chunk).await.expect("chunk");
            if size == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.expect("body");
    }
    status
}

fn report(name: &str, latencies: &[Duration], seconds: u64) {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name}: {} requests, {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sorted.len(),
        sorted.len() as f64 / seconds as f64,
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        sorted.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}
