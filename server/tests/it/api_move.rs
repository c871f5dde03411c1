//! `POST /api/tasks/{id}/move {status, sprint, before}`: the one-call, one-transaction drag and
//! drop that replaces the book's N reorder PUTs, with the book's `moveTo` date rules.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, NewTask, TestApp, backends, date, day, form};

fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {value}"))
}

/// A signed-in user and a sprint ending in two weeks.
async fn board(app: &TestApp) -> (Auth, i32) {
    let auth = app.demo().await;
    let sprint = app.insert_sprint("Current", date(14)).await;
    (auth, sprint.id)
}

async fn move_task(
    app: &TestApp,
    auth: &Auth,
    id: impl std::fmt::Display,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .call(Method::POST, &format!("/api/tasks/{id}/move"))
        .auth(auth)
        .json(body)
        .send()
        .await;
    (response.status, response.json())
}

/// One board column as the API lists it, with each task's `order`.
async fn column(app: &TestApp, auth: &Auth, sprint: i32, status: i16) -> Vec<(String, i64)> {
    let page = app
        .get_json(
            auth,
            &format!("/api/tasks?sprint={sprint}&status={status}&page_size=100"),
        )
        .await;
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| {
            (
                task["name"].as_str().unwrap().to_owned(),
                task["order"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn named(names: &[&str]) -> Vec<(String, i64)> {
    names
        .iter()
        .enumerate()
        .map(|(index, name)| ((*name).to_owned(), index as i64))
        .collect()
}

/// Tasks A, B, C (orders 0, 1, 2) in the sprint's Not Started column.
async fn abc(app: &TestApp, sprint: i32) -> [i32; 3] {
    let mut ids = [0; 3];
    for (index, name) in ["A", "B", "C"].into_iter().enumerate() {
        ids[index] = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                order: index as i16,
                ..NewTask::named(name)
            })
            .await
            .id;
    }
    ids
}

#[tokio::test]
async fn dropping_a_card_without_before_puts_it_at_the_end_of_the_column() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        abc(&app, sprint).await;
        let d = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                status: 2,
                started: Some(date(-1)),
                ..NewTask::named("D")
            })
            .await;
        let (status, task) = move_task(
            &app,
            &auth,
            d.id,
            json!({"status": 1, "sprint": sprint, "before": null}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {task}");
        assert_eq!(task["status"], 1);
        assert_eq!(task["status_display"], "Not Started");
        assert_eq!(task["order"], 3);
        assert_eq!(
            task["started"],
            Value::Null,
            "back to Not Started clears started"
        );
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["A", "B", "C", "D"])
        );
        assert_eq!(column(&app, &auth, sprint, 2).await, named(&[]));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn dropping_a_card_in_front_of_another_puts_it_exactly_there() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        let [_, b, _] = abc(&app, sprint).await;
        let x = app.insert_task(NewTask::named("X")).await;
        let (status, task) = move_task(
            &app,
            &auth,
            x.id,
            json!({"status": 1, "sprint": sprint, "before": b}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {task}");
        assert_eq!(task["sprint"], sprint);
        assert_eq!(task["order"], 1);
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["A", "X", "B", "C"]),
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn cards_can_be_reordered_within_their_column() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        let [a, b, c] = abc(&app, sprint).await;
        let to = |before: Option<i32>| json!({"status": 1, "sprint": sprint, "before": before});

        let (status, _) = move_task(&app, &auth, c, to(Some(a))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["C", "A", "B"]),
            "{backend:?}"
        );

        let (status, _) = move_task(&app, &auth, c, to(None)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["A", "B", "C"])
        );

        let (status, _) = move_task(&app, &auth, a, to(Some(c))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["B", "A", "C"])
        );

        // Dropping a card onto itself leaves the column as it was.
        let (status, _) = move_task(&app, &auth, a, to(Some(a))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["B", "A", "C"])
        );
        let (status, _) = move_task(&app, &auth, b, to(Some(b))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["B", "A", "C"])
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_column_with_tied_orders_is_renumbered_in_its_displayed_order() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        let mut ids = Vec::new();
        for name in ["P", "Q", "R"] {
            ids.push(
                app.insert_task(NewTask {
                    sprint: Some(sprint),
                    order: 0,
                    ..NewTask::named(name)
                })
                .await
                .id,
            );
        }
        let s = app.insert_task(NewTask::named("S")).await;
        let (status, _) = move_task(
            &app,
            &auth,
            s.id,
            json!({"status": 1, "sprint": sprint, "before": ids[2]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["P", "Q", "S", "R"]),
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_move_bumps_the_version_of_the_task_and_of_renumbered_neighbours() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let [a, b, c] = abc(&app, sprint).await;
    let response = app
        .call(Method::POST, &format!("/api/tasks/{c}/move"))
        .auth(&auth)
        .json(json!({"status": 1, "sprint": sprint, "before": a}))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("etag"), "\"2\"");
    assert_eq!(response.json()["version"], 2);
    for id in [a, b] {
        let task = app.get_json(&auth, &format!("/api/tasks/{id}")).await;
        assert_eq!(task["version"], 2, "{task}");
    }
}

