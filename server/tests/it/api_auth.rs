//! Who may call the API: HTTP Basic (the book's Python client), tokens from `POST /api/token/`
//! (stored hashed, revocable, optionally expiring), the browser's session cookie with its CSRF
//! defences, and login throttling.

use axum::http::{Method, StatusCode};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};
use serde_json::{Value, json};
use server::{
    domain::accounts::secrets::digest,
    domain::db::entities::{auth_token, session, user},
};

use crate::harness::{Auth, BASE, Backend, DEMO_PASSWORD, DEMO_USER, TestApp, backends, day, form};

const NOT_PROVIDED: &str = "Authentication credentials were not provided.";

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

async fn demo_user(app: &TestApp) -> user::Model {
    app.create_user(DEMO_USER, DEMO_PASSWORD).await
}

async fn deactivate(app: &TestApp, user: user::Model) {
    let mut active = user.into_active_model();
    active.is_active = Set(false);
    active.update(&app.db).await.unwrap();
}

async fn obtain_token(app: &TestApp, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = app
        .call(Method::POST, "/api/token/")
        .payload(form(pairs))
        .send()
        .await;
    (response.status, response.json())
}

// ---- anonymous and Basic ------------------------------------------------------------------

#[tokio::test]
async fn anonymous_requests_get_401_with_a_token_challenge_never_basic() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    for (method, path) in [
        (Method::GET, "/api/sprints"),
        (Method::GET, "/api/sprints/"),
        (Method::POST, "/api/sprints"),
        (Method::GET, "/api/sprints/1"),
        (Method::DELETE, "/api/sprints/1"),
        (Method::GET, "/api/tasks"),
        (Method::PUT, "/api/tasks/1/"),
        (Method::GET, "/api/users"),
        (Method::GET, "/api/users/demo"),
        (Method::GET, "/api/session"),
    ] {
        let response = app
            .call(method.clone(), path)
            .json(json!({"end": day(3)}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(response.json(), json!({"detail": NOT_PROVIDED}));
        assert_eq!(
            response.header("www-authenticate"),
            "Token",
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn http_basic_credentials_are_accepted() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let response = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::basic(DEMO_USER, DEMO_PASSWORD))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
}

#[tokio::test]
async fn wrong_basic_credentials_answer_401_without_a_basic_challenge() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    for auth in [
        Auth::basic(DEMO_USER, "wrong"),
        Auth::basic("nobody", DEMO_PASSWORD),
    ] {
        let response = app
            .call(Method::GET, "/api/sprints")
            .auth(&auth)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(
            response.json(),
            json!({"detail": "Invalid username/password"})
        );
        assert_eq!(response.header("www-authenticate"), "Token");
    }
    for header in ["Basic !!!not-base64", "Basic ZGVtbw=="] {
        let response = app
            .call(Method::GET, "/api/sprints")
            .header("authorization", header)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(
            response.json(),
            json!({"detail": "Invalid username/password"})
        );
    }
}

#[tokio::test]
async fn an_inactive_user_is_refused_by_basic_and_by_token() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let user = demo_user(&app).await;
    let token = app.token_for(user.id).await;
    deactivate(&app, user).await;
    for auth in [Auth::basic(DEMO_USER, DEMO_PASSWORD), token] {
        let response = app.call(Method::GET, "/api/tasks").auth(&auth).send().await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(
            response.json(),
            json!({"detail": "User inactive or deleted"})
        );
    }
}

// ---- tokens ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_token_is_obtained_with_a_form_or_json_and_then_authenticates() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let (status, from_form) = obtain_token(
        &app,
        &[("username", DEMO_USER), ("password", DEMO_PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{from_form}");
    let response = app
        .call(Method::POST, "/api/token")
        .json(json!({"username": DEMO_USER, "password": DEMO_PASSWORD}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let from_json = response.json();
    for body in [&from_form, &from_json] {
        let object = body.as_object().unwrap();
        assert_eq!(object.len(), 1, "{body}");
        let key = body["token"].as_str().unwrap();
        assert!(is_hex(key, 40), "{key}");
        let auth = Auth::Token(key.to_owned());
        let response = app
            .call(Method::GET, "/api/sprints")
            .auth(&auth)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::OK);
    }
    assert_ne!(
        from_form["token"], from_json["token"],
        "each login issues its own key"
    );
}

#[tokio::test]
async fn the_token_endpoint_requires_username_and_password() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let both = json!({
        "username": ["This field is required."],
        "password": ["This field is required."],
    });
    assert_eq!(
        obtain_token(&app, &[]).await,
        (StatusCode::BAD_REQUEST, both.clone())
    );
    assert_eq!(
        obtain_token(&app, &[("username", ""), ("password", "")]).await,
        (StatusCode::BAD_REQUEST, both.clone())
    );
    let response = app
        .call(Method::POST, "/api/token/")
        .json(json!({}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json(), both);
    assert_eq!(
        obtain_token(&app, &[("username", DEMO_USER)]).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"password": ["This field is required."]})
        )
    );
}

