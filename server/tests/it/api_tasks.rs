//! `/api/tasks`: every verb, the representation and its links, the book's validation rules and
//! messages (checked against the merged object, so PATCH works), filters, search and ordering.

use axum::http::{Method, StatusCode};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use server::domain::db::entities::user;

use crate::harness::{Auth, BASE, NewTask, Payload, TestApp, backends, date, day, names_of};

/// The full representation of task `id`: defaults, overridden by `fields`, with the links the
/// API derives from `sprint` and `assigned`.
fn task_json(id: i64, fields: Value) -> Value {
    let mut task = json!({
        "id": id, "name": "", "description": "", "sprint": null, "status": 1,
        "status_display": "Not Started", "order": 0, "assigned": null, "started": null,
        "due": null, "completed": null, "labels": [], "comment_count": 0, "version": 1,
        "project": 1, "points": null,
    });
    for (key, value) in fields.as_object().expect("fields object") {
        task[key] = value.clone();
    }
    let sprint = task["sprint"]
        .as_i64()
        .map(|sprint| format!("{BASE}/api/sprints/{sprint}"));
    let assigned = task["assigned"]
        .as_str()
        .map(|username| format!("{BASE}/api/users/{username}"));
    task["links"] = json!({
        "self": format!("{BASE}/api/tasks/{id}"),
        "sprint": sprint,
        "assigned": assigned,
        "comments": format!("{BASE}/api/tasks/{id}/comments"),
        "project": format!("{BASE}/api/projects/{}", task["project"]),
    });
    task
}

fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {value}"))
}

/// A signed-in demo user and a sprint ending in two weeks.
async fn board(app: &TestApp) -> (Auth, i64) {
    let auth = app.demo().await;
    let sprint = app.insert_sprint("Current Sprint", date(14)).await;
    (auth, i64::from(sprint.id))
}

async fn send(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app.request(method, path, auth, Payload::Json(body)).await;
    let body = if response.text.is_empty() {
        Value::Null
    } else {
        response.json()
    };
    (response.status, body)
}

// ---- verbs and representation -------------------------------------------------------------

#[tokio::test]
async fn creating_a_task_answers_201_with_location_etag_and_the_books_fields() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let response = app
        .call(Method::POST, "/api/tasks")
        .auth(&auth)
        .json(json!({"name": "First Task", "sprint": sprint}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let task = response.json();
    let id = id_of(&task);
    assert_eq!(
        task,
        task_json(id, json!({"name": "First Task", "sprint": sprint}))
    );
    assert_eq!(
        response.header("location"),
        format!("{BASE}/api/tasks/{id}")
    );
    assert_eq!(response.header("etag"), "\"1\"");
}

#[tokio::test]
async fn a_task_can_be_created_from_a_form_with_an_assignee_by_username() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let response = app
        .call(Method::POST, "/api/tasks/")
        .auth(&auth)
        .form(&[
            ("name", "Form task"),
            ("description", "from a form"),
            ("sprint", &sprint.to_string()),
            ("status", "2"),
            ("order", "7"),
            ("assigned", "demo"),
            ("started", &day(0)),
            ("due", &day(5)),
        ])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let task = response.json();
    assert_eq!(
        task,
        task_json(
            id_of(&task),
            json!({
                "name": "Form task", "description": "from a form", "sprint": sprint,
                "status": 2, "status_display": "In Progress", "order": 7, "assigned": "demo",
                "started": day(0), "due": day(5),
            })
        )
    );
}

#[tokio::test]
async fn a_task_without_a_sprint_is_created_in_the_backlog() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    // Forms spell "no sprint" as an empty value, JSON as null or by leaving it out.
    let from_form = app
        .call(Method::POST, "/api/tasks")
        .auth(&auth)
        .form(&[
            ("name", "Idea"),
            ("sprint", ""),
            ("assigned", ""),
            ("due", ""),
        ])
        .send()
        .await;
    assert_eq!(from_form.status, StatusCode::CREATED, "{}", from_form.text);
    let task = from_form.json();
    assert_eq!(task, task_json(id_of(&task), json!({"name": "Idea"})));
    for body in [
        json!({"name": "Idea 2", "sprint": null}),
        json!({"name": "Idea 3"}),
    ] {
        let task = app.create_task(&auth, body.clone()).await;
        assert_eq!(task["sprint"], Value::Null, "{body}");
        assert_eq!(task["links"]["sprint"], Value::Null);
    }
}

