//! The change log: every write leaves exactly one entry per change, written with it (a refused
//! write leaves none); a move is one entry and one frame; concurrent writers on PostgreSQL
//! never make a reader skip an entry; a lost notification delays a change, never loses it;
//! retention prunes whole entries and a board resuming from before them refetches.

use std::{collections::BTreeSet, time::Duration};

use axum::http::{Method, StatusCode};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryOrder, Set, Statement, TransactionTrait,
};
use serde_json::{Value, json};
use server::domain::{
    db::entities::change,
    log::{self, Actor, NewEntry},
};

use crate::harness::{Backend, LiveServer, NewTask, TestApp, backends, date};

async fn entries(app: &TestApp) -> Vec<change::Model> {
    change::Entity::find()
        .order_by_asc(change::Column::Id)
        .all(&app.db)
        .await
        .expect("change log")
}

async fn count(app: &TestApp) -> u64 {
    change::Entity::find()
        .count(&app.db)
        .await
        .expect("change log")
}

fn postgres() -> Option<Backend> {
    backends()
        .into_iter()
        .find(|backend| matches!(backend, Backend::Postgres(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_leaves_no_entry_and_a_write_leaves_one_naming_who_and_what() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (alice_user, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let other = app.insert_sprint("Next", date(28)).await.id;
        let done = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                status: 4,
                started: Some(date(-2)),
                completed: Some(date(-1)),
                ..NewTask::named("Done")
            })
            .await
            .id;
        let refused = [
            (
                Method::PATCH,
                format!("/api/tasks/{done}"),
                Some(json!({"status": 9})),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                format!("/api/tasks/{done}/move"),
                Some(json!({"status": 4, "sprint": other})),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/tasks".into(),
                Some(json!({"name": ""})),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/sprints".into(),
                Some(json!({"end": "2001-01-01"})),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::DELETE,
                "/api/tasks/999999".into(),
                None,
                StatusCode::NOT_FOUND,
            ),
        ];
        for (method, path, body, expected) in refused {
            let mut call = app.call(method.clone(), &path).auth(&alice);
            if let Some(body) = body {
                call = call.json(body);
            }
            let answer = call.send().await;
            assert_eq!(answer.status, expected, "{method} {path}: {}", answer.text);
        }
        let stale = app
            .call(Method::PATCH, &format!("/api/tasks/{done}"))
            .auth(&alice)
            .header("If-Match", "\"99\"")
            .json(json!({"name": "Stale"}))
            .send()
            .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(
            count(&app).await,
            0,
            "{backend:?}: refused writes leave no entry"
        );

        let renamed = app
            .call(Method::PATCH, &format!("/api/tasks/{done}"))
            .auth(&alice)
            .json(json!({"name": "Done, renamed"}))
            .send()
            .await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
        let logged = entries(&app).await;
        assert_eq!(logged.len(), 1, "{backend:?}");
        let entry = &logged[0];
        assert_eq!(
            (
                entry.actor_id,
                entry.actor.as_deref(),
                entry.model.as_str(),
                entry.object_id,
                entry.action.as_str()
            ),
            (Some(alice_user.id), Some("alice"), "task", done, "update")
        );
        assert_eq!(
            serde_json::from_str::<Value>(&entry.changes).unwrap(),
            json!({"name": ["Done", "Done, renamed"]}),
            "only what changed, in REST names"
        );
        assert_eq!(
            entry.version,
            renamed.json()["version"].as_i64().unwrap() as i32
        );
        app.cleanup().await;
    }
}

/// The write operations of the API and a request that succeeds for each. Walked against the
/// OpenAPI document: a write route added without a line here fails this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_route_logs_its_change() {
    // Credentials are not board data: signing in and out, tokens and passwords are not
    // changes of record.
    const NOT_LOGGED: &[(&str, &str)] = &[
        ("post", "/api/token/"),
        ("delete", "/api/token/"),
        ("post", "/api/session"),
        ("delete", "/api/session"),
        ("post", "/api/me/password"),
        ("delete", "/api/me/sessions"),
        // A password link is a credential handed out, not a change of record; the password
        // set through it is logged.
        ("post", "/api/admin/users/{username}/password-link"),
        // Personal tokens are credentials, as `/api/token/` is.
        ("post", "/api/me/tokens"),
        ("delete", "/api/me/tokens/{id}"),
    ];
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (alice_user, alice) = app.person("alice").await;
        // A site administrator, so that the administration's routes are walked too.
        let mut administrator = alice_user.into_active_model();
        administrator.is_superuser = Set(true);
        administrator.update(&app.db).await.unwrap();
        let document = app.get_json(&alice, "/api/openapi.json").await;
        let mut documented = BTreeSet::new();
        for (path, operations) in document["paths"].as_object().expect("paths") {
            for method in operations.as_object().expect("operations").keys() {
                if ["post", "put", "patch", "delete"].contains(&method.as_str())
                    && !NOT_LOGGED.contains(&(method.as_str(), path.as_str()))
                {
                    documented.insert((method.clone(), path.clone()));
                }
            }
        }

        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let doomed = app.insert_sprint("Doomed", date(21)).await.id;
        let task = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                ..NewTask::named("Task")
            })
            .await
            .id;
        let in_doomed = app
            .insert_task(NewTask {
                sprint: Some(doomed),
                ..NewTask::named("Returns to the backlog")
            })
            .await
            .id;
        let closing = app.insert_sprint("Closing", date(28)).await.id;
        app.insert_task(NewTask {
            sprint: Some(closing),
            ..NewTask::named("Carried over")
        })
        .await;
        let label = app
            .call(Method::POST, "/api/labels")
            .auth(&alice)
            .json(json!({"name": "Walked"}))
            .send()
            .await
            .json()["id"]
            .clone();
        let comment = app
            .call(Method::POST, &format!("/api/tasks/{task}/comments"))
            .auth(&alice)
            .json(json!({"body": "Walked"}))
            .send()
            .await
            .json()["id"]
            .clone();
        let end = date(40).to_string();
        let project = app.project;
        app.create_outsider("newcomer", "irrelevant").await;
        let walk: Vec<(&str, &str, String, Option<Value>, u64)> = vec![
            // A new project and its owner's membership.
            (
                "post",
                "/api/projects",
                "/api/projects".into(),
                Some(json!({"name": "Walked", "key": "WALK"})),
                2,
            ),
            (
                "patch",
                "/api/projects/{id}",
                format!("/api/projects/{project}"),
                Some(json!({"description": "Walked through"})),
                1,
            ),
            (
                "post",
                "/api/projects/{id}/members",
                format!("/api/projects/{project}/members"),
                Some(json!({"user": "newcomer", "role": "viewer"})),
                1,
            ),
            // One card of a Trello board: its task.
            (
                "post",
                "/api/projects/{id}/import/trello",
                format!("/api/projects/{project}/import/trello"),
                Some(
                    json!({"board": {"name": "T", "lists": [{"id": "l", "name": "To Do"}],
                    "cards": [{"id": "c", "name": "From Trello", "idList": "l"}]},
                    "columns": {"l": 1}}),
                ),
                1,
            ),
            (
                "patch",
                "/api/projects/{id}/members/{username}",
                format!("/api/projects/{project}/members/newcomer"),
                Some(json!({"role": "member"})),
                1,
            ),
            (
                "delete",
                "/api/projects/{id}/members/{username}",
                format!("/api/projects/{project}/members/newcomer"),
                None,
                1,
            ),
            (
                "post",
                "/api/admin/users",
                "/api/admin/users".into(),
                Some(json!({"username": "walked", "email": "walked@example.com"})),
                1,
            ),
            (
                "patch",
                "/api/me",
                "/api/me".into(),
                Some(json!({"first_name": "Alice", "last_name": "Walker"})),
                1,
            ),
            (
                "patch",
                "/api/admin/users/{username}",
                "/api/admin/users/walked".into(),
                Some(json!({"is_active": false})),
                1,
            ),
            (
                "post",
                "/api/labels",
                "/api/labels".into(),
                Some(json!({"name": "New", "colour": "blue"})),
                1,
            ),
            (
                "put",
                "/api/labels/{id}",
                format!("/api/labels/{label}"),
                Some(json!({"name": "Put", "colour": "red"})),
                1,
            ),
            (
                "patch",
                "/api/labels/{id}",
                format!("/api/labels/{label}"),
                Some(json!({"colour": "green"})),
                1,
            ),
            (
                "post",
                "/api/tasks/{id}/comments",
                format!("/api/tasks/{task}/comments"),
                Some(json!({"body": "New"})),
                1,
            ),
            (
                "put",
                "/api/comments/{id}",
                format!("/api/comments/{comment}"),
                Some(json!({"body": "Put"})),
                1,
            ),
            (
                "patch",
                "/api/comments/{id}",
                format!("/api/comments/{comment}"),
                Some(json!({"body": "Patched"})),
                1,
            ),
            (
                "delete",
                "/api/comments/{id}",
                format!("/api/comments/{comment}"),
                None,
                1,
            ),
            // On no task: the label's own entry alone.
            (
                "delete",
                "/api/labels/{id}",
                format!("/api/labels/{label}"),
                None,
                1,
            ),
            (
                "post",
                "/api/tasks",
                "/api/tasks".into(),
                Some(json!({"name": "New", "sprint": sprint})),
                1,
            ),
            (
                "put",
                "/api/tasks/{id}",
                format!("/api/tasks/{task}"),
                Some(json!({"name": "Put", "sprint": sprint})),
                1,
            ),
            (
                "patch",
                "/api/tasks/{id}",
                format!("/api/tasks/{task}"),
                Some(json!({"name": "Patched"})),
                1,
            ),
            (
                "post",
                "/api/tasks/{id}/move",
                format!("/api/tasks/{task}/move"),
                Some(json!({"status": 2, "sprint": sprint})),
                1,
            ),
            (
                "delete",
                "/api/tasks/{id}",
                format!("/api/tasks/{task}"),
                None,
                1,
            ),
            (
                "post",
                "/api/sprints",
                "/api/sprints".into(),
                Some(json!({"name": "New", "end": end})),
                1,
            ),
            (
                "put",
                "/api/sprints/{id}",
                format!("/api/sprints/{sprint}"),
                Some(json!({"name": "Put", "end": date(15).to_string()})),
                1,
            ),
            (
                "patch",
                "/api/sprints/{id}",
                format!("/api/sprints/{sprint}"),
                Some(json!({"name": "Patched"})),
                1,
            ),
            // Undoing that rename is a change too (the path is filled in with the newest entry).
            ("post", "/api/history/{id}/undo", String::new(), None, 1),
            // The sprint, and its unfinished task carried over to the backlog.
            (
                "post",
                "/api/sprints/{id}/complete",
                format!("/api/sprints/{closing}/complete"),
                Some(json!({"carry_over": "backlog"})),
                2,
            ),
            (
                "post",
                "/api/sprints/{id}/reopen",
                format!("/api/sprints/{closing}/reopen"),
                None,
                1,
            ),
            // A project from another install: its own log (empty here) and the import's
            // entry in the site's log.
            (
                "post",
                "/api/import",
                "/api/import".into(),
                Some(
                    json!({"format": "scrum-board-export", "version": 1, "users": [],
                    "projects": [{"id": 1, "key": "IMP", "name": "Imported",
                        "description": "", "archived": false,
                        "created": "2030-01-01T00:00:00Z", "time_zone": "UTC", "version": 1,
                        "members": [], "labels": [], "sprints": [], "tasks": [],
                        "comments": []}],
                    "log": []}),
                ),
                1,
            ),
            // The sprint and the task it returns to the backlog.
            (
                "delete",
                "/api/sprints/{id}",
                format!("/api/sprints/{doomed}"),
                None,
                2,
            ),
        ];
        let walked: BTreeSet<(String, String)> = walk
            .iter()
            .map(|(method, route, ..)| ((*method).to_owned(), (*route).to_owned()))
            .collect();
        assert_eq!(
            walked, documented,
            "every documented write route is walked, and only those"
        );

        for (method, route, path, body, expected) in walk {
            let before = count(&app).await;
            let path = if path.is_empty() {
                let newest = entries(&app).await.last().unwrap().id;
                route.replace("{id}", &newest.to_string())
            } else {
                path
            };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut call = app.call(method.clone(), &path).auth(&alice);
            if let Some(body) = body {
                call = call.json(body);
            }
            let answer = call.send().await;
            assert!(
                answer.status.is_success(),
                "{method} {path}: {} {}",
                answer.status,
                answer.text
            );
            assert_eq!(
                count(&app).await - before,
                expected,
                "{backend:?}: {method} {route}"
            );
        }
        let returned = entries(&app).await.into_iter().rev().nth(1).unwrap();
        assert_eq!(
            (returned.object_id, returned.action.as_str()),
            (in_doomed, "update")
        );
        assert_eq!(
            serde_json::from_str::<Value>(&returned.changes).unwrap()["sprint"],
            json!([doomed, null])
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_user_from_the_command_line_is_logged_without_an_actor() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let user = server::domain::accounts::users::create_user(
            &app.state.store,
            &Actor::command_line(),
            server::domain::accounts::users::NewUser {
                username: "carol".into(),
                email: "carol@example.com".into(),
                password: "a long enough password".into(),
                is_superuser: true,
            },
        )
        .await
        .expect("created");
        // The account, and (a site administrator) their membership of the oldest project.
        let logged = entries(&app).await;
        let what: Vec<_> = logged
            .iter()
            .map(|entry| {
                (
                    entry.actor_id,
                    entry.model.as_str(),
                    entry.object_id,
                    entry.action.as_str(),
                )
            })
            .collect();
        assert_eq!(
            what,
            [
                (None, "user", user.id, "create"),
                (None, "member", user.id, "create")
            ]
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_is_one_entry_and_one_frame_that_carries_the_columns_order() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await.with_database_bus().await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let mut ids = Vec::new();
        for (order, name) in ["A", "B", "C", "D"].iter().enumerate() {
            let task = app
                .insert_task(NewTask {
                    sprint: Some(sprint),
                    order: order as i16,
                    ..NewTask::named(name)
                })
                .await;
            ids.push(task.id);
        }
        let mut board = live.join(&app, &alice, sprint).await;
        // D to the top: A, B and C all move down a place.
        let moved = app
            .call(Method::POST, &format!("/api/tasks/{}/move", ids[3]))
            .auth(&alice)
            .json(json!({"status": 1, "sprint": sprint, "before": ids[0]}))
            .send()
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
        let marker = app
            .create_task(&alice, json!({"name": "Marker", "sprint": sprint}))
            .await;

        let frame = board.next_change().await;
        assert_eq!(
            (frame["id"].as_i64(), frame["action"].as_str()),
            (Some(ids[3] as i64), Some("update"))
        );
        assert_eq!(frame["order"], json!([ids[3], ids[0], ids[1], ids[2]]));
        assert_eq!(
            frame["versions"],
            json!([2, 2, 2, 2]),
            "every task renumbered got a version"
        );
        assert_eq!(frame["body"]["order"], 0);
        let next = board.next_change().await;
        assert_eq!(
            next["id"], marker["id"],
            "{backend:?}: one frame for the move, then the next change"
        );

        let logged = entries(&app).await;
        assert_eq!(
            logged.len(),
            2,
            "one entry for the move, one for the marker"
        );
        assert_eq!(logged[0].action, "move");
        assert_eq!(
            serde_json::from_str::<Value>(logged[0].column_order.as_deref().unwrap()).unwrap(),
            json!([[ids[3], 2], [ids[0], 2], [ids[1], 2], [ids[2], 2]])
        );
        // The neighbours' stored versions are the ones the frame announced.
        for id in &ids[..3] {
            let task = app.get_json(&alice, &format!("/api/tasks/{id}")).await;
            assert_eq!(task["version"], 2);
        }
        board.close().await;
        drop(live);
        app.cleanup().await;
    }
}