#[tokio::test]
async fn wrong_credentials_at_the_token_endpoint_are_a_non_field_error() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let expected = json!({"non_field_errors": ["Unable to login with provided credentials."]});
    for pairs in [
        [("username", DEMO_USER), ("password", "wrong")],
        [("username", "nobody"), ("password", DEMO_PASSWORD)],
        [("username", "DEMO"), ("password", DEMO_PASSWORD)],
    ] {
        assert_eq!(
            obtain_token(&app, &pairs).await,
            (StatusCode::BAD_REQUEST, expected.clone()),
            "{pairs:?}"
        );
    }
}

#[tokio::test]
async fn an_inactive_user_cannot_obtain_a_token() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let user = demo_user(&app).await;
    deactivate(&app, user).await;
    assert_eq!(
        obtain_token(
            &app,
            &[("username", DEMO_USER), ("password", DEMO_PASSWORD)]
        )
        .await,
        (
            StatusCode::BAD_REQUEST,
            json!({"non_field_errors": ["User account is disabled."]})
        )
    );
}

#[tokio::test]
async fn the_token_endpoint_only_accepts_post_and_delete() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    for method in [Method::GET, Method::PUT] {
        let response = app.call(method.clone(), "/api/token/").send().await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(
            response.json(),
            json!({"detail": format!("Method \"{method}\" not allowed.")})
        );
    }
}

#[tokio::test]
async fn tokens_are_stored_only_as_their_sha256_digest() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        demo_user(&app).await;
        let (_, body) = obtain_token(
            &app,
            &[("username", DEMO_USER), ("password", DEMO_PASSWORD)],
        )
        .await;
        let key = body["token"].as_str().unwrap().to_owned();
        let rows = auth_token::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(rows.len(), 1, "{backend:?}");
        assert_ne!(rows[0].key_hash, key, "the key itself is never stored");
        assert!(!rows[0].key_hash.contains(&key));
        assert_eq!(rows[0].key_hash, digest(&key));
        assert!(is_hex(&rows[0].key_hash, 64));
        assert_eq!(rows[0].expires, None, "no TOKEN_TTL: valid until revoked");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn an_unknown_token_answers_invalid_token() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    for header in [
        format!("Token {}", "0".repeat(40)),
        "Token not-a-token".to_owned(),
        "Token".to_owned(),
        "token abc def".to_owned(),
    ] {
        let response = app
            .call(Method::GET, "/api/tasks")
            .header("authorization", &header)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(
            response.json(),
            json!({"detail": "Invalid token"}),
            "{header}"
        );
        assert_eq!(response.header("www-authenticate"), "Token");
    }
}

#[tokio::test]
async fn a_token_header_with_an_empty_key_answers_invalid_token() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let response = app
        .call(Method::GET, "/api/tasks")
        .header("authorization", "Token ")
        .send()
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json(), json!({"detail": "Invalid token"}));
}