#[tokio::test]
async fn a_task_is_retrieved_with_its_etag_with_or_without_trailing_slash() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let id = id_of(
        &app.create_task(
            &auth,
            json!({"name": "T", "sprint": sprint, "assigned": "demo"}),
        )
        .await,
    );
    for path in [format!("/api/tasks/{id}"), format!("/api/tasks/{id}/")] {
        let response = app.call(Method::GET, &path).auth(&auth).send().await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.header("etag"), "\"1\"");
        assert_eq!(
            response.json(),
            task_json(
                id,
                json!({"name": "T", "sprint": sprint, "assigned": "demo"})
            )
        );
    }
}

#[tokio::test]
async fn put_resets_defaulted_fields_and_keeps_omitted_references_and_dates() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let id = id_of(
        &app.create_task(
            &auth,
            json!({
                "name": "T", "description": "D", "sprint": sprint, "status": 2, "order": 3,
                "assigned": "demo", "started": day(0), "due": day(4),
            }),
        )
        .await,
    );
    // What Python `requests` does with None values: they are simply not sent. A PUT that
    // leaves out sprint, assigned and the dates keeps them; description, status and order
    // fall back to their defaults as in DRF.
    let (status, body) = send(
        &app,
        &auth,
        Method::PUT,
        &format!("/api/tasks/{id}"),
        json!({"name": "T2", "status": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        task_json(
            id,
            json!({
                "name": "T2", "sprint": sprint, "status": 2, "status_display": "In Progress",
                "assigned": "demo", "started": day(0), "due": day(4), "version": 2,
            })
        )
    );
}

#[tokio::test]
async fn put_with_the_whole_task_form_encoded_ignores_read_only_keys() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let id = id_of(
        &app.create_task(&auth, json!({"name": "T", "sprint": sprint}))
            .await,
    );
    let response = app
        .call(Method::PUT, &format!("/api/tasks/{id}/"))
        .auth(&auth)
        .form(&[
            ("id", "4242"),
            ("name", "T renamed"),
            ("description", ""),
            ("sprint", &sprint.to_string()),
            ("status", "3"),
            ("status_display", "Not Started"),
            ("order", "0"),
            ("started", &day(0)),
            ("links", "self"),
            ("links", "sprint"),
            ("links", "assigned"),
            ("version", "1"),
        ])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.header("etag"), "\"2\"");
    assert_eq!(
        response.json(),
        task_json(
            id,
            json!({
                "name": "T renamed", "sprint": sprint, "status": 3, "status_display": "Testing",
                "started": day(0), "version": 2,
            })
        )
    );
}

#[tokio::test]
async fn patch_changes_only_the_fields_it_sends() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let id = id_of(
        &app.create_task(
            &auth,
            json!({"name": "T", "description": "D", "sprint": sprint, "order": 4, "due": day(2)}),
        )
        .await,
    );
    let (status, body) = send(
        &app,
        &auth,
        Method::PATCH,
        &format!("/api/tasks/{id}"),
        json!({"description": "new", "assigned": "demo"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        task_json(
            id,
            json!({
                "name": "T", "description": "new", "sprint": sprint, "order": 4,
                "due": day(2), "assigned": "demo", "version": 2,
            })
        )
    );
    // null clears a nullable field.
    let (_, body) = send(
        &app,
        &auth,
        Method::PATCH,
        &format!("/api/tasks/{id}"),
        json!({"assigned": null, "due": null}),
    )
    .await;
    assert_eq!(body["assigned"], Value::Null);
    assert_eq!(body["due"], Value::Null);
    assert_eq!(body["links"]["assigned"], Value::Null);
}

#[tokio::test]
async fn deleting_a_task_answers_204_and_it_is_gone() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        let id = id_of(
            &app.create_task(&auth, json!({"name": "T", "sprint": sprint}))
                .await,
        );
        let (status, _) = send(
            &app,
            &auth,
            Method::DELETE,
            &format!("/api/tasks/{id}/"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{backend:?}");
        let (status, body) = send(
            &app,
            &auth,
            Method::GET,
            &format!("/api/tasks/{id}"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, json!({"detail": "Not found."}));
        let page = app.get_json(&auth, "/api/tasks").await;
        assert_eq!(page["count"], 0);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn unknown_task_ids_answer_404_for_every_verb() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    for path in ["/api/tasks/999", "/api/tasks/x", "/api/tasks/999/"] {
        for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
            let (status, body) =
                send(&app, &auth, method.clone(), path, json!({"name": "x"})).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(body, json!({"detail": "Not found."}));
        }
    }
}

#[tokio::test]
async fn unsupported_task_methods_answer_405() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    let (status, body) = send(&app, &auth, Method::PATCH, "/api/tasks", json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, json!({"detail": "Method \"PATCH\" not allowed."}));
}

// ---- validation ---------------------------------------------------------------------------

#[tokio::test]
async fn a_task_needs_a_non_blank_name_of_at_most_100_characters() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    for body in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": null}),
    ] {
        let (status, answer) = send(&app, &auth, Method::POST, "/api/tasks", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            answer,
            json!({"name": ["This field is required."]}),
            "{body}"
        );
    }
    let (status, answer) = send(
        &app,
        &auth,
        Method::POST,
        "/api/tasks",
        json!({"name": "x".repeat(101)}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer,
        json!({"name": ["Ensure this value has at most 100 characters (it has 101)."]})
    );
}

