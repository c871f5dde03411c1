//! Taking the data out and bringing it in: the JSON export and import (API and command
//! line), CSV task lists, and SQLite backups taken while writers run.

use axum::http::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, PaginatorTrait, Set};
use serde_json::{Value, json};

use crate::harness::{Auth, TestApp, backends, send};
use server::domain::db::entities::{change, project, task, user};

async fn ok(app: &TestApp, auth: &Auth, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, json) = send(app, auth, method.clone(), path, body).await;
    assert!(status.is_success(), "{method} {path}: {status} {json}");
    json
}

/// A site administrator signed in with a token.
async fn administrator(app: &TestApp, username: &str) -> Auth {
    let person = app.create_outsider(username, "admin-pass-1").await;
    let mut active = person.clone().into_active_model();
    active.is_superuser = Set(true);
    active.update(&app.db).await.unwrap();
    app.token_for(person.id).await
}

/// Rows of each kind, to show a refused import left nothing behind.
async fn tallies(app: &TestApp) -> (u64, u64, u64, u64) {
    (
        project::Entity::find().count(&app.db).await.unwrap(),
        task::Entity::find().count(&app.db).await.unwrap(),
        change::Entity::find().count(&app.db).await.unwrap(),
        user::Entity::find().count(&app.db).await.unwrap(),
    )
}

/// A project with a little of everything, made through the API by alice (owner) and bob
/// (member): labels, sprints (one completed, its unfinished task carried over), estimated and
/// assigned tasks, comments with a mention, a move, an edit and a deleted task. Returns the
/// project's id and alice's credentials.
async fn busy_project(app: &TestApp) -> (i64, Auth) {
    let alice = app.create_outsider("alice", "alice-pass-1").await;
    let bob = app.create_outsider("bob", "bob-pass-1").await;
    let alice = app.token_for(alice.id).await;
    let bob_auth = app.token_for(bob.id).await;
    let web = ok(
        app,
        &alice,
        Method::POST,
        "/api/projects",
        Some(json!({"name": "Web shop", "key": "WEB", "time_zone": "Europe/Paris"})),
    )
    .await;
    let id = web["id"].as_i64().unwrap();
    ok(
        app,
        &alice,
        Method::POST,
        &format!("/api/projects/{id}/members"),
        Some(json!({"user": "bob", "role": "member"})),
    )
    .await;
    let label = |name: &str, colour: &str| json!({"name": name, "colour": colour, "project": id});
    let bug = ok(
        app,
        &alice,
        Method::POST,
        "/api/labels",
        Some(label("Bug", "red")),
    )
    .await;
    let ux = ok(
        app,
        &alice,
        Method::POST,
        "/api/labels",
        Some(label("UX", "teal")),
    )
    .await;
    let today = app.state.store.today();
    let first = ok(
        app,
        &alice,
        Method::POST,
        "/api/sprints",
        Some(json!({"name": "Sprint 1", "start": today.to_string(),
            "end": (today + chrono::Days::new(13)).to_string(), "goal": "Checkout works",
            "wip_limits": {"2": 3}, "project": id})),
    )
    .await;
    let second = ok(
        app,
        &alice,
        Method::POST,
        "/api/sprints",
        Some(
            json!({"name": "Sprint 2", "end": (today + chrono::Days::new(27)).to_string(),
            "project": id}),
        ),
    )
    .await;
    let (first, second) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    let mut tasks = Vec::new();
    for (name, points, labels) in [
        ("Pay by card", json!(5), json!([bug["id"], ux["id"]])),
        ("Ünïcode näme, with \"quotes\"", json!(2.5), json!([])),
        (
            "=HYPERLINK(\"http://evil.example\")",
            Value::Null,
            json!([ux["id"]]),
        ),
        ("Doomed", json!(1), json!([])),
    ] {
        let made = ok(
            app,
            &bob_auth,
            Method::POST,
            "/api/tasks",
            Some(
                json!({"name": name, "sprint": first, "points": points, "labels": labels,
                "assigned": "bob", "description": "Line one\nline two", "project": id}),
            ),
        )
        .await;
        tasks.push(made["id"].as_i64().unwrap());
    }
    ok(
        app,
        &alice,
        Method::POST,
        &format!("/api/tasks/{}/move", tasks[0]),
        Some(json!({"sprint": first, "status": 4})),
    )
    .await;
    ok(
        app,
        &alice,
        Method::PATCH,
        &format!("/api/tasks/{}", tasks[1]),
        Some(json!({"points": 3, "due": (today + chrono::Days::new(5)).to_string()})),
    )
    .await;
    ok(
        app,
        &bob_auth,
        Method::POST,
        &format!("/api/tasks/{}/comments", tasks[0]),
        Some(json!({"body": "Done, thanks @alice — *really*"})),
    )
    .await;
    ok(
        app,
        &alice,
        Method::DELETE,
        &format!("/api/tasks/{}", tasks[3]),
        None,
    )
    .await;
    ok(
        app,
        &alice,
        Method::POST,
        &format!("/api/sprints/{first}/complete"),
        Some(json!({"carry_over": second})),
    )
    .await;
    ok(
        app,
        &alice,
        Method::POST,
        "/api/tasks",
        Some(json!({"name": "In the backlog", "project": id})),
    )
    .await;
    (id, alice)
}

