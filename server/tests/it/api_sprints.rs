//! `/api/sprints`: every verb, both URL spellings, both body encodings, the representation with
//! its absolute links, the book's validation messages, filters, search and ordering.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, BASE, NewTask, TestApp, backends, date, day, raw};

fn sorted_keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// Checks every field of a sprint answer against what the book (plus `version`) promises.
fn assert_sprint(sprint: &Value, id: i64, name: &str, description: &str, end: &str, version: i64) {
    assert_eq!(
        sorted_keys(sprint),
        [
            "completed_at",
            "description",
            "end",
            "goal",
            "id",
            "links",
            "name",
            "project",
            "start",
            "state",
            "version",
            "wip_limits",
            "wip_strict",
        ],
        "{sprint}"
    );
    assert_eq!(sprint["id"], id);
    assert_eq!(sprint["name"], name);
    assert_eq!(sprint["description"], description);
    assert_eq!(sprint["end"], end);
    assert_eq!(sprint["version"], version);
    let links = &sprint["links"];
    assert_eq!(
        sorted_keys(links),
        ["channel", "project", "self", "tasks"],
        "{links}"
    );
    assert_eq!(links["self"], format!("{BASE}/api/sprints/{id}"));
    assert_eq!(
        links["project"],
        format!("{BASE}/api/projects/{}", sprint["project"])
    );
    assert_eq!(links["tasks"], format!("{BASE}/api/tasks?sprint={id}"));
    let channel = links["channel"].as_str().expect("channel is text");
    assert!(
        channel.starts_with("ws://localhost:3000/socket?channel="),
        "{channel}"
    );
    assert!(channel.len() > "ws://localhost:3000/socket?channel=".len());
}

fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {value}"))
}

#[tokio::test]
async fn creating_a_sprint_answers_201_with_location_etag_and_the_full_representation() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let end = day(14);
    let response = app
        .call(Method::POST, "/api/sprints")
        .auth(&auth)
        .json(json!({"name": "Current Sprint", "description": "Test", "end": end}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let sprint = response.json();
    let id = id_of(&sprint);
    assert_sprint(&sprint, id, "Current Sprint", "Test", &end, 1);
    assert_eq!(
        response.header("location"),
        format!("{BASE}/api/sprints/{id}")
    );
    assert_eq!(response.header("etag"), "\"1\"");
    assert!(
        response
            .header("content-type")
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn a_sprint_without_name_or_description_gets_empty_strings() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let sprint = app.create_sprint(&auth, json!({"end": day(3)})).await;
    assert_sprint(&sprint, id_of(&sprint), "", "", &day(3), 1);
}

#[tokio::test]
async fn a_sprint_can_be_created_from_a_form_with_the_trailing_slash_url() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let end = day(14);
    let response = app
        .call(Method::POST, "/api/sprints/")
        .auth(&auth)
        .form(&[
            ("name", "Form Sprint"),
            ("description", "by form"),
            ("end", &end),
        ])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let sprint = response.json();
    assert_sprint(&sprint, id_of(&sprint), "Form Sprint", "by form", &end, 1);
}

#[tokio::test]
async fn read_only_and_unknown_keys_in_a_form_are_ignored() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let end = day(5);
    let response = app
        .call(Method::POST, "/api/sprints")
        .auth(&auth)
        .form(&[
            ("id", "999"),
            ("name", "Keys"),
            ("end", &end),
            ("links", "self"),
            ("links", "tasks"),
            ("links", "channel"),
            ("status_display", "Done"),
            ("colour", "blue"),
        ])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let sprint = response.json();
    assert_ne!(sprint["id"], 999, "the id is chosen by the server");
    assert_sprint(&sprint, id_of(&sprint), "Keys", "", &end, 1);
}

#[tokio::test]
async fn read_only_keys_in_json_are_ignored() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let end = day(5);
    let sprint = app
        .create_sprint(
            &auth,
            json!({"id": 77, "name": "Json", "end": end, "links": {"self": "http://evil/"}}),
        )
        .await;
    assert_ne!(sprint["id"], 77);
    assert_sprint(&sprint, id_of(&sprint), "Json", "", &end, 1);
}

