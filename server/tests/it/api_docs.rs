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
