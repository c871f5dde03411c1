//! History and undo over the REST API: what a task's and a sprint's history say, the sync feed,
//! who may undo what, and what an undo puts back (or refuses to).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, LiveServer, NewTask, TestApp, backends, date, send};

fn results(page: &Value) -> Vec<Value> {
    page["results"].as_array().expect("results").clone()
}

/// The newest entry of a task's history.
async fn newest(app: &TestApp, auth: &Auth, id: i32) -> Value {
    results(
        &app.get_json(auth, &format!("/api/tasks/{id}/history"))
            .await,
    )[0]
    .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tasks_history_says_who_changed_what_newest_first_in_rest_values() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let task = app
            .create_task(&alice, json!({"name": "Write docs", "sprint": sprint}))
            .await;
        let id = task["id"].as_i64().unwrap();
        let (status, _) = send(
            &app,
            &bob,
            Method::PATCH,
            &format!("/api/tasks/{id}"),
            Some(json!({"assigned": "bob"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = send(
            &app,
            &alice,
            Method::POST,
            &format!("/api/tasks/{id}/move"),
            Some(json!({"status": 3, "sprint": sprint})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);

        let page = app
            .get_json(&alice, &format!("/api/tasks/{id}/history"))
            .await;
        assert_eq!(page["count"], 3, "{backend:?}");
        let history = results(&page);
        let actions: Vec<_> = history
            .iter()
            .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
            .collect();
        assert_eq!(
            actions,
            [("alice", "move"), ("bob", "update"), ("alice", "create")]
        );
        assert_eq!(
            history[0]["changes"]["status"],
            json!([1, 3]),
            "status as its number"
        );
        assert!(
            history[0]["changes"]["started"][1].is_string(),
            "testing starts a task: {}",
            history[0]
        );
        assert_eq!(
            history[1]["changes"],
            json!({"assigned": [null, "bob"]}),
            "assigned as a username"
        );
        assert_eq!(
            history[2]["changes"]["sprint"],
            json!([null, sprint]),
            "sprint as its id"
        );
        assert_eq!(
            (history[0]["model"].as_str(), history[0]["object"].as_i64()),
            (Some("task"), Some(id))
        );
        let at = history[0]["at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok(),
            "ISO 8601: {at}"
        );
        assert!(at.ends_with('Z') || at.ends_with("+00:00"), "UTC: {at}");
        let links = &history[0]["links"];
        assert!(
            links["self"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/history/{}", history[0]["id"]))
        );
        assert!(
            links["object"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/tasks/{id}"))
        );
        // Alice may undo her own changes, not Bob's.
        assert!(links["undo"].is_string());
        assert!(history[1]["links"].get("undo").is_none(), "{}", history[1]);
        // The same entry, alone.
        let one = app
            .get_json(
                &alice,
                links["self"]
                    .as_str()
                    .unwrap()
                    .split_once("/api")
                    .map(|(_, p)| format!("/api{p}"))
                    .as_deref()
                    .unwrap(),
            )
            .await;
        assert_eq!(one["id"], history[0]["id"]);

        // Anonymous callers see nothing; an unknown task has no history.
        let anonymous = app
            .call(Method::GET, &format!("/api/tasks/{id}/history"))
            .send()
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let (status, _) = send(&app, &alice, Method::GET, "/api/tasks/999999/history", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sprints_history_keeps_the_tasks_that_left_it_and_the_feed_reads_everything_in_order() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let next = app.insert_sprint("Next", date(28)).await.id;
        let leaving = app
            .create_task(&alice, json!({"name": "Leaves", "sprint": sprint}))
            .await;
        let elsewhere = app
            .create_task(&alice, json!({"name": "Elsewhere", "sprint": next}))
            .await;
        let leaving_id = leaving["id"].as_i64().unwrap();
        let (status, _) = send(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{leaving_id}"),
            Some(json!({"sprint": next})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = send(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/sprints/{sprint}"),
            Some(json!({"name": "Current, renamed"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);

        let history = results(
            &app.get_json(&alice, &format!("/api/sprints/{sprint}/history"))
                .await,
        );
        let seen: Vec<_> = history
            .iter()
            .map(|e| {
                (
                    e["model"].as_str().unwrap(),
                    e["object"].as_i64().unwrap(),
                    e["action"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("sprint", i64::from(sprint), "update"),
                ("task", leaving_id, "update"),
                ("task", leaving_id, "create")
            ],
            "{backend:?}: the task that left is there, the one that never was is not"
        );
        assert!(
            !history
                .iter()
                .any(|e| e["object"] == elsewhere["id"] && e["model"] == "task")
        );

        // The feed: everything after an id, oldest first, in the book's envelope.
        let all = app.get_json(&alice, "/api/history?page_size=2").await;
        assert_eq!(all["count"], 4);
        assert!(all["next"].as_str().unwrap().contains("page=2"));
        assert!(all["previous"].is_null());
        let first_two = results(&all);
        assert!(first_two[0]["id"].as_i64() < first_two[1]["id"].as_i64());
        let after = app
            .get_json(
                &alice,
                &format!("/api/history?since={}", first_two[1]["id"]),
            )
            .await;
        assert_eq!(after["count"], 2);
        assert_eq!(
            results(&after)[0]["changes"]["sprint"],
            json!([sprint, next])
        );
        let (status, body) = send(&app, &alice, Method::GET, "/api/history?since=soon", None).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::BAD_REQUEST,
                json!({"since": ["Enter a whole number."]})
            )
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_takes_back_an_edit_a_move_and_a_delete_and_refuses_after_someone_elses_change() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await.with_database_bus().await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let mut ids = Vec::new();
        for (order, name) in ["A", "B", "C"].iter().enumerate() {
            ids.push(
                app.insert_task(NewTask {
                    sprint: Some(sprint),
                    order: order as i16,
                    ..NewTask::named(name)
                })
                .await
                .id,
            );
        }
        let mut bobs_board = live.join(&app, &bob, sprint).await;

        // An edit, undone: the name is back, as a new change by Alice.
        let (_, _) = send(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{}", ids[0]),
            Some(json!({"name": "A, renamed", "description": "why"})),
        )
        .await;
        let edit = newest(&app, &alice, ids[0]).await;
        let (status, task) = send(
            &app,
            &alice,
            Method::POST,
            &format!("/api/history/{}/undo", edit["id"]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{task}");
        assert_eq!(
            (task["name"].as_str(), task["description"].as_str()),
            (Some("A"), Some(""))
        );
        let undone = newest(&app, &alice, ids[0]).await;
        assert_eq!(
            (undone["actor"].as_str(), undone["action"].as_str()),
            (Some("alice"), Some("update"))
        );
        assert_eq!(undone["changes"]["name"], json!(["A, renamed", "A"]));

        // A move, undone: C goes back to Not Started, last, with no dates; Bob's board sees it.
        let (status, _) = send(
            &app,
            &alice,
            Method::POST,
            &format!("/api/tasks/{}/move", ids[2]),
            Some(json!({"status": 4, "sprint": sprint})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let moved = newest(&app, &alice, ids[2]).await;
        let (status, task) = send(
            &app,
            &alice,
            Method::POST,
            &format!("/api/history/{}/undo", moved["id"]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{task}");
        assert_eq!(
            (task["status"].as_i64(), task["order"].as_i64()),
            (Some(1), Some(2))
        );
        assert!(
            task["started"].is_null() && task["completed"].is_null(),
            "{task}"
        );
        loop {
            let frame = bobs_board.next_change().await;
            if frame["id"] == ids[2] && frame["body"]["status"] == 1 {
                break;
            }
        }

        // A delete, undone: B is back with its id, fields and place (between A and C).
        let (status, _) = send(
            &app,
            &alice,
            Method::DELETE,
            &format!("/api/tasks/{}", ids[1]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let deleted = newest(&app, &alice, ids[1]).await;
        assert_eq!(deleted["action"], "delete");
        let (status, task) = send(
            &app,
            &alice,
            Method::POST,
            &format!("/api/history/{}/undo", deleted["id"]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{task}");
        assert_eq!(
            (
                task["id"].as_i64(),
                task["name"].as_str(),
                task["order"].as_i64()
            ),
            (Some(i64::from(ids[1])), Some("B"), Some(1))
        );
        let column = app
            .get_json(&alice, &format!("/api/tasks?sprint={sprint}&status=1"))
            .await;
        let names: Vec<_> = results(&column)
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["A", "B", "C"], "{backend:?}");
        // Undoing the same change twice: the first undo changed the task since.
        let (status, body) = send(
            &app,
            &alice,
            Method::POST,
            &format!("/api/history/{}/undo", edit["id"]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        // Bob edits after Alice: her undo would overwrite his change, so it is refused.
        let (_, _) = send(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{}", ids[0]),
            Some(json!({"name": "A by Alice"})),
        )
        .await;
        let alices = newest(&app, &alice, ids[0]).await;
        let (_, _) = send(
            &app,
            &bob,
            Method::PATCH,
            &format!("/api/tasks/{}", ids[0]),
            Some(json!({"description": "Bob was here"})),
        )
        .await;
        let (status, body) = send(
            &app,
            &alice,
            Method::POST,
            &format!("/api/history/{}/undo", alices["id"]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            body["detail"],
            "“A by Alice” has been changed since; undoing would overwrite that change."
        );
        // Nor may Bob undo Alice's change.
        let (status, body) = send(
            &app,
            &bob,
            Method::POST,
            &format!("/api/history/{}/undo", alices["id"]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(
            body["detail"],
            "Only the person who made a change can undo it."
        );
        let (status, _) = send(&app, &alice, Method::POST, "/api/history/999999/undo", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        bobs_board.close().await;
        drop(live);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_is_offered_only_within_the_undo_window() {
    let app = TestApp::spawn_with(&crate::harness::Backend::Sqlite, &[("UNDO_WINDOW", "1")]).await;
    let (_, alice) = app.person("alice").await;
    let task = app.create_task(&alice, json!({"name": "Quick"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let history = results(
        &app.get_json(&alice, &format!("/api/tasks/{}/history", task["id"]))
            .await,
    );
    assert!(history[0]["links"].get("undo").is_none(), "{}", history[0]);
    let (status, body) = send(
        &app,
        &alice,
        Method::POST,
        &format!("/api/history/{}/undo", history[0]["id"]),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("can be undone for 1 second;"),
        "{body}"
    );
    app.cleanup().await;
}