#[tokio::test]
async fn a_sprint_is_retrieved_with_its_version_as_etag_with_or_without_trailing_slash() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let created = app
        .create_sprint(&auth, json!({"name": "S", "end": day(7)}))
        .await;
    let id = id_of(&created);
    for path in [format!("/api/sprints/{id}"), format!("/api/sprints/{id}/")] {
        let response = app.call(Method::GET, &path).auth(&auth).send().await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.header("etag"), "\"1\"", "{path}");
        assert_sprint(&response.json(), id, "S", "", &day(7), 1);
    }
}

#[tokio::test]
async fn put_replaces_the_sprint_resets_omitted_text_and_bumps_the_version() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let created = app
        .create_sprint(
            &auth,
            json!({"name": "Old", "description": "D", "end": day(7)}),
        )
        .await;
    let id = id_of(&created);
    let response = app
        .call(Method::PUT, &format!("/api/sprints/{id}"))
        .auth(&auth)
        .json(json!({"end": day(8)}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.header("etag"), "\"2\"");
    assert_sprint(&response.json(), id, "", "", &day(8), 2);
    let stored = app.get_json(&auth, &format!("/api/sprints/{id}")).await;
    assert_sprint(&stored, id, "", "", &day(8), 2);
}

#[tokio::test]
async fn put_accepts_a_form_body_at_the_trailing_slash_url() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let id = id_of(&app.create_sprint(&auth, json!({"end": day(7)})).await);
    let end = day(9);
    let response = app
        .call(Method::PUT, &format!("/api/sprints/{id}/"))
        .auth(&auth)
        .form(&[
            ("id", &id.to_string()),
            ("name", "Renamed"),
            ("description", ""),
            ("end", &end),
            ("links", "self"),
            ("links", "tasks"),
        ])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_sprint(&response.json(), id, "Renamed", "", &end, 2);
}

#[tokio::test]
async fn patch_changes_only_the_fields_it_sends() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let id = id_of(
        &app.create_sprint(
            &auth,
            json!({"name": "N", "description": "D", "end": day(7)}),
        )
        .await,
    );
    let response = app
        .call(Method::PATCH, &format!("/api/sprints/{id}"))
        .auth(&auth)
        .json(json!({"description": "New description"}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.header("etag"), "\"2\"");
    assert_sprint(&response.json(), id, "N", "New description", &day(7), 2);
}

#[tokio::test]
async fn deleting_a_sprint_answers_204_and_it_is_gone() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let id = id_of(&app.create_sprint(&auth, json!({"end": day(7)})).await);
        let response = app
            .call(Method::DELETE, &format!("/api/sprints/{id}/"))
            .auth(&auth)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::NO_CONTENT, "{backend:?}");
        assert_eq!(response.text, "");
        let gone = app
            .call(Method::GET, &format!("/api/sprints/{id}"))
            .auth(&auth)
            .send()
            .await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(gone.json(), json!({"detail": "Not found."}));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn unknown_and_non_numeric_sprint_ids_answer_404_for_every_verb() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    for path in ["/api/sprints/999", "/api/sprints/abc", "/api/sprints/999/"] {
        for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
            let response = app
                .call(method.clone(), path)
                .auth(&auth)
                .json(json!({"end": day(3)}))
                .send()
                .await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(response.json(), json!({"detail": "Not found."}));
        }
    }
}

#[tokio::test]
async fn unsupported_methods_answer_405_in_drfs_words() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let id = id_of(&app.create_sprint(&auth, json!({"end": day(7)})).await);
    let detail = format!("/api/sprints/{id}");
    for (method, path) in [
        (Method::DELETE, "/api/sprints"),
        (Method::PUT, "/api/sprints/"),
        (Method::POST, detail.as_str()),
    ] {
        let response = app.call(method.clone(), path).auth(&auth).send().await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(
            response.json(),
            json!({"detail": format!("Method \"{method}\" not allowed.")})
        );
    }
}

