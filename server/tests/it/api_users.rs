//! `/api/users` and `/api/users/{username}`: read-only, ordered by username, looked up by
//! username, and never a password or its hash.

use axum::http::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};

use server::domain::db::entities::user;

use crate::harness::{BASE, TestApp, backends, date};

fn user_json(id: i32, username: &str, full_name: &str, is_active: bool) -> Value {
    json!({
        "id": id,
        "username": username,
        "full_name": full_name,
        "is_active": is_active,
        "links": {
            "self": format!("{BASE}/api/users/{username}"),
            "tasks": format!("{BASE}/api/tasks?assigned={username}"),
        },
    })
}

#[tokio::test]
async fn users_are_listed_by_username_including_inactive_ones() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let zoe = app.create_user("zoe", "pw").await;
        let alice = app.create_user("alice", "pw").await;
        let mut inactive = alice.clone().into_active_model();
        inactive.is_active = Set(false);
        inactive.first_name = Set("Alice".into());
        inactive.last_name = Set("Liddell".into());
        inactive.update(&app.db).await.unwrap();
        let demo_id = user::Entity::find()
            .filter(user::Column::Username.eq("demo"))
            .one(&app.db)
            .await
            .unwrap()
            .expect("demo")
            .id;
        let page = app.get_json(&auth, "/api/users").await;
        assert_eq!(
            page,
            json!({
                "count": 3, "next": null, "previous": null,
                "results": [
                    user_json(alice.id, "alice", "Alice Liddell", false),
                    user_json(demo_id, "demo", "", true),
                    user_json(zoe.id, "zoe", "", true),
                ],
            }),
            "{backend:?}"
        );
        assert_eq!(app.get_json(&auth, "/api/users/").await, page);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_user_is_found_by_username_with_or_without_trailing_slash() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let jane = app.create_user("jane", "pw").await;
    let mut named = jane.clone().into_active_model();
    named.first_name = Set("Jane".into());
    named.last_name = Set("Doe".into());
    named.update(&app.db).await.unwrap();
    for path in ["/api/users/jane", "/api/users/jane/"] {
        assert_eq!(
            app.get_json(&auth, path).await,
            user_json(jane.id, "jane", "Jane Doe", true),
            "{path}"
        );
    }
    // A first name alone is trimmed, as Django's get_full_name().
    let mut first_only = jane.into_active_model();
    first_only.first_name = Set("Jane".into());
    first_only.last_name = Set(String::new());
    first_only.update(&app.db).await.unwrap();
    assert_eq!(
        app.get_json(&auth, "/api/users/jane").await["full_name"],
        "Jane"
    );
}

#[tokio::test]
async fn user_answers_never_expose_the_password_or_its_hash() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    for path in ["/api/users", "/api/users/demo"] {
        let response = app.call(Method::GET, path).auth(&auth).send().await;
        assert_eq!(response.status, StatusCode::OK);
        for secret in ["password", "argon2", "hash", "email", "is_superuser"] {
            assert!(!response.text.contains(secret), "{path}: {}", response.text);
        }
    }
}

#[tokio::test]
async fn an_unknown_username_answers_404() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let response = app
        .call(Method::GET, "/api/users/nobody")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json(), json!({"detail": "Not found."}));
    // Usernames are exact: no case folding on lookup.
    let response = app
        .call(Method::GET, "/api/users/DEMO")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn users_can_be_searched_by_username() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        for name in ["alice", "malik", "bob", "a_b", "axb"] {
            app.create_user(name, "pw").await;
        }
        for (search, expected) in [
            ("ali", vec!["alice", "malik"]),
            ("ALI", vec!["alice", "malik"]),
            ("ali%20ice", vec!["alice"]),
            ("_", vec!["a_b"]),
            ("%25", vec![]),
            ("zzz", vec![]),
        ] {
            let page = app
                .get_json(&auth, &format!("/api/users?search={search}"))
                .await;
            let names: Vec<&str> = page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|user| user["username"].as_str().unwrap())
                .collect();
            assert_eq!(names, expected, "{backend:?} search={search}");
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn users_are_read_only_and_writes_answer_405() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    for (method, path) in [
        (Method::POST, "/api/users"),
        (Method::POST, "/api/users/"),
        (Method::PUT, "/api/users/demo"),
        (Method::PATCH, "/api/users/demo/"),
        (Method::DELETE, "/api/users/demo"),
    ] {
        let response = app
            .call(method.clone(), path)
            .auth(&auth)
            .json(json!({"username": "mallory", "is_active": false}))
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            response.json(),
            json!({"detail": format!("Method \"{method}\" not allowed.")})
        );
    }
    let demo = app.get_json(&auth, "/api/users/demo").await;
    assert_eq!(demo["is_active"], true, "nothing changed");
    assert_eq!(app.get_json(&auth, "/api/users").await["count"], 1);
}

#[tokio::test]
async fn users_need_authentication() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    app.demo().await;
    for path in ["/api/users", "/api/users/demo"] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            response.json(),
            json!({"detail": "Authentication credentials were not provided."})
        );
    }
}

#[tokio::test]
async fn a_task_links_to_its_assignee_and_the_link_resolves() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let sprint = app.insert_sprint("S", date(7)).await;
    let task = app
        .create_task(
            &auth,
            json!({"name": "T", "sprint": sprint.id, "assigned": "demo"}),
        )
        .await;
    let link = task["links"]["assigned"].as_str().unwrap();
    assert_eq!(link, format!("{BASE}/api/users/demo"));
    let user = app.get_json(&auth, link.strip_prefix(BASE).unwrap()).await;
    assert_eq!(user["username"], "demo");
}

#[tokio::test]
async fn links_of_a_user_with_a_plus_in_the_name_resolve() {
    // Django allows `@.+-_` in usernames; the API's own links must lead back to this user.
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    app.create_user("jane+doe", "pw").await;
    let sprint = app.insert_sprint("S", date(7)).await;
    app.create_task(
        &auth,
        json!({"name": "Hers", "sprint": sprint.id, "assigned": "jane+doe"}),
    )
    .await;
    let user = app.get_json(&auth, "/api/users/jane+doe").await;
    assert_eq!(user["username"], "jane+doe");
    let self_link = user["links"]["self"].as_str().unwrap();
    let again = app
        .get_json(&auth, self_link.strip_prefix(BASE).unwrap())
        .await;
    assert_eq!(again["username"], "jane+doe");
    let tasks_link = user["links"]["tasks"].as_str().unwrap();
    let response = app
        .call(Method::GET, tasks_link.strip_prefix(BASE).unwrap())
        .auth(&auth)
        .send()
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{tasks_link}: {}",
        response.text
    );
    assert_eq!(crate::harness::names_of(&response.json()), ["Hers"]);
}

#[tokio::test]
async fn users_are_always_ordered_by_username() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    app.create_user("zoe", "pw").await;
    app.create_user("alice", "pw").await;
    for query in ["", "?ordering=-username", "?ordering=id"] {
        let page = app.get_json(&auth, &format!("/api/users{query}")).await;
        let names: Vec<&str> = page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["alice", "demo", "zoe"], "{query}");
    }
}
