//! Optimistic concurrency: every sprint and task carries a `version` (also its `ETag`). A write
//! that names an older version, in `If-Match` or in the body, answers 412 with the current
//! object; a write that names none keeps the book's last-write-wins behaviour.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, TestApp, backends, date, day};

/// A sprint without its `links.channel`, whose ticket is minted afresh on every answer.
fn without_channel(mut sprint: Value) -> Value {
    if let Some(links) = sprint["links"].as_object_mut() {
        links.remove("channel");
    }
    sprint
}

async fn sprint_v2(app: &TestApp, auth: &Auth) -> String {
    let sprint = app
        .create_sprint(auth, json!({"name": "v1", "end": day(7)}))
        .await;
    let path = format!("/api/sprints/{}", sprint["id"]);
    let response = app
        .call(Method::PATCH, &path)
        .auth(auth)
        .json(json!({"name": "v2"}))
        .send()
        .await;
    assert_eq!(response.header("etag"), "\"2\"");
    path
}

#[tokio::test]
async fn a_stale_if_match_on_a_sprint_answers_412_with_the_current_sprint() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let path = sprint_v2(&app, &auth).await;
    let current = without_channel(app.get_json(&auth, &path).await);
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let response = app
            .call(method.clone(), &path)
            .auth(&auth)
            .header("if-match", "\"1\"")
            .json(json!({"name": "lost update", "end": day(8)}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::PRECONDITION_FAILED, "{method}");
        assert_eq!(without_channel(response.json()), current, "{method}");
    }
    assert_eq!(without_channel(app.get_json(&auth, &path).await), current);
}

