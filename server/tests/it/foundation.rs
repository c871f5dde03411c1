//! The first vertical slice: health, API root, the server-rendered page, and the schema.

use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use server::domain::db::entities::{project, sprint, task};

use crate::harness::{TestApp, backends};

#[tokio::test]
async fn healthz_answers_ok_when_the_database_answers() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let response = app.get("/healthz").await;
        assert_eq!(response.status, StatusCode::OK, "{backend:?}");
        assert_eq!(response.json()["database"], "ok");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_gone() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    app.db.clone().close().await.unwrap();
    let response = app.get("/healthz").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!response.text.contains("pool"), "{}", response.text);
}

#[tokio::test]
async fn the_api_root_lists_absolute_collection_urls_with_or_without_slash() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let expected = json!({
        "sprints": "http://localhost:3000/api/sprints",
        "tasks": "http://localhost:3000/api/tasks",
        "users": "http://localhost:3000/api/users",
        "labels": "http://localhost:3000/api/labels",
    });
    for path in ["/api/", "/api"] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.json(), expected, "{path}");
    }
}

#[tokio::test]
async fn the_home_page_is_server_rendered_and_loads_the_bundle() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    // Pages need an account (with none, they lead to the first run's form).
    app.create_user("someone", "someone-pass-1").await;
    let response = app.get("/").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = &response.text;
    // Signed out: the login form, server-rendered, and titled by its heading.
    assert!(
        html.contains("<title>Sign in — Scrum Board</title>"),
        "{html}"
    );
    assert!(html.contains(">Username</label>"), "{html}");
    assert!(html.contains("/pkg/scrum.js"), "{html}");
    assert!(html.contains("/pkg/scrum.wasm"), "{html}");
}

#[tokio::test]
async fn unknown_pages_render_not_found_with_status_404() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(response.text.contains("Page not found"));
}

#[tokio::test]
async fn deleting_a_sprint_never_deletes_its_tasks() {
    // The schema itself protects tasks: the foreign key is SET NULL, not the book's CASCADE.
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let sprint = sprint::ActiveModel {
            name: Set("Sprint".into()),
            description: Set(String::new()),
            end: Set(chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()),
            version: Set(1),
            project_id: Set(app.project),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let task = task::ActiveModel {
            name: Set("Task".into()),
            description: Set(String::new()),
            sprint_id: Set(Some(sprint.id)),
            status: Set(1),
            order: Set(0),
            version: Set(1),
            project_id: Set(app.project),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        sprint::Entity::delete_by_id(sprint.id)
            .exec(&app.db)
            .await
            .unwrap();
        let kept = task::Entity::find_by_id(task.id)
            .one(&app.db)
            .await
            .unwrap()
            .expect("task survives");
        assert_eq!(kept.sprint_id, None, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn sprint_end_dates_are_unique_within_a_project() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let other = project::ActiveModel {
            name: Set("Other".into()),
            key: Set("OTHER".into()),
            description: Set(String::new()),
            archived: Set(false),
            created: Set(chrono::Utc::now()),
            version: Set(1),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2030, 6, 1).unwrap();
        let new = |project: i32| sprint::ActiveModel {
            name: Set(String::new()),
            description: Set(String::new()),
            end: Set(end),
            version: Set(1),
            project_id: Set(project),
            ..Default::default()
        };
        new(app.project).insert(&app.db).await.unwrap();
        assert!(
            new(app.project).insert(&app.db).await.is_err(),
            "{backend:?}"
        );
        new(other.id)
            .insert(&app.db)
            .await
            .expect("another project's sprint may end the same day");
        app.cleanup().await;
    }
}