#[tokio::test]
async fn deleting_the_token_revokes_exactly_that_token() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let user = demo_user(&app).await;
        let kept = app.token_for(user.id).await;
        let (_, body) = obtain_token(
            &app,
            &[("username", DEMO_USER), ("password", DEMO_PASSWORD)],
        )
        .await;
        let revoked = Auth::Token(body["token"].as_str().unwrap().to_owned());
        let response = app
            .call(Method::DELETE, "/api/token/")
            .auth(&revoked)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::NO_CONTENT, "{backend:?}");
        let response = app
            .call(Method::GET, "/api/sprints")
            .auth(&revoked)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{backend:?}");
        assert_eq!(response.json(), json!({"detail": "Invalid token"}));
        let response = app
            .call(Method::GET, "/api/sprints")
            .auth(&kept)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::OK, "other tokens keep working");
        assert_eq!(auth_token::Entity::find().count(&app.db).await.unwrap(), 1);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn only_a_token_can_revoke_itself() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let response = app
        .call(Method::DELETE, "/api/token")
        .auth(&Auth::basic(DEMO_USER, DEMO_PASSWORD))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json(),
        json!({"detail": "Only a request authenticated with a token can revoke it."})
    );
    let response = app.call(Method::DELETE, "/api/token/").send().await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_token_is_refused_and_forgotten() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let user = demo_user(&app).await;
    let key = "ab".repeat(20);
    let now = chrono::Utc::now();
    auth_token::ActiveModel {
        key_hash: Set(digest(&key)),
        user_id: Set(user.id),
        name: Set(String::new()),
        created: Set(now - chrono::Duration::hours(2)),
        expires: Set(Some(now - chrono::Duration::seconds(1))),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let response = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::Token(key))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json(), json!({"detail": "Invalid token"}));
    // Refused at once; the row itself goes with the periodic sweep.
    server::domain::accounts::sweep_expired(&app.state.store)
        .await
        .unwrap();
    assert_eq!(auth_token::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn token_ttl_gives_issued_tokens_an_expiry() {
    let app = TestApp::spawn_with(&crate::harness::Backend::Sqlite, &[("TOKEN_TTL", "1h")]).await;
    demo_user(&app).await;
    let before = chrono::Utc::now();
    let (status, body) = obtain_token(
        &app,
        &[("username", DEMO_USER), ("password", DEMO_PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let row = auth_token::Entity::find_by_id(digest(body["token"].as_str().unwrap()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("stored");
    let expires = row.expires.expect("an expiry");
    let lifetime = expires - before;
    assert!(
        (3590..=3660).contains(&lifetime.num_seconds()),
        "expires in {lifetime}"
    );
    let auth = Auth::Token(body["token"].as_str().unwrap().to_owned());
    let response = app
        .call(Method::GET, "/api/sprints")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "valid until then");
}

// ---- browser sessions -----------------------------------------------------------------------

struct Login {
    cookie: String,
    set_cookie: String,
    body: Value,
}

async fn login(app: &TestApp, old_cookie: Option<&str>) -> Login {
    let mut call = app.call(Method::POST, "/api/session").payload(form(&[
        ("username", DEMO_USER),
        ("password", DEMO_PASSWORD),
    ]));
    if let Some(old) = old_cookie {
        call = call.header("cookie", &format!("scrum_session={old}"));
    }
    let response = call.send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let set_cookie = response.header("set-cookie").to_owned();
    let cookie = set_cookie
        .strip_prefix("scrum_session=")
        .and_then(|rest| rest.split(';').next())
        .expect("session cookie")
        .to_owned();
    Login {
        cookie,
        set_cookie,
        body: response.json(),
    }
}

#[tokio::test]
async fn logging_in_sets_an_httponly_samesite_cookie_and_answers_user_and_csrf_token() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let user = demo_user(&app).await;
    let login = login(&app, None).await;
    assert!(is_hex(&login.cookie, 64), "{}", login.set_cookie);
    assert_eq!(
        login.set_cookie,
        format!(
            "scrum_session={}; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax",
            login.cookie
        ),
        "no Secure attribute over plain http"
    );
    let csrf = login.body["csrf_token"].as_str().unwrap();
    assert!(is_hex(csrf, 32), "{csrf}");
    assert_eq!(
        login.body,
        json!({
            "user": {
                "id": user.id, "username": "demo", "full_name": "", "is_active": true,
                "links": {
                    "self": format!("{BASE}/api/users/demo"),
                    "tasks": format!("{BASE}/api/tasks?assigned=demo"),
                },
            },
            "csrf_token": csrf,
            // The project the board opens on, for the header and the board's read-only mode.
            "project": app.project, "project_name": "Test Project", "read_only": false,
        })
    );
    // The session is stored by digest too.
    let stored = session::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id_hash, digest(&login.cookie));
}

#[tokio::test]
async fn the_session_cookie_authenticates_reads_and_get_session() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let login = login(&app, None).await;
    let auth = Auth::Session(login.cookie.clone());
    let response = app
        .call(Method::GET, "/api/session")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json(), login.body);
    let response = app
        .call(Method::GET, "/api/sprints")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "safe methods need no CSRF proof"
    );
}

#[tokio::test]
async fn get_session_answers_401_without_a_session() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let user = demo_user(&app).await;
    let token = app.token_for(user.id).await;
    for auth in [
        Auth::Anonymous,
        token,
        Auth::Session("f".repeat(64)),
        Auth::Session(String::new()),
    ] {
        let response = app
            .call(Method::GET, "/api/session")
            .auth(&auth)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(response.json(), json!({"detail": NOT_PROVIDED}));
    }
}

#[tokio::test]
async fn session_login_errors_use_the_token_endpoints_messages() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let response = app
        .call(Method::POST, "/api/session")
        .json(json!({"username": DEMO_USER, "password": "nope"}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json(),
        json!({"non_field_errors": ["Unable to login with provided credentials."]})
    );
    assert!(response.headers.get("set-cookie").is_none());
    let response = app
        .call(Method::POST, "/api/session")
        .json(json!({}))
        .send()
        .await;
    assert_eq!(
        response.json(),
        json!({"username": ["This field is required."], "password": ["This field is required."]})
    );
}

