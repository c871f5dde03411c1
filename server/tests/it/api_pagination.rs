//! DRF page-number pagination on every list: 25 per page, `page_size` up to 100, absolute
//! `next`/`previous` links that keep the other query parameters, `page=last`, 404 past the end.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, BASE, NewTask, TestApp, backends, date, names_of};

/// `count` sprints named `S001`… ending on consecutive future days (so list order = name order).
async fn sprints(app: &TestApp, count: usize) {
    for n in 1..=count {
        app.insert_sprint(&format!("S{n:03}"), date(n as i64)).await;
    }
}

fn expected_names(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|n| format!("S{n:03}")).collect()
}

async fn get(app: &TestApp, auth: &Auth, path: &str) -> (StatusCode, Value) {
    let response = app.call(Method::GET, path).auth(auth).send().await;
    (response.status, response.json())
}

#[tokio::test]
async fn lists_come_25_to_a_page_with_absolute_next_and_previous_links() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        sprints(&app, 30).await;

        let first = app.get_json(&auth, "/api/sprints").await;
        assert_eq!(first["count"], 30, "{backend:?}");
        assert_eq!(names_of(&first), expected_names(1..=25));
        assert_eq!(first["next"], format!("{BASE}/api/sprints?page=2"));
        assert_eq!(first["previous"], Value::Null);

        let next = first["next"].as_str().unwrap().strip_prefix(BASE).unwrap();
        let second = app.get_json(&auth, next).await;
        assert_eq!(second["count"], 30);
        assert_eq!(names_of(&second), expected_names(26..=30));
        assert_eq!(second["next"], Value::Null);
        assert_eq!(second["previous"], format!("{BASE}/api/sprints?page=1"));

        let previous = second["previous"]
            .as_str()
            .unwrap()
            .strip_prefix(BASE)
            .unwrap();
        let again = app.get_json(&auth, previous).await;
        assert_eq!(names_of(&again), names_of(&first));
        assert_eq!(again["next"], first["next"]);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn page_last_is_the_final_page_and_past_the_end_is_404() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    sprints(&app, 30).await;
    let last = app.get_json(&auth, "/api/sprints?page=last").await;
    assert_eq!(names_of(&last), expected_names(26..=30));
    assert_eq!(last["next"], Value::Null);
    assert_eq!(last["previous"], format!("{BASE}/api/sprints?page=1"));
    for page in ["3", "99", "0", "-1", "abc"] {
        let (status, _) = get(&app, &auth, &format!("/api/sprints?page={page}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "page={page}");
    }
}

#[tokio::test]
async fn an_out_of_range_page_says_invalid_page() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    sprints(&app, 3).await;
    let (status, body) = get(&app, &auth, "/api/sprints?page=2").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Invalid page."}));
}

#[tokio::test]
async fn an_empty_list_still_has_a_first_page() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    for path in [
        "/api/sprints",
        "/api/tasks",
        "/api/sprints?page=1",
        "/api/tasks?page=last",
    ] {
        assert_eq!(
            app.get_json(&auth, path).await,
            json!({"count": 0, "next": null, "previous": null, "results": []}),
            "{path}"
        );
    }
    let (status, _) = get(&app, &auth, "/api/tasks?page=2").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn page_size_chooses_the_size_and_links_keep_the_other_parameters() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    sprints(&app, 30).await;
    let first = app
        .get_json(&auth, "/api/sprints?search=S0&page_size=10")
        .await;
    assert_eq!(first["count"], 30);
    assert_eq!(names_of(&first), expected_names(1..=10));
    assert_eq!(
        first["next"],
        format!("{BASE}/api/sprints?search=S0&page_size=10&page=2")
    );
    let second = app
        .get_json(&auth, "/api/sprints?search=S0&page=2&page_size=10")
        .await;
    assert_eq!(names_of(&second), expected_names(11..=20));
    assert_eq!(
        second["next"],
        format!("{BASE}/api/sprints?search=S0&page_size=10&page=3")
    );
    assert_eq!(
        second["previous"],
        format!("{BASE}/api/sprints?search=S0&page_size=10&page=1")
    );
    // Values that need escaping stay escaped in the links.
    let spaced = app
        .get_json(&auth, "/api/sprints?search=S%200&page_size=1")
        .await;
    assert_eq!(
        spaced["next"],
        format!("{BASE}/api/sprints?search=S+0&page_size=1&page=2")
    );
}

