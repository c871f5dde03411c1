//! Live-stream delivery: one change (a REST PATCH) to 1,000 websocket subscribers of one
//! sprint, and the server's memory per idle connection. The server runs in its own process (so
//! its RSS is its own), on a throw-away SQLite file, over loopback: this executable started
//! again as the server (`server::startup::cli::run`, what the `server` binary's `main` calls), so the
//! benchmark never builds a `server` binary that could take the shippable one's place.
//!
//! Run: `cargo bench -p benches --bench live` (`BENCH_SUBSCRIBERS`, `BENCH_CHANGES` to tune).
//! Latency runs from just before the PATCH is sent until a subscriber has the frame, so it
//! includes the REST write itself; the first subscriber's latency shows that part alone. It
//! also prints the CPU time the server and the subscribers spent per delivery: on loopback
//! both share the machine's cores, and the kernel charges the sender for much of the
//! receiver's work.

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};
use tokio_tungstenite::tungstenite::{
    client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig,
};

// The same allocator as the `server` binary, so the memory figures match a real deployment.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Each subscriber's read buffer: a frame is well under 1 KiB.
const CLIENT_READ_BUFFER: usize = 4 * 1024;

/// Set in the environment of this executable when it is started again as the server.
const RUN_AS_SERVER: &str = "BENCH_RUN_AS_SERVER";

/// `server <args>`: this executable, run as the server binary runs.
fn server(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("this executable"));
    command.args(args).env(RUN_AS_SERVER, "1");
    command
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// One HTTP/1.1 request on a fresh connection; returns (status, body).
async fn http(port: u16, method: &str, path: &str, auth: &str, body: &str) -> (u16, String) {
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return (0, String::new());
    };
    let mut stream = BufReader::new(stream);
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// CPU time a process has used so far (user and system), from `/proc/<pid>/stat`.
fn cpu_time(pid: &str) -> Duration {
    let ticks_per_second = 100.0; // USER_HZ on Linux
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some(Duration::from_secs_f64((user + system) / ticks_per_second))
        })
        .unwrap_or_default()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if std::env::var_os(RUN_AS_SERVER).is_some() {
        return server::startup::cli::run().await;
    }
    bench().await;
    std::process::ExitCode::SUCCESS
}