#[tokio::test]
async fn tasks_cannot_be_added_to_past_sprints() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    let past = app.insert_sprint("Past", date(-1)).await;
    let (status, body) = send(
        &app,
        &auth,
        Method::POST,
        "/api/tasks",
        json!({"name": "Late", "sprint": past.id}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"sprint": ["Cannot add tasks to past sprints."]})
    );
    let page = app.get_json(&auth, "/api/tasks").await;
    assert_eq!(page["count"], 0, "nothing was created");
}

#[tokio::test]
async fn tasks_cannot_be_moved_into_past_sprints() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let past = app.insert_sprint("Past", date(-7)).await;
    let id = id_of(
        &app.create_task(&auth, json!({"name": "T", "sprint": sprint}))
            .await,
    );
    for (method, body) in [
        (Method::PATCH, json!({"sprint": past.id})),
        (Method::PUT, json!({"name": "T", "sprint": past.id})),
    ] {
        let (status, answer) = send(
            &app,
            &auth,
            method.clone(),
            &format!("/api/tasks/{id}"),
            body,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method}");
        assert_eq!(
            answer,
            json!({"sprint": ["Cannot assign tasks to past sprints."]})
        );
    }
    let stored = app.get_json(&auth, &format!("/api/tasks/{id}")).await;
    assert_eq!(stored["sprint"], sprint);
}

