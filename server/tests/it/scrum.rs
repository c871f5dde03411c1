//! The Scrum loop through the API: estimates, a sprint's start, goal and work-in-progress
//! limits, completing and reopening a sprint, and the report, burndown and velocity computed
//! from the change log, on a clock the tests move (days pass without waiting).

use axum::http::{Method, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::harness::{Auth, TestApp, backends, send};

/// 2030-03-`day` at `hour`:00 UTC. 2030-03-04 is a Monday.
fn march(day: u32, hour: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2030, 3, day)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
}

fn day(day: u32) -> String {
    format!("2030-03-{day:02}")
}

/// Sets the server's clock.
fn at(app: &TestApp, moment: DateTime<Utc>) {
    app.state.store.clock.pin(moment);
}

async fn ok(app: &TestApp, auth: &Auth, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, json) = send(app, auth, method.clone(), path, body).await;
    assert!(status.is_success(), "{method} {path}: {status} {json}");
    json
}

async fn refused(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, json) = send(app, auth, method.clone(), path, body).await;
    assert!(
        status.is_client_error(),
        "{method} {path} was allowed: {status} {json}"
    );
    (status, json)
}

async fn task(app: &TestApp, auth: &Auth, name: &str, sprint: Option<i64>, points: Value) -> i64 {
    let body = json!({"name": name, "sprint": sprint, "points": points});
    ok(app, auth, Method::POST, "/api/tasks", Some(body)).await["id"]
        .as_i64()
        .unwrap()
}

async fn sprint(app: &TestApp, auth: &Auth, body: Value) -> Value {
    ok(app, auth, Method::POST, "/api/sprints", Some(body)).await
}

async fn move_to(
    app: &TestApp,
    auth: &Auth,
    task: i64,
    sprint: Option<i64>,
    status: u8,
) -> (StatusCode, Value) {
    send(
        app,
        auth,
        Method::POST,
        &format!("/api/tasks/{task}/move"),
        Some(json!({"sprint": sprint, "status": status})),
    )
    .await
}

