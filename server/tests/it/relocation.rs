//! The site relocated: under a `BASE_PATH` every page, asset, API link, websocket URL, cookie
//! and redirect carries the prefix and nothing answers outside it; with an `ASSET_BASE_URL` the
//! bundle comes from another origin (a CDN) with hashed names, CORS and a matching CSP.

use std::path::Path;

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Backend, LiveServer, NewTask, TestApp, WsClient, ws_request};

/// Every `href="…"` and `src="…"` value in `html`.
fn links_in(html: &str) -> Vec<&str> {
    let mut links = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        for (start, _) in html.match_indices(attribute) {
            let rest = &html[start + attribute.len()..];
            links.push(&rest[..rest.find('"').unwrap_or(rest.len())]);
        }
    }
    links
}

#[tokio::test]
async fn under_a_base_path_everything_carries_the_prefix_and_nothing_answers_outside() {
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("BASE_PATH", "/abc")]).await;
    app.create_user("carol", "carol-pass-1").await;
    let sprint = app
        .insert_sprint("Relocated", crate::harness::date(5))
        .await;
    app.insert_task(NewTask {
        sprint: Some(sprint.id),
        ..NewTask::named("Pack the boxes")
    })
    .await;

    // The session cookie is scoped to the prefix.
    let (cookie, set_cookie) = app
        .sign_in_at("/abc/api/session", "carol", "carol-pass-1")
        .await;
    assert!(set_cookie.contains("; Path=/abc;"), "{set_cookie}");

    // The pages: rendered with their data (fetched in-process under the prefix), and every
    // link and asset under /abc/.
    for path in ["/abc", "/abc/", &format!("/abc/sprint/{}", sprint.id)] {
        let page = app
            .call(Method::GET, path)
            .header("cookie", &cookie)
            .send()
            .await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        assert!(page.text.contains(r#"data-base="/abc""#), "{path}");
        let links = links_in(&page.text);
        assert!(links.len() >= 4, "{path}: {links:?}");
        for link in links {
            assert!(
                link.starts_with("/abc/") || link.starts_with('#'),
                "{path}: {link} is outside the prefix in {}",
                page.text
            );
        }
    }
    let board = app
        .call(Method::GET, &format!("/abc/sprint/{}", sprint.id))
        .header("cookie", &cookie)
        .send()
        .await;
    assert!(board.text.contains("Pack the boxes"), "{}", board.text);

    // API links are absolute and under the prefix, the channel included.
    let root = app
        .call(Method::GET, "/abc/api/")
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(
        root.json()["sprints"],
        "http://localhost:3000/abc/api/sprints"
    );
    let detail = app
        .call(Method::GET, &format!("/abc/api/sprints/{}", sprint.id))
        .header("cookie", &cookie)
        .send()
        .await
        .json();
    assert_eq!(
        detail["links"]["self"],
        format!("http://localhost:3000/abc/api/sprints/{}", sprint.id)
    );
    let channel = detail["links"]["channel"].as_str().expect("channel link");
    assert!(
        channel.starts_with("ws://localhost:3000/abc/socket?channel="),
        "{channel}"
    );

    // Deep links are pages, unknown API paths stay JSON 404s.
    let missing = app.call(Method::GET, "/abc/api/unknown").send().await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing
            .header("content-type")
            .starts_with("application/json")
    );

    // Outside the prefix: nothing, but still with the security headers.
    for path in ["/", "/api/sprints", "/sprint/1", "/abcd/", "/healthz"] {
        let outside = app
            .call(Method::GET, path)
            .header("cookie", &cookie)
            .send()
            .await;
        assert_eq!(outside.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(outside.header("x-frame-options"), "DENY", "{path}");
    }
    assert_eq!(app.get("/abc/healthz").await.status, StatusCode::OK);
    app.cleanup().await;
}

#[tokio::test]
async fn the_live_stream_connects_under_the_base_path_only() {
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("BASE_PATH", "/abc")]).await;
    let user = app.create_user("dave", "dave-pass-1").await;
    let token = app.token_for(user.id).await;
    let sprint = app
        .call(Method::POST, "/abc/api/sprints")
        .auth(&token)
        .json(json!({"name": "Live", "end": crate::harness::day(3)}))
        .send()
        .await
        .json();
    let server = LiveServer::start(&app).await;
    let channel = sprint["links"]["channel"].as_str().expect("channel");
    let query = channel.split_once('?').expect("query").1;

    // The book's client opens exactly the link it was given, rewritten to this port.
    let url = format!("ws://{}/abc/socket?{query}", server.addr);
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            url.as_str(),
        )
        .expect("request");
    // A page of this site opens it: its Origin is the site's origin, without the prefix.
    request
        .headers_mut()
        .insert("origin", server.origin().parse().unwrap());
    server.settled().await;
    let mut client = WsClient::open(request).await.expect("opens under /abc");
    assert_eq!(client.hello["sprint"], sprint["id"]);

    // A change arrives with links under the prefix.
    let created = app
        .call(Method::POST, "/abc/api/tasks")
        .auth(&token)
        .json(json!({"name": "Streamed", "sprint": sprint["id"]}))
        .send()
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let change = client.next_change().await;
    let link = change["body"]["links"]["self"].as_str().expect("self link");
    assert!(link.starts_with("/abc/api/tasks/"), "{link}");
    client.close().await;

    // The old root path is not a socket any more.
    let refused = crate::harness::refusal_status(ws_request(server.addr, query, &[])).await;
    assert_eq!(refused, StatusCode::NOT_FOUND);
    app.cleanup().await;
}