#[tokio::test]
async fn moving_from_the_backlog_to_in_development_starts_the_task_today() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let task = app.create_task(&auth, json!({"name": "Idea"})).await;
    let (status, moved) = move_task(
        &app,
        &auth,
        id_of(&task),
        json!({"status": 2, "sprint": sprint, "before": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["sprint"], sprint);
    assert_eq!(moved["status"], 2);
    assert_eq!(moved["status_display"], "In Progress");
    assert_eq!(moved["started"], day(0));
    assert_eq!(moved["completed"], Value::Null);
    assert_eq!(
        moved["links"]["sprint"],
        format!("{}/api/sprints/{sprint}", crate::harness::BASE)
    );
    assert_eq!(
        moved,
        app.get_json(&auth, &format!("/api/tasks/{}", id_of(&task)))
            .await
    );
}

#[tokio::test]
async fn moving_to_done_completes_today_and_keeps_an_earlier_start() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let started = app
        .insert_task(NewTask {
            sprint: Some(sprint),
            status: 2,
            started: Some(date(-3)),
            ..NewTask::named("Started")
        })
        .await;
    let (status, moved) = move_task(
        &app,
        &auth,
        started.id,
        json!({"status": 4, "sprint": sprint}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["status_display"], "Done");
    assert_eq!(moved["started"], day(-3));
    assert_eq!(moved["completed"], day(0));
    // A task that never started is started and completed today.
    let fresh = app
        .insert_task(NewTask {
            sprint: Some(sprint),
            ..NewTask::named("Fresh")
        })
        .await;
    let (_, moved) = move_task(
        &app,
        &auth,
        fresh.id,
        json!({"status": 4, "sprint": sprint}),
    )
    .await;
    assert_eq!(moved["started"], day(0));
    assert_eq!(moved["completed"], day(0));
}

#[tokio::test]
async fn leaving_done_clears_completed_and_not_started_clears_both_dates() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let done = app
        .insert_task(NewTask {
            sprint: Some(sprint),
            status: 4,
            started: Some(date(-3)),
            completed: Some(date(-1)),
            ..NewTask::named("Done")
        })
        .await;
    let (_, moved) = move_task(&app, &auth, done.id, json!({"status": 3, "sprint": sprint})).await;
    assert_eq!(moved["status_display"], "Testing");
    assert_eq!(moved["started"], day(-3));
    assert_eq!(moved["completed"], Value::Null);
    let (_, moved) = move_task(&app, &auth, done.id, json!({"status": 4, "sprint": sprint})).await;
    assert_eq!(moved["completed"], day(0));
    let (status, moved) =
        move_task(&app, &auth, done.id, json!({"status": 1, "sprint": sprint})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["status_display"], "Not Started");
    assert_eq!(moved["started"], Value::Null);
    assert_eq!(moved["completed"], Value::Null);
}