#[tokio::test]
async fn a_task_already_in_a_past_sprint_can_still_be_edited() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    let past = app.insert_sprint("Past", date(-7)).await;
    let task = app
        .insert_task(NewTask {
            sprint: Some(past.id),
            ..NewTask::named("Old task")
        })
        .await;
    let (status, body) = send(
        &app,
        &auth,
        Method::PATCH,
        &format!("/api/tasks/{}", task.id),
        json!({"name": "Old task, edited", "status": 2, "started": day(-8)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sprint"], past.id);
    assert_eq!(body["status"], 2);
    // A PUT that repeats the same past sprint does not change it either.
    let (status, body) = send(
        &app,
        &auth,
        Method::PUT,
        &format!("/api/tasks/{}", task.id),
        json!({"name": "Again", "sprint": past.id}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "status falls back to 1 but started stays"
    );
    assert_eq!(
        body,
        json!({"non_field_errors": ["Started date cannot be set for not started tasks."]})
    );
    let (status, body) = send(
        &app,
        &auth,
        Method::PUT,
        &format!("/api/tasks/{}", task.id),
        json!({"name": "Again", "sprint": past.id, "status": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_completed_task_cannot_change_sprint_not_even_to_the_backlog() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let other = app.insert_sprint("Next", date(28)).await;
    let id = id_of(
        &app.create_task(
            &auth,
            json!({"name": "Done", "sprint": sprint, "status": 4, "started": day(-1), "completed": day(0)}),
        )
        .await,
    );
    for body in [
        json!({"sprint": other.id}),
        json!({"sprint": null}),
        json!({"sprint": null, "status": 1, "started": null, "completed": null}),
    ] {
        let (status, answer) = send(
            &app,
            &auth,
            Method::PATCH,
            &format!("/api/tasks/{id}"),
            body.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            answer,
            json!({"sprint": ["Cannot change the sprint of a completed task."]}),
            "{body}"
        );
    }
    // Re-opening it first (status back to In Progress) lets it move afterwards.
    let (status, _) = send(
        &app,
        &auth,
        Method::PATCH,
        &format!("/api/tasks/{id}"),
        json!({"status": 2, "completed": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        &app,
        &auth,
        Method::PATCH,
        &format!("/api/tasks/{id}"),
        json!({"sprint": other.id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn backlog_tasks_must_be_not_started() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    for status in [2, 3, 4] {
        let (code, body) = send(
            &app,
            &auth,
            Method::POST,
            "/api/tasks",
            json!({"name": "T", "status": status}),
        )
        .await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{status}");
        assert_eq!(
            body,
            json!({"non_field_errors": ["Backlog tasks must have \"Not Started\" status."]})
        );
    }
}

#[tokio::test]
async fn a_not_started_task_cannot_have_a_started_date() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let (status, body) = send(
        &app,
        &auth,
        Method::POST,
        "/api/tasks",
        json!({"name": "T", "sprint": sprint, "status": 1, "started": day(0)}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"non_field_errors": ["Started date cannot be set for not started tasks."]})
    );
}

#[tokio::test]
async fn only_done_tasks_may_have_a_completed_date() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    for status in [2, 3] {
        let (code, body) = send(
            &app,
            &auth,
            Method::POST,
            "/api/tasks",
            json!({"name": "T", "sprint": sprint, "status": status, "completed": day(0)}),
        )
        .await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"non_field_errors": ["Completed date cannot be set for uncompleted tasks."]})
        );
    }
    let done = app
        .create_task(
            &auth,
            json!({"name": "T", "sprint": sprint, "status": 4, "completed": day(0)}),
        )
        .await;
    assert_eq!(done["status_display"], "Done");
}

#[tokio::test]
async fn only_the_first_failing_cross_field_rule_is_reported() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    let (status, body) = send(
        &app,
        &auth,
        Method::POST,
        "/api/tasks",
        json!({"name": "T", "status": 2, "completed": day(0)}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"non_field_errors": ["Backlog tasks must have \"Not Started\" status."]})
    );
}

#[tokio::test]
async fn unknown_sprints_and_users_are_field_errors() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    let (status, body) = send(
        &app,
        &auth,
        Method::POST,
        "/api/tasks",
        json!({"name": "T", "sprint": 9999, "assigned": "nobody"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({
            "sprint": ["Invalid pk '9999' - object does not exist."],
            "assigned": ["Object with username=nobody does not exist."],
        })
    );
    let response = app
        .call(Method::POST, "/api/tasks")
        .auth(&auth)
        .form(&[("name", "T"), ("sprint", "abc")])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json(),
        json!({"sprint": ["Incorrect type. Expected pk value, received str."]})
    );
}

#[tokio::test]
async fn a_status_outside_the_choices_is_refused() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    for (sent, shown) in [(json!(9), "9"), (json!(0), "0"), (json!("abc"), "abc")] {
        let (status, body) = send(
            &app,
            &auth,
            Method::POST,
            "/api/tasks",
            json!({"name": "T", "sprint": sprint, "status": sent}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{sent}");
        assert_eq!(
            body,
            json!({"status": [format!("Select a valid choice. {shown} is not one of the available choices.")]})
        );
    }
    let response = app
        .call(Method::POST, "/api/tasks")
        .auth(&auth)
        .form(&[
            ("name", "T"),
            ("sprint", &sprint.to_string()),
            ("status", "5"),
        ])
        .send()
        .await;
    assert_eq!(
        response.json(),
        json!({"status": ["Select a valid choice. 5 is not one of the available choices."]})
    );
}

#[tokio::test]
async fn badly_formatted_task_dates_are_refused_per_field() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let message = "Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]].";
    let (status, body) = send(
        &app,
        &auth,
        Method::POST,
        "/api/tasks",
        json!({"name": "T", "sprint": sprint, "status": 4, "started": "yesterday", "due": "2030/01/01", "completed": "-----"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"started": [message], "due": [message], "completed": [message]})
    );
}

#[tokio::test]
async fn an_order_outside_a_small_integer_is_refused() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    let (status, body) = send(
        &app,
        &auth,
        Method::POST,
        "/api/tasks",
        json!({"name": "T", "order": 40000}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"order": ["Ensure this value is less than or equal to 32767."]})
    );
    let (_, body) = send(
        &app,
        &auth,
        Method::POST,
        "/api/tasks",
        json!({"name": "T", "order": "x"}),
    )
    .await;
    assert_eq!(body, json!({"order": ["A valid integer is required."]}));
}

// ---- the book's validation gaps, fixed ----------------------------------------------------

#[tokio::test]
async fn patching_only_the_status_of_a_sprint_task_succeeds() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let id = id_of(
        &app.create_task(&auth, json!({"name": "T", "sprint": sprint}))
            .await,
    );
    let (status, body) = send(
        &app,
        &auth,
        Method::PATCH,
        &format!("/api/tasks/{id}"),
        json!({"status": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        task_json(
            id,
            json!({"name": "T", "sprint": sprint, "status": 2, "status_display": "In Progress", "version": 2})
        )
    );
}

#[tokio::test]
async fn patching_without_a_status_keeps_the_stored_one() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let id = id_of(
        &app.create_task(
            &auth,
            json!({"name": "T", "sprint": sprint, "status": 3, "started": day(0)}),
        )
        .await,
    );
    for body in [
        json!({"name": "Renamed"}),
        json!({}),
        json!({"due": day(3)}),
    ] {
        let (status, answer) = send(
            &app,
            &auth,
            Method::PATCH,
            &format!("/api/tasks/{id}"),
            body.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}: {answer}");
        assert_eq!(answer["status"], 3);
        assert_eq!(answer["started"], day(0));
    }
}

#[tokio::test]
async fn deleting_a_user_unassigns_their_tasks() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        let alice = app.create_user("alice", "wonderland").await;
        let id = id_of(
            &app.create_task(
                &auth,
                json!({"name": "T", "sprint": sprint, "assigned": "alice"}),
            )
            .await,
        );
        user::Entity::delete_by_id(alice.id)
            .exec(&app.db)
            .await
            .expect("delete user");
        let task = app.get_json(&auth, &format!("/api/tasks/{id}")).await;
        assert_eq!(task["assigned"], Value::Null, "{backend:?}");
        assert_eq!(task["links"]["assigned"], Value::Null);
        assert_eq!(task["name"], "T", "the task itself survives");
        app.cleanup().await;
    }
}

