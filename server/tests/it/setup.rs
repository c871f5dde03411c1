//! The first run: with no account, every page leads to "Create the administrator account";
//! it is accepted from this machine or with the setup code from the log, signs the new
//! administrator in, and is gone (404) once any account exists.

use axum::http::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use server::domain::db::entities::user;

use crate::harness::{BASE, Backend, TestApp, backends};

const GOOD: [(&str, &str); 4] = [
    ("username", "admin"),
    ("email", "admin@example.com"),
    ("password1", "correct horse battery"),
    ("password2", "correct horse battery"),
];

#[tokio::test]
async fn with_no_account_every_page_leads_to_creating_the_administrator() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    for page in ["/", "/login", "/my-tasks", "/sprint/1"] {
        let answer = app.get(page).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(answer.header("location"), "/setup", "{page}");
    }
    let form = app
        .call(Method::GET, "/setup")
        .peer("127.0.0.1")
        .header("origin", BASE)
        .send()
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text
            .contains("<h1>Create the administrator account</h1>"),
        "{}",
        form.text
    );
    for label in ["Username", "Email", "Password", "Password (again)"] {
        assert!(form.text.contains(&format!(">{label}</label>")), "{label}");
    }
    // From this machine no code is asked for; the page has no script and a strict policy.
    assert!(!form.text.contains("Setup code"));
    assert!(!form.text.contains("<script"));
    assert!(
        form.header("content-security-policy")
            .contains("default-src 'none'")
    );
    // The API is not a page: it answers as it always does.
    assert_eq!(
        app.get("/api/sprints").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn from_this_machine_the_form_creates_a_signed_in_administrator_once() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let created = app
        .call(Method::POST, "/setup")
        .peer("127.0.0.1")
        .header("origin", BASE)
        .form(&GOOD)
        .send()
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    assert_eq!(created.header("location"), "/");
    let cookie = created
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("scrum_session="), "{cookie}");

    // Signed in as a site administrator, on the ordinary site.
    let session = app
        .call(Method::GET, "/api/session")
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.text);
    assert!(
        session.text.contains(r#""username":"admin""#),
        "{}",
        session.text
    );
    let home = app
        .call(Method::GET, "/")
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(app.get("/login").await.status, StatusCode::OK);
    // With the first project, theirs to own, where the board's first sprint goes.
    let projects = app
        .call(Method::GET, "/api/projects")
        .header("cookie", &cookie)
        .send()
        .await
        .json();
    let first = projects
        .as_array()
        .unwrap()
        .iter()
        .find(|project| project["name"] == "My Project")
        .unwrap_or_else(|| panic!("no first project: {projects}"));
    assert_eq!(first["role"], "owner");
    let members = app
        .call(
            Method::GET,
            &format!("/api/projects/{}/members", first["id"]),
        )
        .header("cookie", &cookie)
        .send()
        .await
        .json();
    assert_eq!(members[0]["user"], "admin");
    assert_eq!(members[0]["role"], "owner");

    // Done: the page and the form are gone, and nobody can make a second administrator.
    let again = app
        .call(Method::POST, "/setup")
        .peer("127.0.0.1")
        .header("origin", BASE)
        .form(&[
            ("username", "mallory"),
            ("password1", "another long secret"),
            ("password2", "another long secret"),
        ])
        .send()
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/setup").await.status, StatusCode::NOT_FOUND);
    let (_, token) = app
        .sign_in_at("/api/session", "admin", "correct horse battery")
        .await;
    assert!(!token.is_empty());
}

#[tokio::test]
async fn from_elsewhere_it_takes_the_setup_code_from_the_log() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let page = app
        .call(Method::GET, "/setup")
        .peer("203.0.113.9")
        .header("origin", BASE)
        .send()
        .await;
    assert!(page.text.contains(">Setup code</label>"), "{}", page.text);

    let refused = app
        .call(Method::POST, "/setup")
        .peer("203.0.113.9")
        .header("origin", BASE)
        .form(&GOOD)
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .text
            .contains("enter the setup code the server wrote to its log")
    );
    // What was typed stays in the form (but never a password).
    assert!(refused.text.contains(r#"value="admin""#));
    assert!(!refused.text.contains("correct horse"));

    let mut wrong = GOOD.to_vec();
    wrong.push(("setup_code", "0000000000000000"));
    let refused = app
        .call(Method::POST, "/setup")
        .peer("203.0.113.9")
        .header("origin", BASE)
        .form(&wrong)
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text.contains("That is not the setup code"));
    assert_eq!(
        app.get("/").await.status,
        StatusCode::SEE_OTHER,
        "still no account"
    );

    let code = app.state.first_run.code().to_owned();
    let mut right = GOOD.to_vec();
    right.push(("setup_code", &code));
    let created = app
        .call(Method::POST, "/setup")
        .peer("203.0.113.9")
        .header("origin", BASE)
        .form(&right)
        .send()
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
}