#[tokio::test]
async fn reordering_within_a_status_keeps_the_task_dates() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let mut ids = Vec::new();
    for (name, started) in [("E", -4), ("F", -2)] {
        ids.push(
            app.insert_task(NewTask {
                sprint: Some(sprint),
                status: 2,
                started: Some(date(started)),
                ..NewTask::named(name)
            })
            .await
            .id,
        );
    }
    let (status, moved) = move_task(
        &app,
        &auth,
        ids[1],
        json!({"status": 2, "sprint": sprint, "before": ids[0]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(moved["started"], day(-2));
    assert_eq!(column(&app, &auth, sprint, 2).await, named(&["F", "E"]));
}

#[tokio::test]
async fn moving_to_the_backlog_forces_not_started() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        let testing = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                status: 3,
                started: Some(date(-2)),
                ..NewTask::named("Testing")
            })
            .await;
        let old = app.insert_task(NewTask::named("Old idea")).await;
        let (status, moved) = move_task(
            &app,
            &auth,
            testing.id,
            json!({"status": 3, "sprint": null, "before": old.id}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {moved}");
        assert_eq!(moved["sprint"], Value::Null);
        assert_eq!(moved["status"], 1);
        assert_eq!(moved["started"], Value::Null);
        assert_eq!(moved["links"]["sprint"], Value::Null);
        assert_eq!(
            app.names(&auth, "/api/tasks?backlog=True").await,
            ["Testing", "Old idea"],
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_completed_task_cannot_move_to_another_sprint_and_nothing_changes() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        let next = app.insert_sprint("Next", date(28)).await.id;
        let [a, _, _] = abc(&app, next).await;
        let done = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                status: 4,
                started: Some(date(-2)),
                completed: Some(date(-1)),
                ..NewTask::named("Done")
            })
            .await;
        let before = app
            .get_json(&auth, &format!("/api/tasks/{}", done.id))
            .await;
        for target in [
            json!({"status": 1, "sprint": next, "before": a}),
            json!({"status": 4, "sprint": next}),
            json!({"status": 1, "sprint": null}),
        ] {
            let (status, body) = move_task(&app, &auth, done.id, target.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{backend:?} {target}");
            assert_eq!(
                body,
                json!({"sprint": ["Cannot change the sprint of a completed task."]})
            );
        }
        assert_eq!(
            app.get_json(&auth, &format!("/api/tasks/{}", done.id))
                .await,
            before
        );
        assert_eq!(column(&app, &auth, next, 1).await, named(&["A", "B", "C"]));
        assert_eq!(
            app.get_json(&auth, &format!("/api/tasks/{a}")).await["version"],
            1,
            "{backend:?}: neighbours untouched"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn tasks_cannot_be_moved_into_a_past_sprint() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, _) = board(&app).await;
    let past = app.insert_sprint("Past", date(-1)).await.id;
    let task = app.insert_task(NewTask::named("T")).await;
    let (status, body) =
        move_task(&app, &auth, task.id, json!({"status": 2, "sprint": past})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"sprint": ["Cannot assign tasks to past sprints."]})
    );
}

#[tokio::test]
async fn before_must_be_a_task_of_the_target_column() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        let [a, b, c] = abc(&app, sprint).await;
        let elsewhere = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                status: 2,
                started: Some(date(0)),
                ..NewTask::named("Elsewhere")
            })
            .await
            .id;
        for before in [elsewhere, 9999] {
            let (status, body) = move_task(
                &app,
                &auth,
                a,
                json!({"status": 1, "sprint": sprint, "before": before}),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{backend:?}");
            assert_eq!(
                body,
                json!({"before": [format!("Task {before} is not in the target column.")]})
            );
        }
        // A card of the right column, but the move targets another status.
        let (status, body) = move_task(
            &app,
            &auth,
            a,
            json!({"status": 2, "sprint": sprint, "before": b}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"before": [format!("Task {b} is not in the target column.")]})
        );
        assert_eq!(
            column(&app, &auth, sprint, 1).await,
            named(&["A", "B", "C"])
        );
        for id in [a, b, c] {
            let task = app.get_json(&auth, &format!("/api/tasks/{id}")).await;
            assert_eq!(task["version"], 1, "{backend:?} nothing was written");
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_stale_if_match_on_a_move_answers_412_with_the_current_task() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let task = app
        .create_task(&auth, json!({"name": "T", "sprint": sprint}))
        .await;
    let id = id_of(&task);
    app.call(Method::PATCH, &format!("/api/tasks/{id}"))
        .auth(&auth)
        .json(json!({"description": "edited elsewhere"}))
        .send()
        .await;
    let current = app.get_json(&auth, &format!("/api/tasks/{id}")).await;
    assert_eq!(current["version"], 2);

    let stale = app
        .call(Method::POST, &format!("/api/tasks/{id}/move"))
        .auth(&auth)
        .header("if-match", "\"1\"")
        .json(json!({"status": 2, "sprint": sprint}))
        .send()
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.json(), current);

    let (status, body) = move_task(
        &app,
        &auth,
        id,
        json!({"status": 2, "sprint": sprint, "version": 1}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::PRECONDITION_FAILED,
        "a stale body version too"
    );
    assert_eq!(body, current);
    assert_eq!(
        app.get_json(&auth, &format!("/api/tasks/{id}")).await,
        current
    );

    let fresh = app
        .call(Method::POST, &format!("/api/tasks/{id}/move"))
        .auth(&auth)
        .header("if-match", "\"2\"")
        .json(json!({"status": 2, "sprint": sprint}))
        .send()
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(fresh.json()["version"], 3);
}

