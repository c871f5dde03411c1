//! Durability, tried the hard way: the real `server` binary, 32 people writing at once over
//! loopback (creating, editing and moving tasks), killed with SIGKILL mid-stream, started
//! again on the same database. Every write it acknowledged must be there, and the change log
//! must agree with the rows: each task has exactly one entry per version, the newest of which
//! is the row as it stands.

use std::{
    collections::HashMap,
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{TestApp, backends};
use server::domain::db::entities::{change, task};

const SERVER: &str = env!("CARGO_BIN_EXE_server");
const WRITERS: usize = 32;
const SECRET: &str = "durability-Kq2vT8zW1nR6yL0cJ4kP9sB2xF7mD5g";

/// One request over a fresh connection; the status and the JSON body (`Null` if none).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|key| format!("Authorization: Token {key}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {text:?}")))?;
    let (_, content) = text.split_once("\r\n\r\n").unwrap_or_default();
    // Connection: close answers come whole (no chunking) from this server for JSON bodies;
    // a chunked one is decoded crudely: the JSON between the first `{` and the last `}`.
    let json = match (content.find('{'), content.rfind('}')) {
        (Some(start), Some(end)) => {
            serde_json::from_str(&content[start..=end]).unwrap_or(Value::Null)
        }
        _ => Value::Null,
    };
    Ok((status, json))
}

/// `server serve` on `database_url`, listening on `addr`.
fn start(database_url: &str, addr: SocketAddr, dir: &std::path::Path) -> Child {
    Command::new(SERVER)
        .arg("serve")
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("SECRET_KEY", SECRET)
        .env("RUST_LOG", "error")
        .env_remove("LEPTOS_SITE_ROOT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server")
}

async fn wait_until_up(addr: SocketAddr, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = http(addr, "GET", "/healthz", None, None).await {
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|probe| probe.local_addr())
        .unwrap()
}

/// What the server acknowledged of one task: its name and status, and the version it
/// reached, after each answered write.
#[derive(Clone, Debug, Default)]
struct Acknowledged {
    name: String,
    status: i64,
    version: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_32_writers_loses_no_acknowledged_write() {
    for backend in backends() {
        // The database, migrated and with its project, from the harness; the server runs
        // as a separate process on it.
        let app = TestApp::spawn(&backend).await;
        let person = app.create_user("writer", "writer-pass-1").await;
        let token = match app.token_for(person.id).await {
            crate::harness::Auth::Token(key) => key,
            _ => unreachable!(),
        };
        let dir = tempfile::tempdir().unwrap();
        let addr = free_addr();
        let mut child = start(&app.database_url, addr, dir.path());
        wait_until_up(addr, &mut child).await;
        let (status, sprint) = http(
            addr,
            "POST",
            "/api/sprints",
            Some(&token),
            Some(&json!({"name": "Crash", "end": crate::harness::day(20)})),
        )
        .await
        .unwrap();
        assert_eq!(status, 201, "{sprint}");
        let sprint = sprint["id"].as_i64().unwrap();

        let acknowledged: Arc<Mutex<HashMap<i64, Acknowledged>>> = Arc::default();
        let mut writers = Vec::new();
        for writer in 0..WRITERS {
            let (token, acknowledged) = (token.clone(), acknowledged.clone());
            writers.push(tokio::spawn(async move {
                let mut n = 0;
                loop {
                    n += 1;
                    let name = format!("w{writer}-{n}");
                    let Ok((201, made)) = http(
                        addr,
                        "POST",
                        "/api/tasks",
                        Some(&token),
                        Some(&json!({"name": name, "sprint": sprint})),
                    )
                    .await
                    else {
                        return;
                    };
                    let id = made["id"].as_i64().unwrap();
                    let record = |body: &Value| Acknowledged {
                        name: body["name"].as_str().unwrap().to_owned(),
                        status: body["status"].as_i64().unwrap(),
                        version: body["version"].as_i64().unwrap(),
                    };
                    acknowledged.lock().unwrap().insert(id, record(&made));
                    let Ok((200, edited)) = http(
                        addr,
                        "PATCH",
                        &format!("/api/tasks/{id}"),
                        Some(&token),
                        Some(&json!({"name": format!("{name} edited")})),
                    )
                    .await
                    else {
                        return;
                    };
                    acknowledged.lock().unwrap().insert(id, record(&edited));
                    let Ok((200, moved)) = http(
                        addr,
                        "POST",
                        &format!("/api/tasks/{id}/move"),
                        Some(&token),
                        Some(&json!({"sprint": sprint, "status": 2})),
                    )
                    .await
                    else {
                        return;
                    };
                    let moved = if moved.get("task").is_some() {
                        &moved["task"]
                    } else {
                        &moved
                    };
                    acknowledged.lock().unwrap().insert(id, record(moved));
                }
            }));
        }
        // Let them write for a while, then pull the plug.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(
            acknowledged.len() >= WRITERS,
            "the writers wrote: {}",
            acknowledged.len()
        );
        let writes: i64 = acknowledged.values().map(|seen| seen.version).sum();
        eprintln!(
            "{backend:?}: {} tasks, {writes} acknowledged writes before SIGKILL",
            acknowledged.len()
        );

        let mut child = start(&app.database_url, addr, dir.path());
        wait_until_up(addr, &mut child).await;
        let rows: HashMap<i64, task::Model> = task::Entity::find()
            .filter(task::Column::SprintId.eq(sprint as i32))
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (i64::from(row.id), row))
            .collect();
        for (id, seen) in &acknowledged {
            let row = rows
                .get(id)
                .unwrap_or_else(|| panic!("task {id} was acknowledged and is gone"));
            assert!(
                i64::from(row.version) >= seen.version,
                "task {id}: version {} after {} was acknowledged",
                row.version,
                seen.version
            );
            if i64::from(row.version) == seen.version {
                assert_eq!(
                    (row.name.as_str(), i64::from(row.status)),
                    (seen.name.as_str(), seen.status)
                );
            }
        }
        // The log agrees with every row: one entry per version, the newest the row itself.
        let entries = change::Entity::find()
            .filter(change::Column::Model.eq("task"))
            .order_by_asc(change::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        let mut by_task: HashMap<i64, Vec<&change::Model>> = HashMap::new();
        for entry in &entries {
            by_task
                .entry(i64::from(entry.object_id))
                .or_default()
                .push(entry);
        }
        for (id, row) in &rows {
            let logged = by_task.get(id).map(Vec::as_slice).unwrap_or_default();
            let versions: Vec<i32> = logged.iter().map(|e| e.version).collect();
            assert_eq!(
                versions,
                (1..=row.version).collect::<Vec<_>>(),
                "task {id}: the log's versions"
            );
            let newest: Value = serde_json::from_str(&logged.last().unwrap().body).unwrap();
            assert_eq!(newest["name"], row.name.as_str(), "task {id}");
            assert_eq!(newest["status"], i64::from(row.status), "task {id}");
        }
        assert!(
            by_task.keys().all(|id| rows.contains_key(id)),
            "every logged task has its row"
        );
        // And it takes writes again.
        let (status, _) = http(
            addr,
            "POST",
            "/api/tasks",
            Some(&token),
            Some(&json!({"name": "after the crash", "sprint": sprint})),
        )
        .await
        .unwrap();
        assert_eq!(status, 201);
        child.kill().unwrap();
        child.wait().unwrap();
        app.cleanup().await;
    }
}