async fn bench() {
    let subscribers: usize = std::env::var("BENCH_SUBSCRIBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let changes: usize = std::env::var("BENCH_CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let env = [
        (
            "DATABASE_URL",
            format!("sqlite://{}/live.db", dir.path().display()),
        ),
        ("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}")),
        (
            "SECRET_KEY",
            "bench-key-Zq8J2vX9mL4tR7wN1cF5hB3yK6dP0sG".to_owned(),
        ),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let status = server(&[
        "createsuperuser",
        "--username",
        "bench",
        "--email",
        "b@example.com",
        "--password",
        "bench",
    ])
    .envs(env.iter().cloned())
    .current_dir(dir.path())
    .stdout(Stdio::null())
    .status()
    .expect("createsuperuser");
    assert!(status.success());
    let server = Server(
        server(&["serve"])
            .envs(env.iter().cloned())
            .current_dir(dir.path())
            .spawn()
            .expect("server"),
    );
    let pid = server.0.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(port, "GET", "/healthz", "", "").await.0 != 200 {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (_, token) = http(
        port,
        "POST",
        "/api/token/",
        "",
        r#"{"username":"bench","password":"bench"}"#,
    )
    .await;
    let auth = format!(
        "Authorization: Token {}\r\n",
        json(&token)["token"].as_str().expect("token")
    );
    let end = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let (_, sprint) = http(
        port,
        "POST",
        "/api/sprints",
        &auth,
        &format!(r#"{{"name":"Live","end":"{end}"}}"#),
    )
    .await;
    let sprint_id = json(&sprint)["id"].as_i64().expect("sprint id");
    let (_, task) = http(
        port,
        "POST",
        "/api/tasks",
        &auth,
        &format!(r#"{{"name":"T","sprint":{sprint_id}}}"#),
    )
    .await;
    let task_id = json(&task)["id"].as_i64().expect("task id");

    // The login's argon2 hash (19 MiB of working memory) ran on a blocking-pool thread, which
    // keeps its heap until it exits after 10 s idle: wait that out, then take the lowest of a
    // few readings as the baseline.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let mut baseline = u64::MAX;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        baseline = baseline.min(rss_kib(pid));
    }
    let starts: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; changes]));
    // (change, latency) of every delivery, allocated up front: growing it while the subscribers
    // push (a copy under the lock, at every doubling) stalled whole changes by milliseconds.
    let latencies: Arc<Mutex<Vec<(usize, Duration)>>> =
        Arc::new(Mutex::new(Vec::with_capacity(changes * subscribers)));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(subscribers);
    let header = auth
        .trim_end()
        .trim_start_matches("Authorization: ")
        .to_owned();
    for _ in 0..subscribers {
        let url = format!("ws://127.0.0.1:{port}/socket?sprint={sprint_id}");
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&header).expect("header"),
        );
        let starts = starts.clone();
        let latencies = latencies.clone();
        let ready = ready_tx.clone();
        // A browser-sized read buffer: tungstenite's default zeroes 128 KiB before every read,
        // which made this client (on the same two cores as the server) spend more time in
        // `memset` than the server spent delivering.
        let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER);
        let (mut socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false)
                .await
                .expect("connect");
        tokio::spawn(async move {
            let _ = ready.send(()).await;
            while let Some(Ok(message)) = socket.next().await {
                let Ok(text) = message.to_text() else {
                    continue;
                };
                if let Some(at) = text.find("\"name\":\"change-") {
                    let rest = &text[at + 15..];
                    let index: usize = rest[..rest.find('"').unwrap_or(0)]
                        .parse()
                        .unwrap_or(usize::MAX);
                    let started = starts.lock().expect("starts").get(index).copied().flatten();
                    if let Some(started) = started {
                        latencies
                            .lock()
                            .expect("latencies")
                            .push((index, started.elapsed()));
                    }
                }
            }
        });
    }
    for _ in 0..subscribers {
        ready_rx.recv().await;
    }
    // Let the joins' presence frames drain, then read the idle footprint.
    let mut connected = u64::MAX;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        connected = connected.min(rss_kib(pid));
    }
    println!(
        "{subscribers} idle subscribers: server RSS {baseline} KiB -> {connected} KiB, {:.1} KiB per connection",
        (connected.saturating_sub(baseline)) as f64 / subscribers as f64
    );

    let server_cpu = cpu_time(&pid.to_string());
    let client_cpu = cpu_time("self");
    for index in 0..changes {
        starts.lock().expect("starts")[index] = Some(Instant::now());
        let (status, _) = http(
            port,
            "PATCH",
            &format!("/api/tasks/{task_id}"),
            &auth,
            &format!(r#"{{"name":"change-{index}"}}"#),
        )
        .await;
        assert_eq!(status, 200);
        // One change at a time: each measurement is a single change fanned out to everyone.
        let target = (index + 1) * subscribers;
        let deadline = Instant::now() + Duration::from_secs(10);
        while latencies.lock().expect("latencies").len() < target && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let server_cpu = cpu_time(&pid.to_string()) - server_cpu;
    let client_cpu = cpu_time("self") - client_cpu;
    let deliveries = latencies.lock().expect("latencies").clone();
    // The first subscriber of each change to have it: the REST write and the dispatch, before
    // the fan-out to the rest.
    let mut first = vec![Duration::MAX; changes];
    for &(index, latency) in &deliveries {
        first[index] = first[index].min(latency);
    }
    first.sort();
    let mut all: Vec<Duration> = deliveries.into_iter().map(|(_, latency)| latency).collect();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{changes} changes x {subscribers} subscribers: {} deliveries ({} expected), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        changes * subscribers,
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let shown: Vec<String> = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]
        .iter()
        .map(|&q| format!("p{} {:.1}", q * 100.0, at(q).as_secs_f64() * 1e3))
        .collect();
    println!("distribution (ms): {}", shown.join(", "));
    println!(
        "first subscriber of each change (the write and its dispatch): p50 {:.1} ms",
        first[changes / 2].as_secs_f64() * 1e3
    );
    let per_delivery = |cpu: Duration| cpu.as_secs_f64() * 1e6 / (changes * subscribers) as f64;
    println!(
        "CPU per delivery: server {:.1} µs, subscribers {:.1} µs (both on this machine's cores)",
        per_delivery(server_cpu),
        per_delivery(client_cpu)
    );
    drop(server);
}