async fn cookie_post(app: &TestApp, cookie: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut call = app
        .call(Method::POST, "/api/tasks")
        .auth(&Auth::Session(cookie.to_owned()))
        .json(json!({"name": "Cookie task"}));
    for (name, value) in headers {
        call = call.header(name, value);
    }
    let response = call.send().await;
    (response.status, response.json())
}

#[tokio::test]
async fn a_cookie_write_without_origin_referer_or_csrf_token_is_forbidden() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let login = login(&app, None).await;
    for headers in [vec![], vec![("origin", "null")], vec![("x-csrftoken", "")]] {
        assert_eq!(
            cookie_post(&app, &login.cookie, &headers).await,
            (
                StatusCode::FORBIDDEN,
                json!({"detail": "CSRF Failed: CSRF token missing."})
            ),
            "{headers:?}"
        );
    }
    let page = app
        .get_json(&Auth::Session(login.cookie.clone()), "/api/tasks")
        .await;
    assert_eq!(page["count"], 0, "nothing was written");
}

#[tokio::test]
async fn a_cookie_write_from_this_sites_origin_or_referer_is_allowed() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let login = login(&app, None).await;
    for headers in [
        vec![("origin", "http://localhost:3000")],
        vec![("referer", "http://localhost:3000/sprint/1")],
        vec![("referer", "http://localhost:3000")],
    ] {
        let (status, body) = cookie_post(&app, &login.cookie, &headers).await;
        assert_eq!(status, StatusCode::CREATED, "{headers:?}: {body}");
    }
}

