//! Server-side rendered pages: a signed-in person's first response already holds their data
//! (fetched in-process through the REST API with their own cookie), and every page carries a
//! nonce-based Content-Security-Policy.

use axum::http::{Method, StatusCode};

use crate::harness::{Backend, NewTask, TestApp, day};

#[tokio::test]
async fn a_board_is_rendered_with_its_tasks_for_the_signed_in_person() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    app.create_user("carol", "carol-pass-1").await;
    let sprint = app
        .insert_sprint("Launch <script>", crate::harness::date(5))
        .await;
    app.insert_task(NewTask {
        sprint: Some(sprint.id),
        status: 2,
        ..NewTask::named("Write the <b>docs</b>")
    })
    .await;
    app.insert_task(NewTask::named("Backlog idea")).await;
    let (cookie, _) = app
        .sign_in_at("/api/session", "carol", "carol-pass-1")
        .await;

    let page = app
        .call(Method::GET, &format!("/sprint/{}", sprint.id))
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.text;
    // The five columns, each a section named by its heading.
    for (key, title) in [
        ("unassigned", "Backlog"),
        ("todo", "Not Started"),
        ("active", "In Development"),
        ("testing", "In Testing"),
        ("done", "Completed"),
    ] {
        assert!(
            html.contains(&format!(r#"aria-labelledby="column-{key}""#))
                && html.contains(&format!(r#"<h2 id="column-{key}">{title}</h2>"#)),
            "column {title} in {html}"
        );
    }
    // The tasks are already there (no "Loading…"), and user text is escaped, never markup.
    assert!(html.contains("Write the &lt;b&gt;docs&lt;/b&gt;"), "{html}");
    assert!(html.contains("Backlog idea"), "{html}");
    assert!(html.contains("Launch &lt;script&gt;"), "{html}");
    assert!(!html.contains("<b>docs</b>"));
    assert!(!html.contains("Loading"), "{html}");
    assert!(
        html.contains("Signed in as <strong>carol</strong>"),
        "{html}"
    );

    // Someone else's cookie-less request gets the login form instead, not the data.
    let anonymous = app.get(&format!("/sprint/{}", sprint.id)).await;
    assert!(!anonymous.text.contains("Write the"), "{}", anonymous.text);
    assert!(anonymous.text.contains(">Username</label>"));
}

/// A page carries its data to hydration once, fetched once: the server may build the view
/// behind the login gate more than once, and data loaded from inside it came along each time
/// (three copies of a board, three fetches of it).
#[tokio::test]
async fn a_page_carries_its_data_once() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    app.create_user("frank", "frank-pass-1").await;
    let sprint = app.insert_sprint("Once", crate::harness::date(5)).await;
    app.insert_task(NewTask {
        sprint: Some(sprint.id),
        description: "Said only in the data".into(),
        ..NewTask::named("A task")
    })
    .await;
    let (cookie, _) = app
        .sign_in_at("/api/session", "frank", "frank-pass-1")
        .await;
    // The sprint's `tasks` link appears nowhere but in its data.
    let sprint_data = format!("/api/tasks?sprint={}", sprint.id);

    let board = app
        .call(Method::GET, &format!("/sprint/{}", sprint.id))
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(
        board.text.matches("Said only in the data").count(),
        1,
        "{}",
        board.text
    );
    assert_eq!(
        board.text.matches(&sprint_data).count(),
        1,
        "{}",
        board.text
    );

    let home = app
        .call(Method::GET, "/")
        .header("cookie", &cookie)
        .send()
        .await;
    // Home carries its tiles, written once on the server, not the sprints' data.
    assert!(home.text.contains(">Once</span>"), "{}", home.text);
    assert_eq!(home.text.matches(&sprint_data).count(), 0, "{}", home.text);
}

/// User text reaches the page twice: as markup and inside the inline script that carries the
/// data to hydration. Neither may let it out as HTML or script.
#[tokio::test]
async fn script_and_markup_in_user_text_never_become_live_html() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    app.create_user("erin", "erin-pass-1").await;
    let sprint = app
        .insert_sprint(
            "</script><script>alert('sprint')//",
            crate::harness::date(5),
        )
        .await;
    for name in [
        "</script><script>alert('xss')//",
        "<img src=x onerror=alert(1)>",
        "<!-- <script>alert(2)</script> -->",
    ] {
        app.insert_task(NewTask {
            sprint: Some(sprint.id),
            ..NewTask::named(name)
        })
        .await;
    }
    let (cookie, _) = app.sign_in_at("/api/session", "erin", "erin-pass-1").await;
    for path in [format!("/sprint/{}", sprint.id), "/".to_owned()] {
        let page = app
            .call(Method::GET, &path)
            .header("cookie", &cookie)
            .send()
            .await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let html = page.text.to_ascii_lowercase();
        for live in [
            "<script>alert(",
            "<img src=x",
            "</script><script>alert",
            "<!-- <script>",
        ] {
            assert!(
                !html.contains(live),
                "{path}: {live} is live in {}",
                page.text
            );
        }
    }
    // The text itself is there, shown as text.
    let board = app
        .call(Method::GET, &format!("/sprint/{}", sprint.id))
        .header("cookie", &cookie)
        .send()
        .await;
    assert!(
        board.text.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{}",
        board.text
    );
}

#[tokio::test]
async fn home_lists_current_sprints_and_an_unknown_sprint_says_so() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    app.create_user("dave", "dave-pass-1").await;
    app.insert_sprint("Next up", crate::harness::date(3)).await;
    app.insert_sprint("Long gone", crate::harness::date(-30))
        .await;
    let (cookie, _) = app.sign_in_at("/api/session", "dave", "dave-pass-1").await;

    let home = app
        .call(Method::GET, "/")
        .header("cookie", &cookie)
        .send()
        .await;
    assert!(home.text.contains("Your Sprints"), "{}", home.text);
    assert!(home.text.contains("Next up"));
    assert!(
        home.text.contains(&format!("DUE BY {}", day(3))),
        "{}",
        home.text
    );
    assert!(
        !home.text.contains("Long gone"),
        "past sprints wait for a click"
    );

    let missing = app
        .call(Method::GET, "/sprint/999")
        .header("cookie", &cookie)
        .send()
        .await;
    assert!(
        missing.text.contains("Sprint 999 not found."),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn pages_carry_a_fresh_nonce_in_a_strict_content_security_policy() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    // Pages need an account (with none, they lead to the first run's form).
    app.create_user("someone", "someone-pass-1").await;
    let first = app.get("/").await;
    let policy = first.header("content-security-policy").to_owned();
    assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(
        !policy.contains("'unsafe-eval'") && !policy.contains("'unsafe-inline'"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce")
        .to_owned();
    assert!(nonce.len() >= 16);
    // Every inline script in the page carries it.
    let inline_scripts = first.text.matches("<script").count();
    let with_nonce = first.text.matches(&format!(r#"nonce="{nonce}""#)).count();
    assert!(inline_scripts > 0);
    assert!(
        with_nonce >= inline_scripts,
        "{inline_scripts} scripts, {with_nonce} with the nonce: {}",
        first.text
    );
    // A new response, a new nonce.
    let second = app.get("/").await;
    assert!(!second.header("content-security-policy").contains(&nonce));
    // The API keeps its own minimal policy (JSON, nothing to run).
    let api = app.get("/api/").await;
    assert_eq!(
        api.header("content-security-policy"),
        "frame-ancestors 'none'"
    );
}

/// Routers are built while pages render (as tests, or several instances in one process, do),
/// and every render must still finish: building one must not touch process-wide rendering
/// state (leptos's route listing once switched data loading off for the whole process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_routers_are_being_built() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let sprint = app.insert_sprint("Busy", crate::harness::date(5)).await;
    app.create_user("dave", "dave-pass-1").await;
    let (cookie, _) = app.sign_in_at("/api/session", "dave", "dave-pass-1").await;

    let state = app.state.clone();
    let builder = tokio::task::spawn_blocking(move || {
        for _ in 0..40 {
            drop(server::build_router(state.clone()));
        }
    });
    for round in 0..40 {
        let page = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            app.call(Method::GET, &format!("/sprint/{}", sprint.id))
                .header("cookie", &cookie)
                .send(),
        )
        .await
        .unwrap_or_else(|_| panic!("render {round} never finished"));
        assert_eq!(page.status, StatusCode::OK, "render {round}");
        assert!(page.text.contains("Busy"), "render {round}: {}", page.text);
    }
    builder.await.expect("routers built");
}

/// Display preferences ("Theme", "Cards", "Filtered cards") are remembered in cookies; the
/// server writes them on `<html data-theme data-density data-filtered>` (what the style sheet
/// keys on) and marks them selected, so the first paint is already in them.
#[tokio::test]
async fn the_chosen_display_preferences_are_on_the_page_the_server_sends() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    // Pages need an account (with none, they lead to the first run's form).
    app.create_user("someone", "someone-pass-1").await;
    let plain = app.get("/login").await;
    assert!(plain.text.contains(r#"<label for="theme">Theme</label>"#));
    assert!(
        plain.text.contains(r#"<option value="system" selected"#),
        "{}",
        plain.text
    );

    assert!(
        plain.text.contains(r#"data-theme="system""#),
        "{}",
        plain.text
    );

    let chosen = app
        .call(Method::POST, "/preferences?theme=dark")
        .send()
        .await;
    assert_eq!(chosen.status, StatusCode::NO_CONTENT, "{}", chosen.text);
    let cookie = chosen.header("set-cookie").to_owned();
    assert!(cookie.starts_with("scrum_theme=dark;"), "{cookie}");
    assert!(cookie.contains("Max-Age=31536000"), "{cookie}");
    assert!(cookie.contains("Path=/;"), "{cookie}");

    let page = app
        .call(Method::GET, "/login")
        .header("cookie", "scrum_theme=dark")
        .send()
        .await;
    assert!(page.text.contains(r#"data-theme="dark""#), "{}", page.text);
    assert!(
        page.text.contains(r#"<option value="dark" selected"#),
        "{}",
        page.text
    );
    assert!(!page.text.contains(r#"<option value="system" selected"#));

    // Anything unknown is System.
    let odd = app
        .call(Method::POST, "/preferences?theme=%3Cscript%3E")
        .send()
        .await;
    assert!(odd.header("set-cookie").starts_with("scrum_theme=system;"));
    let odd_page = app
        .call(Method::GET, "/login")
        .header("cookie", "scrum_theme=<script>")
        .send()
        .await;
    assert!(odd_page.text.contains(r#"<option value="system" selected"#));

    // Cards: Comfortable unless Dense was chosen; filtered cards: hidden unless faded. Both
    // at once is two cookies.
    assert!(plain.text.contains(r#"data-density="comfortable""#));
    assert!(plain.text.contains(r#"data-filtered="hide""#));
    let both = app
        .call(Method::POST, "/preferences?density=dense&filtered=fade")
        .send()
        .await;
    assert_eq!(both.status, StatusCode::NO_CONTENT, "{}", both.text);
    let cookies: Vec<&str> = both
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("scrum_density=dense;"))
            && cookies
                .iter()
                .any(|c| c.starts_with("scrum_filtered=fade;")),
        "{cookies:?}"
    );
    let board_prefs = app
        .call(Method::GET, "/login")
        .header("cookie", "scrum_density=dense; scrum_filtered=fade")
        .send()
        .await;
    assert!(board_prefs.text.contains(r#"data-density="dense""#));
    assert!(board_prefs.text.contains(r#"data-filtered="fade""#));
    assert!(board_prefs.text.contains(r#"data-theme="system""#));

    // Naming nothing it knows is refused, saying what it knows.
    let unknown = app
        .call(Method::POST, "/preferences?colour=red")
        .send()
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown
            .text
            .contains("Name a preference to remember: theme, density, filtered."),
        "{}",
        unknown.text
    );
    assert!(unknown.headers.get("set-cookie").is_none());
}