#[tokio::test]
async fn a_move_accepts_a_form_body_and_the_trailing_slash() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let task = app.insert_task(NewTask::named("T")).await;
    let response = app
        .call(Method::POST, &format!("/api/tasks/{}/move/", task.id))
        .auth(&auth)
        .payload(form(&[
            ("status", "3"),
            ("sprint", &sprint.to_string()),
            ("before", ""),
        ]))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let moved = response.json();
    assert_eq!(moved["status_display"], "Testing");
    assert_eq!(moved["started"], day(0));
}

#[tokio::test]
async fn malformed_moves_are_refused_with_field_errors() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (auth, sprint) = board(&app).await;
    let task = app.insert_task(NewTask::named("T")).await.id;
    for (body, expected) in [
        (
            json!({"sprint": sprint}),
            json!({"status": ["This field is required."]}),
        ),
        (
            json!({"status": 7, "sprint": sprint}),
            json!({"status": ["Select a valid choice. 7 is not one of the available choices."]}),
        ),
        (
            json!({"status": 2, "sprint": "abc"}),
            json!({"sprint": ["A valid integer is required."]}),
        ),
        (
            json!({"status": 2, "sprint": sprint, "before": "first"}),
            json!({"before": ["A valid integer is required."]}),
        ),
        (
            json!({"status": 2, "sprint": 999}),
            json!({"sprint": ["Invalid pk '999' - object does not exist."]}),
        ),
    ] {
        let (status, answer) = move_task(&app, &auth, task, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer, expected, "{body}");
    }
    let (status, answer) =
        move_task(&app, &auth, 4242, json!({"status": 2, "sprint": sprint})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer, json!({"detail": "Not found."}));
    let (status, _) = move_task(&app, &auth, "abc", json!({"status": 2, "sprint": sprint})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn moving_needs_authentication() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let (_, sprint) = board(&app).await;
    let task = app.insert_task(NewTask::named("T")).await.id;
    let (status, body) = move_task(
        &app,
        &Auth::Anonymous,
        task,
        json!({"status": 2, "sprint": sprint}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"detail": "Authentication credentials were not provided."})
    );
}

#[tokio::test]
async fn concurrent_drops_into_one_column_leave_distinct_positions() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (auth, sprint) = board(&app).await;
        abc(&app, sprint).await;
        let mut ids = Vec::new();
        for name in ["W", "X", "Y", "Z"] {
            ids.push(app.insert_task(NewTask::named(name)).await.id);
        }
        let drop = |id: i32| {
            app.call(Method::POST, &format!("/api/tasks/{id}/move"))
                .auth(&auth)
                .json(json!({"status": 1, "sprint": sprint, "before": null}))
                .send()
        };
        let (w, x, y, z) = tokio::join!(drop(ids[0]), drop(ids[1]), drop(ids[2]), drop(ids[3]));
        for response in [w, x, y, z] {
            assert_eq!(
                response.status,
                StatusCode::OK,
                "{backend:?} {}",
                response.text
            );
        }
        let column = column(&app, &auth, sprint, 1).await;
        let orders: Vec<i64> = column.iter().map(|(_, order)| *order).collect();
        assert_eq!(orders, [0, 1, 2, 3, 4, 5, 6], "{backend:?} {column:?}");
        let first: Vec<&str> = column
            .iter()
            .take(3)
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(first, ["A", "B", "C"], "{backend:?}");
        app.cleanup().await;
    }
}
