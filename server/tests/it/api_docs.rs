//! The API documents itself: an OpenAPI 3.1 document generated from the code, and an HTML page.

use axum::http::StatusCode;

use crate::harness::{Backend, TestApp};

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_resource() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status, StatusCode::OK);
    let document = response.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/api/",
        "/api/sprints",
        "/api/sprints/{id}",
        "/api/tasks",
        "/api/tasks/{id}",
        "/api/tasks/{id}/move",
        "/api/users",
        "/api/users/{username}",
        "/api/token/",
        "/api/session",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    // The shared representations are described, and none exposes a password.
    let schemas = &document["components"]["schemas"];
    for schema in ["Sprint", "Task", "User", "MoveTask"] {
        assert!(schemas[schema].is_object(), "{schema} schema missing");
    }
    assert!(!response.text.contains("password_hash"));
    assert!(document["components"]["securitySchemes"]["token"].is_object());
}

#[tokio::test]
async fn the_docs_page_is_self_contained_html() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let response = app.get("/api/docs").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.text.contains("<h1>Scrum Board API</h1>"));
    assert!(response.text.contains("/api/tasks/{id}/move"));
    // No script and nothing fetched from elsewhere: it works offline and under a strict CSP.
    assert!(!response.text.contains("<script"));
    assert!(!response.text.contains("https://"));
}

/// Deny by default: every operation the API documents answers an anonymous caller with 401,
/// except the few that exist for anonymous callers. A new endpoint that forgets to ask for a
/// user fails here.
#[tokio::test]
async fn every_documented_operation_refuses_anonymous_callers_unless_meant_for_them() {
    use axum::http::Method;

    const OPEN: [(&str, &str); 4] = [
        ("get", "/api/"),
        ("post", "/api/token/"),
        ("post", "/api/session"),
        ("delete", "/api/session"),
    ];
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let document = app.get("/api/openapi.json").await.json();
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().expect("paths") {
        let concrete = path.replace("{id}", "1").replace("{username}", "demo");
        for method in operations.as_object().expect("operations").keys() {
            if OPEN.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            let verb = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let response = app
                .call(verb, &concrete)
                .json(serde_json::json!({}))
                .send()
                .await;
            assert_eq!(
                response.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {}",
                response.text
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} operations documented");
}