/// Many writers at once, and a reader asking "what is after N?" all along: the reader must see
/// every entry that ends up in the log. Each writer pauses between appending and committing, so
/// without the append lock a later id would often commit before an earlier one and be passed
/// over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_make_a_reader_skip_an_entry_on_postgres() {
    let Some(backend) = postgres() else {
        return;
    };
    let app = TestApp::spawn(&backend).await;
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let db = app.db.clone();
        writers.push(tokio::spawn(async move {
            for index in 0..EACH {
                let txn = db.begin().await.expect("begin");
                log::append(
                    &txn,
                    &Actor::command_line(),
                    NewEntry {
                        model: log::Model::Task,
                        object: (writer * 1000 + index) as i32,
                        action: log::Action::Update,
                        changes: Default::default(),
                        body: json!({}),
                        version: 1,
                        sprints: vec![1],
                        backlog: false,
                        column: None,
                        project: Some(1),
                    },
                    chrono::Utc::now(),
                )
                .await
                .expect("append");
                let pause = (writer * 7 + index * 3) % 5;
                txn.execute(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT pg_sleep(0.00{pause})"),
                ))
                .await
                .expect("pause");
                txn.commit().await.expect("commit");
            }
        }));
    }
    let reader_db = app.db.clone();
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        let mut last = 0;
        while seen.len() < WRITERS * EACH {
            for entry in log::after(&reader_db, last, 1000).await.expect("read") {
                last = entry.id;
                seen.push(entry.id);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        seen
    });
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("the reader saw every entry (none was skipped)")
        .unwrap();
    let all: Vec<i64> = entries(&app)
        .await
        .into_iter()
        .map(|entry| entry.id)
        .collect();
    assert_eq!(seen, all, "the reader saw every entry, in order");
    app.cleanup().await;
}

