//! Response hardening and caching: security headers on every answer, HSTS under TLS only,
//! immutable caching for content-hashed files only, and compression on request.

use axum::http::{Method, StatusCode};

use crate::harness::{Backend, TestApp};

#[tokio::test]
async fn every_response_refuses_framing_and_sniffing() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    for path in ["/", "/api/", "/healthz", "/api/sprints", "/no/such/page"] {
        let response = app.get(path).await;
        assert_eq!(response.header("x-frame-options"), "DENY", "{path}");
        assert!(
            response
                .header("content-security-policy")
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(
            response.header("x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            response.header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        assert_eq!(
            response.header("cross-origin-opener-policy"),
            "same-origin",
            "{path}"
        );
        assert_eq!(response.header("x-xss-protection"), "0", "{path}");
        assert!(
            response.headers.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP: {path}"
        );
    }
}

#[tokio::test]
async fn a_server_error_is_generic_and_still_refuses_framing() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let demo = app.demo().await;
    app.db.clone().close().await.unwrap();
    let response = app
        .call(Method::GET, "/api/sprints")
        .auth(&demo)
        .send()
        .await;
    assert_eq!(
        response.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        response.text
    );
    assert_eq!(
        response.json(),
        serde_json::json!({"detail": "A server error occurred."})
    );
    assert_eq!(response.header("x-frame-options"), "DENY");
    assert!(
        response
            .header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(response.header("x-content-type-options"), "nosniff");
}

/// A request that stalls (here, a body that never finishes arriving) is cut off with 408 after
/// `REQUEST_TIMEOUT`, and that answer leaves through the front door like any other.
#[tokio::test]
async fn a_stalled_request_is_answered_408_and_still_refuses_framing() {
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("REQUEST_TIMEOUT", "1s")]).await;
    let never_ending = axum::body::Body::from_stream(futures_util::stream::pending::<
        Result<axum::body::Bytes, std::io::Error>,
    >());
    let request = axum::http::Request::post("/api/session")
        .header("host", crate::harness::HOST)
        .header("content-type", "application/json")
        .body(never_ending)
        .unwrap();
    let started = std::time::Instant::now();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::REQUEST_TIMEOUT);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(response.header("x-frame-options"), "DENY");
    assert_eq!(response.header("x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn the_hsts_lifetime_comes_from_hsts_seconds() {
    let app = TestApp::spawn_with(
        &Backend::Sqlite,
        &[("TRUSTED_PROXIES", "10.0.0.0/8"), ("HSTS_SECONDS", "86400")],
    )
    .await;
    let response = app
        .call(Method::GET, "/api/")
        .peer("10.0.0.2")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert_eq!(
        response.header("strict-transport-security"),
        "max-age=86400; includeSubDomains"
    );
}

#[tokio::test]
async fn hsts_is_sent_when_a_trusted_proxy_terminates_tls() {
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    let response = app
        .call(Method::GET, "/api/")
        .peer("10.0.0.2")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert!(
        response
            .header("strict-transport-security")
            .starts_with("max-age=63072000")
    );
    // The same header from an untrusted peer changes nothing.
    let forged = app
        .call(Method::GET, "/api/")
        .peer("203.0.113.5")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert!(forged.headers.get("strict-transport-security").is_none());
}

#[tokio::test]
async fn hashed_files_are_immutable_pages_revalidate_and_api_answers_are_not_stored() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(
        site.path().join("pkg/scrum.Hg83HrffVMd6aTqA0EPbCw.js"),
        "export default 1;",
    )
    .unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    let root = site.path().display().to_string();
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("LEPTOS_SITE_ROOT", root.as_str())]).await;
    // Pages need an account (with none, they lead to the first run's form).
    app.create_user("someone", "someone-pass-1").await;

    let hashed = app.get("/pkg/scrum.Hg83HrffVMd6aTqA0EPbCw.js").await;
    assert_eq!(hashed.status, StatusCode::OK);
    assert_eq!(
        hashed.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let favicon = app.get("/favicon.svg").await;
    assert_eq!(favicon.status, StatusCode::OK);
    assert!(!favicon.header("cache-control").contains("immutable"));
    let page = app.get("/").await;
    assert_eq!(page.header("cache-control"), "no-cache");
    let api = app.get("/api/").await;
    assert_eq!(api.header("cache-control"), "no-store");
}