#[tokio::test]
async fn a_cookie_write_from_a_foreign_origin_is_forbidden() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let login = login(&app, None).await;
    for origin in [
        "http://evil.example",
        "https://localhost:3000",
        "http://localhost:3001",
        "http://localhost:3000.evil.example",
    ] {
        assert_eq!(
            cookie_post(&app, &login.cookie, &[("origin", origin)]).await,
            (
                StatusCode::FORBIDDEN,
                json!({"detail": format!(
                    "CSRF Failed: Origin checking failed - {origin} does not match any trusted origins."
                )})
            ),
        );
    }
    // A foreign Origin wins over a same-site Referer.
    let (status, _) = cookie_post(
        &app,
        &login.cookie,
        &[
            ("origin", "http://evil.example"),
            ("referer", "http://localhost:3000/"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for referer in [
        "http://evil.example/page",
        "http://localhost:3000.evil.example/",
    ] {
        assert_eq!(
            cookie_post(&app, &login.cookie, &[("referer", referer)]).await,
            (
                StatusCode::FORBIDDEN,
                json!({"detail": "CSRF Failed: Referer checking failed - does not match any trusted origins."})
            ),
            "{referer}"
        );
    }
}

#[tokio::test]
async fn a_cookie_write_with_the_sessions_csrf_token_is_allowed() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let signed_in = login(&app, None).await;
    let csrf = signed_in.body["csrf_token"].as_str().unwrap().to_owned();
    let (status, body) = cookie_post(&app, &signed_in.cookie, &[("x-csrftoken", &csrf)]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) =
        cookie_post(&app, &signed_in.cookie, &[("x-csrftoken", &"0".repeat(32))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another token does not do");
    // A session's token is no good with another session.
    let other = login(&app, None).await.cookie;
    let (status, _) = cookie_post(&app, &other, &[("x-csrftoken", &csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_right_csrf_token_from_a_foreign_page_is_still_forbidden() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let signed_in = login(&app, None).await;
    let csrf = signed_in.body["csrf_token"].as_str().unwrap().to_owned();
    for foreign in [
        ("origin", "https://evil.test"),
        ("referer", "https://evil.test/page"),
    ] {
        let (status, body) =
            cookie_post(&app, &signed_in.cookie, &[("x-csrftoken", &csrf), foreign]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{foreign:?}: {body}");
    }
    let (status, body) = cookie_post(
        &app,
        &signed_in.cookie,
        &[("x-csrftoken", &csrf), ("origin", "http://localhost:3000")],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn token_and_basic_writes_need_no_csrf_proof() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let user = demo_user(&app).await;
    for auth in [
        app.token_for(user.id).await,
        Auth::basic(DEMO_USER, DEMO_PASSWORD),
    ] {
        let response = app
            .call(Method::POST, "/api/tasks")
            .auth(&auth)
            .json(json!({"name": "Scripted"}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{auth:?}");
    }
}

#[tokio::test]
async fn logging_in_again_with_an_old_cookie_rotates_the_session() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        demo_user(&app).await;
        let first = login(&app, None).await;
        let second = login(&app, Some(&first.cookie)).await;
        assert_ne!(first.cookie, second.cookie, "{backend:?}");
        assert_ne!(first.body["csrf_token"], second.body["csrf_token"]);
        let old = app
            .call(Method::GET, "/api/session")
            .auth(&Auth::Session(first.cookie.clone()))
            .send()
            .await;
        assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{backend:?}");
        let new = app
            .call(Method::GET, "/api/session")
            .auth(&Auth::Session(second.cookie.clone()))
            .send()
            .await;
        assert_eq!(new.status, StatusCode::OK);
        assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 1);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_server_and_clears_the_cookie() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        demo_user(&app).await;
        let login = login(&app, None).await;
        let auth = Auth::Session(login.cookie.clone());
        let response = app
            .call(Method::DELETE, "/api/session")
            .auth(&auth)
            .header("origin", "http://localhost:3000")
            .send()
            .await;
        assert_eq!(response.status, StatusCode::NO_CONTENT, "{backend:?}");
        assert_eq!(
            response.header("set-cookie"),
            "scrum_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        );
        // Replaying the old cookie (as a stolen copy would) no longer works.
        for path in ["/api/session", "/api/sprints"] {
            let response = app.call(Method::GET, path).auth(&auth).send().await;
            assert_eq!(
                response.status,
                StatusCode::UNAUTHORIZED,
                "{backend:?} {path}"
            );
        }
        assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 0);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn logging_out_is_a_write_and_needs_csrf_proof_too() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let login = login(&app, None).await;
    let auth = Auth::Session(login.cookie.clone());
    let response = app
        .call(Method::DELETE, "/api/session/")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    let response = app
        .call(Method::GET, "/api/session")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "still signed in");
}

#[tokio::test]
async fn an_expired_or_deactivated_session_is_not_signed_in() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let user = demo_user(&app).await;
    let now = chrono::Utc::now();
    let expired = "e".repeat(64);
    session::ActiveModel {
        id_hash: Set(digest(&expired)),
        user_id: Set(user.id),
        csrf_token: Set("c".repeat(32)),
        created: Set(now - chrono::Duration::days(15)),
        expires: Set(now - chrono::Duration::seconds(1)),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let response = app
        .call(Method::GET, "/api/session")
        .auth(&Auth::Session(expired.clone()))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    server::domain::accounts::sweep_expired(&app.state.store)
        .await
        .unwrap();
    assert_eq!(
        session::Entity::find()
            .filter(session::Column::IdHash.eq(digest(&expired)))
            .count(&app.db)
            .await
            .unwrap(),
        0,
        "expired sessions are deleted when seen"
    );

    let login = login(&app, None).await;
    deactivate(&app, user).await;
    let response = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::Session(login.cookie))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

// ---- throttling -----------------------------------------------------------------------------

async fn fail_logins(app: &TestApp, username: &str, times: usize) {
    for attempt in 0..times {
        let (status, _) = obtain_token(app, &[("username", username), ("password", "wrong")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "attempt {attempt}");
    }
}

fn assert_throttled(response: &crate::harness::TestResponse) {
    assert_eq!(
        response.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        response.text
    );
    let retry_after: u64 = response
        .header("retry-after")
        .parse()
        .expect("Retry-After is a number of seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(
        response.json(),
        json!({"detail": format!(
            "Request was throttled. Expected available in {retry_after} seconds."
        )})
    );
}

#[tokio::test]
async fn five_failed_logins_lock_the_username_with_429_and_retry_after() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    app.create_user("alice", DEMO_PASSWORD).await;
    fail_logins(&app, DEMO_USER, 5).await;
    // Even the right password waits now, and so does every way of signing in.
    let token = app
        .call(Method::POST, "/api/token/")
        .payload(form(&[
            ("username", DEMO_USER),
            ("password", DEMO_PASSWORD),
        ]))
        .send()
        .await;
    assert_throttled(&token);
    let session = app
        .call(Method::POST, "/api/session")
        .payload(form(&[("username", "Demo"), ("password", DEMO_PASSWORD)]))
        .send()
        .await;
    assert_throttled(&session);
    let basic = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::basic(DEMO_USER, DEMO_PASSWORD))
        .send()
        .await;
    assert_throttled(&basic);
    // Another account is not affected.
    let (status, _) =
        obtain_token(&app, &[("username", "alice"), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn failed_basic_logins_count_toward_the_lock() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    let wrong = Auth::basic(DEMO_USER, "wrong");
    for _ in 0..5 {
        let response = app
            .call(Method::GET, "/api/tasks")
            .auth(&wrong)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
    let response = app
        .call(Method::GET, "/api/tasks")
        .auth(&wrong)
        .send()
        .await;
    assert_throttled(&response);
}

#[tokio::test]
async fn a_successful_login_does_not_reset_a_guessing_campaign() {
    // Someone guesses demo's password while demo keeps signing in (the book's Python client
    // sends Basic credentials on every call): the owner's successes must not hand the guesser
    // a fresh budget.
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    fail_logins(&app, DEMO_USER, 4).await;
    let (status, _) = obtain_token(
        &app,
        &[("username", DEMO_USER), ("password", DEMO_PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the right password still works");
    fail_logins(&app, DEMO_USER, 1).await;
    let (status, _) = obtain_token(&app, &[("username", DEMO_USER), ("password", "guess")]).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "five failures within the window lock the username despite the success"
    );
}

// ---- behind a proxy, and per-address limits ----------------------------------------------

#[tokio::test]
async fn session_ttl_sets_the_cookie_lifetime() {
    let app = TestApp::spawn_with(&crate::harness::Backend::Sqlite, &[("SESSION_TTL", "1h")]).await;
    demo_user(&app).await;
    let login = login(&app, None).await;
    assert_eq!(
        login.set_cookie,
        format!(
            "scrum_session={}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax",
            login.cookie
        )
    );
}

#[tokio::test]
async fn behind_a_trusted_tls_proxy_the_cookie_is_secure_and_csrf_checks_the_public_origin() {
    let app = TestApp::spawn_with(
        &crate::harness::Backend::Sqlite,
        &[
            ("TRUSTED_PROXIES", "10.0.0.0/8"),
            ("ALLOWED_HOSTS", "scrum.example.com,localhost"),
        ],
    )
    .await;
    demo_user(&app).await;
    fn proxied(call: crate::harness::Call<'_>) -> crate::harness::Call<'_> {
        call.peer("10.0.0.2")
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "scrum.example.com")
            .header("x-forwarded-for", "198.51.100.7")
    }
    let response = proxied(app.call(Method::POST, "/api/session").payload(form(&[
        ("username", DEMO_USER),
        ("password", DEMO_PASSWORD),
    ])))
    .send()
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let set_cookie = response.header("set-cookie").to_owned();
    assert!(
        set_cookie.ends_with("; HttpOnly; SameSite=Lax; Secure"),
        "{set_cookie}"
    );
    assert_eq!(
        response.json()["user"]["links"]["self"],
        "https://scrum.example.com/api/users/demo"
    );
    let cookie = set_cookie
        .strip_prefix("scrum_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    let auth = Auth::Session(cookie);
    let post = |origin: &'static str| {
        proxied(
            app.call(Method::POST, "/api/sprints")
                .auth(&auth)
                .header("origin", origin)
                .json(json!({"end": day(3)})),
        )
        .send()
    };
    let response = post("https://scrum.example.com").await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    assert!(
        response.json()["links"]["channel"]
            .as_str()
            .unwrap()
            .starts_with("wss://scrum.example.com/socket?channel=")
    );
    let response = post("http://localhost:3000").await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = TestApp::spawn_with(
        &crate::harness::Backend::Sqlite,
        &[("TRUSTED_PROXIES", "10.0.0.0/8")],
    )
    .await;
    let user = demo_user(&app).await;
    let auth = app.token_for(user.id).await;
    let response = app
        .call(Method::POST, "/api/sprints")
        .auth(&auth)
        .peer("203.0.113.9")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "evil.example")
        .json(json!({"end": day(3)}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(
        response.header("location"),
        format!("{BASE}/api/sprints/{}", response.json()["id"])
    );
}

#[tokio::test]
async fn twenty_failures_from_one_address_lock_that_address_for_every_username() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    demo_user(&app).await;
    for attempt in 0..20 {
        let response = app
            .call(Method::POST, "/api/token/")
            .peer("192.0.2.1")
            .payload(form(&[
                ("username", &format!("guess{attempt}")),
                ("password", "wrong"),
            ]))
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "attempt {attempt}"
        );
    }
    let credentials = form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)]);
    let locked = app
        .call(Method::POST, "/api/token/")
        .peer("192.0.2.1")
        .payload(credentials.clone())
        .send()
        .await;
    assert_throttled(&locked);
    let elsewhere = app
        .call(Method::POST, "/api/token/")
        .peer("192.0.2.2")
        .payload(credentials)
        .send()
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.text);
}

/// `POST /api/token/` from `peer` with one extra header (a forwarding header, say).
async fn token_request(
    app: &TestApp,
    peer: &str,
    (name, value): (&str, &str),
    payload: crate::harness::Payload,
) -> crate::harness::TestResponse {
    app.call(Method::POST, "/api/token/")
        .peer(peer)
        .header(name, value)
        .payload(payload)
        .send()
        .await
}

#[tokio::test]
async fn a_forged_forwarded_for_cannot_escape_the_address_lock_but_a_trusted_proxy_tells_clients_apart()
 {
    let app = TestApp::spawn_with(
        &crate::harness::Backend::Sqlite,
        &[("TRUSTED_PROXIES", "10.0.0.0/8")],
    )
    .await;
    demo_user(&app).await;
    let guess = |peer: &'static str, forwarded: String, attempt: usize| {
        app.call(Method::POST, "/api/token/")
            .peer(peer)
            .header("x-forwarded-for", &forwarded)
            .payload(form(&[
                ("username", &format!("guess{attempt}")),
                ("password", "wrong"),
            ]))
            .send()
    };
    // An untrusted client that claims a new address on every try is still one address.
    for attempt in 0..20 {
        let response = guess("192.0.2.1", format!("198.51.100.{attempt}"), attempt).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "attempt {attempt}"
        );
    }
    let credentials = form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)]);
    let locked = token_request(
        &app,
        "192.0.2.1",
        ("x-forwarded-for", "203.0.113.99"),
        credentials.clone(),
    )
    .await;
    assert_throttled(&locked);

    // Behind the trusted proxy, the client it names is the one locked, not everyone behind it.
    for attempt in 0..20 {
        let response = guess("10.0.0.2", "198.51.100.7".to_owned(), attempt).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "attempt {attempt}"
        );
    }
    let same = token_request(
        &app,
        "10.0.0.2",
        ("x-forwarded-for", "198.51.100.7"),
        credentials.clone(),
    )
    .await;
    assert_throttled(&same);
    let neighbour = token_request(
        &app,
        "10.0.0.2",
        ("x-forwarded-for", "198.51.100.8"),
        credentials,
    )
    .await;
    assert_eq!(neighbour.status, StatusCode::OK, "{}", neighbour.text);
}