/// An entry committed without its notification (as when the `NOTIFY` is lost) still reaches
/// the boards on every instance: each reads the log, it is not told what changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_notification_is_lost_still_reaches_the_other_instance() {
    let Some(backend) = postgres() else {
        return;
    };
    let one = TestApp::spawn(&backend).await.with_database_bus().await;
    let two = one.attach(&[]).await.with_database_bus().await;
    let live = LiveServer::start(&one).await;
    let (_, alice) = one.person("alice").await;
    let sprint = one.insert_sprint("Current", date(14)).await.id;
    let mut board = live.join(&one, &alice, sprint).await;

    // Written on instance two, committed with no notification at all.
    let txn = two.db.begin().await.expect("begin");
    let id = log::append(
        &txn,
        &Actor::command_line(),
        NewEntry {
            model: log::Model::Task,
            object: 4242,
            action: log::Action::Create,
            changes: Default::default(),
            body: json!({"id": 4242, "name": "Unannounced"}),
            version: 1,
            sprints: vec![sprint],
            backlog: false,
            column: None,
            project: Some(one.project),
        },
        chrono::Utc::now(),
    )
    .await
    .expect("append");
    txn.commit().await.expect("commit");

    let frame = board.next_change().await;
    assert_eq!(frame["seq"], id);
    assert_eq!(frame["body"]["name"], "Unannounced");
    board.close().await;
    drop(live);
    two.cleanup().await;
    one.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_whole_entries_and_a_resume_from_before_them_refetches() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await.with_database_bus().await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        for name in ["Old", "Older"] {
            app.create_task(&alice, json!({"name": name, "sprint": sprint}))
                .await;
        }
        // Both entries age by a year, then a new one is made.
        app.db
            .execute_unprepared(&format!(
                "UPDATE change_log SET at = '{}'",
                (chrono::Utc::now() - chrono::Duration::days(365)).format("%Y-%m-%d %H:%M:%S%:z")
            ))
            .await
            .expect("age the entries");
        let recent = app
            .create_task(&alice, json!({"name": "Recent", "sprint": sprint}))
            .await;
        let first = entries(&app).await[0].id;

        let pruned = app
            .state
            .store
            .prune_history(chrono::Utc::now() - chrono::Duration::days(30))
            .await
            .expect("prune");
        assert_eq!(pruned, 2, "{backend:?}");
        let left = entries(&app).await;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].object_id, recent["id"].as_i64().unwrap() as i32);

        let ticket = app.channel_query(&alice, sprint).await;
        let mut stale = live.connect(&format!("{ticket}&since={first}")).await;
        assert_eq!(
            stale.next().await,
            json!({"action": "resync"}),
            "what it missed is gone"
        );
        let mut fresh = live.connect(&format!("{ticket}&since={}", first + 1)).await;
        assert_eq!(
            fresh.next_change().await["body"]["name"],
            "Recent",
            "from the horizon on, it replays"
        );
        stale.close().await;
        fresh.close().await;

        let again = app
            .state
            .store
            .prune_history(chrono::Utc::now() - chrono::Duration::days(30))
            .await
            .expect("prune again");
        assert_eq!(again, 0, "nothing older is left: {backend:?}");
        let head = log::head(&app.db).await.expect("head");
        let everything = app
            .state
            .store
            .prune_history(chrono::Utc::now() + chrono::Duration::days(1))
            .await
            .expect("prune all");
        assert_eq!(everything, 1, "{backend:?}");
        assert!(entries(&app).await.is_empty());
        assert_eq!(
            log::head(&app.db).await.expect("head"),
            head,
            "an empty log still knows where it reached: {backend:?}"
        );
        drop(live);
        app.cleanup().await;
    }
}

