//! The book's acceptance test: chapter 4's Python `requests` session (spec §3), replayed with
//! the same form-encoded bodies and HTTP Basic credentials, following the URLs the API hands
//! out rather than building them. Run with the chapter 6 URLs (no trailing slash) and with the
//! chapter 4 ones (trailing slash).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{
    Auth, BASE, Backend, DEMO_PASSWORD, DEMO_USER, Payload, TestApp, backends, day,
};

/// The path of an absolute URL from the API, as a client would request it.
fn path_of(url: &Value) -> String {
    let url = url.as_str().unwrap_or_else(|| panic!("not a URL: {url}"));
    url.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not under {BASE}"))
        .to_owned()
}

/// Chapter 4 URLs end in `/`; `?query` stays after it.
fn with_slash(path: &str, trailing_slash: bool) -> String {
    if !trailing_slash {
        return path.to_owned();
    }
    match path.split_once('?') {
        Some((base, query)) => format!("{base}/?{query}"),
        None => format!("{path}/"),
    }
}

/// What `requests.put(url, data=task)` sends for a dict: every key with a non-None value; a
/// nested dict contributes its keys as repeated values (iterating a dict yields its keys);
/// numbers and strings as `str()` would print them.
fn requests_form(task: &Value) -> Payload {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in task.as_object().expect("task object") {
        match value {
            Value::Null => {}
            Value::Object(nested) => {
                for nested_key in nested.keys() {
                    serializer.append_pair(key, nested_key);
                }
            }
            Value::String(text) => {
                serializer.append_pair(key, text);
            }
            Value::Bool(flag) => {
                serializer.append_pair(key, if *flag { "True" } else { "False" });
            }
            // requests sends a list as its key repeated, once per item (none for `[]`).
            Value::Array(items) => {
                for item in items {
                    serializer.append_pair(key, &item.to_string());
                }
            }
            other => {
                serializer.append_pair(key, &other.to_string());
            }
        }
    }
    Payload::Form(serializer.finish())
}