#[tokio::test]
async fn in_production_passwords_are_refused_over_plain_http() {
    let app = TestApp::spawn_with(
        &crate::harness::Backend::Sqlite,
        &[
            ("SCRUM_ENV", "production"),
            ("SECRET_KEY", "q8J2vX9mL4tR7wZ1cF5hN3bK6yP0dS2aG8eU"),
            ("ALLOWED_HOSTS", "localhost"),
            ("TRUSTED_PROXIES", "10.0.0.0/8"),
        ],
    )
    .await;
    demo_user(&app).await;
    let credentials = form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)]);
    for path in ["/api/token/", "/api/session"] {
        let response = app
            .call(Method::POST, path)
            .payload(credentials.clone())
            .send()
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            response.json(),
            json!({"detail": "Credentials are only accepted over HTTPS."})
        );
    }
    let basic = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::basic(DEMO_USER, DEMO_PASSWORD))
        .send()
        .await;
    assert_eq!(basic.status, StatusCode::FORBIDDEN);
    // A forged X-Forwarded-Proto from an untrusted peer does not make it HTTPS.
    let forged = token_request(
        &app,
        "203.0.113.5",
        ("x-forwarded-proto", "https"),
        credentials.clone(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Behind the TLS-terminating proxy it works.
    let proxied = token_request(
        &app,
        "10.0.0.2",
        ("x-forwarded-proto", "https"),
        credentials,
    )
    .await;
    assert_eq!(proxied.status, StatusCode::OK, "{}", proxied.text);
}

#[tokio::test]
async fn the_login_limits_come_from_the_configuration() {
    let app = TestApp::spawn_with(
        &crate::harness::Backend::Sqlite,
        &[("LOGIN_FAILURES_PER_USERNAME", "2")],
    )
    .await;
    demo_user(&app).await;
    let wrong = form(&[("username", DEMO_USER), ("password", "wrong")]);
    for attempt in 0..2 {
        let response = app
            .call(Method::POST, "/api/token/")
            .payload(wrong.clone())
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "attempt {attempt}"
        );
    }
    let locked = app
        .call(Method::POST, "/api/token/")
        .payload(form(&[
            ("username", DEMO_USER),
            ("password", DEMO_PASSWORD),
        ]))
        .send()
        .await;
    assert_throttled(&locked);
}

