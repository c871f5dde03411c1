//! Pages of another origin using the API with the visitor's session (`CORS_ALLOWED_ORIGINS`,
//! for the client-side build hosted apart from the server): preflights, credentials, CSRF and
//! the live stream, and nothing shared with any other origin or beyond the API.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, Backend, LiveServer, TestApp, TestResponse};

/// Where the client-side build is hosted in these tests.
const APP: &str = "http://app.local:8080";

async fn with_app_origin() -> TestApp {
    TestApp::spawn_with(
        &Backend::Sqlite,
        // Written as a deployer might: upper case and a trailing slash are forgiven.
        &[(
            "CORS_ALLOWED_ORIGINS",
            "HTTP://app.local:8080/, https://other.local",
        )],
    )
    .await
}

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> TestResponse {
    app.call(Method::OPTIONS, path)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", "content-type,x-csrftoken")
        .send()
        .await
}

fn allowed_origin(response: &TestResponse) -> Option<&str> {
    response
        .headers
        .get("access-control-allow-origin")
        .map(|value| value.to_str().unwrap())
}

/// Signs in from the app's origin as its page does, returning the cookie and the CSRF token.
async fn sign_in_from(app: &TestApp, origin: &str) -> (TestResponse, Option<(String, String)>) {
    let response = app
        .call(Method::POST, "/api/session")
        .header("origin", origin)
        .json(json!({"username": "carol", "password": "carol-password-1"}))
        .send()
        .await;
    let session = (response.status == StatusCode::OK).then(|| {
        let cookie = response
            .header("set-cookie")
            .strip_prefix("scrum_session=")
            .and_then(|rest| rest.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let csrf = response.json()["csrf_token"].as_str().unwrap().to_owned();
        (cookie, csrf)
    });
    (response, session)
}

#[tokio::test]
async fn a_configured_origin_is_answered_with_credentials_and_no_other_is() {
    let app = with_app_origin().await;

    let answer = preflight(&app, "/api/tasks/1", APP, "PATCH").await;
    assert!(answer.status.is_success(), "{}", answer.status);
    assert_eq!(allowed_origin(&answer), Some(APP));
    assert_eq!(answer.header("access-control-allow-credentials"), "true");
    let methods = answer
        .header("access-control-allow-methods")
        .to_ascii_uppercase();
    for method in ["GET", "POST", "PATCH", "PUT", "DELETE"] {
        assert!(methods.contains(method), "{method} in {methods}");
    }
    let headers = answer
        .header("access-control-allow-headers")
        .to_ascii_lowercase();
    assert!(
        headers.contains("x-csrftoken") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(
        answer
            .header("vary")
            .to_ascii_lowercase()
            .contains("origin")
    );
    let second = preflight(&app, "/api/sprints", "https://other.local", "POST").await;
    assert_eq!(allowed_origin(&second), Some("https://other.local"));

    // Display preferences, which the app remembers on the server too.
    let preferences = preflight(&app, "/preferences", APP, "POST").await;
    assert_eq!(allowed_origin(&preferences), Some(APP));

    // Not listed: nothing shared.
    for origin in [
        "http://evil.example",
        "http://app.local:8081",
        "https://app.local:8080",
    ] {
        let answer = preflight(&app, "/api/tasks", origin, "POST").await;
        assert_eq!(allowed_origin(&answer), None, "{origin}");
    }
    // Not what the app calls (the server's own pages, the administration, metrics): the policy
    // is not applied at all, and such an OPTIONS is answered as before it existed.
    for path in [
        "/admin/import",
        "/api/admin/users",
        "/account",
        "/metrics",
        "/sprint/1",
    ] {
        let answer = preflight(&app, path, APP, "POST").await;
        assert_eq!(allowed_origin(&answer), None, "{path}");
        assert!(
            answer
                .headers
                .get("access-control-allow-credentials")
                .is_none(),
            "{path}"
        );
        assert!(!answer.status.is_success(), "{path}: {}", answer.status);
    }

    // Answers themselves, refusals included, are readable by the page that asked.
    let refused = app
        .call(Method::GET, "/api/session")
        .header("origin", APP)
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(allowed_origin(&refused), Some(APP));
    let missing = app
        .call(Method::GET, "/api/nothing-here")
        .header("origin", APP)
        .send()
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(allowed_origin(&missing), Some(APP));
    let elsewhere = app
        .call(Method::GET, "/api/session")
        .header("origin", "http://evil.example")
        .send()
        .await;
    assert_eq!(allowed_origin(&elsewhere), None);
    app.cleanup().await;
}

#[tokio::test]
async fn without_configured_origins_nothing_is_shared() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let answer = preflight(&app, "/api/tasks", APP, "POST").await;
    assert_eq!(allowed_origin(&answer), None);
    let get = app
        .call(Method::GET, "/api/session")
        .header("origin", APP)
        .send()
        .await;
    assert_eq!(allowed_origin(&get), None);
    // And a page there cannot sign anyone in: login CSRF.
    app.create_user("carol", "carol-password-1").await;
    let (refused, session) = sign_in_from(&app, APP).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert!(session.is_none());
    app.cleanup().await;
}

#[tokio::test]
async fn the_app_origin_signs_in_and_writes_with_the_sessions_csrf_token() {
    let app = with_app_origin().await;
    app.create_user("carol", "carol-password-1").await;

    let (signed_in, session) = sign_in_from(&app, APP).await;
    assert_eq!(allowed_origin(&signed_in), Some(APP));
    let (cookie, csrf) = session.expect("signed in from the app's origin");
    let (refused, none) = sign_in_from(&app, "http://evil.example").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(none.is_none());

    let write = |headers: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let mut call = app
                .call(Method::POST, "/api/tasks")
                .auth(&Auth::Session(cookie))
                .json(json!({"name": "From the static app"}));
            for (name, value) in headers {
                call = call.header(name, &value);
            }
            call.send().await
        }
    };
    // CSRF intact: the trusted origin still needs the session's token.
    let without_token = write(vec![("origin", APP.to_owned())]).await;
    assert_eq!(without_token.status, StatusCode::FORBIDDEN);
    assert_eq!(
        without_token.json(),
        json!({"detail": "CSRF Failed: CSRF token missing."})
    );
    assert_eq!(
        allowed_origin(&without_token),
        Some(APP),
        "the page reads why"
    );
    let wrong_token = write(vec![
        ("origin", APP.to_owned()),
        ("x-csrftoken", "0".repeat(32)),
    ])
    .await;
    assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);
    // The right token from a page of another, untrusted site is refused too.
    let foreign = write(vec![
        ("origin", "http://evil.example".to_owned()),
        ("x-csrftoken", csrf.clone()),
    ])
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let tasks: Value = app
        .get_json(&Auth::Session(cookie.clone()), "/api/tasks")
        .await;
    assert_eq!(tasks["count"], 0, "no refused write left a trace");

    let created = write(vec![
        ("origin", APP.to_owned()),
        ("x-csrftoken", csrf.clone()),
    ])
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(allowed_origin(&created), Some(APP));
    assert_eq!(created.header("access-control-allow-credentials"), "true");
    // A page on the app's origin reached by a link (no Origin on some requests) says so
    // through its Referer.
    let by_referer = write(vec![
        ("referer", format!("{APP}/sprint/1")),
        ("x-csrftoken", csrf.clone()),
    ])
    .await;
    assert_eq!(
        by_referer.status,
        StatusCode::CREATED,
        "{}",
        by_referer.text
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_origin_may_open_the_live_stream_with_the_session_cookie() {
    let app = with_app_origin().await;
    let live = LiveServer::start(&app).await;
    let carol = app.create_user("carol", "carol-password-1").await;
    let sprint = app
        .insert_sprint("Current", crate::harness::date(14))
        .await
        .id;
    let cookie = format!("scrum_session={}", app.session_for(carol.id).await);
    let query = format!("sprint={sprint}");
    let opened = live
        .connect_with(&query, &[("Origin", APP), ("Cookie", &cookie)])
        .await;
    assert_eq!(opened.hello["user"], "carol");
    opened.close().await;
    assert_eq!(
        live.refusal(
            &query,
            &[("Origin", "http://evil.example"), ("Cookie", &cookie)]
        )
        .await,
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}