async fn python_client_session(backend: &Backend, trailing_slash: bool) {
    let app = TestApp::spawn(backend).await;
    app.create_user(DEMO_USER, DEMO_PASSWORD).await;
    let demo = Auth::basic(DEMO_USER, DEMO_PASSWORD);
    let root = if trailing_slash { "/api/" } else { "/api" };

    // >>> response = requests.get('http://localhost:8000/api/')
    let response = app.call(Method::GET, root).send().await;
    assert_eq!(response.status, StatusCode::OK);
    let api = response.json();
    assert_eq!(
        api,
        json!({
            "sprints": format!("{BASE}/api/sprints"),
            "tasks": format!("{BASE}/api/tasks"),
            "users": format!("{BASE}/api/users"),
            // Beyond the book: its client reads only the three above.
            "labels": format!("{BASE}/api/labels"),
        })
    );
    let sprints = with_slash(&path_of(&api["sprints"]), trailing_slash);
    let tasks = with_slash(&path_of(&api["tasks"]), trailing_slash);

    // >>> response = requests.get(api['sprints'])
    let response = app.call(Method::GET, &sprints).send().await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);

    // >>> response = requests.get(api['sprints'], auth=('demo', 'test'))
    let response = app.call(Method::GET, &sprints).auth(&demo).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);

    // >>> data = {'name': 'Current Sprint', 'end': today + two_weeks}
    // >>> response = requests.post(api['sprints'], data=data, auth=('demo', 'test'))
    let end = day(14);
    let response = app
        .call(Method::POST, &sprints)
        .auth(&demo)
        .form(&[("name", "Current Sprint"), ("end", &end)])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let sprint = response.json();
    let sprint_id = sprint["id"].as_i64().expect("id");
    assert_eq!(sprint["name"], "Current Sprint");
    assert_eq!(sprint["description"], "");
    assert_eq!(sprint["end"], end);
    assert_eq!(
        sprint["links"]["self"],
        format!("{BASE}/api/sprints/{sprint_id}")
    );
    assert_eq!(
        sprint["links"]["tasks"],
        format!("{BASE}/api/tasks?sprint={sprint_id}")
    );
    assert!(
        sprint["links"]["channel"]
            .as_str()
            .unwrap()
            .starts_with("ws://")
    );

    // >>> data = {'name': 'Something Task', 'sprint': sprint['id']}
    // >>> response = requests.post(api['tasks'], data=data, auth=('demo', 'test'))
    let response = app
        .call(Method::POST, &tasks)
        .auth(&demo)
        .form(&[
            ("name", "Something Task"),
            ("sprint", &sprint_id.to_string()),
        ])
        .send()
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let mut task = response.json();
    let task_id = task["id"].as_i64().expect("id");
    let task_url = format!("{BASE}/api/tasks/{task_id}");
    let sprint_url = format!("{BASE}/api/sprints/{sprint_id}");
    assert_eq!(
        task,
        json!({
            "assigned": null, "completed": null, "description": "", "due": null,
            "id": task_id,
            "links": {
                "assigned": null, "self": task_url, "sprint": sprint_url,
                "comments": format!("{task_url}/comments"),
                "project": format!("{BASE}/api/projects/{}", app.project),
            },
            "name": "Something Task", "order": 0, "sprint": sprint_id, "started": null,
            "status": 1, "status_display": "Not Started", "version": 1,
            // Beyond the book, and sent back by its client's PUT below (an empty list as
            // nothing at all, so the task keeps its labels; its own project, accepted).
            "labels": [], "comment_count": 0, "project": app.project, "points": null,
        })
    );
    // The sprint's `tasks` link lists it.
    let listed = app
        .call(Method::GET, &path_of(&sprint["links"]["tasks"]))
        .auth(&demo)
        .send()
        .await;
    assert_eq!(crate::harness::names_of(&listed.json()), ["Something Task"]);

    // >>> task['assigned'] = 'demo'
    // >>> task['status'] = 2
    // >>> task['started'] = today
    // >>> response = requests.put(task['links']['self'], data=task, auth=('demo', 'test'))
    task["assigned"] = json!("demo");
    task["status"] = json!(2);
    task["started"] = json!(day(0));
    let body = requests_form(&task);
    if let Payload::Form(text) = &body {
        assert!(text.contains("links=assigned"), "{text}");
        assert!(text.contains("links=self"), "{text}");
        assert!(text.contains("links=sprint"), "{text}");
        assert!(text.contains("status_display=Not+Started"), "{text}");
        assert!(!text.contains("due="), "None values are dropped: {text}");
    }
    let self_path = with_slash(&path_of(&task["links"]["self"]), trailing_slash);
    let response = app
        .call(Method::PUT, &self_path)
        .auth(&demo)
        .payload(body)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let task = response.json();
    assert_eq!(
        task,
        json!({
            "assigned": "demo", "completed": null, "description": "", "due": null,
            "id": task_id,
            "links": {
                "assigned": format!("{BASE}/api/users/demo"),
                "self": task_url,
                "sprint": sprint_url,
                "comments": format!("{task_url}/comments"),
                "project": format!("{BASE}/api/projects/{}", app.project),
            },
            "name": "Something Task", "order": 0, "sprint": sprint_id,
            "started": day(0), "status": 2, "status_display": "In Progress", "version": 2,
            "labels": [], "comment_count": 0, "project": app.project, "points": null,
        })
    );
    assert!(
        task["links"]["assigned"]
            .as_str()
            .unwrap()
            .ends_with("/api/users/demo")
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_books_python_client_session_works_with_chapter_6_urls() {
    for backend in backends() {
        python_client_session(&backend, false).await;
    }
}

#[tokio::test]
async fn the_books_python_client_session_works_with_chapter_4_trailing_slash_urls() {
    for backend in backends() {
        python_client_session(&backend, true).await;
    }
}

/// The browsable-API steps that precede the Python session (spec §3, steps 1–7), with a future
/// date where the book's 2020-12-31 has since passed.
#[tokio::test]
async fn the_books_browsable_api_walkthrough_works() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let user = app.create_user(DEMO_USER, DEMO_PASSWORD).await;
        let demo = Auth::basic(DEMO_USER, DEMO_PASSWORD);
        let token = app.token_for(user.id).await;

        // Step 7 first: the book's own date is in the past now.
        let response = app
            .call(Method::POST, "/api/sprints/")
            .auth(&demo)
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

        // Step 2: the sprint, with a Location header equal to its URL.
        let end = day(30);
        let response = app
            .call(Method::POST, "/api/sprints/")
            .auth(&token)
            .form(&[
                ("name", "Something Sprint"),
                ("description", "Test"),
                ("end", &end),
            ])
            .send()
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{backend:?}");
        let sprint = response.json();
        assert_eq!(response.header("location"), sprint["links"]["self"]);

        // Step 3: the list envelope.
        let page = app.get_json(&token, "/api/sprints/").await;
        assert_eq!(page["count"], 1);
        assert_eq!(page["next"], Value::Null);
        assert_eq!(page["previous"], Value::Null);
        assert_eq!(page["results"][0]["name"], "Something Sprint");
        assert_eq!(page["results"][0]["description"], "Test");

        // Step 4: the first task.
        let task = app
            .create_task(
                &token,
                json!({"name": "First Task", "sprint": sprint["id"]}),
            )
            .await;
        assert_eq!(task["status_display"], "Not Started");
        app.create_task(&token, json!({"name": "Backlog Task", "assigned": "demo"}))
            .await;

        // Steps 5 and 6: search and filters.
        for (query, expected) in [
            ("search=foo", vec![]),
            ("search=first", vec!["First Task"]),
            ("backlog=True", vec!["Backlog Task"]),
            ("assigned=demo", vec!["Backlog Task"]),
        ] {
            assert_eq!(
                app.names(&token, &format!("/api/tasks/?{query}")).await,
                expected,
                "{backend:?} {query}"
            );
        }
        for (query, expected) in [
            (format!("end_min={}", day(30)), vec!["Something Sprint"]),
            (format!("end_max={}", day(29)), vec![]),
        ] {
            assert_eq!(
                app.names(&token, &format!("/api/sprints/?{query}")).await,
                expected,
                "{backend:?} {query}"
            );
        }
        app.cleanup().await;
    }
}