/// A person changes their own password with the current one: the old one stops working, their
/// other browsers are signed out, and the browser that asked (and their tokens) carry on.
#[tokio::test]
async fn changing_ones_password_needs_the_old_one_and_signs_out_every_other_session() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let dana = app.create_user("dana", "dana-old-password").await;
    let here = app.session_for(dana.id).await;
    let elsewhere = app.session_for(dana.id).await;
    let token = app.token_for(dana.id).await;
    let change = |body: Value| {
        app.call(Method::POST, "/api/me/password")
            .auth(&Auth::Session(here.clone()))
            .header("origin", BASE)
            .json(body)
            .send()
    };

    // What will not do, field by field, changing nothing.
    for (body, field, message) in [
        (
            json!({"old_password": "wrong", "new_password1": "a long and private phrase", "new_password2": "a long and private phrase"}),
            "old_password",
            "Your old password was entered incorrectly. Please enter it again.",
        ),
        (
            json!({"old_password": "dana-old-password", "new_password1": "a long and private phrase", "new_password2": "a long and private phrasE"}),
            "new_password2",
            "The two password fields didn’t match.",
        ),
        (
            json!({"old_password": "dana-old-password", "new_password1": "dana-2026-12-06", "new_password2": "dana-2026-12-06"}),
            "new_password2",
            "The password may not contain the username.",
        ),
        (
            json!({"old_password": "dana-old-password"}),
            "new_password1",
            "This field is required.",
        ),
    ] {
        let refused = change(body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(refused.json()[field], json!([message]), "{}", refused.text);
    }
    let anonymous = app
        .call(Method::POST, "/api/me/password")
        .json(json!({"old_password": "x", "new_password1": "y", "new_password2": "y"}))
        .send()
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get_json(&Auth::Session(elsewhere.clone()), "/api/session")
            .await["user"]["username"],
        "dana",
        "refusals end nothing"
    );

    let changed = change(json!({
        "old_password": "dana-old-password",
        "new_password1": "a long and private phrase",
        "new_password2": "a long and private phrase",
    }))
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text);

    let session = |id: &str| {
        app.call(Method::GET, "/api/session")
            .auth(&Auth::Session(id.to_owned()))
            .send()
    };
    assert_eq!(
        session(&here).await.status,
        StatusCode::OK,
        "the browser that asked"
    );
    assert_eq!(
        session(&elsewhere).await.status,
        StatusCode::UNAUTHORIZED,
        "another browser"
    );
    let by_token = app
        .call(Method::GET, "/api/sprints")
        .auth(&token)
        .send()
        .await;
    assert_eq!(
        by_token.status,
        StatusCode::OK,
        "tokens have their own revocation"
    );
    let old = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::basic("dana", "dana-old-password"))
        .send()
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::basic("dana", "a long and private phrase"))
        .send()
        .await;
    assert_eq!(new.status, StatusCode::OK);
}