async fn entries(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    server::domain::db::entities::change::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimates_are_points_with_at_most_one_decimal() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let three = task(&app, &alice, "Three", None, json!(3)).await;
        let half = task(&app, &alice, "Half", None, json!("0.5")).await;
        let none = task(&app, &alice, "Unestimated", None, Value::Null).await;
        let read = |id: i64| format!("/api/tasks/{id}");
        assert_eq!(
            ok(&app, &alice, Method::GET, &read(three), None).await["points"],
            json!(3)
        );
        assert_eq!(
            ok(&app, &alice, Method::GET, &read(half), None).await["points"],
            json!(0.5)
        );
        assert_eq!(
            ok(&app, &alice, Method::GET, &read(none), None).await["points"],
            Value::Null
        );

        let patched = ok(
            &app,
            &alice,
            Method::PATCH,
            &read(three),
            Some(json!({"points": 2.5})),
        )
        .await;
        assert_eq!(patched["points"], json!(2.5));
        // The book's clients never send points: a PUT without them keeps the estimate.
        let put = ok(
            &app,
            &alice,
            Method::PUT,
            &read(three),
            Some(json!({"name": "Put"})),
        )
        .await;
        assert_eq!(put["points"], json!(2.5));
        let cleared = ok(
            &app,
            &alice,
            Method::PATCH,
            &read(three),
            Some(json!({"points": null})),
        )
        .await;
        assert_eq!(cleared["points"], Value::Null);

        let before = entries(&app).await;
        for (sent, message) in [
            (json!("many"), "A valid number is required."),
            (json!(true), "A valid number is required."),
            (
                json!(-1),
                "Ensure this value is greater than or equal to 0.",
            ),
            (
                json!(1000.5),
                "Ensure this value is less than or equal to 1000.",
            ),
            (
                json!(1.25),
                "Ensure that there are no more than 1 decimal places.",
            ),
        ] {
            let (status, body) = refused(
                &app,
                &alice,
                Method::PATCH,
                &read(half),
                Some(json!({"points": sent})),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(body, json!({"points": [message]}), "{sent}");
        }
        assert_eq!(
            entries(&app).await,
            before,
            "a refused estimate leaves no trace"
        );
        // The log records the change in the API's values.
        let history = ok(
            &app,
            &alice,
            Method::GET,
            &format!("/api/tasks/{three}/history"),
            None,
        )
        .await;
        assert_eq!(
            history["results"][0]["changes"]["points"],
            json!([2.5, null])
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sprint_has_a_start_a_goal_and_a_state() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        at(&app, march(1, 9));
        // The first sprint of a project starts today; the next, the day after it ends.
        let first = sprint(
            &app,
            &alice,
            json!({"name": "One", "end": day(15), "goal": "Ship search"}),
        )
        .await;
        assert_eq!(first["start"], json!(day(1)));
        assert_eq!(first["goal"], json!("Ship search"));
        assert_eq!(first["state"], json!("active"));
        assert_eq!(first["wip_limits"], json!({}));
        assert_eq!(first["wip_strict"], json!(false));
        let second = sprint(&app, &alice, json!({"name": "Two", "end": day(29)})).await;
        assert_eq!(second["start"], json!(day(16)));
        assert_eq!(second["state"], json!("planned"));
        at(&app, march(16, 8));
        let path = format!("/api/sprints/{}", second["id"]);
        assert_eq!(
            ok(&app, &alice, Method::GET, &path, None).await["state"],
            json!("active")
        );

        // Start on or before end, said on the field that was sent.
        let (_, body) = refused(
            &app,
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"start": day(30)})),
        )
        .await;
        assert_eq!(
            body,
            json!({"start": ["Start date must be on or before the end date."]})
        );
        let (_, body) = refused(
            &app,
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"end": day(17), "start": day(18)})),
        )
        .await;
        assert_eq!(
            body,
            json!({"start": ["Start date must be on or before the end date."]})
        );
        let (_, body) = refused(
            &app,
            &alice,
            Method::POST,
            "/api/sprints",
            Some(json!({"end": day(20), "start": day(21)})),
        )
        .await;
        assert_eq!(
            body,
            json!({"start": ["Start date must be on or before the end date."]})
        );
        let (_, body) = refused(
            &app,
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"start": "soon"})),
        )
        .await;
        assert_eq!(
            body,
            json!({"start": ["Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]]."]})
        );
        let (_, body) = refused(
            &app,
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"start": null})),
        )
        .await;
        assert_eq!(body, json!({"start": ["This field may not be null."]}));
        let (_, body) = refused(
            &app,
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"goal": "g".repeat(1001)})),
        )
        .await;
        assert_eq!(
            body,
            json!({"goal": ["Ensure this field has no more than 1000 characters (it has 1001)."]})
        );
        // The book's PUT without the new fields keeps them.
        ok(
            &app,
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"goal": "Kept", "wip_limits": {"3": 2}})),
        )
        .await;
        let put = ok(
            &app,
            &alice,
            Method::PUT,
            &path,
            Some(json!({"name": "Put", "end": day(29)})),
        )
        .await;
        assert_eq!(
            (put["goal"].clone(), put["start"].clone()),
            (json!("Kept"), json!(day(16)))
        );
        assert_eq!(put["wip_limits"], json!({"3": 2}));
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_in_progress_limits_warn_or_refuse() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        at(&app, march(4, 9));
        let created = sprint(
            &app,
            &alice,
            json!({"end": day(15), "wip_limits": {"3": 2, "2": null}}),
        )
        .await;
        assert_eq!(created["wip_limits"], json!({"3": 2}));
        let id = created["id"].as_i64().unwrap();
        let path = format!("/api/sprints/{id}");
        for (limits, message) in [
            (
                json!([2]),
                "Expected limits by status number, like {\"2\": 3, \"3\": 2} (null or 0: no limit).",
            ),
            (json!({"9": 2}), "\"9\" is not a status: use 1, 2, 3 or 4."),
            (
                json!({"3": -1}),
                "The limit of In Testing must be a whole number from 1 to 999.",
            ),
            (
                json!({"2": 1000}),
                "The limit of In Development must be a whole number from 1 to 999.",
            ),
        ] {
            let (_, body) = refused(
                &app,
                &alice,
                Method::PATCH,
                &path,
                Some(json!({"wip_limits": limits})),
            )
            .await;
            assert_eq!(body, json!({"wip_limits": [message]}));
        }
        let (_, body) = refused(
            &app,
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"wip_strict": "sometimes"})),
        )
        .await;
        assert_eq!(body, json!({"wip_strict": ["Must be a valid boolean."]}));

        let mut tasks = Vec::new();
        for name in ["A", "B", "C"] {
            tasks.push(task(&app, &alice, name, Some(id), json!(1)).await);
        }
        // By default a column may go over its limit (the board warns).
        for task in &tasks {
            let (status, body) = move_to(&app, &alice, *task, Some(id), 3).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        // Strict: a third task in In Testing is refused, whichever way it comes.
        ok(
            &app,
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"wip_strict": true})),
        )
        .await;
        let (status, _) = move_to(&app, &alice, tasks[2], Some(id), 2).await;
        assert_eq!(status, StatusCode::OK);
        let before = entries(&app).await;
        let (status, body) = move_to(&app, &alice, tasks[2], Some(id), 3).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"status": ["In Testing is at its limit of 2 tasks."]})
        );
        let (_, body) = refused(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{}", tasks[2]),
            Some(json!({"status": 3})),
        )
        .await;
        assert_eq!(
            body,
            json!({"status": ["In Testing is at its limit of 2 tasks."]})
        );
        let (_, body) = refused(
            &app,
            &alice,
            Method::POST,
            "/api/tasks",
            Some(json!({"name": "D", "sprint": id, "status": 3})),
        )
        .await;
        assert_eq!(
            body,
            json!({"status": ["In Testing is at its limit of 2 tasks."]})
        );
        assert_eq!(
            entries(&app).await,
            before,
            "a refused move leaves no trace"
        );
        // Moving within the full column, or editing a task in it, is fine.
        let (status, _) = send(
            &app,
            &alice,
            Method::POST,
            &format!("/api/tasks/{}/move", tasks[1]),
            Some(json!({"sprint": id, "status": 3, "before": tasks[0]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        ok(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{}", tasks[0]),
            Some(json!({"points": 5})),
        )
        .await;
        app.cleanup().await;
    }
}

/// The sprint walked through in [`the_report_and_burndown_are_what_the_log_says`]: planned on
/// Friday 1 March, running Monday 4 to Friday 15 March 2030.
struct Walked {
    sprint: i64,
    tasks: [i64; 6],
}

async fn walk_a_sprint(app: &TestApp, alice: &Auth) -> Walked {
    at(app, march(1, 10));
    let id = sprint(
        app,
        alice,
        json!({"name": "March", "start": day(4), "end": day(15)}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let a = task(app, alice, "A", Some(id), json!(3)).await;
    let b = task(app, alice, "B", Some(id), json!(5)).await;
    let c = task(app, alice, "C", Some(id), json!(2)).await;
    let d = task(app, alice, "D", None, json!(8)).await;
    // Planned on the first day: committed.
    at(app, march(4, 10));
    let e = task(app, alice, "E", Some(id), json!(1)).await;
    at(app, march(5, 11));
    move_to(app, alice, a, Some(id), 2).await;
    move_to(app, alice, d, Some(id), 1).await;
    ok(
        app,
        alice,
        Method::PATCH,
        &format!("/api/tasks/{b}"),
        Some(json!({"points": 8})),
    )
    .await;
    at(app, march(6, 15));
    move_to(app, alice, a, Some(id), 4).await;
    at(app, march(7, 9));
    move_to(app, alice, c, None, 1).await;
    at(app, march(11, 16));
    move_to(app, alice, b, Some(id), 4).await;
    at(app, march(12, 10));
    let f = task(app, alice, "F", Some(id), json!(0.5)).await;
    Walked {
        sprint: id,
        tasks: [a, b, c, d, e, f],
    }
}

fn figures(burndown: &Value, field: &str) -> Vec<Value> {
    burndown["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| day[field].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_and_burndown_are_what_the_log_says() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let walked = walk_a_sprint(&app, &alice).await;
        let [a, b, c, d, e, f] = walked.tasks;
        let report_path = format!("/api/sprints/{}/report", walked.sprint);
        let burndown_path = format!("/api/sprints/{}/burndown", walked.sprint);

        // Wednesday 13th, midday: figures up to today, only the ideal line after.
        at(&app, march(13, 12));
        let burndown = ok(&app, &alice, Method::GET, &burndown_path, None).await;
        let dates: Vec<Value> = (4..=15).map(|d| json!(day(d))).collect();
        assert_eq!(figures(&burndown, "date"), dates);
        assert_eq!(
            figures(&burndown, "working"),
            [
                true, true, true, true, true, false, false, true, true, true, true, true
            ]
            .map(Value::from)
        );
        // From the scope at the end of the first day (11) to zero over ten working days.
        assert_eq!(
            figures(&burndown, "ideal_points"),
            [9.9, 8.8, 7.7, 6.6, 5.5, 5.5, 5.5, 4.4, 3.3, 2.2, 1.1, 0.0].map(Value::from)
        );
        let remaining = json!([11, 22, 19, 17, 17, 17, 17, 9, 9.5, 9.5, null, null]);
        assert_eq!(
            Value::from(figures(&burndown, "remaining_points")),
            remaining
        );
        assert_eq!(
            Value::from(figures(&burndown, "remaining_tasks")),
            json!([4, 5, 4, 3, 3, 3, 3, 2, 3, 3, null, null])
        );
        assert_eq!(
            Value::from(figures(&burndown, "scope_points")),
            json!([11, 22, 22, 20, 20, 20, 20, 20, 20.5, 20.5, null, null])
        );
        assert_eq!(
            Value::from(figures(&burndown, "completed_points")),
            json!([0, 0, 3, 3, 3, 3, 3, 11, 11, 11, null, null])
        );

        // Completed on Friday 15th at five: D, E and F go back to the backlog.
        at(&app, march(15, 17));
        let completed = ok(
            &app,
            &alice,
            Method::POST,
            &format!("/api/sprints/{}/complete", walked.sprint),
            Some(json!({"carry_over": "backlog"})),
        )
        .await;
        assert_eq!(completed["state"], json!("completed"));
        let report = ok(&app, &alice, Method::GET, &report_path, None).await;
        let expected = json!({
            "sprint": walked.sprint,
            "committed": {"tasks": [a, b, c, e], "points": 11},
            "added": {"tasks": [d, f], "points": 8.5},
            "removed": {"tasks": [c], "points": 2},
            "completed": {"tasks": [a, b], "points": 11},
            "carried_over": {"tasks": [d, e, f], "points": 9.5},
            "completion": 0.5641,
            "as_of": "2030-03-15T17:00:00.000000Z",
        });
        assert_eq!(report, expected);
        for carried in [d, e, f] {
            let moved = ok(
                &app,
                &alice,
                Method::GET,
                &format!("/api/tasks/{carried}"),
                None,
            )
            .await;
            assert_eq!(
                (moved["sprint"].clone(), moved["status"].clone()),
                (Value::Null, json!(1))
            );
        }
        let burndown = ok(&app, &alice, Method::GET, &burndown_path, None).await;
        assert_eq!(
            Value::from(figures(&burndown, "remaining_points")),
            json!([11, 22, 19, 17, 17, 17, 17, 9, 9.5, 9.5, 9.5, 9.5])
        );

        // Frozen: later changes to the carried-over tasks do not rewrite it.
        at(&app, march(18, 9));
        ok(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{d}"),
            Some(json!({"points": 13})),
        )
        .await;
        ok(
            &app,
            &alice,
            Method::DELETE,
            &format!("/api/tasks/{e}"),
            None,
        )
        .await;
        assert_eq!(
            ok(&app, &alice, Method::GET, &report_path, None).await,
            expected
        );
        let again = ok(&app, &alice, Method::GET, &burndown_path, None).await;
        assert_eq!(again, burndown);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_carries_unfinished_work_to_another_sprint_and_locks_the_sprint() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person_with_role("alice", "owner").await;
        let (_, mia) = app.person_with_role("mia", "member").await;
        let (_, victor) = app.person_with_role("victor", "viewer").await;
        at(&app, march(4, 9));
        let one = sprint(&app, &alice, json!({"name": "One", "end": day(15)})).await["id"]
            .as_i64()
            .unwrap();
        let two = sprint(&app, &alice, json!({"name": "Two", "end": day(29)})).await["id"]
            .as_i64()
            .unwrap();
        let waiting = task(&app, &alice, "Waiting", Some(two), json!(1)).await;
        let done = task(&app, &alice, "Done", Some(one), json!(2)).await;
        let testing = task(&app, &alice, "Testing", Some(one), json!(3)).await;
        let started = task(&app, &alice, "Started", Some(one), json!(5)).await;
        move_to(&app, &alice, done, Some(one), 4).await;
        move_to(&app, &alice, testing, Some(one), 3).await;
        move_to(&app, &alice, started, Some(one), 2).await;
        let complete = format!("/api/sprints/{one}/complete");

        // Where to must be said, and be another open sprint of the project.
        let before = entries(&app).await;
        for (body, message) in [
            (json!({}), "This field is required."),
            (
                json!({"carry_over": "elsewhere"}),
                "Choose \"backlog\" or the id of another sprint of this project that is not completed.",
            ),
            (
                json!({"carry_over": one}),
                "Choose \"backlog\" or the id of another sprint of this project that is not completed.",
            ),
            (
                json!({"carry_over": 9999}),
                "Choose \"backlog\" or the id of another sprint of this project that is not completed.",
            ),
        ] {
            let (status, answer) = refused(&app, &alice, Method::POST, &complete, Some(body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(answer, json!({"carry_over": [message]}));
        }
        let (status, answer) = refused(
            &app,
            &victor,
            Method::POST,
            &complete,
            Some(json!({"carry_over": two})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        assert_eq!(
            entries(&app).await,
            before,
            "refused completions leave no trace"
        );

        // A member completes it into sprint Two: statuses kept, after what is there.
        let completed = ok(
            &app,
            &mia,
            Method::POST,
            &complete,
            Some(json!({"carry_over": two})),
        )
        .await;
        assert_eq!(completed["state"], json!("completed"));
        assert!(
            completed["completed_at"]
                .as_str()
                .unwrap()
                .starts_with("2030-03-04T09:00:00")
        );
        assert_eq!(
            entries(&app).await,
            before + 3,
            "one change per moved task and the sprint's"
        );
        let column = |status: u8| format!("/api/tasks?sprint={two}&status={status}");
        let names = |page: &Value| -> Vec<String> {
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            names(&ok(&app, &alice, Method::GET, &column(3), None).await),
            ["Testing"]
        );
        assert_eq!(
            names(&ok(&app, &alice, Method::GET, &column(2), None).await),
            ["Started"]
        );
        let kept = ok(
            &app,
            &alice,
            Method::GET,
            &format!("/api/tasks/{done}"),
            None,
        )
        .await;
        assert_eq!(
            (kept["sprint"].as_i64(), kept["status"].clone()),
            (Some(one), json!(4))
        );
        let _ = waiting;

        // Completed: the sprint and its tasks stay as they are, and nothing joins it.
        let locked = "One is completed: reopen it to change it or its tasks.";
        let (_, answer) = refused(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/sprints/{one}"),
            Some(json!({"name": "Renamed"})),
        )
        .await;
        assert_eq!(answer, json!({"non_field_errors": [locked]}));
        let (_, answer) = refused(
            &app,
            &alice,
            Method::DELETE,
            &format!("/api/sprints/{one}"),
            None,
        )
        .await;
        assert_eq!(answer, json!({"non_field_errors": [locked]}));
        let (_, answer) = refused(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{done}"),
            Some(json!({"points": 8})),
        )
        .await;
        assert_eq!(answer, json!({"non_field_errors": [locked]}));
        let (_, answer) = move_to(&app, &alice, done, Some(one), 3).await;
        assert_eq!(answer, json!({"non_field_errors": [locked]}));
        let (_, answer) = refused(
            &app,
            &alice,
            Method::DELETE,
            &format!("/api/tasks/{done}"),
            None,
        )
        .await;
        assert_eq!(answer, json!({"non_field_errors": [locked]}));
        let (_, answer) = move_to(&app, &alice, waiting, Some(one), 2).await;
        assert_eq!(answer, json!({"sprint": [locked]}));
        let (_, answer) = refused(
            &app,
            &alice,
            Method::POST,
            "/api/tasks",
            Some(json!({"name": "Late", "sprint": one})),
        )
        .await;
        assert_eq!(answer, json!({"sprint": [locked]}));
        let (_, answer) = refused(
            &app,
            &alice,
            Method::POST,
            &complete,
            Some(json!({"carry_over": "backlog"})),
        )
        .await;
        assert_eq!(
            answer,
            json!({"non_field_errors": ["This sprint is completed already."]})
        );
        // Nor may another sprint carry its work into a completed one.
        let (_, answer) = refused(
            &app,
            &alice,
            Method::POST,
            &format!("/api/sprints/{two}/complete"),
            Some(json!({"carry_over": one})),
        )
        .await;
        assert_eq!(
            answer,
            json!({"carry_over": ["Choose \"backlog\" or the id of another sprint of this project that is not completed."]})
        );

        // Only an owner reopens it; then it changes again.
        let reopen = format!("/api/sprints/{one}/reopen");
        let (status, _) = refused(&app, &mia, Method::POST, &reopen, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let reopened = ok(&app, &alice, Method::POST, &reopen, None).await;
        assert_eq!(
            (reopened["state"].clone(), reopened["completed_at"].clone()),
            (json!("active"), Value::Null)
        );
        let (_, answer) = refused(&app, &alice, Method::POST, &reopen, None).await;
        assert_eq!(
            answer,
            json!({"non_field_errors": ["This sprint is not completed."]})
        );
        ok(
            &app,
            &alice,
            Method::PATCH,
            &format!("/api/tasks/{done}"),
            Some(json!({"points": 8})),
        )
        .await;
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn velocity_averages_the_last_completed_sprints() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let empty = ok(&app, &alice, Method::GET, "/api/velocity", None).await;
        assert_eq!(
            empty,
            json!({"project": app.project, "sprints": [], "average": null, "forecast": null})
        );

        let mut ids = Vec::new();
        for (n, points) in [(1u32, 10), (2, 20), (3, 30)] {
            // Sprint n runs from day 7n-6 to day 7n, one done task of `points`.
            at(&app, march(7 * n - 6, 9));
            let id = sprint(
                &app,
                &alice,
                json!({"name": format!("S{n}"), "end": day(7 * n)}),
            )
            .await["id"]
                .as_i64()
                .unwrap();
            let done = task(&app, &alice, "Done", Some(id), json!(points)).await;
            task(&app, &alice, "Not done", Some(id), json!(1)).await;
            move_to(&app, &alice, done, Some(id), 4).await;
            at(&app, march(7 * n, 17));
            ok(
                &app,
                &alice,
                Method::POST,
                &format!("/api/sprints/{id}/complete"),
                Some(json!({"carry_over": "backlog"})),
            )
            .await;
            ids.push(id);
        }
        // An open sprint does not count.
        sprint(&app, &alice, json!({"name": "Open", "end": day(28)})).await;

        let velocity = ok(
            &app,
            &alice,
            Method::GET,
            &format!("/api/velocity?project={}", app.project),
            None,
        )
        .await;
        let listed: Vec<(i64, f64)> = velocity["sprints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["id"].as_i64().unwrap(),
                    s["completed_points"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(listed, vec![(ids[0], 10.0), (ids[1], 20.0), (ids[2], 30.0)]);
        assert_eq!(velocity["sprints"][0]["committed_points"], json!(11));
        assert_eq!(velocity["average"], json!(20.0));
        // 20 ± 8.165 (the standard deviation of 10, 20, 30).
        assert_eq!(velocity["forecast"], json!([11.8, 28.2]));
        let last_two = ok(
            &app,
            &alice,
            Method::GET,
            "/api/velocity?last=2&project=current",
            None,
        )
        .await;
        assert_eq!(last_two["average"], json!(25.0));
        assert_eq!(last_two["forecast"], json!([20.0, 30.0]));

        for (query, field, message) in [
            (
                "last=0",
                "last",
                "Ensure this value is a whole number from 1 to 50.",
            ),
            (
                "last=many",
                "last",
                "Ensure this value is a whole number from 1 to 50.",
            ),
            (
                "project=9999",
                "project",
                "Select a valid choice. That choice is not one of the available choices.",
            ),
        ] {
            let (status, answer) = refused(
                &app,
                &alice,
                Method::GET,
                &format!("/api/velocity?{query}"),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(answer[field], json!([message]), "{query}");
        }
        app.cleanup().await;
    }
}

/// Sprints from before the Scrum fields get a start: the day after the previous sprint of their
/// project ends, but no more than two weeks before their own end.
#[tokio::test]
async fn existing_sprints_get_a_start_date() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, Statement};
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        Migrator::down(&app.db, Some(1)).await.expect("down");
        let db = &app.db;
        let engine = db.get_database_backend();
        let project = app.project;
        for (name, end) in [
            ("First", "2030-01-31"),
            ("Second", "2030-02-07"),
            ("Third", "2030-03-31"),
        ] {
            let sql = format!(
                "INSERT INTO sprints (name, description, \"end\", version, search_key, project_id) VALUES ('{name}', '', '{end}', 1, '', {project})"
            );
            db.execute(Statement::from_string(engine, sql))
                .await
                .expect("sprint");
        }
        Migrator::up(&app.db, None).await.expect("up");
        let (_, alice) = app.person("alice").await;
        let page = ok(&app, &alice, Method::GET, "/api/sprints?ordering=end", None).await;
        let starts: Vec<(String, String, String)> = page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().into(),
                    s["start"].as_str().unwrap().into(),
                    s["goal"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            starts,
            [
                ("First".into(), "2030-01-18".into(), String::new()),
                ("Second".into(), "2030-02-01".into(), String::new()),
                ("Third".into(), "2030-03-18".into(), String::new()),
            ],
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

/// A project's days are its time zone's: work done late on Tuesday in UTC is Wednesday's in
/// Auckland (13 hours ahead in March).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projects_days_are_counted_in_its_time_zone() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person_with_role("alice", "owner").await;
        let project = format!("/api/projects/{}", app.project);
        let (status, body) = refused(
            &app,
            &alice,
            Method::PATCH,
            &project,
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"time_zone": ["Unknown time zone: use a name from the IANA database, like Europe/Paris or UTC."]})
        );
        let changed = ok(
            &app,
            &alice,
            Method::PATCH,
            &project,
            Some(json!({"time_zone": "pacific/auckland"})),
        )
        .await;
        assert_eq!(changed["time_zone"], json!("Pacific/Auckland"));

        at(&app, march(1, 0));
        let id = sprint(&app, &alice, json!({"start": day(4), "end": day(8)})).await["id"]
            .as_i64()
            .unwrap();
        let late = task(&app, &alice, "Late", Some(id), json!(5)).await;
        // Tuesday 5th, 20:00 UTC: Wednesday 6th, 09:00 in Auckland.
        at(&app, march(5, 20));
        move_to(&app, &alice, late, Some(id), 4).await;
        // Thursday 7th, 22:00 in Auckland: Friday has no figures yet.
        at(&app, march(7, 9));
        let burndown = ok(
            &app,
            &alice,
            Method::GET,
            &format!("/api/sprints/{id}/burndown"),
            None,
        )
        .await;
        assert_eq!(
            Value::from(figures(&burndown, "completed_points")),
            json!([0, 0, 5, 5, null]),
            "done on the 6th, Auckland's day"
        );
        app.cleanup().await;
    }
}

/// The sprint form, completion and report as pages the server writes: what the home page and
/// the board link to, with the same rules and messages as the API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sprint_pages_create_edit_complete_and_report() {
    use crate::harness::BASE;
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (alice_user, alice) = app.person_with_role("alice", "owner").await;
        let (mia_user, _) = app.person_with_role("mia", "member").await;
        let session = Auth::Session(app.session_for(alice_user.id).await);
        let mia = Auth::Session(app.session_for(mia_user.id).await);
        let post = |path: &str, auth: &Auth, form: &[(&str, &str)]| {
            app.call(Method::POST, path)
                .auth(auth)
                .header("origin", BASE)
                .form(form)
        };
        at(&app, march(4, 9));

        // A new sprint: a past end is refused beside its field; then it is made.
        let page = app
            .call(Method::GET, "/sprints/new")
            .auth(&session)
            .send()
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("<h1>Add Sprint</h1>"), "{}", page.text);
        let refused = post(
            "/sprints/new",
            &session,
            &[("name", "March"), ("end", "2030-03-01")],
        )
        .send()
        .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(refused.text.contains(
            r#"<span class="error" id="end-error">End date cannot be in the past.</span>"#
        ));
        let made = post(
            "/sprints/new",
            &session,
            &[
                ("name", "March"),
                ("end", "2030-03-15"),
                ("goal", "Ship search"),
                ("wip_3", "2"),
            ],
        )
        .send()
        .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
        let id: i64 = made
            .header("location")
            .trim_start_matches("/sprint/")
            .parse()
            .unwrap();
        let stored = ok(
            &app,
            &alice,
            Method::GET,
            &format!("/api/sprints/{id}"),
            None,
        )
        .await;
        assert_eq!(
            (
                stored["start"].clone(),
                stored["goal"].clone(),
                stored["wip_limits"].clone()
            ),
            (json!(day(4)), json!("Ship search"), json!({"3": 2}))
        );

        // Its settings: shown as they are, a bad limit refused in words, then saved.
        let settings = format!("/sprints/{id}/settings");
        let page = app.call(Method::GET, &settings).auth(&session).send().await;
        assert!(page.text.contains(r#"id="id_wip_3" name="wip_3" type="number" min="1" max="999" inputmode="numeric" value="2""#));
        let version = stored["version"].to_string();
        let form = |limit: &'static str| {
            vec![
                ("name", "March"),
                ("start", "2030-03-04"),
                ("end", "2030-03-15"),
                ("goal", "Ship search"),
                ("wip_2", limit),
                ("wip_strict", "on"),
            ]
        };
        let mut bad = form("many");
        bad.push(("version", &version));
        let refused = post(&settings, &session, &bad).send().await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            refused
                .text
                .contains("The limit of In Development must be a whole number from 1 to 999.")
        );
        let mut good = form("3");
        good.push(("version", &version));
        let saved = post(&settings, &session, &good).send().await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
        let stored = ok(
            &app,
            &alice,
            Method::GET,
            &format!("/api/sprints/{id}"),
            None,
        )
        .await;
        assert_eq!(
            (stored["wip_limits"].clone(), stored["wip_strict"].clone()),
            (json!({"2": 3}), json!(true))
        );

        // Completing: the page counts, the form completes, and the board is where it goes.
        let done = task(&app, &alice, "Shipped", Some(id), json!(3)).await;
        task(&app, &alice, "Left over", Some(id), json!(2)).await;
        move_to(&app, &alice, done, Some(id), 4).await;
        let complete = format!("/sprints/{id}/complete");
        let page = app.call(Method::GET, &complete).auth(&session).send().await;
        assert!(
            page.text
                .contains("<dt>Done</dt><dd><strong>1 task (3 points)</strong>"),
            "{}",
            page.text
        );
        assert!(
            page.text
                .contains("<dt>Not done</dt><dd><strong>1 task (2 points)</strong>")
        );
        let completed = post(
            &complete,
            &session,
            &[("action", "complete"), ("carry_over", "backlog")],
        )
        .send()
        .await;
        assert_eq!(completed.status, StatusCode::SEE_OTHER);
        assert_eq!(completed.header("location"), format!("/sprint/{id}"));
        let stored = ok(
            &app,
            &alice,
            Method::GET,
            &format!("/api/sprints/{id}"),
            None,
        )
        .await;
        assert_eq!(stored["state"], json!("completed"));
        // A member may not reopen it: told why, on the page.
        let refused = post(&complete, &mia, &[("action", "reopen")]).send().await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            refused.text.contains("class=\"notice refusal\""),
            "{}",
            refused.text
        );

        // The report page: the figures, the tasks by name, the chart with its table.
        let report = app
            .call(Method::GET, &format!("/sprints/{id}/report"))
            .auth(&session)
            .send()
            .await;
        assert_eq!(report.status, StatusCode::OK);
        for expected in [
            "March — sprint report",
            "60% of the planned points completed.",
            "<li>Shipped</li>",
            "<li>Left over</li>",
            r#"<svg class="down""#,
            "The figures as a table",
        ] {
            assert!(report.text.contains(expected), "{expected}");
        }
        // Not a member: not found.
        let outsider = app.create_outsider("olga", "secret-password").await;
        let olga = Auth::Session(app.session_for(outsider.id).await);
        let hidden = app
            .call(Method::GET, &format!("/sprints/{id}/report"))
            .auth(&olga)
            .send()
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_sprint_lasts_at_most_ten_years() {
    let app = TestApp::spawn(&backends()[0]).await;
    let demo = app.demo().await;
    at(&app, march(4, 9));
    let (status, body) = send(
        &app,
        &demo,
        Method::POST,
        "/api/sprints",
        Some(json!({"name": "Forever", "start": "0001-01-01", "end": day(20)})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"start": ["A sprint lasts at most ten years (3,653 days): move its start or its end."]})
    );
    // Sent only an end far off (as the book's clients may), it starts ten years before it.
    let far = ok(
        &app,
        &demo,
        Method::POST,
        "/api/sprints",
        Some(json!({"name": "Far", "end": "9999-12-31"})),
    )
    .await;
    assert_eq!(far["start"], "9989-12-31");
    assert_eq!(far["state"], "planned");
    let near = ok(
        &app,
        &demo,
        Method::POST,
        "/api/sprints",
        Some(json!({"name": "Long", "end": "2038-03-03"})),
    )
    .await;
    assert_eq!(
        near["start"], "2030-03-04",
        "eight years ahead still starts today"
    );
    app.cleanup().await;
}