// ---- filters, search, ordering ------------------------------------------------------------

struct Fixture {
    auth: Auth,
    first: i32,
    second: i32,
}

/// Six tasks over two sprints and the backlog, assigned to demo and alice.
async fn six_tasks(app: &TestApp) -> Fixture {
    let auth = app.demo().await;
    let demo = user::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("demo")
        .id;
    let alice = app.create_user("alice", "wonderland").await.id;
    let first = app.insert_sprint("First", date(10)).await.id;
    let second = app.insert_sprint("Second", date(20)).await.id;
    let rows = [
        NewTask {
            description: "book chapter four".into(),
            sprint: Some(first),
            order: 2,
            assigned: Some(demo),
            due: Some(date(5)),
            ..NewTask::named("Write spec")
        },
        NewTask {
            description: "axum handlers".into(),
            sprint: Some(first),
            status: 2,
            order: 1,
            assigned: Some(alice),
            started: Some(date(-1)),
            due: Some(date(3)),
            ..NewTask::named("Build API")
        },
        NewTask {
            description: "integration tests for the spec".into(),
            sprint: Some(first),
            status: 3,
            started: Some(date(-2)),
            due: Some(date(4)),
            ..NewTask::named("Test API")
        },
        NewTask {
            sprint: Some(second),
            status: 4,
            assigned: Some(demo),
            started: Some(date(-3)),
            completed: Some(date(0)),
            due: Some(date(1)),
            ..NewTask::named("Ship it")
        },
        NewTask {
            description: "maybe later".into(),
            order: 5,
            due: Some(date(10)),
            ..NewTask::named("Backlog idea")
        },
        NewTask {
            description: "spec the search".into(),
            order: 5,
            due: Some(date(2)),
            ..NewTask::named("Another idea")
        },
    ];
    for row in rows {
        app.insert_task(row).await;
    }
    Fixture {
        auth,
        first,
        second,
    }
}