/// An app whose task list is long enough to be worth compressing, and its `demo` token.
async fn app_with_a_long_task_list() -> (TestApp, crate::harness::Auth) {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let demo = app.demo().await;
    for i in 0..30 {
        app.create_task(&demo, serde_json::json!({"name": format!("Task {i}")}))
            .await;
    }
    (app, demo)
}

#[tokio::test]
async fn api_json_is_compressed_for_clients_that_accept_it() {
    let (app, demo) = app_with_a_long_task_list().await;
    let plain = app.call(Method::GET, "/api/tasks").auth(&demo).send().await;
    assert!(plain.headers.get("content-encoding").is_none());
    let gzipped = app
        .call(Method::GET, "/api/tasks")
        .auth(&demo)
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.header("content-encoding"), "gzip");
    let brotli = app
        .call(Method::GET, "/api/tasks")
        .auth(&demo)
        .header("accept-encoding", "br")
        .send()
        .await;
    assert_eq!(brotli.header("content-encoding"), "br");
}

// ---- Host validation and the API's network allow-list -----------------------------------

#[tokio::test]
async fn a_host_outside_allowed_hosts_is_refused_with_400() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    for path in ["/", "/api/", "/healthz"] {
        let forged = app
            .call(Method::GET, path)
            .header("host", "evil.test")
            .send()
            .await;
        assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(!forged.text.contains("evil.test/"), "{}", forged.text);
    }
    // The development default: localhost, 127.0.0.1 and [::1], on any port.
    for host in ["localhost:3000", "127.0.0.1:8080", "[::1]:3000"] {
        let ok = app
            .call(Method::GET, "/api/")
            .header("host", host)
            .send()
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{host}");
        assert!(
            ok.text.contains(&format!("http://{host}/api/sprints")),
            "{host}"
        );
    }
}

#[tokio::test]
async fn a_forwarded_host_from_a_trusted_proxy_must_be_allowed_too() {
    let app = TestApp::spawn_with(
        &Backend::Sqlite,
        &[
            ("TRUSTED_PROXIES", "10.0.0.0/8"),
            ("ALLOWED_HOSTS", "scrum.example.com,localhost"),
        ],
    )
    .await;
    let allowed = app
        .call(Method::GET, "/api/")
        .peer("10.0.0.2")
        .header("x-forwarded-host", "scrum.example.com")
        .send()
        .await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert!(
        allowed
            .text
            .contains("http://scrum.example.com/api/sprints")
    );
    let refused = app
        .call(Method::GET, "/api/")
        .peer("10.0.0.2")
        .header("x-forwarded-host", "evil.test")
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_api_and_the_stream_answer_only_allowed_networks() {
    let app =
        TestApp::spawn_with(&Backend::Sqlite, &[("API_ALLOWED_NETS", "10.0.0.0/8, ::1")]).await;
    // Pages need an account (with none, they lead to the first run's form).
    app.create_user("someone", "someone-pass-1").await;
    let inside = app
        .call(Method::GET, "/api/")
        .peer("10.20.30.40")
        .send()
        .await;
    assert_eq!(inside.status, StatusCode::OK);
    let ipv6_inside = app.call(Method::GET, "/api/").peer("::1").send().await;
    assert_eq!(ipv6_inside.status, StatusCode::OK);
    let outside = app
        .call(Method::GET, "/api/")
        .peer("192.0.2.1")
        .send()
        .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    assert_eq!(
        outside.json(),
        serde_json::json!({"detail": "You do not have permission to perform this action."})
    );
    // The websocket upgrade is refused the same way, before any handshake.
    let socket = app
        .call(Method::GET, "/socket?sprint=1")
        .peer("192.0.2.1")
        .websocket_upgrade("13")
        .send()
        .await;
    assert_eq!(socket.status, StatusCode::FORBIDDEN);
    // Pages are not the API: still served to everyone.
    let page = app.call(Method::GET, "/").peer("192.0.2.1").send().await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn the_bundle_is_served_from_its_precompressed_copies() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    let name = "pkg/scrum.Hg83HrffVMd6aTqA0EPbCw.js";
    let source = "export function board() { return 'columns'; }\n".repeat(400);
    std::fs::write(site.path().join(name), &source).unwrap();
    let written = server::http::assets::precompress(site.path()).unwrap();
    assert_eq!(written.len(), 2, "{written:?}");
    // A second run has nothing to do: the copies are newer than the file.
    assert!(
        server::http::assets::precompress(site.path())
            .unwrap()
            .is_empty()
    );
    // Mark the copies so the test can tell them from on-the-fly compression.
    let br = std::fs::read(site.path().join(format!("{name}.br"))).unwrap();
    let gz = std::fs::read(site.path().join(format!("{name}.gz"))).unwrap();
    assert!(br.len() < source.len() / 20 && gz.len() < source.len() / 10);
    let root = site.path().display().to_string();
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("LEPTOS_SITE_ROOT", root.as_str())]).await;

    for (accept, encoding, size) in [("br", "br", br.len()), ("gzip", "gzip", gz.len())] {
        let response = app
            .call(Method::GET, &format!("/{name}"))
            .header("accept-encoding", accept)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.header("content-encoding"), encoding);
        assert_eq!(
            response.header("content-length"),
            size.to_string(),
            "{accept}"
        );
        assert_eq!(
            response.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert!(
            response
                .header("vary")
                .to_ascii_lowercase()
                .contains("accept-encoding")
        );
    }
    let plain = app.get(&format!("/{name}")).await;
    assert_eq!(plain.text, source);
    assert!(plain.headers.get("content-encoding").is_none());
}

