//! Labels: `/api/labels` (list, create, read, update, delete) and `labels` on tasks: DRF-style
//! messages for bad input, names unique ignoring case, the book's clients keeping a task's
//! labels when they never send them, filtering by label, and a label's delete taking it off
//! its tasks (each with its next version and a logged change).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use sea_orm::{EntityTrait, QueryOrder};
use server::domain::db::entities::{task, task_label};

use crate::harness::{NewTask, TestApp, backends, names_of};

/// Every task's own `labels` column says what `task_labels` holds for it (the row is what
/// lists read; the join is what filters and deletes use).
async fn assert_labels_agree(app: &TestApp) {
    let joined = task_label::Entity::find()
        .order_by_asc(task_label::Column::TaskId)
        .order_by_asc(task_label::Column::LabelId)
        .all(&app.db)
        .await
        .unwrap();
    for row in task::Entity::find().all(&app.db).await.unwrap() {
        let from_join: Vec<i32> = joined
            .iter()
            .filter(|pair| pair.task_id == row.id)
            .map(|pair| pair.label_id)
            .collect();
        assert_eq!(
            task::label_ids(&row.labels),
            from_join,
            "task {} ({})",
            row.id,
            row.name
        );
    }
}

async fn label(app: &TestApp, auth: &crate::harness::Auth, body: Value) -> Value {
    let created = app
        .call(Method::POST, "/api/labels")
        .auth(auth)
        .json(body)
        .send()
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_created_listed_renamed_and_refused_with_messages_people_can_act_on() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;

        let bug = label(&app, &alice, json!({"name": "  Bug ", "colour": "red"})).await;
        assert_eq!(bug["name"], "Bug", "{backend:?}: the name is trimmed");
        assert_eq!(bug["colour"], "red");
        assert_eq!(bug["version"], 1);
        let id = bug["id"].as_i64().unwrap();
        assert!(
            bug["links"]["self"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/labels/{id}"))
        );
        let plain = label(&app, &alice, json!({"name": "chore"})).await;
        assert_eq!(plain["colour"], "grey", "grey unless a colour is given");
        // A form works as well as JSON.
        let form = app
            .call(Method::POST, "/api/labels/")
            .auth(&alice)
            .form(&[("name", "Design"), ("colour", "purple")])
            .send()
            .await;
        assert_eq!(form.status, StatusCode::CREATED, "{}", form.text);

        let refusals = [
            (json!({}), "name", "This field is required."),
            (
                json!({"name": "   "}),
                "name",
                "This field may not be blank.",
            ),
            (
                json!({"name": "bug"}),
                "name",
                "A label with this name already exists.",
            ),
            (
                json!({"name": "x".repeat(51)}),
                "name",
                "Ensure this value has at most 50 characters (it has 51).",
            ),
            (
                json!({"name": "Fine", "colour": "magenta"}),
                "colour",
                "\"magenta\" is not a valid choice. Choose one of: grey, red, orange, yellow, \
                 green, teal, blue, purple, pink.",
            ),
        ];
        for (body, field, message) in refusals {
            let refused = app
                .call(Method::POST, "/api/labels")
                .auth(&alice)
                .json(body.clone())
                .send()
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(
                refused.json()[field],
                json!([message]),
                "{backend:?} {body}"
            );
        }

        // By name, ignoring case.
        let listed = app.get_json(&alice, "/api/labels").await;
        assert_eq!(listed["count"], 3);
        assert_eq!(names_of(&listed), ["Bug", "chore", "Design"]);

        let renamed = app
            .call(Method::PATCH, &format!("/api/labels/{id}"))
            .auth(&alice)
            .header("If-Match", "\"1\"")
            .json(json!({"name": "Defect"}))
            .send()
            .await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
        assert_eq!(
            (
                renamed.json()["name"].clone(),
                renamed.json()["colour"].clone()
            ),
            (json!("Defect"), json!("red")),
            "PATCH keeps what it does not name"
        );
        assert_eq!(renamed.header("etag"), "\"2\"");
        let stale = app
            .call(Method::PATCH, &format!("/api/labels/{id}"))
            .auth(&alice)
            .header("If-Match", "\"1\"")
            .json(json!({"colour": "blue"}))
            .send()
            .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(
            stale.json()["name"],
            "Defect",
            "412 carries the label as it is"
        );
        // Renaming to its own name in another case is not a clash with itself.
        let recased = app
            .call(Method::PUT, &format!("/api/labels/{id}"))
            .auth(&alice)
            .json(json!({"name": "DEFECT", "colour": "orange"}))
            .send()
            .await;
        assert_eq!(recased.status, StatusCode::OK, "{}", recased.text);
        let taken = app
            .call(Method::PUT, &format!("/api/labels/{id}"))
            .auth(&alice)
            .json(json!({"name": "CHORE"}))
            .send()
            .await;
        assert_eq!(taken.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            taken.json()["name"],
            json!(["A label with this name already exists."])
        );
        let anonymous = app.call(Method::GET, "/api/labels").send().await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_carry_labels_that_the_books_clients_keep_and_filters_find() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let bug = label(&app, &alice, json!({"name": "Bug", "colour": "red"})).await["id"]
            .as_i64()
            .unwrap();
        let ux = label(&app, &alice, json!({"name": "UX", "colour": "teal"})).await["id"]
            .as_i64()
            .unwrap();

        let task = app
            .create_task(&alice, json!({"name": "Crash", "labels": [ux, bug, ux]}))
            .await;
        assert_eq!(
            task["labels"],
            json!([bug, ux]),
            "{backend:?}: ascending, each once"
        );
        assert_eq!(task["comment_count"], 0);
        let id = task["id"].as_i64().unwrap();

        // The book's client PUTs the whole object it read, without `labels`: they stay.
        let mut book_put = task.clone();
        book_put.as_object_mut().unwrap().remove("labels");
        book_put["name"] = json!("Crash on save");
        let put = app
            .call(Method::PUT, &format!("/api/tasks/{id}"))
            .auth(&alice)
            .json(book_put)
            .send()
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        assert_eq!(put.json()["labels"], json!([bug, ux]));
        // A form repeats the key, as the book's Python client sends a list...
        let repeated = app
            .call(Method::PUT, &format!("/api/tasks/{id}"))
            .auth(&alice)
            .form(&[
                ("name", "Crash on save"),
                ("labels", &ux.to_string()),
                ("labels", &bug.to_string()),
            ])
            .send()
            .await;
        assert_eq!(repeated.status, StatusCode::OK, "{}", repeated.text);
        assert_eq!(repeated.json()["labels"], json!([bug, ux]));
        // ...or separates them by commas.
        let form = app
            .call(Method::PATCH, &format!("/api/tasks/{id}"))
            .auth(&alice)
            .form(&[("labels", &format!("{ux}"))])
            .send()
            .await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text);
        assert_eq!(form.json()["labels"], json!([ux]));

        let refusals = [
            (
                json!({"labels": [9999]}),
                "Invalid pk '9999' - object does not exist.",
            ),
            (
                json!({"labels": ["x"]}),
                "Incorrect type. Expected pk value, received str.",
            ),
            (
                json!({"labels": 3}),
                "Expected a list of items but got type \"int\".",
            ),
        ];
        for (body, message) in refusals {
            let refused = app
                .call(Method::PATCH, &format!("/api/tasks/{id}"))
                .auth(&alice)
                .json(body.clone())
                .send()
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(refused.json()["labels"], json!([message]), "{body}");
        }
        let after = app.get_json(&alice, &format!("/api/tasks/{id}")).await;
        assert_eq!(
            after["labels"],
            json!([ux]),
            "a refused write changes nothing"
        );

        let other = app
            .create_task(&alice, json!({"name": "Polish", "labels": [bug]}))
            .await;
        app.insert_task(NewTask::named("Unlabelled")).await;
        let with_bug = app
            .get_json(&alice, &format!("/api/tasks?label={bug}"))
            .await;
        assert_eq!(names_of(&with_bug), ["Polish"]);
        let with_ux = app
            .get_json(&alice, &format!("/api/tasks/?label={ux}"))
            .await;
        assert_eq!(names_of(&with_ux), ["Crash on save"]);
        let unknown = app
            .call(Method::GET, "/api/tasks?label=9999")
            .auth(&alice)
            .send()
            .await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert!(unknown.json()["label"].is_array(), "{}", unknown.text);

        // Clearing them.
        let cleared = app
            .call(Method::PATCH, &format!("/api/tasks/{}", other["id"]))
            .auth(&alice)
            .json(json!({"labels": null}))
            .send()
            .await;
        assert_eq!(cleared.json()["labels"], json!([]));
        assert_labels_agree(&app).await;
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_label_takes_it_off_its_tasks_with_a_logged_change_for_each() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app
            .insert_sprint("Current", crate::harness::date(14))
            .await
            .id;
        let bug = label(&app, &alice, json!({"name": "Bug"})).await["id"]
            .as_i64()
            .unwrap();
        let keep = label(&app, &alice, json!({"name": "Keep"})).await["id"]
            .as_i64()
            .unwrap();
        let one = app
            .create_task(
                &alice,
                json!({"name": "One", "sprint": sprint, "labels": [bug, keep]}),
            )
            .await;
        let two = app
            .create_task(&alice, json!({"name": "Two", "labels": [bug]}))
            .await;

        let gone = app
            .call(Method::DELETE, &format!("/api/labels/{bug}"))
            .auth(&alice)
            .send()
            .await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
        let one_after = app
            .get_json(&alice, &format!("/api/tasks/{}", one["id"]))
            .await;
        assert_eq!(one_after["labels"], json!([keep]), "{backend:?}");
        assert_eq!(one_after["version"], one["version"].as_i64().unwrap() + 1);
        let two_after = app
            .get_json(&alice, &format!("/api/tasks/{}", two["id"]))
            .await;
        assert_eq!(two_after["labels"], json!([]));
        assert_labels_agree(&app).await;
        let missing = app
            .call(Method::GET, &format!("/api/labels/{bug}"))
            .auth(&alice)
            .send()
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);

        // The sprint's history tells that task one lost the label.
        let history = app
            .get_json(&alice, &format!("/api/sprints/{sprint}/history"))
            .await;
        let newest = &history["results"][0];
        assert_eq!(newest["model"], "task", "{history}");
        assert_eq!(newest["changes"]["labels"], json!([[bug, keep], [keep]]));
        app.cleanup().await;
    }
}
