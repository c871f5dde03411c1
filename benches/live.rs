//! Live-stream delivery: one change (a REST PATCH) to 1,000 websocket subscribers of one
//! sprint, and the server's memory per idle connection. The server runs in its own process (so
//! its RSS is its own), on a throw-away SQLite file, over loopback: this executable started
//! again as the server (`server::startup::cli::run`, what the `server` binary's `main` calls), so the
//! benchmark never builds a `server` binary that could take the shippable one's place.
//!
//! Run: `cargo bench -p benches --bench live` (`BENCH_SUBSCRIBERS`, `BENCH_CHANGES` to tune;
//! `BENCH_PER_CHANGE=1` also prints each change's first and last delivery). Latency runs from
//! just before the PATCH is sent until a subscriber has the frame, so it includes the REST
//! write itself; the first subscriber's latency shows that part alone. It also prints the CPU
//! time the server and the subscribers spent per delivery: on loopback both share the
//! machine's cores, and the kernel charges the sender for much of the receiver's work. The
//! subscribers stand in for browsers on other machines, so they are kept as light as they can
//! be: one thread, and frames read by [`Subscriber`] itself.

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

// The same allocator as the `server` binary, so the memory figures match a real deployment.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Each subscriber's read buffer: a change frame is well under 512 bytes (a larger one grows it).
const CLIENT_READ_BUFFER: usize = 512;

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

/// One subscriber of a sprint's stream, as light as a client can be: the subscribers share the
/// server's two cores, so every cycle they spend is taken from the server under test. It reads
/// the server's frames (unmasked, RFC 6455 §5.2) with the few lines below rather than a general
/// websocket client, which zeroes its read buffer before every read and wraps each poll in
/// waker proxies; it answers pings, so the server keeps it.
struct Subscriber {
    stream: TcpStream,
    /// Bytes read and not yet consumed (the upgrade's leftovers, then frames), from `start`.
    buffer: Vec<u8>,
    start: usize,
}

impl Subscriber {
    /// Opens `sprint`'s stream with `auth` (an `Authorization` header line).
    async fn connect(port: u16, sprint: i64, auth: &str) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let request = format!(
            "GET /socket?sprint={sprint} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\
             Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("upgrade request");
        let mut buffer = Vec::with_capacity(CLIENT_READ_BUFFER);
        let head = loop {
            if let Some(at) = buffer.windows(4).position(|four| four == b"\r\n\r\n") {
                break at + 4;
            }
            let read = stream.read_buf(&mut buffer).await.expect("upgrade answer");
            assert!(read > 0, "closed during the upgrade");
        };
        assert!(
            buffer.starts_with(b"HTTP/1.1 101"),
            "not upgraded: {}",
            String::from_utf8_lossy(&buffer[..head])
        );
        Self {
            stream,
            buffer,
            start: head,
        }
    }

    /// The next text frame; pings are answered on the way. `None` once the stream ends.
    async fn next_text(&mut self) -> Option<&str> {
        loop {
            let Some((opcode, payload)) = frame(&self.buffer[self.start..]) else {
                self.buffer.drain(..self.start);
                self.start = 0;
                if self.buffer.capacity() - self.buffer.len() < CLIENT_READ_BUFFER / 2 {
                    self.buffer.reserve(CLIENT_READ_BUFFER);
                }
                // Into the spare capacity, which `read_buf` does not zero first.
                if self.stream.read_buf(&mut self.buffer).await.ok()? == 0 {
                    return None;
                }
                continue;
            };
            let payload = self.start + payload.start..self.start + payload.end;
            // The payload ends the frame.
            self.start = payload.end;
            match opcode {
                OPCODE_TEXT => {
                    return Some(std::str::from_utf8(&self.buffer[payload]).expect("UTF-8"));
                }
                OPCODE_PING => {
                    // A client's frames are masked; a zero mask leaves the payload as it is.
                    // A ping carries at most 125 bytes, so its length fits the second byte.
                    let mut pong = vec![0x80 | OPCODE_PONG, 0x80 | payload.len() as u8, 0, 0, 0, 0];
                    pong.extend_from_slice(&self.buffer[payload]);
                    self.stream.write_all(&pong).await.ok()?;
                }
                OPCODE_CLOSE => return None,
                _ => {}
            }
        }
    }
}

const OPCODE_TEXT: u8 = 0x1;
const OPCODE_CLOSE: u8 = 0x8;
const OPCODE_PING: u8 = 0x9;
const OPCODE_PONG: u8 = 0xA;

/// The first frame of `bytes` (from a server: unmasked) once it is all there: its opcode and
/// where its payload lies (the frame ends where the payload does).
fn frame(bytes: &[u8]) -> Option<(u8, std::ops::Range<usize>)> {
    let opcode = bytes.first()? & 0x0f;
    let (length, header): (usize, usize) = match bytes.get(1)? & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        short => (usize::from(short), 2),
    };
    let end = header.checked_add(length)?;
    (bytes.len() >= end).then_some((opcode, header..end))
}

fn main() -> std::process::ExitCode {
    if std::env::var_os(RUN_AS_SERVER).is_some() {
        // The server's runtime, as its binary's `#[tokio::main]` builds it.
        return tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("server runtime")
            .block_on(server::startup::cli::run());
    }
    // The subscribers on one thread: they are the bench's load, not what it measures, and
    // on two cores a second client thread takes time from the server and adds wake-ups
    // between the client's own workers.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("bench runtime")
        .block_on(bench());
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
    for _ in 0..subscribers {
        let mut subscriber = Subscriber::connect(port, sprint_id, &auth).await;
        let starts = starts.clone();
        let latencies = latencies.clone();
        let ready = ready_tx.clone();
        tokio::spawn(async move {
            let _ = ready.send(()).await;
            while let Some(text) = subscriber.next_text().await {
                let Some(at) = text.find("\"name\":\"change-") else {
                    continue;
                };
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
    // The first subscriber of each change to have it (the REST write and the dispatch, before
    // the fan-out to the rest), and the last (the whole fan-out).
    let mut first = vec![Duration::MAX; changes];
    let mut last = vec![Duration::ZERO; changes];
    for &(index, latency) in &deliveries {
        first[index] = first[index].min(latency);
        last[index] = last[index].max(latency);
    }
    if std::env::var_os("BENCH_PER_CHANGE").is_some() {
        let shown: Vec<String> = (0..changes)
            .map(|i| {
                format!(
                    "{:.1}/{:.1}",
                    first[i].as_secs_f64() * 1e3,
                    last[i].as_secs_f64() * 1e3
                )
            })
            .collect();
        println!("per change (first/last ms): {}", shown.join(" "));
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