async fn export_of(app: &TestApp, auth: &Auth, project: i64) -> Value {
    let answer = app
        .call(Method::GET, &format!("/api/export?project={project}"))
        .auth(auth)
        .send()
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(
        answer
            .header("content-disposition")
            .starts_with("attachment; filename=\"scrum-web-"),
        "{}",
        answer.header("content-disposition")
    );
    answer.json()
}

#[tokio::test]
async fn an_export_imported_elsewhere_exports_again_as_the_same_document() {
    for backend in backends() {
        let source = TestApp::spawn(&backend).await;
        let (project, alice) = busy_project(&source).await;
        let document = export_of(&source, &alice, project).await;
        assert_eq!(document["format"], "scrum-board-export");
        assert_eq!(document["version"], 1);
        let text = document.to_string();
        assert!(!text.contains("argon2"), "no password hash leaves");
        assert!(!text.contains("\"links\""), "no host-bound links leave");
        let web = &document["projects"][0];
        assert_eq!(web["key"], "WEB");
        assert_eq!(web["tasks"].as_array().unwrap().len(), 4, "{web}");
        assert_eq!(web["comments"].as_array().unwrap().len(), 1);
        // The deleted task is still in the log, under a number no live object has.
        assert!(
            document["log"]
                .as_array()
                .unwrap()
                .iter()
                .any(|entry| entry["action"] == "delete" && entry["object"] == -1),
            "{}",
            document["log"]
        );

        // Another install, with its own administrator and a project of its own.
        let target = TestApp::spawn(&backend).await;
        let root = administrator(&target, "root").await;
        target.create_outsider("alice", "other-pass-1").await;
        let before = tallies(&target).await;
        let answer = target
            .call(Method::POST, "/api/import")
            .auth(&root)
            .json(document.clone())
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        let imported = answer.json();
        assert_eq!(imported["projects"][0]["key"], "WEB");
        // alice exists here and is kept as she is; bob is new, with no password yet.
        assert_eq!(imported["accounts_created"], json!(["bob"]));
        assert_eq!(imported["tasks"], 4);
        let new_id = imported["projects"][0]["id"].as_i64().unwrap();
        let after = tallies(&target).await;
        assert_eq!(after.0, before.0 + 1);
        assert_eq!(after.1, before.1 + 4);

        let again = export_of(&target, &root, new_id).await;
        assert_eq!(
            again, document,
            "export → import → export changed the document"
        );

        // What the log holds is read as it was: the report of the completed sprint, and
        // the history of a task.
        let sprints = ok(
            &target,
            &root,
            Method::GET,
            &format!("/api/sprints?project={new_id}"),
            None,
        )
        .await;
        let completed = sprints["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Sprint 1")
            .unwrap()
            .clone();
        assert_eq!(completed["state"], "completed");
        let report = ok(
            &target,
            &root,
            Method::GET,
            &format!("/api/sprints/{}/report", completed["id"]),
            None,
        )
        .await;
        let source_sprints = ok(
            &source,
            &alice,
            Method::GET,
            &format!("/api/sprints?project={project}"),
            None,
        )
        .await;
        let source_first = source_sprints["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Sprint 1")
            .unwrap()
            .clone();
        let source_report = ok(
            &source,
            &alice,
            Method::GET,
            &format!("/api/sprints/{}/report", source_first["id"]),
            None,
        )
        .await;
        for part in ["committed", "added", "removed", "completed", "carried_over"] {
            assert_eq!(
                report[part]["points"], source_report[part]["points"],
                "{part}"
            );
            assert_eq!(
                report[part]["tasks"].as_array().unwrap().len(),
                source_report[part]["tasks"].as_array().unwrap().len(),
                "{part}"
            );
        }
        let tasks = ok(
            &target,
            &root,
            Method::GET,
            &format!("/api/tasks?project={new_id}&search=card"),
            None,
        )
        .await;
        let card = &tasks["results"][0];
        assert_eq!(card["labels"].as_array().unwrap().len(), 2);
        assert_eq!(card["assigned"], "bob");
        assert_eq!(card["points"], 5.0);
        let history = ok(
            &target,
            &root,
            Method::GET,
            &format!("/api/tasks/{}/history", card["id"]),
            None,
        )
        .await;
        let actions: Vec<&str> = history["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"move") && actions.contains(&"create"),
            "{actions:?}"
        );
        assert_eq!(
            history["results"][0]["links"]["object"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap(),
            card["id"].to_string()
        );

        // The same document again is refused whole: its key is taken now.
        let (status, refusal) = send(
            &target,
            &root,
            Method::POST,
            "/api/import",
            Some(document.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            refusal["detail"],
            "A project with the key WEB already exists here: rename one of them (its settings \
             page) and import again."
        );
        assert_eq!(
            tallies(&target).await,
            after,
            "a refused import leaves nothing"
        );
        source.cleanup().await;
        target.cleanup().await;
    }
}

#[tokio::test]
async fn a_bad_file_is_refused_whole_with_its_first_problem() {
    for backend in backends() {
        let source = TestApp::spawn(&backend).await;
        let (project, alice) = busy_project(&source).await;
        let document = export_of(&source, &alice, project).await;
        let target = TestApp::spawn(&backend).await;
        let root = administrator(&target, "root").await;
        let before = tallies(&target).await;

        let mut broken = document.clone();
        broken["projects"][0]["tasks"][2]["sprint"] = json!(99);
        let (status, refusal) =
            send(&target, &root, Method::POST, "/api/import", Some(broken)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            refusal["detail"],
            "Task \"=HYPERLINK(\"http://evil.example\")\" is in sprint 99, which project WEB \
             does not hold."
        );
        let mut broken = document.clone();
        broken["projects"][0]["tasks"][0]["assigned"] = json!("nobody");
        let (_, refusal) = send(&target, &root, Method::POST, "/api/import", Some(broken)).await;
        assert_eq!(
            refusal["detail"],
            "Task \"Pay by card\" names the user \"nobody\", who is not in the file's users."
        );
        let mut broken = document.clone();
        broken["projects"][0]["name"] = json!(7);
        let (_, refusal) = send(&target, &root, Method::POST, "/api/import", Some(broken)).await;
        let message = refusal["detail"].as_str().unwrap();
        assert!(
            message
                .starts_with("The file is not an export of this board: invalid type: integer `7`"),
            "{message}"
        );
        let answer = target
            .call(Method::POST, "/api/import")
            .auth(&root)
            .payload(crate::harness::raw("application/json", "{\"format\": \"scrum-board-export\", \"version\": 2, \"users\": [], \"projects\": [], \"log\": []}"))
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            answer.json()["detail"],
            "The file is version 2 of the export; this server reads version 1."
        );
        assert_eq!(
            tallies(&target).await,
            before,
            "nothing of any refused file stays"
        );
        source.cleanup().await;
        target.cleanup().await;
    }
}

#[tokio::test]
async fn projects_are_exported_by_their_owners_and_everything_by_site_administrators() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let (project, alice) = busy_project(&app).await;
    let bob = user_token(&app, "bob").await;
    let outsider = app.create_outsider("carol", "carol-pass-1").await;
    let carol = app.token_for(outsider.id).await;
    let path = format!("/api/export?project={project}");
    let (status, body) = send(&app, &bob, Method::GET, &path, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a member is not an owner: {body}"
    );
    assert_eq!(
        body["detail"],
        "Only the project's owners may change its settings and members."
    );
    let (status, _) = send(&app, &carol, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an outsider learns nothing");
    let (status, body) = send(&app, &alice, Method::GET, "/api/export", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["detail"],
        "Only site administrators export everything: name one of your projects (?project=ID)."
    );
    let (status, _) = send(&app, &Auth::Anonymous, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(&app, &alice, Method::POST, "/api/import", Some(json!({}))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only site administrators import"
    );

    let root = administrator(&app, "root").await;
    let everything = ok(&app, &root, Method::GET, "/api/export", None).await;
    let keys: Vec<&str> = everything["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["TEST", "WEB"]);
    app.cleanup().await;
}

async fn user_token(app: &TestApp, username: &str) -> Auth {
    use sea_orm::{ColumnTrait, QueryFilter};
    let person = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    app.token_for(person.id).await
}

#[tokio::test]
async fn a_sprint_downloads_as_csv_that_a_spreadsheet_opens_as_text() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let (project, alice) = busy_project(&app).await;
    let sprints = ok(
        &app,
        &alice,
        Method::GET,
        &format!("/api/sprints?project={project}"),
        None,
    )
    .await;
    let second = sprints["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Sprint 2")
        .unwrap()["id"]
        .clone();
    let answer = app
        .call(
            Method::GET,
            &format!("/api/tasks?sprint={second}&format=csv"),
        )
        .auth(&alice)
        .send()
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        answer.header("content-disposition"),
        format!("attachment; filename=\"tasks-sprint-{second}.csv\"")
    );
    let text = &answer.text;
    assert!(text.starts_with('\u{feff}'), "UTF-8 with a byte-order mark");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert_eq!(
        lines[0],
        "ID,Name,Status,Sprint,Assigned,Points,Labels,Started,Due,Completed,Order,Description"
    );
    // The two unfinished tasks were carried over into Sprint 2.
    assert!(
        text.contains(",\"Ünïcode näme, with \"\"quotes\"\"\",Not Started,Sprint 2,bob,3,,"),
        "{text}"
    );
    assert!(
        text.contains(
            ",\"'=HYPERLINK(\"\"http://evil.example\"\")\",Not Started,Sprint 2,bob,,UX,"
        ),
        "a formula stays text: {text}"
    );
    assert!(text.contains("\"Line one\nline two\""), "{text}");

    let backlog = app
        .call(
            Method::GET,
            &format!("/api/tasks?project={project}&backlog=True&format=csv"),
        )
        .auth(&alice)
        .send()
        .await;
    assert!(
        backlog.text.contains(",In the backlog,Not Started,,,"),
        "{}",
        backlog.text
    );
    assert_eq!(
        backlog.header("content-disposition"),
        "attachment; filename=\"tasks-backlog.csv\""
    );
    let (status, body) = send(&app, &alice, Method::GET, "/api/tasks?format=xml", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"format": ["Choose json or csv."]}));
    app.cleanup().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_for_site_administrators_only() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let alice = app.demo().await;
    for _ in 0..3 {
        ok(&app, &alice, Method::GET, "/api/tasks/", None).await;
    }
    let (status, _) = send(&app, &alice, Method::GET, "/api/tasks/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let refused = app.call(Method::GET, "/metrics").auth(&alice).send().await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.call(Method::GET, "/metrics").send().await.status,
        StatusCode::UNAUTHORIZED
    );

    let root = administrator(&app, "root").await;
    let answer = app.call(Method::GET, "/metrics").auth(&root).send().await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .header("content-type")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = &answer.text;
    for line in [
        "http_requests_total{method=\"GET\",route=\"/api/tasks/\",status=\"200\"} 3",
        "http_requests_total{method=\"GET\",route=\"/api/tasks/{id}\",status=\"404\"} 1",
        "http_request_duration_seconds_count{method=\"GET\",route=\"/api/tasks/\"} 3",
        "live_connections 0",
        "change_log_lag_entries 0",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    assert!(text.contains("\ndb_pool_connections "), "{text}");
    assert!(
        !text.contains("/api/tasks/999999"),
        "paths never become series"
    );
    app.cleanup().await;
}