#[tokio::test]
async fn links_are_built_from_the_host_the_client_used() {
    let app = TestApp::spawn_with(
        &crate::harness::Backend::Sqlite,
        &[("ALLOWED_HOSTS", "board.example,localhost")],
    )
    .await;
    let auth = app.demo().await;
    let id = id_of(&app.create_sprint(&auth, json!({"end": day(7)})).await);
    let response = app
        .send(
            axum::http::Request::get(format!("/api/sprints/{id}"))
                .header("host", "board.example:8080")
                .header("authorization", format!("Token {}", auth.key()))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let links = &response.json()["links"];
    assert_eq!(
        links["self"],
        format!("http://board.example:8080/api/sprints/{id}")
    );
    assert_eq!(
        links["tasks"],
        format!("http://board.example:8080/api/tasks?sprint={id}")
    );
    assert!(
        links["channel"]
            .as_str()
            .unwrap()
            .starts_with("ws://board.example:8080/socket?channel=")
    );
}

#[tokio::test]
async fn forwarded_host_headers_from_an_untrusted_client_do_not_change_links() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let id = id_of(&app.create_sprint(&auth, json!({"end": day(7)})).await);
    let response = app
        .call(Method::GET, &format!("/api/sprints/{id}"))
        .auth(&auth)
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert_eq!(
        response.json()["links"]["self"],
        format!("{BASE}/api/sprints/{id}")
    );
}

// ---- validation -------------------------------------------------------------------------

async fn post_sprint(app: &TestApp, auth: &Auth, body: Value) -> (StatusCode, Value) {
    let response = app
        .call(Method::POST, "/api/sprints")
        .auth(auth)
        .json(body)
        .send()
        .await;
    (response.status, response.json())
}

#[tokio::test]
async fn creating_a_sprint_that_ended_yesterday_is_refused_but_today_is_allowed() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let (status, body) = post_sprint(&app, &auth, json!({"name": "Past", "end": day(-1)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"end": ["End date cannot be in the past."]}));
    let (status, body) = post_sprint(&app, &auth, json!({"name": "Today", "end": day(0)})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_past_end_date_is_refused_from_a_form_too() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let response = app
        .call(Method::POST, "/api/sprints/")
        .auth(&auth)
        .form(&[
            ("name", "Something Sprint"),
            ("description", "Test"),
            ("end", "2020-12-31"),
        ])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json(),
        json!({"end": ["End date cannot be in the past."]})
    );
}