/// Each write sends one notification, carrying only the new entry's id — also a move that
/// renumbers its whole column (which used to send one per renumbered neighbour).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_notify_per_write_carrying_only_the_id_on_postgres() {
    use sea_orm::sqlx::postgres::PgListener;

    let Some(backend) = postgres() else {
        return;
    };
    let app = TestApp::spawn(&backend).await.with_database_bus().await;
    let (_, alice) = app.person("alice").await;
    let sprint = app.insert_sprint("Current", date(14)).await.id;
    let mut ids = Vec::new();
    for (order, name) in ["A", "B", "C", "D"].iter().enumerate() {
        let task = NewTask {
            sprint: Some(sprint),
            order: order as i16,
            ..NewTask::named(name)
        };
        ids.push(app.insert_task(task).await.id);
    }
    let mut listener = PgListener::connect(&app.database_url)
        .await
        .expect("listen");
    listener
        .listen_all([log::NOTIFY_CHANNEL, server::live::bus::CHANNEL])
        .await
        .expect("listen");

    let moved = app
        .call(Method::POST, &format!("/api/tasks/{}/move", ids[3]))
        .auth(&alice)
        .json(json!({"status": 1, "sprint": sprint, "before": ids[0]}))
        .send()
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    let patched = app
        .call(Method::PATCH, &format!("/api/tasks/{}", ids[1]))
        .auth(&alice)
        .json(json!({"name": "B, renamed"}))
        .send()
        .await;
    assert_eq!(patched.status, StatusCode::OK);

    let mut heard = Vec::new();
    while let Ok(Ok(notification)) =
        tokio::time::timeout(Duration::from_millis(500), listener.recv()).await
    {
        heard.push((
            notification.channel().to_owned(),
            notification.payload().to_owned(),
        ));
    }
    let ids_logged: Vec<String> = entries(&app)
        .await
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    let expected: Vec<(String, String)> = ids_logged
        .into_iter()
        .map(|id| (log::NOTIFY_CHANNEL.to_owned(), id))
        .collect();
    assert_eq!(heard, expected, "two writes, two notifications, ids only");
    app.cleanup().await;
}