#[tokio::test]
async fn no_path_reaches_a_file_outside_the_site_root() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/scrum.js"), "export {};").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "the-canary-secret").unwrap();
    let root = site.display().to_string();
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("LEPTOS_SITE_ROOT", root.as_str())]).await;
    assert_eq!(app.get("/pkg/scrum.js").await.status, StatusCode::OK);
    for path in [
        "/pkg/../../secret.txt",
        "/pkg/%2e%2e/%2e%2e/secret.txt",
        "/pkg/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/pkg/..%5c..%5csecret.txt",
        "/pkg/..\\..\\secret.txt",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let Ok(uri) = path.parse::<axum::http::Uri>() else {
            continue; // not even a request line
        };
        let response = app.call(Method::GET, &uri.to_string()).send().await;
        assert!(
            response.status.is_client_error(),
            "{path}: {}",
            response.status
        );
        assert!(!response.text.contains("the-canary-secret"), "{path}");
    }
}

/// The nginx trap: a proxy speaking HTTP/1.0 upstream must still get compressed answers, and
/// they must decompress to exactly what an uncompressed request gets.
#[tokio::test]
async fn an_http_1_0_client_that_accepts_gzip_gets_gzip_that_decompresses_to_the_same_json() {
    use std::io::Read;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (app, demo) = app_with_a_long_task_list().await;
    let token = demo.key().to_owned();
    let live = crate::harness::LiveServer::start(&app).await;
    let fetch = |accept: &'static str| {
        let token = token.clone();
        async move {
            let mut stream = tokio::net::TcpStream::connect(live.addr).await.unwrap();
            let request = format!(
                "GET /api/tasks HTTP/1.0\r\nHost: localhost:3000\r\nAuthorization: Token {token}\r\n{accept}\r\n"
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut raw = Vec::new();
            tokio::time::timeout(
                std::time::Duration::from_secs(10),
                stream.read_to_end(&mut raw),
            )
            .await
            .expect("an answer in time")
            .unwrap();
            let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            (head, raw[split + 4..].to_vec())
        }
    };
    let (plain_head, plain) = fetch("").await;
    assert!(plain_head.starts_with("http/1.0 200"), "{plain_head}");
    assert!(!plain_head.contains("content-encoding"), "{plain_head}");

    let (head, gzipped) = fetch("Accept-Encoding: gzip\r\n").await;
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("vary: accept-encoding"), "{head}");
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(gzipped.as_slice())
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated, plain, "decompressed bytes equal the original");
    assert!(gzipped.len() < plain.len() / 2);
}