#[tokio::test]
async fn a_matching_if_match_lets_the_sprint_write_through() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let path = sprint_v2(&app, &auth).await;
    let response = app
        .call(Method::PUT, &path)
        .auth(&auth)
        .header("if-match", "\"2\"")
        .json(json!({"name": "v3", "end": day(7)}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.header("etag"), "\"3\"");
    assert_eq!(response.json()["name"], "v3");
    // `If-Match: *` means "whatever version it has now".
    let response = app
        .call(Method::PATCH, &path)
        .auth(&auth)
        .header("if-match", "*")
        .json(json!({"name": "v4"}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("etag"), "\"4\"");
    let response = app
        .call(Method::DELETE, &path)
        .auth(&auth)
        .header("if-match", "\"4\"")
        .send()
        .await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_weak_etag_never_matches() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let path = sprint_v2(&app, &auth).await;
    for tag in ["W/\"2\"", "2", "\"two\""] {
        let response = app
            .call(Method::PATCH, &path)
            .auth(&auth)
            .header("if-match", tag)
            .json(json!({"name": "x"}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::PRECONDITION_FAILED, "{tag}");
    }
}

#[tokio::test]
async fn a_stale_version_in_the_body_answers_412_and_a_current_one_writes() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let path = sprint_v2(&app, &auth).await;
    let current = without_channel(app.get_json(&auth, &path).await);
    let stale = app
        .call(Method::PUT, &path)
        .auth(&auth)
        .json(json!({"name": "stale", "end": day(7), "version": 1}))
        .send()
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(without_channel(stale.json()), current);
    let stale_form = app
        .call(Method::PUT, &path)
        .auth(&auth)
        .form(&[("name", "stale"), ("end", &day(7)), ("version", "1")])
        .send()
        .await;
    assert_eq!(stale_form.status, StatusCode::PRECONDITION_FAILED);
    let fresh = app
        .call(Method::PUT, &path)
        .auth(&auth)
        .json(json!({"name": "fresh", "end": day(7), "version": 2}))
        .send()
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(fresh.json()["version"], 3);
}

#[tokio::test]
async fn a_version_that_is_not_a_number_is_a_field_error() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let path = sprint_v2(&app, &auth).await;
    let response = app
        .call(Method::PATCH, &path)
        .auth(&auth)
        .json(json!({"name": "x", "version": "latest"}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json(),
        json!({"version": ["A valid integer is required."]})
    );
}

#[tokio::test]
async fn without_if_match_or_version_the_last_write_wins() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let sprint = app.insert_sprint("S", date(14)).await;
        let task = app
            .create_task(&auth, json!({"name": "Shared", "sprint": sprint.id}))
            .await;
        let path = format!("/api/tasks/{}", task["id"]);
        // Two clients read version 1 and each PUT their whole copy back, as the book's SPA does.
        for (name, version) in [("first writer", 2), ("second writer", 3)] {
            let response = app
                .call(Method::PUT, &path)
                .auth(&auth)
                .json(json!({"name": name, "sprint": sprint.id}))
                .send()
                .await;
            assert_eq!(response.status, StatusCode::OK, "{backend:?}");
            assert_eq!(response.json()["version"], version);
        }
        let stored = app.get_json(&auth, &path).await;
        assert_eq!(stored["name"], "second writer", "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_second_of_two_edits_from_the_same_version_is_refused() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let sprint = app.insert_sprint("S", date(14)).await;
        let task = app
            .create_task(&auth, json!({"name": "Shared", "sprint": sprint.id}))
            .await;
        let path = format!("/api/tasks/{}", task["id"]);
        let etag = app
            .call(Method::GET, &path)
            .auth(&auth)
            .send()
            .await
            .header("etag")
            .to_owned();
        assert_eq!(etag, "\"1\"");
        let first = app
            .call(Method::PATCH, &path)
            .auth(&auth)
            .header("if-match", &etag)
            .json(json!({"description": "inline edit"}))
            .send()
            .await;
        assert_eq!(first.status, StatusCode::OK, "{backend:?}");
        let second = app
            .call(Method::PUT, &path)
            .auth(&auth)
            .header("if-match", &etag)
            .json(json!({"name": "drag and drop", "sprint": sprint.id, "status": 2}))
            .send()
            .await;
        assert_eq!(
            second.status,
            StatusCode::PRECONDITION_FAILED,
            "{backend:?}"
        );
        let current = app.get_json(&auth, &path).await;
        assert_eq!(second.json(), current);
        assert_eq!(current["description"], "inline edit");
        assert_eq!(current["name"], "Shared");
        assert_eq!(current["status"], 1);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn task_writes_and_deletes_check_the_version_too() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let sprint = app.insert_sprint("S", date(14)).await;
    let task = app
        .create_task(&auth, json!({"name": "T", "sprint": sprint.id}))
        .await;
    let path = format!("/api/tasks/{}", task["id"]);
    let stale_body = app
        .call(Method::PATCH, &path)
        .auth(&auth)
        .json(json!({"name": "x", "version": 0}))
        .send()
        .await;
    assert_eq!(stale_body.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale_body.json(), task);
    let stale_delete = app
        .call(Method::DELETE, &path)
        .auth(&auth)
        .header("if-match", "\"7\"")
        .send()
        .await;
    assert_eq!(stale_delete.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale_delete.json(), task);
    assert_eq!(app.get_json(&auth, &path).await, task, "still there");
    let delete = app
        .call(Method::DELETE, &path)
        .auth(&auth)
        .header("if-match", "\"1\"")
        .send()
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_version_check_comes_before_validation() {
    // A stale client learns about the newer object rather than about its own invalid input.
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let path = sprint_v2(&app, &auth).await;
    let response = app
        .call(Method::PATCH, &path)
        .auth(&auth)
        .header("if-match", "\"1\"")
        .json(json!({"end": day(-1)}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(response.json()["name"], "v2");
}

#[tokio::test]
async fn of_concurrent_writes_from_the_same_version_exactly_one_wins() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let sprint = app.insert_sprint("S", date(14)).await;
        let task = app
            .create_task(&auth, json!({"name": "Shared", "sprint": sprint.id}))
            .await;
        let path = format!("/api/tasks/{}", task["id"]);
        let write = |name: &'static str| {
            app.call(Method::PATCH, &path)
                .auth(&auth)
                .header("if-match", "\"1\"")
                .json(json!({"name": name}))
                .send()
        };
        let (a, b, c) = tokio::join!(write("a"), write("b"), write("c"));
        let winners: Vec<String> = [&a, &b, &c]
            .iter()
            .filter(|r| r.status == StatusCode::OK)
            .map(|r| r.json()["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(winners.len(), 1, "{backend:?}");
        for response in [&a, &b, &c] {
            assert!(
                response.status == StatusCode::OK
                    || response.status == StatusCode::PRECONDITION_FAILED,
                "{backend:?} {}",
                response.status
            );
        }
        let stored = app.get_json(&auth, &path).await;
        assert_eq!(stored["name"], winners[0].as_str());
        assert_eq!(stored["version"], 2);
        app.cleanup().await;
    }
}