/// A site root with a hashed bundle, and the hash file naming it, as a release build leaves.
fn hashed_site(dir: &Path) -> String {
    let pkg = dir.join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        dir.join("hash.txt"),
        "js: Qdb-pDJpIqzhzfVdROVCDg\nwasm: Hg83HrffVMd6aTqA0EPbCw\ncss: 1kQ9xY2Zr7TgL0aBcDeFgH\n",
    )
    .unwrap();
    std::fs::write(
        pkg.join("scrum.Qdb-pDJpIqzhzfVdROVCDg.js"),
        "export default 1;",
    )
    .unwrap();
    dir.join("hash.txt").display().to_string()
}

#[tokio::test]
async fn the_bundle_is_named_by_its_hashes_and_may_come_from_a_cdn() {
    let dir = tempfile::tempdir().unwrap();
    let hash_file = hashed_site(dir.path());
    let site_root = dir.path().join("site").display().to_string();
    let env = [
        ("LEPTOS_SITE_ROOT", site_root.as_str()),
        ("LEPTOS_HASH_FILES", "true"),
        ("LEPTOS_HASH_FILE_NAME", hash_file.as_str()),
    ];

    // From this server: hashed names under /pkg, immutable, with CORS for a CDN to mirror.
    let local = TestApp::spawn_with(&Backend::Sqlite, &env).await;
    // Pages need an account (with none, they lead to the first run's form).
    local.create_user("someone", "someone-pass-1").await;
    let page = local.get("/").await;
    assert!(
        page.text
            .contains(r#"href="/pkg/scrum.Qdb-pDJpIqzhzfVdROVCDg.js""#),
        "{}",
        page.text
    );
    assert!(page.text.contains("/pkg/scrum.Hg83HrffVMd6aTqA0EPbCw.wasm"));
    assert!(
        page.text
            .contains(r#"href="/pkg/scrum.1kQ9xY2Zr7TgL0aBcDeFgH.css""#)
    );
    assert!(!page.text.contains("?v=") && !page.text.contains("?build="));
    let js = local.get("/pkg/scrum.Qdb-pDJpIqzhzfVdROVCDg.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(js.header("access-control-allow-origin"), "*");
    assert_eq!(
        js.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    local.cleanup().await;

    // From a CDN: absolute URLs there, and the page's CSP allows that origin (and no other).
    let env_cdn = [
        env[0],
        env[1],
        env[2],
        ("ASSET_BASE_URL", "https://cdn.test/x/"),
    ];
    let cdn = TestApp::spawn_with(&Backend::Sqlite, &env_cdn).await;
    // Pages need an account (with none, they lead to the first run's form).
    cdn.create_user("someone", "someone-pass-1").await;
    let page = cdn.get("/").await;
    assert!(
        page.text
            .contains(r#"href="https://cdn.test/x/scrum.Qdb-pDJpIqzhzfVdROVCDg.js""#),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains(r#""https://cdn.test/x/scrum.Hg83HrffVMd6aTqA0EPbCw.wasm""#)
    );
    assert!(
        page.text
            .contains(r#"href="https://cdn.test/x/scrum.1kQ9xY2Zr7TgL0aBcDeFgH.css""#)
    );
    let policy = page.header("content-security-policy");
    assert!(
        policy.contains("script-src 'self' https://cdn.test 'nonce-"),
        "{policy}"
    );
    assert!(
        policy.contains("connect-src 'self' https://cdn.test;"),
        "{policy}"
    );
    assert!(
        !policy.contains("unsafe-inline") && !policy.contains(" 'unsafe-eval'"),
        "{policy}"
    );
    cdn.cleanup().await;
}

#[test]
fn views_name_no_asset_path_but_through_the_resolver() {
    // S0-1: the asset resolver is the only place that knows where the bundle lives.
    let app_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
    let mut offenders = Vec::new();
    let mut pending = vec![app_src];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|name| name != "assets.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                if text.contains("\"/pkg/") || text.contains("\"/static/") {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "asset paths written by hand in {offenders:?}"
    );
}

#[tokio::test]
async fn at_the_root_deep_links_are_pages_and_unknown_api_paths_are_json() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    // Pages need an account (with none, they lead to the first run's form).
    app.create_user("someone", "someone-pass-1").await;
    let page = app.get("/sprint/5").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    for path in ["/api/unknown", "/api/sprints/1/nothing/here"] {
        let missing = app.get(path).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(missing.json()["detail"], "Not found.", "{path}");
    }
    app.cleanup().await;
}