#[tokio::test]
async fn changing_a_sprints_end_to_the_past_is_refused() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let id = id_of(&app.create_sprint(&auth, json!({"end": day(7)})).await);
    for method in [Method::PUT, Method::PATCH] {
        let response = app
            .call(method.clone(), &format!("/api/sprints/{id}"))
            .auth(&auth)
            .json(json!({"end": day(-3)}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{method}");
        assert_eq!(
            response.json(),
            json!({"end": ["End date cannot be in the past."]})
        );
    }
    let stored = app.get_json(&auth, &format!("/api/sprints/{id}")).await;
    assert_eq!(stored["end"], day(7), "nothing changed");
    assert_eq!(stored["version"], 1);
}

#[tokio::test]
async fn a_past_sprint_can_still_be_renamed() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let past = app.insert_sprint("Old", date(-30)).await;
    let path = format!("/api/sprints/{}", past.id);
    let response = app
        .call(Method::PATCH, &path)
        .auth(&auth)
        .json(json!({"name": "Old but renamed"}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.json()["name"], "Old but renamed");
    // A full PUT that repeats the unchanged past end date is allowed as well.
    let response = app
        .call(Method::PUT, &path)
        .auth(&auth)
        .form(&[("name", "Renamed by PUT"), ("end", &day(-30))])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_sprint(
        &response.json(),
        i64::from(past.id),
        "Renamed by PUT",
        "",
        &day(-30),
        3,
    );
}

#[tokio::test]
async fn two_sprints_cannot_end_on_the_same_day() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        app.create_sprint(&auth, json!({"name": "A", "end": day(10)}))
            .await;
        let (status, body) = post_sprint(&app, &auth, json!({"name": "B", "end": day(10)})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend:?}");
        assert_eq!(
            body,
            json!({"end": ["Sprint with this End already exists."]})
        );
        // Moving another sprint onto that day is refused the same way.
        let other = app
            .create_sprint(&auth, json!({"name": "C", "end": day(11)}))
            .await;
        let response = app
            .call(Method::PATCH, &format!("/api/sprints/{}", id_of(&other)))
            .auth(&auth)
            .json(json!({"end": day(10)}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{backend:?}");
        assert_eq!(
            response.json(),
            json!({"end": ["Sprint with this End already exists."]})
        );
        // Saving a sprint with its own end date is not a conflict.
        let response = app
            .call(Method::PUT, &format!("/api/sprints/{}", id_of(&other)))
            .auth(&auth)
            .json(json!({"name": "C2", "end": day(11)}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::OK, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_sprint_needs_an_end_date() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let required = json!({"end": ["This field is required."]});
    for body in [
        json!({"name": "No end"}),
        json!({"end": null}),
        json!({"end": ""}),
    ] {
        let (status, answer) = post_sprint(&app, &auth, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer, required, "{body}");
    }
    let response = app
        .call(Method::POST, "/api/sprints")
        .auth(&auth)
        .form(&[("name", "No end")])
        .send()
        .await;
    assert_eq!(response.json(), required);
    // PUT replaces the whole sprint, so it needs the end date as well.
    let id = id_of(&app.create_sprint(&auth, json!({"end": day(2)})).await);
    let response = app
        .call(Method::PUT, &format!("/api/sprints/{id}"))
        .auth(&auth)
        .json(json!({"name": "x"}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json(), required);
}

#[tokio::test]
async fn a_sprint_name_may_have_100_characters_but_not_101() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let (status, body) =
        post_sprint(&app, &auth, json!({"name": "n".repeat(101), "end": day(4)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"name": ["Ensure this value has at most 100 characters (it has 101)."]})
    );
    let (status, body) =
        post_sprint(&app, &auth, json!({"name": "n".repeat(100), "end": day(4)})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_badly_formatted_end_date_gets_drfs_date_message() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let message = json!({"end": ["Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]]."]});
    for end in [
        json!("31/12/2030"),
        json!("2030-02-30"),
        json!("soon"),
        json!(20301231),
    ] {
        let (status, body) = post_sprint(&app, &auth, json!({"end": end})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{end}");
        assert_eq!(body, message, "{end}");
    }
}

#[tokio::test]
async fn field_errors_are_reported_together() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let (status, body) = post_sprint(
        &app,
        &auth,
        json!({"name": "n".repeat(120), "end": "never"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({
            "name": ["Ensure this value has at most 100 characters (it has 120)."],
            "end": ["Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]]."],
        })
    );
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_or_forms_are_refused() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    let list = app
        .call(Method::POST, "/api/sprints")
        .auth(&auth)
        .json(json!([1, 2]))
        .send()
        .await;
    assert_eq!(list.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        list.json(),
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
    let broken = app
        .call(Method::POST, "/api/sprints")
        .auth(&auth)
        .payload(raw("application/json", "{oops"))
        .send()
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    let detail = broken.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.starts_with("JSON parse error"), "{detail}");
    let response = app
        .call(Method::POST, "/api/sprints")
        .auth(&auth)
        .payload(raw("text/plain", "end=2030-01-01"))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        response.json(),
        json!({"detail": "Unsupported media type \"text/plain\" in request."})
    );
}

// ---- deleting a sprint keeps its tasks ----------------------------------------------------

#[tokio::test]
async fn deleting_a_sprint_moves_its_tasks_to_the_backlog_as_not_started() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let sprint = app.insert_sprint("Doomed", date(10)).await;
        let done = app
            .insert_task(NewTask {
                sprint: Some(sprint.id),
                status: 4,
                started: Some(date(-2)),
                completed: Some(date(0)),
                due: Some(date(3)),
                ..NewTask::named("Done task")
            })
            .await;
        let active = app
            .insert_task(NewTask {
                sprint: Some(sprint.id),
                status: 2,
                started: Some(date(-1)),
                ..NewTask::named("Active task")
            })
            .await;
        let elsewhere = app.insert_sprint("Other", date(20)).await;
        let untouched = app
            .insert_task(NewTask {
                sprint: Some(elsewhere.id),
                status: 2,
                started: Some(date(-1)),
                ..NewTask::named("Other sprint's task")
            })
            .await;

        let response = app
            .call(Method::DELETE, &format!("/api/sprints/{}", sprint.id))
            .auth(&auth)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::NO_CONTENT, "{backend:?}");

        for (task, due) in [(done.id, Some(day(3))), (active.id, None)] {
            let task = app.get_json(&auth, &format!("/api/tasks/{task}")).await;
            assert_eq!(task["sprint"], Value::Null, "{backend:?} {task}");
            assert_eq!(task["status"], 1);
            assert_eq!(task["status_display"], "Not Started");
            assert_eq!(task["started"], Value::Null);
            assert_eq!(task["completed"], Value::Null);
            assert_eq!(task["due"], json!(due), "the due date is kept");
            assert_eq!(task["links"]["sprint"], Value::Null);
            assert_eq!(task["version"], 2);
        }
        let other = app
            .get_json(&auth, &format!("/api/tasks/{}", untouched.id))
            .await;
        assert_eq!(other["sprint"], elsewhere.id);
        assert_eq!(other["status"], 2);
        let backlog = app.names(&auth, "/api/tasks?backlog=True").await;
        assert_eq!(backlog, ["Done task", "Active task"], "{backend:?}");
        app.cleanup().await;
    }
}

// ---- filters, search, ordering ------------------------------------------------------------

async fn three_sprints(app: &TestApp) {
    app.insert_sprint("Beta release", date(10)).await;
    app.insert_sprint("alpha launch", date(20)).await;
    app.insert_sprint("Gamma Release candidate", date(30)).await;
}

#[tokio::test]
async fn the_sprint_list_is_ordered_by_end_date() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        app.insert_sprint("Third", date(30)).await;
        app.insert_sprint("First", date(-5)).await;
        app.insert_sprint("Second", date(10)).await;
        let page = app.get_json(&auth, "/api/sprints").await;
        assert_eq!(page["count"], 3);
        assert_eq!(page["next"], Value::Null);
        assert_eq!(page["previous"], Value::Null);
        assert_eq!(
            crate::harness::names_of(&page),
            ["First", "Second", "Third"],
            "{backend:?}"
        );
        assert_eq!(
            app.names(&auth, "/api/sprints/").await,
            ["First", "Second", "Third"]
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn end_min_and_end_max_are_inclusive_bounds() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        three_sprints(&app).await;
        let names = |query: String| {
            let app = &app;
            let auth = &auth;
            async move { app.names(auth, &format!("/api/sprints?{query}")).await }
        };
        assert_eq!(
            names(format!("end_min={}", day(20))).await,
            ["alpha launch", "Gamma Release candidate"],
            "{backend:?}"
        );
        assert_eq!(
            names(format!("end_max={}", day(20))).await,
            ["Beta release", "alpha launch"]
        );
        assert_eq!(
            names(format!("end_min={}&end_max={}", day(11), day(29))).await,
            ["alpha launch"]
        );
        assert_eq!(
            names(format!("end_min={}", day(31))).await,
            Vec::<String>::new()
        );
        assert_eq!(
            names("end_min=".into()).await.len(),
            3,
            "empty means no filter"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn sprint_search_matches_every_term_in_the_name_case_insensitively() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        three_sprints(&app).await;
        assert_eq!(
            app.names(&auth, "/api/sprints?search=RELEASE").await,
            ["Beta release", "Gamma Release candidate"],
            "{backend:?}"
        );
        assert_eq!(
            app.names(&auth, "/api/sprints?search=release%20gamma")
                .await,
            ["Gamma Release candidate"]
        );
        assert_eq!(
            app.names(&auth, "/api/sprints?search=release,beta").await,
            ["Beta release"]
        );
        assert_eq!(
            app.names(&auth, "/api/sprints?search=launch%20release")
                .await,
            Vec::<String>::new()
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn sprints_can_be_ordered_by_end_or_name_either_way() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        app.insert_sprint("charlie", date(10)).await;
        app.insert_sprint("alpha", date(20)).await;
        app.insert_sprint("bravo", date(30)).await;
        for (ordering, expected) in [
            ("end", ["charlie", "alpha", "bravo"]),
            ("-end", ["bravo", "alpha", "charlie"]),
            ("name", ["alpha", "bravo", "charlie"]),
            ("-name", ["charlie", "bravo", "alpha"]),
            // Unknown fields are ignored, so the default (end) applies.
            ("id", ["charlie", "alpha", "bravo"]),
            ("bogus,-name", ["charlie", "bravo", "alpha"]),
        ] {
            assert_eq!(
                app.names(&auth, &format!("/api/sprints?ordering={ordering}"))
                    .await,
                expected,
                "{backend:?} ordering={ordering}"
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bad_sprint_filter_values_answer_400_naming_the_parameter() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    for (query, key) in [
        ("end_min=notadate", "end_min"),
        ("end_max=2030-13-01", "end_max"),
    ] {
        let response = app
            .call(Method::GET, &format!("/api/sprints?{query}"))
            .auth(&auth)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.json(), json!({key: ["Enter a valid date."]}));
    }
}

#[tokio::test]
async fn concurrent_creates_for_one_end_date_make_exactly_one_sprint() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let post = |name: &'static str| {
            app.call(Method::POST, "/api/sprints")
                .auth(&auth)
                .json(json!({"name": name, "end": day(9)}))
                .send()
        };
        let (a, b, c, d) = tokio::join!(post("a"), post("b"), post("c"), post("d"));
        let mut statuses: Vec<StatusCode> = [&a, &b, &c, &d].iter().map(|r| r.status).collect();
        statuses.sort();
        assert_eq!(
            statuses,
            [
                StatusCode::CREATED,
                StatusCode::BAD_REQUEST,
                StatusCode::BAD_REQUEST,
                StatusCode::BAD_REQUEST
            ],
            "{backend:?}"
        );
        for response in [&a, &b, &c, &d] {
            if response.status == StatusCode::BAD_REQUEST {
                assert_eq!(
                    response.json(),
                    json!({"end": ["Sprint with this End already exists."]})
                );
            }
        }
        assert_eq!(app.get_json(&auth, "/api/sprints").await["count"], 1);
        app.cleanup().await;
    }
}

// ---- progress ---------------------------------------------------------------------------

#[tokio::test]
async fn progress_true_adds_each_sprints_task_and_done_counts() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let busy = app.insert_sprint("Busy", date(10)).await;
        let empty = app.insert_sprint("Empty", date(20)).await;
        for (status, name) in [(4, "Shipped"), (2, "Doing"), (1, "Waiting")] {
            app.insert_task(NewTask {
                sprint: Some(busy.id),
                status,
                ..NewTask::named(name)
            })
            .await;
        }
        app.insert_task(NewTask::named("In the backlog")).await;

        let page = app.get_json(&auth, "/api/sprints?progress=true").await;
        let progress: Vec<(Value, Value)> = page["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|sprint| (sprint["name"].clone(), sprint["progress"].clone()))
            .collect();
        assert_eq!(
            progress,
            [
                (json!("Busy"), json!({"tasks": 3, "completed": 1})),
                (json!("Empty"), json!({"tasks": 0, "completed": 0})),
            ],
            "{backend:?}"
        );
        // Without it, and on a single sprint, the book's shape.
        let plain = app.get_json(&auth, "/api/sprints").await;
        assert_sprint(
            &plain["results"][0],
            i64::from(busy.id),
            "Busy",
            "",
            &day(10),
            1,
        );
        let one = app
            .get_json(&auth, &format!("/api/sprints/{}", empty.id))
            .await;
        assert!(one.get("progress").is_none(), "{one}");
        let refused = app
            .call(Method::GET, "/api/sprints?progress=maybe")
            .auth(&auth)
            .send()
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            refused.json(),
            json!({"progress": ["Enter True, False, true, false, 1 or 0."]})
        );
        app.cleanup().await;
    }
}