#[tokio::test]
async fn tasks_are_listed_by_order_then_id_by_default() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let f = six_tasks(&app).await;
        let page = app.get_json(&f.auth, "/api/tasks").await;
        assert_eq!(page["count"], 6);
        assert_eq!(
            names_of(&page),
            [
                "Test API",
                "Ship it",
                "Build API",
                "Write spec",
                "Backlog idea",
                "Another idea"
            ],
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn tasks_filter_by_sprint_status_and_assignee_username() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let f = six_tasks(&app).await;
        let cases: Vec<(String, Vec<&str>)> = vec![
            (
                format!("sprint={}", f.first),
                vec!["Test API", "Build API", "Write spec"],
            ),
            (format!("sprint={}", f.second), vec!["Ship it"]),
            ("sprint=999".into(), vec![]),
            (
                "status=1".into(),
                vec!["Write spec", "Backlog idea", "Another idea"],
            ),
            ("status=4".into(), vec!["Ship it"]),
            ("assigned=demo".into(), vec!["Ship it", "Write spec"]),
            ("assigned=alice".into(), vec!["Build API"]),
            (format!("sprint={}&status=2", f.first), vec!["Build API"]),
            ("assigned=demo&status=1".into(), vec!["Write spec"]),
            // Empty values mean "no filter", as django-filter reads them.
            (
                "sprint=&status=&assigned=&backlog=".into(),
                vec![
                    "Test API",
                    "Ship it",
                    "Build API",
                    "Write spec",
                    "Backlog idea",
                    "Another idea",
                ],
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(
                app.names(&f.auth, &format!("/api/tasks?{query}")).await,
                expected,
                "{backend:?} {query}"
            );
        }
        // The user's `links.tasks` is exactly such a filter.
        let demo = app.get_json(&f.auth, "/api/users/demo").await;
        let link = demo["links"]["tasks"].as_str().unwrap();
        assert_eq!(link, format!("{BASE}/api/tasks?assigned=demo"));
        assert_eq!(
            app.names(&f.auth, link.strip_prefix(BASE).unwrap()).await,
            ["Ship it", "Write spec"]
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn backlog_filter_accepts_the_books_spelling_and_lowercase_and_digits() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let f = six_tasks(&app).await;
        for value in ["True", "true", "1"] {
            assert_eq!(
                app.names(&f.auth, &format!("/api/tasks?backlog={value}"))
                    .await,
                ["Backlog idea", "Another idea"],
                "{backend:?} backlog={value}"
            );
        }
        for value in ["False", "false", "0"] {
            assert_eq!(
                app.names(&f.auth, &format!("/api/tasks/?backlog={value}"))
                    .await,
                ["Test API", "Ship it", "Build API", "Write spec"],
                "{backend:?} backlog={value}"
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn task_search_needs_every_term_in_the_name_or_the_description() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let f = six_tasks(&app).await;
        for (search, expected) in [
            ("spec", vec!["Test API", "Write spec", "Another idea"]),
            ("SPEC", vec!["Test API", "Write spec", "Another idea"]),
            ("api", vec!["Test API", "Build API"]),
            // One term in the name, the other in the description.
            ("spec%20api", vec!["Test API"]),
            ("spec,idea", vec!["Another idea"]),
            ("handlers%20axum", vec!["Build API"]),
            ("foo", vec![]),
            ("first", vec![]),
        ] {
            assert_eq!(
                app.names(&f.auth, &format!("/api/tasks?search={search}"))
                    .await,
                expected,
                "{backend:?} search={search}"
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn tasks_order_by_name_order_and_due_with_lists_and_minus() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let f = six_tasks(&app).await;
        for (ordering, expected) in [
            (
                "name",
                [
                    "Another idea",
                    "Backlog idea",
                    "Build API",
                    "Ship it",
                    "Test API",
                    "Write spec",
                ],
            ),
            (
                "-name",
                [
                    "Write spec",
                    "Test API",
                    "Ship it",
                    "Build API",
                    "Backlog idea",
                    "Another idea",
                ],
            ),
            (
                "due",
                [
                    "Ship it",
                    "Another idea",
                    "Build API",
                    "Test API",
                    "Write spec",
                    "Backlog idea",
                ],
            ),
            (
                "-due",
                [
                    "Backlog idea",
                    "Write spec",
                    "Test API",
                    "Build API",
                    "Another idea",
                    "Ship it",
                ],
            ),
            (
                "order",
                [
                    "Test API",
                    "Ship it",
                    "Build API",
                    "Write spec",
                    "Backlog idea",
                    "Another idea",
                ],
            ),
            (
                "-order",
                [
                    "Backlog idea",
                    "Another idea",
                    "Write spec",
                    "Build API",
                    "Test API",
                    "Ship it",
                ],
            ),
            (
                "-order,name",
                [
                    "Another idea",
                    "Backlog idea",
                    "Write spec",
                    "Build API",
                    "Ship it",
                    "Test API",
                ],
            ),
            (
                "-order,-name",
                [
                    "Backlog idea",
                    "Another idea",
                    "Write spec",
                    "Build API",
                    "Test API",
                    "Ship it",
                ],
            ),
            // Fields outside the list are ignored; the default order applies.
            (
                "status",
                [
                    "Test API",
                    "Ship it",
                    "Build API",
                    "Write spec",
                    "Backlog idea",
                    "Another idea",
                ],
            ),
            (
                "bogus,-due",
                [
                    "Backlog idea",
                    "Write spec",
                    "Test API",
                    "Build API",
                    "Another idea",
                    "Ship it",
                ],
            ),
        ] {
            assert_eq!(
                app.names(&f.auth, &format!("/api/tasks?ordering={ordering}"))
                    .await,
                expected,
                "{backend:?} ordering={ordering}"
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn tasks_order_by_started_and_completed() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let sprint = app.insert_sprint("S", date(10)).await.id;
        for (name, started, completed) in [("b", -5, -1), ("a", -9, -2), ("c", -7, 0)] {
            app.insert_task(NewTask {
                sprint: Some(sprint),
                status: 4,
                started: Some(date(started)),
                completed: Some(date(completed)),
                ..NewTask::named(name)
            })
            .await;
        }
        for (ordering, expected) in [
            ("started", ["a", "c", "b"]),
            ("-started", ["b", "c", "a"]),
            ("completed", ["a", "b", "c"]),
            ("-completed", ["c", "b", "a"]),
        ] {
            assert_eq!(
                app.names(&auth, &format!("/api/tasks?ordering={ordering}"))
                    .await,
                expected,
                "{backend:?} ordering={ordering}"
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bad_task_filter_values_answer_400_naming_each_parameter() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let f = six_tasks(&app).await;
    let choice = "Select a valid choice. That choice is not one of the available choices.";
    for (query, expected) in [
        ("sprint=abc", json!({"sprint": ["Enter a whole number."]})),
        (
            "sprint=1%20OR%201=1",
            json!({"sprint": ["Enter a whole number."]}),
        ),
        ("status=9", json!({"status": [choice]})),
        ("status=abc", json!({"status": [choice]})),
        (
            "backlog=maybe",
            json!({"backlog": ["Enter True, False, true, false, 1 or 0."]}),
        ),
        ("assigned=nobody", json!({"assigned": [choice]})),
        (
            "sprint=x&status=0&backlog=yes&assigned=ghost",
            json!({
                "sprint": ["Enter a whole number."],
                "status": [choice],
                "backlog": ["Enter True, False, true, false, 1 or 0."],
                "assigned": [choice],
            }),
        ),
    ] {
        let response = app
            .call(Method::GET, &format!("/api/tasks?{query}"))
            .auth(&f.auth)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.json(), expected, "{query}");
    }
}

#[tokio::test]
async fn search_input_shaped_like_sql_is_only_data() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        for name in [
            "100% done",
            "100 done",
            "snake_case",
            "snakeXcase",
            "O'Brien's task",
            "back\\slash",
        ] {
            app.insert_task(NewTask::named(name)).await;
        }
        for (search, expected) in [
            ("%25", vec!["100% done"]),
            ("100%25", vec!["100% done"]),
            ("_", vec!["snake_case"]),
            ("snake_case", vec!["snake_case"]),
            ("'", vec!["O'Brien's task"]),
            ("o'brien", vec!["O'Brien's task"]),
            ("%5C", vec!["back\\slash"]),
            ("%25'%20OR%201=1%20--", vec![]),
            ("'%20OR%20'1'='1", vec![]),
            ("x');DROP%20TABLE%20tasks;--", vec![]),
        ] {
            let response = app
                .call(Method::GET, &format!("/api/tasks?search={search}"))
                .auth(&auth)
                .send()
                .await;
            assert_eq!(response.status, StatusCode::OK, "{backend:?} {search}");
            assert_eq!(
                names_of(&response.json()),
                expected,
                "{backend:?} search={search}"
            );
        }
        // Ordering input is matched against a fixed list, never pasted into SQL.
        let response = app
            .call(Method::GET, "/api/tasks?ordering=name;DROP%20TABLE%20tasks")
            .auth(&auth)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(app.get_json(&auth, "/api/tasks").await["count"], 6);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn search_matches_non_ascii_text_in_any_case() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        app.insert_task(NewTask::named("Überprüfung der Daten"))
            .await;
        app.insert_task(NewTask::named("Other")).await;
        for search in [
            "%C3%9Cberpr%C3%BCfung",
            "%C3%BCberpr%C3%BCfung",
            "%C3%9CBERPR%C3%9CFUNG",
        ] {
            assert_eq!(
                app.names(&auth, &format!("/api/tasks?search={search}"))
                    .await,
                ["Überprüfung der Daten"],
                "{backend:?} search={search}"
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_search_in_the_exact_case_finds_non_ascii_text() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        app.insert_task(NewTask::named("Überprüfung der Daten"))
            .await;
        app.insert_task(NewTask::named("Straße")).await;
        assert_eq!(
            app.names(&auth, "/api/tasks?search=Stra%C3%9Fe").await,
            ["Straße"],
            "{backend:?}"
        );
        assert_eq!(
            app.names(&auth, "/api/tasks?search=%C3%9Cberpr%C3%BCfung")
                .await,
            ["Überprüfung der Daten"],
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn tasks_without_a_due_date_sort_after_dated_ones_on_every_backend() {
    // PostgreSQL (the book's database, behind DRF's ordering) puts NULLs last in ascending
    // order and first in descending order; the API should answer the same on every backend.
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        app.insert_task(NewTask::named("undated")).await;
        for (name, due) in [("later", 5), ("sooner", 1)] {
            app.insert_task(NewTask {
                due: Some(date(due)),
                ..NewTask::named(name)
            })
            .await;
        }
        assert_eq!(
            app.names(&auth, "/api/tasks?ordering=due").await,
            ["sooner", "later", "undated"],
            "{backend:?}"
        );
        assert_eq!(
            app.names(&auth, "/api/tasks?ordering=-due").await,
            ["undated", "later", "sooner"],
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_body_larger_than_the_api_limit_is_refused() {
    // `api::input::MAX_BODY_BYTES` (256 KiB) is "the largest body an API write may have".
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let response = app
        .call(Method::POST, "/api/tasks")
        .auth(&auth)
        .json(json!({"name": "Huge", "description": "x".repeat(300 * 1024)}))
        .send()
        .await;
    assert_eq!(
        response.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        response.text
    );
    assert_eq!(
        response.json(),
        json!({"detail": "Request body is too large."})
    );
    assert_eq!(app.get_json(&auth, "/api/tasks").await["count"], 0);
}

#[tokio::test]
async fn patching_identity_privilege_and_bookkeeping_fields_changes_none_of_them() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let task = app.create_task(&auth, json!({"name": "Mine"})).await;
    let id = task["id"].as_i64().unwrap();
    // A `version` is a precondition, never a value to store: a wrong one changes nothing.
    let stale = app
        .call(Method::PATCH, &format!("/api/tasks/{id}"))
        .auth(&auth)
        .json(json!({"name": "Renamed", "version": 42}))
        .send()
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    let response = app
        .call(Method::PATCH, &format!("/api/tasks/{id}"))
        .auth(&auth)
        .json(json!({
            "id": 999,
            "name": "Renamed",
            "links": {"self": "http://evil.test/"},
            "is_staff": true,
            "is_superuser": true,
            "is_active": false,
            "password": "pwned",
        }))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let body = response.json();
    assert_eq!(body["id"], id);
    assert_eq!(body["name"], "Renamed");
    assert_eq!(
        body["version"],
        task["version"].as_i64().unwrap() + 1,
        "bookkeeping is the server's"
    );
    assert!(
        body["links"]["self"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost:3000/")
    );
    for field in ["is_staff", "is_superuser", "is_active", "password"] {
        assert!(body.get(field).is_none(), "{field} in {body}");
    }
    // The user behind the token is as privileged and as able to sign in as before.
    let users = app
        .call(Method::GET, "/api/users/demo")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(
        users
            .json()
            .get("is_superuser")
            .is_none_or(|flag| flag == false)
    );
    let check = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::basic("demo", "test"))
        .send()
        .await;
    assert_eq!(check.status, StatusCode::OK, "the password did not change");
}