/// The sprints an entry touches moved from a table of their own into the entry's row: a log
/// written before keeps them on the way up, and going back down puts them back in the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sprints_of_logged_entries_survive_the_migration_both_ways() {
    use migration::{Migrator, MigratorTrait};
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let first = app.insert_sprint("First", date(7)).await.id;
        let second = app.insert_sprint("Second", date(14)).await.id;
        let task = app
            .create_task(&alice, json!({"name": "Travels", "sprint": first}))
            .await;
        let moved = app
            .call(Method::PATCH, &format!("/api/tasks/{}", task["id"]))
            .auth(&alice)
            .json(json!({"sprint": second}))
            .send()
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
        let sprints_of = |entries: &[change::Model]| {
            entries
                .iter()
                .map(|entry| (entry.action.clone(), entry.sprint_id, entry.other_sprint_id))
                .collect::<Vec<_>>()
        };
        let task_entries: Vec<change::Model> = entries(&app)
            .await
            .into_iter()
            .filter(|entry| entry.model == "task")
            .collect();
        let logged = sprints_of(&task_entries);
        assert_eq!(
            logged,
            [
                ("create".to_owned(), Some(first), None),
                ("update".to_owned(), Some(first), Some(second)),
            ]
        );
        let (created, updated) = (task_entries[0].id, task_entries[1].id);

        // Down to the change log as migration 6 made it (past the sprint columns, the lean
        // indexes and whatever came after): the table is back, holding one row per (sprint,
        // entry).
        let after_the_log = u32::try_from(Migrator::migrations().len() - 6).unwrap();
        // The schema moves on one connection, as `server migrate` runs it: a pooled SQLite
        // connection that did not run a step may still hold the schema from before it (an
        // index the step dropped), and refuse to create it again.
        let migrating = server::domain::db::connect_with_pool(&app.database_url, Some(1))
            .await
            .expect("a connection for the migrations");
        Migrator::down(&migrating, Some(after_the_log))
            .await
            .expect("down");
        let rows = app
            .db
            .query_all(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT sprint_id, change_id FROM change_log_sprints ORDER BY change_id, sprint_id",
            ))
            .await
            .expect("change_log_sprints is back");
        let pairs: Vec<(i32, i64)> = rows
            .iter()
            .map(|row| {
                (
                    row.try_get("", "sprint_id").unwrap(),
                    row.try_get("", "change_id").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [(first, created), (first, updated), (second, updated)],
            "{backend:?}"
        );

        // Up again: the rows carry their sprints, and the second sprint's history lists the
        // task's move into it.
        Migrator::up(&migrating, None).await.expect("up");
        migrating.close().await.expect("closed");
        let again: Vec<change::Model> = entries(&app)
            .await
            .into_iter()
            .filter(|entry| entry.model == "task")
            .collect();
        assert_eq!(sprints_of(&again), logged, "{backend:?}");
        let history = app
            .get_json(&alice, &format!("/api/sprints/{second}/history"))
            .await;
        assert_eq!(history["count"], 1, "{backend:?}: {history}");
        assert_eq!(history["results"][0]["action"], "update");
        app.cleanup().await;
    }
}

/// On SQLite, commits reach the database file within moments, copied there beside the writers:
/// the write-ahead log does not wait for a writer to cross SQLite's own threshold (1,000 pages,
/// which these writes stay under) and copy it all while every other writer waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commits_reach_the_database_file_beside_the_writers() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, alice) = app.person("alice").await;
    let path = app
        .state
        .config
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .expect("path")
        .to_owned();
    let size = || std::fs::metadata(&path).expect("database file").len();
    let before = size();
    let description = "A long description. ".repeat(100);
    for n in 0..100 {
        app.create_task(
            &alice,
            json!({"name": format!("Task {n}"), "description": description}),
        )
        .await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while size() < before + 100_000 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        size() >= before + 100_000,
        "100 tasks of 2 KB are in the database file: {} -> {} bytes",
        before,
        size()
    );
    app.cleanup().await;
}