const SERVER: &str = env!("CARGO_BIN_EXE_server");

/// The `server` binary on `database_url`, its output captured.
async fn run_server(database_url: &str, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(SERVER);
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env_remove("LOG_FORMAT")
        .stdin(std::process::Stdio::null());
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn the_command_line_exports_and_imports_what_the_api_does() {
    let backend = &backends()[0];
    let source = TestApp::spawn(backend).await;
    let (project, alice) = busy_project(&source).await;
    let api = export_of(&source, &alice, project).await;
    let output = run_server(&source.database_url, &["export", "--project", "web"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let document: Value = serde_json::from_slice(&output.stdout).expect("stdout is the document");
    assert_eq!(
        document, api,
        "the command line writes what the API answers"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.json");
    std::fs::write(&file, &output.stdout).unwrap();
    let target = format!("sqlite://{}/fresh.db?mode=rwc", dir.path().display());
    let output = run_server(&target, &["import", file.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let said = text(&output.stdout);
    assert!(
        said.starts_with("Imported 1 project(s) (WEB), 4 task(s), "),
        "{said}"
    );
    assert!(
        said.contains("New accounts, with no password yet (alice, bob)"),
        "{said}"
    );
    let again = run_server(&target, &["export"]).await;
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again, api, "an empty install holds exactly the document");

    let output = run_server(&target, &["import", file.to_str().unwrap()]).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr)
            .contains("was not imported: A project with the key WEB already exists here"),
        "{}",
        text(&output.stderr)
    );
    let output = run_server(&target, &["export", "--project", "NOPE"]).await;
    assert!(!output.status.success());
    assert_eq!(
        text(&output.stderr).trim(),
        "error: no project has the key NOPE"
    );
    source.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_people_write_is_consistent_and_restores() {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let writer = app.demo().await;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let acknowledged = std::sync::atomic::AtomicU32::new(0);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("board-backup.db");
    let writing = async {
        let mut n = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            n += 1;
            let (status, _) = send(
                &app,
                &writer,
                Method::POST,
                "/api/tasks",
                Some(json!({"name": format!("Task {n}")})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED);
            acknowledged.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let backing_up = async {
        while acknowledged.load(std::sync::atomic::Ordering::Relaxed) < 20 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let output = run_server(&app.database_url, &["backup", copy.to_str().unwrap()]).await;
        let during = acknowledged.load(std::sync::atomic::Ordering::Relaxed);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (output, during)
    };
    let ((), (output, during)) = tokio::join!(writing, backing_up);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with(&format!("Backed up to {}", copy.display())));

    // The copy is one moment: every task in it has its logged creation, and every logged
    // creation its task.
    let backup = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", copy.display()))
        .await
        .unwrap();
    let tasks: Vec<i32> = task::Entity::find()
        .all(&backup)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut created: Vec<i32> = change::Entity::find()
        .filter(change::Column::Model.eq("task"))
        .filter(change::Column::Action.eq("create"))
        .all(&backup)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.object_id)
        .collect();
    created.sort_unstable();
    assert_eq!(tasks, created, "rows and log agree in the copy");
    assert!(
        tasks.len() >= 20 && tasks.len() as u32 <= during + 1,
        "{} of {during}",
        tasks.len()
    );
    backup.close().await.unwrap();

    // A second backup to the same file is refused; so is restoring something else.
    let output = run_server(&app.database_url, &["backup", copy.to_str().unwrap()]).await;
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("already exists: choose a new file"));
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "not a database").unwrap();
    let elsewhere = format!("sqlite://{}/restored.db?mode=rwc", dir.path().display());
    let output = run_server(&elsewhere, &["restore", junk.to_str().unwrap()]).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("is not a backup of this board"),
        "{}",
        text(&output.stderr)
    );

    // Restoring over another database replaces it whole, write-ahead log included.
    let output = run_server(
        &elsewhere,
        &["users", "create", "stray", "--password", "stray-pass-1"],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = run_server(&elsewhere, &["restore", copy.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let restored = server::domain::db::connect(&elsewhere).await.unwrap();
    assert_eq!(
        task::Entity::find().count(&restored).await.unwrap() as usize,
        tasks.len()
    );
    assert!(
        user::Entity::find()
            .filter(user::Column::Username.eq("stray"))
            .one(&restored)
            .await
            .unwrap()
            .is_none(),
        "what the database held before the restore is gone"
    );
    restored.close().await.unwrap();
    app.cleanup().await;
}

#[tokio::test]
async fn backups_on_postgresql_point_to_pg_dump() {
    let Some(postgres) = backends()
        .into_iter()
        .find(|b| matches!(b, crate::harness::Backend::Postgres(_)))
    else {
        return;
    };
    let app = TestApp::spawn(&postgres).await;
    let output = run_server(&app.database_url, &["backup", "/tmp/never-written.db"]).await;
    assert!(!output.status.success());
    let said = text(&output.stderr);
    assert!(
        said.contains("this server uses PostgreSQL: back it up with pg_dump"),
        "{said}"
    );
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
    app.cleanup().await;
}

#[tokio::test]
async fn log_format_json_writes_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/board.db?mode=rwc", dir.path().display());
    let mut command = std::process::Command::new(SERVER);
    command
        .args(["users", "create", "ann", "--password", "short"])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json")
        .stdin(std::process::Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let logged: Vec<Value> = text(&output.stderr)
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert!(!logged.is_empty(), "{}", text(&output.stderr));
    for object in &logged {
        assert!(
            object["timestamp"].is_string() && object["level"].is_string(),
            "{object}"
        );
    }
    assert!(text(&output.stdout).contains("Account \"ann\" created."));
}

/// A form upload of `file` as the `file` part.
fn upload(file: &str) -> crate::harness::Payload {
    let body = format!(
        "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"web.json\"\r\n\
         Content-Type: application/json\r\n\r\n{file}\r\n--XBOUNDARY--\r\n"
    );
    crate::harness::raw("multipart/form-data; boundary=XBOUNDARY", &body)
}

#[tokio::test]
async fn the_import_page_loads_a_file_or_says_why_it_did_not() {
    let backend = &backends()[0];
    let source = TestApp::spawn(backend).await;
    let (project, alice) = busy_project(&source).await;
    let document = export_of(&source, &alice, project).await;
    // The owner finds the export on the project's page.
    let settings = source
        .call(Method::GET, &format!("/projects/{project}"))
        .auth(&alice)
        .send()
        .await;
    assert!(
        settings.text.contains(&format!(
            "href=\"/api/export?project={project}\" download>Download export"
        )),
        "{}",
        settings.text
    );

    let target = TestApp::spawn(backend).await;
    let root = administrator(&target, "root").await;
    let page = target
        .call(Method::GET, "/admin/import")
        .auth(&root)
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("enctype=\"multipart/form-data\""),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("<label for=\"id_file\">Export file</label>")
    );

    let mut broken = document.clone();
    broken["projects"][0]["tasks"][0]["assigned"] = json!("nobody");
    let refused = target
        .call(Method::POST, "/admin/import")
        .auth(&root)
        .payload(upload(&broken.to_string()))
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.text.contains(
            "Nothing was imported. Task &quot;Pay by card&quot; names the user &quot;nobody&quot;"
        ),
        "{}",
        refused.text
    );
    let imported = target
        .call(Method::POST, "/admin/import")
        .auth(&root)
        .payload(upload(&document.to_string()))
        .send()
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text);
    assert!(
        imported
            .text
            .contains("Imported 1 project (<a href=\"/projects/")
            && imported.text.contains(">WEB</a>): 4 tasks and "),
        "{}",
        imported.text
    );
    assert!(
        imported
            .text
            .contains("New accounts, with no password yet: alice, bob.")
    );

    let member = target.create_outsider("plain", "plain-pass-1").await;
    let plain = target.token_for(member.id).await;
    let forbidden = target
        .call(Method::GET, "/admin/import")
        .auth(&plain)
        .send()
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    source.cleanup().await;
    target.cleanup().await;
}

/// A Trello board export as Trello writes one (only the parts the import reads, and a few it
/// ignores), built here rather than downloaded.
fn trello_board() -> Value {
    json!({
        "id": "b1", "name": "Launch", "desc": "", "closed": false,
        "prefs": {"background": "blue"},
        "lists": [
            {"id": "l-done", "name": "Done", "closed": false, "pos": 49152},
            {"id": "l-todo", "name": "To Do", "closed": false, "pos": 16384},
            {"id": "l-doing", "name": "Doing", "closed": false, "pos": 32768},
            {"id": "l-ideas", "name": "Ideas", "closed": false, "pos": 65536},
            {"id": "l-old", "name": "Old stuff", "closed": true, "pos": 1024}
        ],
        "labels": [
            {"id": "t-bug", "name": "bug", "color": "red"},
            {"id": "t-blue", "name": "", "color": "sky_dark"},
            {"id": "t-unused", "name": "Unused", "color": "green"}
        ],
        "members": [
            {"id": "m-bob", "username": "bob", "fullName": "Bob Builder"},
            {"id": "m-zed", "username": "zed", "fullName": "Zed Outsider"}
        ],
        "cards": [
            {"id": "c1", "name": "Write the press release", "desc": "Short, **bold**.",
             "idList": "l-todo", "pos": 2, "due": "2031-05-01T09:00:00.000Z",
             "idLabels": ["t-bug", "t-blue"], "idMembers": ["m-zed", "m-bob"], "closed": false},
            {"id": "c0", "name": "Pick a date", "desc": "", "idList": "l-todo", "pos": 1,
             "due": null, "idLabels": [], "idMembers": [], "closed": false},
            {"id": "c2", "name": "Landing page", "desc": "", "idList": "l-doing", "pos": 1,
             "idLabels": ["t-bug"], "idMembers": [], "closed": false},
            {"id": "c3", "name": "Domain bought", "desc": "", "idList": "l-done", "pos": 1,
             "idLabels": [], "idMembers": ["m-bob"], "closed": false},
            {"id": "c4", "name": "Archived card", "desc": "", "idList": "l-todo", "pos": 3,
             "idLabels": [], "idMembers": [], "closed": true},
            {"id": "c5", "name": "Someday", "desc": "", "idList": "l-ideas", "pos": 1,
             "idLabels": [], "idMembers": [], "closed": false}
        ],
        "actions": [
            {"id": "a2", "type": "commentCard", "date": "2031-04-02T10:00:00.000Z",
             "idMemberCreator": "m-zed", "data": {"text": "Needs a quote from @bob",
             "card": {"id": "c1", "name": "Write the press release"}}},
            {"id": "a1", "type": "commentCard", "date": "2031-04-01T10:00:00.000Z",
             "idMemberCreator": "m-bob", "data": {"text": "First draft is up",
             "card": {"id": "c1"}}},
            {"id": "a0", "type": "createCard", "date": "2031-03-01T10:00:00.000Z",
             "idMemberCreator": "m-bob", "data": {"card": {"id": "c1"}}}
        ]
    })
}

#[tokio::test]
async fn a_trello_board_comes_in_with_the_mapping_the_person_confirms() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let alice = app.create_user("alice", "alice-pass-1").await;
        app.create_user("bob", "bob-pass-1").await;
        let alice = app.token_for(alice.id).await;
        // A label of the same name (any case) is used, not duplicated.
        ok(
            &app,
            &alice,
            Method::POST,
            "/api/labels",
            Some(json!({"name": "Bug", "colour": "orange"})),
        )
        .await;
        let path = format!("/api/projects/{}/import/trello", app.project);
        let before = tallies(&app).await;

        // Every open list must be placed (or left out) by the person.
        let (status, refusal) = send(
            &app,
            &alice,
            Method::POST,
            &path,
            Some(json!({"board": trello_board(), "columns": {"l-todo": 1, "l-doing": 2}})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            refusal,
            json!({"columns": ["Say where the list \u{201c}Done\u{201d} goes: a status, or null to leave it out."]})
        );
        let (status, refusal) = send(
            &app,
            &alice,
            Method::POST,
            &path,
            Some(json!({"board": {"cards": 3}})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            refusal["detail"]
                .as_str()
                .unwrap()
                .starts_with("The file is not a Trello board export")
        );
        assert_eq!(tallies(&app).await, before, "refusals leave nothing");

        let columns = json!({"l-todo": 1, "l-doing": 2, "l-done": 4, "l-ideas": null});
        let brought = ok(
            &app,
            &alice,
            Method::POST,
            &path,
            Some(json!({"board": trello_board(), "columns": columns})),
        )
        .await;
        assert_eq!(
            brought,
            json!({"tasks": 4, "labels_created": 1, "comments": 2, "cards_left_out": 2})
        );
        let tasks = ok(
            &app,
            &alice,
            Method::GET,
            &format!(
                "/api/tasks?project={}&backlog=True&ordering=order",
                app.project
            ),
            None,
        )
        .await;
        let by_name: std::collections::HashMap<String, Value> = tasks["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        let release = &by_name["Write the press release"];
        assert_eq!(release["status"], 1);
        assert_eq!(release["due"], "2031-05-01");
        assert_eq!(release["description"], "Short, **bold**.");
        assert_eq!(release["assigned"], "bob", "zed is no member here; bob is");
        assert_eq!(release["labels"].as_array().unwrap().len(), 2);
        assert_eq!(release["comment_count"], 2);
        assert_eq!(by_name["Pick a date"]["order"], 0, "the board's order");
        assert_eq!(release["order"], 1);
        assert_eq!(by_name["Landing page"]["status"], 2);
        assert_eq!(by_name["Domain bought"]["status"], 4);
        assert!(by_name["Domain bought"]["completed"].is_string());
        assert!(!by_name.contains_key("Archived card") && !by_name.contains_key("Someday"));

        let labels = ok(&app, &alice, Method::GET, "/api/labels", None).await;
        let mut names: Vec<(String, String)> = labels["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["name"].as_str().unwrap().to_owned(),
                    l["colour"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ("Bug".into(), "orange".into()),
                ("Teal".into(), "teal".into())
            ]
        );

        let comments = ok(
            &app,
            &alice,
            Method::GET,
            &format!("/api/tasks/{}/comments", release["id"]),
            None,
        )
        .await;
        let said: Vec<(String, String)> = comments["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["author"].as_str().unwrap().to_owned(),
                    c["body"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            said,
            [
                ("bob".to_owned(), "First draft is up".to_owned()),
                (
                    "alice".to_owned(),
                    "**Zed Outsider** (on Trello): Needs a quote from @bob".to_owned()
                ),
            ]
        );
        // Each label, task and comment is a logged change by alice.
        let after = tallies(&app).await;
        assert_eq!(after.2 - before.2, 1 + 4 + 2);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_trello_pages_show_the_lists_then_import_them() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let alice = app.create_user("alice", "alice-pass-1").await;
    let alice = app.token_for(alice.id).await;
    let settings = app
        .call(Method::GET, &format!("/projects/{}", app.project))
        .auth(&alice)
        .send()
        .await;
    assert!(
        settings.text.contains("<h2>Import from Trello</h2>"),
        "{}",
        settings.text
    );
    let board = trello_board().to_string();
    let mapping = app
        .call(Method::POST, &format!("/projects/{}/trello", app.project))
        .auth(&alice)
        .payload(upload(&board))
        .send()
        .await;
    assert_eq!(mapping.status, StatusCode::OK, "{}", mapping.text);
    let text = &mapping.text;
    assert!(text.contains("Import “Launch” from Trello"), "{text}");
    // The lists in the board's order, each with its first guess selected.
    let todo = text
        .find("<label for=\"list-l-todo\">To Do</label>")
        .unwrap();
    let doing = text
        .find("<label for=\"list-l-doing\">Doing</label>")
        .unwrap();
    let done = text
        .find("<label for=\"list-l-done\">Done</label>")
        .unwrap();
    assert!(todo < doing && doing < done);
    assert!(
        !text.contains("for=\"list-l-old\""),
        "archived lists are not offered"
    );
    assert!(text.contains("name=\"list:l-done\"><option value=\"1\">Not Started</option><option value=\"2\">In Progress</option><option value=\"3\">Testing</option><option value=\"4\" selected>Completed</option>"), "{text}");

    let confirm = app
        .call(
            Method::POST,
            &format!("/projects/{}/trello/confirm", app.project),
        )
        .auth(&alice)
        .form(&[
            ("board", board.as_str()),
            ("list:l-todo", "1"),
            ("list:l-doing", "2"),
            ("list:l-done", "4"),
            ("list:l-ideas", ""),
        ])
        .send()
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.text);
    assert!(
        confirm
            .text
            .contains("4 tasks in the backlog, 2 new labels, 2 comments; 2 cards left out."),
        "{}",
        confirm.text
    );
    app.cleanup().await;
}