#[tokio::test]
async fn a_form_that_will_not_do_says_why_field_by_field_and_creates_nothing() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let post = |pairs: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            app.call(Method::POST, "/setup")
                .peer("127.0.0.1")
                .header("origin", BASE)
                .form(&pairs)
                .send()
                .await
        }
    };
    let cases: [(Vec<(&str, &str)>, &str); 5] = [
        (
            vec![
                ("username", "admin"),
                ("password1", "correct horse battery"),
                ("password2", "correct horse batterY"),
            ],
            "The two password fields didn’t match.",
        ),
        (
            vec![
                ("username", "admin"),
                ("password1", "short"),
                ("password2", "short"),
            ],
            "It must contain at least 10 characters.",
        ),
        (
            vec![
                ("username", "admin"),
                ("password1", "admin-2026-12"),
                ("password2", "admin-2026-12"),
            ],
            "The password may not contain the username.",
        ),
        (
            vec![
                ("username", "admin"),
                ("password1", "password123"),
                ("password2", "password123"),
            ],
            "This password is too common.",
        ),
        (
            vec![
                ("username", "has space"),
                ("password1", "correct horse battery"),
                ("password2", "correct horse battery"),
            ],
            "The username may contain only letters, digits and @/./+/-/_.",
        ),
    ];
    for (pairs, message) in cases {
        let answer = post(pairs).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{message}");
        assert!(
            answer.text.contains(message),
            "{message} in {}",
            answer.text
        );
        assert!(answer.text.contains(r#"aria-invalid="true""#));
    }
    // Another site's page cannot post the form through a visitor's browser.
    let foreign = app
        .call(Method::POST, "/setup")
        .peer("127.0.0.1")
        .header("origin", "https://evil.example")
        .form(&GOOD)
        .send()
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    // Nor can a page that hides where it comes from (no Origin, or `null`, and no Referer).
    for origin in [None, Some("null")] {
        let mut call = app.call(Method::POST, "/setup").peer("127.0.0.1");
        if let Some(origin) = origin {
            call = call.header("origin", origin);
        }
        assert_eq!(
            call.form(&GOOD).send().await.status,
            StatusCode::FORBIDDEN,
            "{origin:?}"
        );
    }
    assert_eq!(
        app.get("/").await.status,
        StatusCode::SEE_OTHER,
        "still no account"
    );
}

/// A proxy or tunnel on the server's machine makes every visitor arrive from a loopback
/// address: a request that names another host, or that was relayed, needs the code.
#[tokio::test]
async fn a_loopback_address_behind_a_proxy_or_under_another_name_needs_the_code() {
    let app = TestApp::spawn_with(
        &Backend::Sqlite,
        &[("ALLOWED_HOSTS", "localhost,scrum.example.com")],
    )
    .await;
    let named = app
        .call(Method::GET, "/setup")
        .peer("127.0.0.1")
        .header("host", "scrum.example.com")
        .send()
        .await;
    assert!(named.text.contains(">Setup code</label>"), "{}", named.text);
    let relayed = app
        .call(Method::POST, "/setup")
        .peer("127.0.0.1")
        .header("origin", BASE)
        .header("x-forwarded-for", "198.51.100.7")
        .form(&GOOD)
        .send()
        .await;
    assert_eq!(relayed.status, StatusCode::FORBIDDEN);
    assert!(
        relayed.text.contains("enter the setup code"),
        "{}",
        relayed.text
    );
    assert_eq!(
        app.get("/").await.status,
        StatusCode::SEE_OTHER,
        "still no account"
    );
}

#[tokio::test]
async fn an_account_made_on_the_command_line_also_ends_the_first_run() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    assert_eq!(app.get("/login").await.status, StatusCode::SEE_OTHER);
    app.create_user("carol", "carol-pass-1").await;
    assert_eq!(app.get("/login").await.status, StatusCode::OK);
    assert_eq!(app.get("/setup").await.status, StatusCode::NOT_FOUND);
}

/// Two people setting up at the same moment (through two instances of one PostgreSQL
/// database, too) make one administrator: the other is told the page is gone.
#[tokio::test]
async fn two_setups_at_once_make_one_administrator() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        // SQLite runs one instance (`INSTANCES` above 1 is refused there).
        let other = match backend {
            Backend::Sqlite => None,
            Backend::Postgres(_) => Some(app.attach(&[]).await),
        };
        let second = other.as_ref().unwrap_or(&app);
        let form = |name: &'static str| {
            vec![
                ("username", name),
                ("password1", "correct horse battery"),
                ("password2", "correct horse battery"),
            ]
        };
        let (one, two) = tokio::join!(
            app.call(Method::POST, "/setup")
                .peer("127.0.0.1")
                .header("origin", BASE)
                .form(&form("first"))
                .send(),
            second
                .call(Method::POST, "/setup")
                .peer("127.0.0.1")
                .header("origin", BASE)
                .form(&form("second"))
                .send(),
        );
        let mut statuses = [one.status, two.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::SEE_OTHER, StatusCode::NOT_FOUND],
            "{backend:?}"
        );
        let accounts = user::Entity::find().count(&app.db).await.expect("count");
        assert_eq!(accounts, 1, "{backend:?}");
        if let Some(other) = other {
            other.cleanup().await;
        }
        app.cleanup().await;
    }
}
