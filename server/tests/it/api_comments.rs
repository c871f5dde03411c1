//! Comments: a task's thread (`/api/tasks/{id}/comments`, oldest first, paginated) and one
//! comment (`/api/comments/{id}`), edited and deleted by its author only; Markdown rendered
//! safely (a script tag is text everywhere); mentions of people; live on the task's board;
//! logged like every change.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{LiveServer, NewTask, TestApp, backends, date};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_is_written_read_in_order_and_paginated() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let task = app.insert_task(NewTask::named("Discussed")).await.id;
        let path = format!("/api/tasks/{task}/comments");

        let first = app
            .call(Method::POST, &path)
            .auth(&alice)
            .json(json!({"body": "Looks *good* to me, @bob. Ask @nobody."}))
            .send()
            .await;
        assert_eq!(
            first.status,
            StatusCode::CREATED,
            "{backend:?}: {}",
            first.text
        );
        let first = first.json();
        assert_eq!(first["author"], "alice");
        assert_eq!(first["task"], task);
        assert_eq!(
            first["mentions"],
            json!(["bob"]),
            "only people are mentions"
        );
        assert_eq!(
            first["html"],
            "<p>Looks <em>good</em> to me, <span class=\"mention\">@bob</span>. Ask @nobody.</p>\n"
        );
        assert!(first["edited"].is_null());
        assert!(first["created"].as_str().unwrap().ends_with('Z'));
        // A form works too.
        let second = app
            .call(Method::POST, &format!("{path}/"))
            .auth(&bob)
            .form(&[("body", "Agreed")])
            .send()
            .await;
        assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
        for n in 3..=27 {
            app.call(Method::POST, &path)
                .auth(&bob)
                .json(json!({"body": format!("Note {n}")}))
                .send()
                .await;
        }

        let page = app.get_json(&alice, &path).await;
        assert_eq!(page["count"], 27);
        let results = page["results"].as_array().unwrap();
        assert_eq!(results.len(), 25);
        assert_eq!(results[0]["body"], first["body"], "oldest first");
        assert_eq!(results[1]["body"], "Agreed");
        assert!(page["next"].as_str().unwrap().contains("page=2"));
        let last = app.get_json(&alice, &format!("{path}?page=2")).await;
        let bodies: Vec<_> = last["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["body"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(bodies, ["Note 26", "Note 27"]);
        let task_after = app.get_json(&alice, &format!("/api/tasks/{task}")).await;
        assert_eq!(task_after["comment_count"], 27, "the card's count");
        assert!(
            task_after["links"]["comments"]
                .as_str()
                .unwrap()
                .ends_with(&path)
        );

        let refusals = [
            (json!({}), "This field is required."),
            (json!({"body": "  \n "}), "This field may not be blank."),
            (
                json!({"body": "x".repeat(10_001)}),
                "Ensure this value has at most 10000 characters (it has 10001).",
            ),
        ];
        for (body, message) in refusals {
            let refused = app
                .call(Method::POST, &path)
                .auth(&alice)
                .json(body)
                .send()
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST);
            assert_eq!(refused.json()["body"], json!([message]));
        }
        let no_task = app
            .call(Method::POST, "/api/tasks/999999/comments")
            .auth(&alice)
            .json(json!({"body": "Hello?"}))
            .send()
            .await;
        assert_eq!(no_task.status, StatusCode::NOT_FOUND);
        let unknown_list = app
            .call(Method::GET, "/api/tasks/999999/comments")
            .auth(&alice)
            .send()
            .await;
        assert_eq!(unknown_list.status, StatusCode::NOT_FOUND);
        let anonymous = app.call(Method::GET, &path).send().await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_its_author_edits_or_deletes_a_comment() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let task = app.insert_task(NewTask::named("Discussed")).await.id;
        let created = app
            .call(Method::POST, &format!("/api/tasks/{task}/comments"))
            .auth(&alice)
            .json(json!({"body": "Frist"}))
            .send()
            .await
            .json();
        let path = format!("/api/comments/{}", created["id"]);

        for method in [Method::PUT, Method::PATCH, Method::DELETE] {
            let refused = app
                .call(method.clone(), &path)
                .auth(&bob)
                .json(json!({"body": "Bob was here"}))
                .send()
                .await;
            assert_eq!(
                refused.status,
                StatusCode::FORBIDDEN,
                "{backend:?} {method}"
            );
            assert_eq!(
                refused.json()["detail"],
                "Only its author can change or delete a comment."
            );
        }
        let unchanged = app.get_json(&bob, &path).await;
        assert_eq!(
            unchanged["body"], "Frist",
            "a refused write changes nothing"
        );

        let edited = app
            .call(Method::PATCH, &path)
            .auth(&alice)
            .header("If-Match", "\"1\"")
            .json(json!({"body": "First, @alice"}))
            .send()
            .await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
        assert_eq!(edited.json()["body"], "First, @alice");
        assert_eq!(edited.json()["mentions"], json!(["alice"]));
        assert!(edited.json()["edited"].is_string(), "marked as edited");
        assert_eq!(edited.header("etag"), "\"2\"");
        let stale = app
            .call(Method::PUT, &path)
            .auth(&alice)
            .header("If-Match", "\"1\"")
            .json(json!({"body": "Lost"}))
            .send()
            .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(
            stale.json()["body"],
            "First, @alice",
            "412 carries it as it is"
        );

        let deleted = app.call(Method::DELETE, &path).auth(&alice).send().await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let gone = app.call(Method::GET, &path).auth(&alice).send().await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        let task_after = app.get_json(&alice, &format!("/api/tasks/{task}")).await;
        assert_eq!(task_after["comment_count"], 0);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_in_a_comment_is_text_everywhere_it_is_shown() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, alice) = app.person("alice").await;
        let task = app.insert_task(NewTask::named("Target")).await.id;
        let hostile = "<script>alert('x')</script> <img src=x onerror=alert(1)>\n\n\
                       Inline <img src=x onerror=alert(3)> and [click](javascript:alert(2))";
        let created = app
            .call(Method::POST, &format!("/api/tasks/{task}/comments"))
            .auth(&alice)
            .json(json!({"body": hostile}))
            .send()
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let listed = app
            .get_json(&alice, &format!("/api/tasks/{task}/comments"))
            .await;
        for comment in [&created.json(), &listed["results"][0]] {
            assert_eq!(comment["body"], hostile, "the text is kept as written");
            let html = comment["html"].as_str().unwrap();
            assert!(!html.contains("<script"), "{backend:?}: {html}");
            assert!(!html.contains("<img"), "{html}");
            assert!(!html.contains("<a"), "no link to javascript: {html}");
            assert!(html.contains("&lt;script&gt;"), "{html}");
            assert!(
                html.contains("click"),
                "the words of a refused link stay: {html}"
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_reach_the_tasks_board_live_and_its_history() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let (_, bob) = app.person("bob").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let other = app.insert_sprint("Other", date(28)).await.id;
        let task = app
            .insert_task(NewTask {
                sprint: Some(sprint),
                ..NewTask::named("Talked about")
            })
            .await
            .id;
        let mut watching = live.join(&app, &bob, sprint).await;
        let mut elsewhere = live.join(&app, &bob, other).await;

        let created = app
            .call(Method::POST, &format!("/api/tasks/{task}/comments"))
            .auth(&alice)
            .json(json!({"body": "On it"}))
            .send()
            .await
            .json();
        let frame = watching.next_change().await;
        assert_eq!(frame["model"], "comment", "{backend:?}: {frame}");
        assert_eq!(frame["action"], "add");
        assert_eq!(frame["id"], created["id"]);
        assert_eq!(frame["body"]["task"], task);
        assert_eq!(frame["body"]["html"], "<p>On it</p>\n");
        let edited = app
            .call(Method::PATCH, &format!("/api/comments/{}", created["id"]))
            .auth(&alice)
            .json(json!({"body": "On it, done soon"}))
            .send()
            .await;
        assert_eq!(edited.status, StatusCode::OK);
        let frame = watching.next_change().await;
        assert_eq!(
            (frame["model"].clone(), frame["action"].clone()),
            (json!("comment"), json!("update"))
        );
        let removed = app
            .call(Method::DELETE, &format!("/api/comments/{}", created["id"]))
            .auth(&alice)
            .send()
            .await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT);
        let frame = watching.next_change().await;
        assert_eq!(frame["action"], "remove", "{frame}");
        assert!(
            elsewhere
                .frames_during(Duration::from_millis(300))
                .await
                .iter()
                .all(|frame| frame["model"] != "comment"),
            "another sprint's board hears nothing of it"
        );

        let history = app
            .get_json(&alice, &format!("/api/sprints/{sprint}/history"))
            .await;
        let actions: Vec<_> = history["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["model"] == "comment")
            .map(|entry| entry["action"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(actions.len(), 3, "{history}");
        assert!(history["results"][0]["changes"]["body"].is_array());
        app.cleanup().await;
    }
}