#[tokio::test]
async fn page_size_is_capped_at_100_and_bad_sizes_fall_back_to_25() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    sprints(&app, 105).await;
    let big = app.get_json(&auth, "/api/sprints?page_size=500").await;
    assert_eq!(big["count"], 105);
    assert_eq!(big["results"].as_array().unwrap().len(), 100);
    assert_eq!(
        big["next"],
        format!("{BASE}/api/sprints?page_size=500&page=2")
    );
    let rest = app
        .get_json(&auth, "/api/sprints?page_size=500&page=2")
        .await;
    assert_eq!(names_of(&rest), expected_names(101..=105));
    for size in ["abc", "0", "-5", ""] {
        let page = app
            .get_json(&auth, &format!("/api/sprints?page_size={size}"))
            .await;
        assert_eq!(
            page["results"].as_array().unwrap().len(),
            25,
            "page_size={size}"
        );
    }
}

#[tokio::test]
async fn task_pages_keep_their_filters_in_the_links() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let sprint = app.insert_sprint("S", date(5)).await.id;
        for n in 0..5 {
            app.insert_task(NewTask {
                sprint: Some(sprint),
                order: n,
                ..NewTask::named(&format!("T{n}"))
            })
            .await;
        }
        app.insert_task(NewTask::named("Backlog")).await;
        let page = app
            .get_json(&auth, &format!("/api/tasks?sprint={sprint}&page_size=2"))
            .await;
        assert_eq!(page["count"], 5, "{backend:?}");
        assert_eq!(names_of(&page), ["T0", "T1"]);
        assert_eq!(
            page["next"],
            format!("{BASE}/api/tasks?sprint={sprint}&page_size=2&page=2")
        );
        let last = app
            .get_json(
                &auth,
                &format!("/api/tasks?sprint={sprint}&page_size=2&page=last"),
            )
            .await;
        assert_eq!(names_of(&last), ["T4"]);
        assert_eq!(
            last["previous"],
            format!("{BASE}/api/tasks?sprint={sprint}&page_size=2&page=2")
        );
        app.cleanup().await;
    }
}

/// A task page and its count come from one query: the count is every match of the filter (not
/// the page's rows, not other sprints' tasks), whatever the order, and an empty page still
/// tells an empty list (200) from a page past the end (404).
#[tokio::test]
async fn a_task_page_counts_every_match_of_its_filter() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let auth = app.demo().await;
        let sprint = app.insert_sprint("S", date(5)).await.id;
        let other = app.insert_sprint("Other", date(6)).await.id;
        for n in 0..30 {
            app.insert_task(NewTask {
                sprint: Some(sprint),
                status: if n % 3 == 0 { 4 } else { 1 },
                order: n,
                ..NewTask::named(&format!("T{n:02}"))
            })
            .await;
        }
        app.insert_task(NewTask {
            sprint: Some(other),
            ..NewTask::named("Elsewhere")
        })
        .await;
        let path = format!("/api/tasks?sprint={sprint}");

        let first = app.get_json(&auth, &path).await;
        assert_eq!(first["count"], 30, "{backend:?}");
        assert_eq!(first["results"].as_array().unwrap().len(), 25);
        let second = app.get_json(&auth, &format!("{path}&page=2")).await;
        assert_eq!(second["count"], 30, "{backend:?}");
        assert_eq!(
            names_of(&second),
            ["T25", "T26", "T27", "T28", "T29"],
            "{backend:?}"
        );
        // The order changes the rows, never the count.
        let reversed = app
            .get_json(&auth, &format!("{path}&ordering=-name&page_size=3"))
            .await;
        assert_eq!(reversed["count"], 30, "{backend:?}");
        assert_eq!(names_of(&reversed), ["T29", "T28", "T27"], "{backend:?}");
        // Ten of the thirty are completed.
        let completed = app
            .get_json(&auth, &format!("{path}&status=4&page_size=4&page=3"))
            .await;
        assert_eq!(completed["count"], 10, "{backend:?}");
        assert_eq!(names_of(&completed), ["T24", "T27"], "{backend:?}");
        assert_eq!(completed["next"], Value::Null);

        for page in ["3", "18446744073709551615"] {
            let (status, body) = get(&app, &auth, &format!("{path}&page={page}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "page={page} {backend:?}");
            assert_eq!(body, json!({"detail": "Invalid page."}));
        }
        let nothing = app
            .get_json(&auth, &format!("{path}&search=no-such-task"))
            .await;
        assert_eq!(
            nothing,
            json!({"count": 0, "next": null, "previous": null, "results": []}),
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_user_list_is_paginated_too() {
    let app = TestApp::spawn(&crate::harness::Backend::Sqlite).await;
    let auth = app.demo().await;
    app.create_user("alice", "pw").await;
    app.create_user("bob", "pw").await;
    let page = app.get_json(&auth, "/api/users?page_size=2").await;
    assert_eq!(page["count"], 3);
    let names: Vec<&str> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(page["next"], format!("{BASE}/api/users?page_size=2&page=2"));
    let last = app.get_json(&auth, "/api/users?page_size=2&page=2").await;
    assert_eq!(last["results"][0]["username"], "demo");
    assert_eq!(last["next"], Value::Null);
}