/// A person sees their browser sessions (never a cookie) and can end them all at once.
#[tokio::test]
async fn ones_sessions_are_listed_and_sign_out_everywhere_ends_them_all() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let erin = app.create_user("erin", "erin-password-1").await;
    let older = app.session_for(erin.id).await;
    let here = app.session_for(erin.id).await;
    let token = app.token_for(erin.id).await;
    let someone_else = app.create_user("frank", "frank-password-1").await;
    let franks = app.session_for(someone_else.id).await;

    let listed = app
        .get_json(&Auth::Session(here.clone()), "/api/me/sessions")
        .await;
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 2, "{listed:?}: only erin's");
    let current: Vec<bool> = listed
        .iter()
        .map(|s| s["current"].as_bool().unwrap())
        .collect();
    assert_eq!(current.iter().filter(|c| **c).count(), 1, "{listed:?}");
    for session in listed {
        let id = session["id"].as_str().unwrap();
        assert_eq!(id.len(), 12);
        assert!(
            !here.contains(id) && !older.contains(id),
            "never the cookie"
        );
        assert!(session["created"].as_str().unwrap().ends_with('Z'));
    }
    // By token: the sessions are listed, none of them current.
    let by_token = app.get_json(&token, "/api/me/sessions").await;
    assert!(
        by_token
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["current"] == json!(false))
    );

    let everywhere = app
        .call(Method::DELETE, "/api/me/sessions")
        .auth(&Auth::Session(here.clone()))
        .header("origin", BASE)
        .send()
        .await;
    assert_eq!(
        everywhere.status,
        StatusCode::NO_CONTENT,
        "{}",
        everywhere.text
    );
    assert!(
        everywhere
            .header("set-cookie")
            .starts_with("scrum_session=;")
    );
    for id in [&here, &older] {
        let answer = app
            .call(Method::GET, "/api/session")
            .auth(&Auth::Session(id.clone()))
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let franks = app
        .call(Method::GET, "/api/session")
        .auth(&Auth::Session(franks))
        .send()
        .await;
    assert_eq!(
        franks.status,
        StatusCode::OK,
        "someone else's sessions stay"
    );
    assert_eq!(app.get_json(&token, "/api/me/sessions").await, json!([]));
}
