//! No secret reaches the logs: the real `server` binary logging at `trace` while someone signs
//! in with a password (right and wrong), uses the token, the session cookie, HTTP Basic and a
//! websocket ticket. Neither the password, the token, the cookie, the CSRF token, the Basic
//! credentials, the ticket nor `SECRET_KEY` may appear in what it wrote.

use std::{
    net::SocketAddr,
    process::{Command, Stdio},
    time::Duration,
};

use base64::Engine;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{SERVER_BINARY, WsClient, create_superuser, http_call, ws_request};

const PASSWORD: &str = "hunter2-canary-Pw-91f3";
const WRONG_PASSWORD: &str = "hunter2-canary-Wrong-77c0";
const KEY: &str = "logs-Kq7vT2zW9nR4yL1cJ8kP3sB6xF0mD5gA";

/// Everything secret the session below handled, by name.
struct Secrets(Vec<(&'static str, String)>);

struct Session {
    /// stdout and stderr of the server, concatenated.
    logs: String,
    secrets: Secrets,
    ticket: String,
}

/// One HTTP/1.1 exchange over plain TCP; the raw response.
async fn exchange(addr: SocketAddr, request: String) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("a response in time")
        .unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

fn request(method: &str, path: &str, addr: SocketAddr, headers: &[String], body: &str) -> String {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    if !body.is_empty() {
        text.push_str("Content-Type: application/json\r\n");
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    text
}

fn status(response: &str) -> &str {
    response.split(' ').nth(1).unwrap_or("")
}

fn json_body(response: &str) -> Value {
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {response}"))
}

fn set_cookie(response: &str) -> String {
    response
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: scrum_session="))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie in {response}"))
        .to_owned()
}

/// Runs the server at `RUST_LOG=trace`, does everything that handles a secret, stops it and
/// returns what it logged.
async fn logged_session() -> Session {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}/scrum.db?mode=rwc", dir.path().display());
    create_superuser(&database_url, "demo", PASSWORD).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|probe| probe.local_addr())
        .unwrap()
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let stdout_path = dir.path().join("stdout.log");
    let stderr_path = dir.path().join("stderr.log");
    let mut child = Command::new(SERVER_BINARY)
        .arg("serve")
        .current_dir(dir.path())
        .env("DATABASE_URL", &database_url)
        .env("SECRET_KEY", KEY)
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .env_remove("SCRUM_ENV")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !matches!(
        http_call(addr, "GET", "/healthz", None, None).await,
        Ok((200, _))
    ) {
        assert!(tokio::time::Instant::now() < deadline, "server not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A wrong password, then the right one for a token.
    let wrong = format!(r#"{{"username":"demo","password":"{WRONG_PASSWORD}"}}"#);
    let response = exchange(addr, request("POST", "/api/token/", addr, &[], &wrong)).await;
    assert_eq!(status(&response), "400", "{response}");
    // A broken login body: refused, and logged without what it holds.
    let broken = format!(r#"{{"username":"demo","password":"{PASSWORD}""#);
    let response = exchange(addr, request("POST", "/api/token/", addr, &[], &broken)).await;
    assert_eq!(status(&response), "400", "{response}");
    let right = format!(r#"{{"username":"demo","password":"{PASSWORD}"}}"#);
    let response = exchange(addr, request("POST", "/api/token/", addr, &[], &right)).await;
    assert_eq!(status(&response), "200", "{response}");
    let token = json_body(&response)["token"].as_str().unwrap().to_owned();

    // The token at work: a sprint, whose channel link carries a ticket.
    let authorization = format!("Authorization: Token {token}");
    let sprint_body = r#"{"name":"Logged sprint","end":"2099-01-01"}"#;
    let response = exchange(
        addr,
        request(
            "POST",
            "/api/sprints",
            addr,
            std::slice::from_ref(&authorization),
            sprint_body,
        ),
    )
    .await;
    assert_eq!(status(&response), "201", "{response}");
    let sprint = json_body(&response);
    let channel = sprint["links"]["channel"].as_str().unwrap();
    let ticket = channel.split_once("channel=").unwrap().1.to_owned();

    // HTTP Basic.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("demo:{PASSWORD}"));
    let response = exchange(
        addr,
        request(
            "GET",
            "/api/sprints",
            addr,
            &[format!("Authorization: Basic {basic}")],
            "",
        ),
    )
    .await;
    assert_eq!(status(&response), "200", "{response}");

    // A browser session, used for a read and a write.
    let response = exchange(addr, request("POST", "/api/session", addr, &[], &right)).await;
    assert_eq!(status(&response), "200", "{response}");
    let cookie = set_cookie(&response);
    let csrf = json_body(&response)["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie_header = format!("Cookie: scrum_session={cookie}");
    let response = exchange(
        addr,
        request(
            "GET",
            "/api/session",
            addr,
            std::slice::from_ref(&cookie_header),
            "",
        ),
    )
    .await;
    assert_eq!(status(&response), "200", "{response}");
    let response = exchange(
        addr,
        request(
            "POST",
            "/api/sprints",
            addr,
            &[cookie_header.clone(), format!("X-CSRFToken: {csrf}")],
            r#"{"name":"By cookie","end":"2099-01-02"}"#,
        ),
    )
    .await;
    assert_eq!(status(&response), "201", "{response}");

    // The live stream: by ticket, and by session cookie.
    let by_ticket = WsClient::open(ws_request(addr, &format!("channel={ticket}"), &[]))
        .await
        .expect("the ticket opens the stream");
    by_ticket.close().await;
    let origin = format!("http://{addr}");
    let by_cookie = WsClient::open(ws_request(
        addr,
        &format!("sprint={}", sprint["id"]),
        &[
            ("Cookie", &format!("scrum_session={cookie}")),
            ("Origin", &origin),
        ],
    ))
    .await
    .expect("the session cookie opens the stream");
    by_cookie.close().await;

    // Signing out and revoking, then stop the server and read what it wrote.
    let response = exchange(
        addr,
        request(
            "DELETE",
            "/api/token/",
            addr,
            std::slice::from_ref(&authorization),
            "",
        ),
    )
    .await;
    assert_eq!(status(&response), "204", "{response}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exited = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await;
    assert!(exited.is_ok(), "the server stops on SIGTERM");
    let logs = std::fs::read_to_string(&stdout_path).unwrap()
        + &std::fs::read_to_string(&stderr_path).unwrap();
    Session {
        logs,
        secrets: Secrets(vec![
            ("the password", PASSWORD.to_owned()),
            ("a wrong password", WRONG_PASSWORD.to_owned()),
            ("the API token", token),
            ("the session cookie", cookie),
            ("the CSRF token", csrf),
            ("the Basic credentials", basic),
            ("SECRET_KEY", KEY.to_owned()),
        ]),
        ticket,
    }
}

fn assert_absent(logs: &str, what: &str, secret: &str) {
    let lines: Vec<&str> = logs.lines().filter(|line| line.contains(secret)).collect();
    assert!(lines.is_empty(), "{what} reached the logs: {lines:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_token_cookie_or_secret_key_reaches_the_logs_even_at_trace() {
    let session = logged_session().await;

    // The logs are there and detailed (every request has its span)...
    assert!(
        session.logs.contains("/api/session") && session.logs.contains("TRACE"),
        "trace logs were captured: {} bytes",
        session.logs.len()
    );
    // ...and hold none of the secrets.
    for (what, secret) in &session.secrets.0 {
        assert_absent(&session.logs, what, secret);
    }
}

/// Fails while `router.rs` builds its `TraceLayer` with the default span, which records the
/// whole URI: `/socket?channel=<ticket>`. It passes once the layer is
/// `TraceLayer::new_for_http().make_span_with(crate::trace::RedactedSpan)`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_tickets_do_not_reach_the_logs() {
    let session = logged_session().await;

    assert!(
        session.logs.contains("/socket?channel="),
        "the socket request is logged"
    );
    assert_absent(&session.logs, "the websocket ticket", &session.ticket);
}
