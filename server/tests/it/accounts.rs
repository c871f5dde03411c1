//! The account administration (`/api/admin/…`, `/admin/accounts`, the command line) and the
//! password links it hands out: invite → set a password → sign in; deactivation ending
//! sessions, tokens and open streams within a second, wherever it is made; the rules that keep
//! an administrator from locking the site out; `ADMIN_ALLOWED_NETS`.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};
use server::domain::db::entities::{change, user};

use crate::harness::{Auth, BASE, Backend, LiveServer, SERVER_BINARY, TestApp, backends, date};

/// What "within a second" allows for: the change reaching the stream, and its close frame.
const WITHIN_A_SECOND: Duration = Duration::from_secs(1);

/// A site administrator signed in with a token.
async fn administrator(app: &TestApp, username: &str) -> (user::Model, Auth) {
    let (person, auth) = app.person(username).await;
    let mut admin = person.into_active_model();
    admin.is_superuser = Set(true);
    (admin.update(&app.db).await.unwrap(), auth)
}

/// The path of a link's URL (`http://localhost:3000/password/…` → `/password/…`).
fn path_of(url: &str) -> String {
    url.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not on {BASE}"))
        .to_owned()
}

async fn invite(app: &TestApp, admin: &Auth, username: &str) -> Value {
    let answer = app
        .call(Method::POST, "/api/admin/users")
        .auth(admin)
        .json(json!({"username": username, "email": format!("{username}@example.com")}))
        .send()
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    answer.json()
}

/// Sends the password page's form as the browser does (from the page itself).
async fn set_password(
    app: &TestApp,
    path: &str,
    first: &str,
    second: &str,
) -> crate::harness::TestResponse {
    app.call(Method::POST, path)
        .header("origin", BASE)
        .form(&[("password1", first), ("password2", second)])
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_lets_the_colleague_choose_a_password_once_and_sign_in() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, admin) = administrator(&app, "root").await;
        let invitation = invite(&app, &admin, "ann").await;
        assert_eq!(invitation["account"]["username"], "ann");
        assert_eq!(invitation["account"]["awaiting_password"], true);
        assert_eq!(invitation["account"]["is_superuser"], false);
        let url = invitation["password_link"]["url"].as_str().unwrap();
        let expires = chrono::DateTime::parse_from_rfc3339(
            invitation["password_link"]["expires"].as_str().unwrap(),
        )
        .unwrap();
        let days =
            (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours() as f64 / 24.0;
        assert!((6.9..=7.0).contains(&days), "valid 7 days, not {days}");
        let path = path_of(url);

        // No password works until she sets one, not even the stored marker itself.
        let stored = user::Entity::find()
            .filter(user::Column::Username.eq("ann"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .password_hash;
        assert!(stored.starts_with('!'));
        for guess in [stored.as_str(), "", "!"] {
            let signed_in = app
                .call(Method::GET, "/api/sprints")
                .auth(&Auth::basic("ann", guess))
                .send()
                .await;
            assert_eq!(signed_in.status, StatusCode::UNAUTHORIZED, "{guess:?}");
        }

        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("Choose your password") && page.text.contains(r#"value="ann""#));
        assert_eq!(page.header("referrer-policy"), "same-origin");
        assert!(
            page.header("content-security-policy")
                .starts_with("default-src 'none'")
        );

        let mismatch = set_password(&app, &path, "a long enough secret", "another one").await;
        assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
        assert!(mismatch.text.contains("didn’t match"), "{}", mismatch.text);
        let weak = set_password(&app, &path, "ann-1234567", "ann-1234567").await;
        assert_eq!(weak.status, StatusCode::BAD_REQUEST);
        assert!(
            weak.text.contains("may not contain the username"),
            "{}",
            weak.text
        );
        // A form from another site is refused, and the link still works afterwards.
        let foreign = app
            .call(Method::POST, &path)
            .header("origin", "https://evil.example")
            .form(&[
                ("password1", "planted password 1"),
                ("password2", "planted password 1"),
            ])
            .send()
            .await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN);

        let done = set_password(
            &app,
            &path,
            "a quiet harbour at dawn",
            "a quiet harbour at dawn",
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        assert_eq!(done.header("location"), "/");
        let cookie = done
            .header("set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let session = app
            .call(Method::GET, "/api/session")
            .header("cookie", &cookie)
            .send()
            .await;
        assert_eq!(
            session.json()["user"]["username"],
            "ann",
            "{}",
            session.text
        );
        let basic = app
            .call(Method::GET, "/api/sprints")
            .auth(&Auth::basic("ann", "a quiet harbour at dawn"))
            .send()
            .await;
        assert_eq!(basic.status, StatusCode::OK);

        // Used: the link is gone, and says what to do.
        let again = app.get(&path).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        assert!(
            again
                .text
                .contains("Ask a site administrator for a new link")
        );
        let replay = set_password(&app, &path, "a planted password", "a planted password").await;
        assert_eq!(replay.status, StatusCode::NOT_FOUND);

        // The invitation and the password are changes of record, made by root and by ann.
        let logged = change::Entity::find()
            .filter(change::Column::Model.eq("user"))
            .all(&app.db)
            .await
            .unwrap();
        let ann = logged
            .iter()
            .filter(|entry| entry.actor.as_deref() == Some("ann"));
        assert_eq!(ann.count(), 1, "the password set by ann");
        assert!(
            logged
                .iter()
                .any(|entry| entry.action == "create" && entry.actor.as_deref() == Some("root"))
        );
        let listed = app.get_json(&admin, "/api/admin/users").await;
        let ann = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["username"] == "ann")
            .unwrap();
        assert_eq!(ann["awaiting_password"], false);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_replaces_the_password_and_signs_out_every_browser() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, admin) = administrator(&app, "root").await;
    let bob = app.create_user("bob", "bob's old password").await;
    let old_session = app.session_for(bob.id).await;
    let first = app
        .call(Method::POST, "/api/admin/users/bob/password-link")
        .auth(&admin)
        .send()
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = app
        .call(Method::POST, "/api/admin/users/bob/password-link/")
        .auth(&admin)
        .send()
        .await;
    let first_path = path_of(first.json()["url"].as_str().unwrap());
    let second_path = path_of(second.json()["url"].as_str().unwrap());
    assert_eq!(
        app.get(&first_path).await.status,
        StatusCode::NOT_FOUND,
        "a newer link replaces it"
    );
    let page = app.get(&second_path).await;
    assert!(page.text.contains("Choose a new password"));
    let done = set_password(
        &app,
        &second_path,
        "seven green lanterns",
        "seven green lanterns",
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let old = app
        .call(Method::GET, "/api/sprints")
        .auth(&Auth::Session(old_session))
        .send()
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the old browser is signed out"
    );
    for (password, status) in [
        ("bob's old password", StatusCode::UNAUTHORIZED),
        ("seven green lanterns", StatusCode::OK),
    ] {
        let answer = app
            .call(Method::GET, "/api/sprints")
            .auth(&Auth::basic("bob", password))
            .send()
            .await;
        assert_eq!(answer.status, status, "{password}");
    }
    let unknown = app
        .call(Method::POST, "/api/admin/users/nobody/password-link")
        .auth(&admin)
        .send()
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_site_administrators_reach_the_administration() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, admin) = administrator(&app, "root").await;
    let (member_user, member) = app.person("mia").await;
    for (method, path, body) in [
        (Method::GET, "/api/admin/users", None),
        (
            Method::POST,
            "/api/admin/users",
            Some(json!({"username": "x"})),
        ),
        (Method::GET, "/api/admin/users/root", None),
        (
            Method::PATCH,
            "/api/admin/users/root",
            Some(json!({"is_active": false})),
        ),
        (Method::POST, "/api/admin/users/root/password-link", None),
    ] {
        let mut call = app.call(method.clone(), path).auth(&member);
        if let Some(body) = body.clone() {
            call = call.json(body);
        }
        let refused = call.send().await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            refused.json()["detail"],
            "Only site administrators may manage accounts."
        );
        let mut call = app.call(method.clone(), path);
        if let Some(body) = body {
            call = call.json(body);
        }
        assert_eq!(
            call.send().await.status,
            StatusCode::UNAUTHORIZED,
            "anonymous {method} {path}"
        );
    }
    // Nothing was changed by the refusals.
    let root = app.get_json(&admin, "/api/admin/users/root").await;
    assert_eq!(
        (root["is_active"].clone(), root["is_superuser"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        app.get_json(&admin, "/api/admin/users")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The page: nobody is sent to sign in first, a member is refused in words.
    let anonymous = app.get("/admin/accounts").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.header("location"),
        "/login?next=%2Fadmin%2Faccounts"
    );
    let session = app.session_for(member_user.id).await;
    let refused = app
        .call(Method::GET, "/admin/accounts")
        .auth(&Auth::Session(session))
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .text
            .contains("Only site administrators may manage accounts.")
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_cannot_lock_the_site_out() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, root) = administrator(&app, "root").await;
        let patch = |who: &'static str, body: Value, auth: Auth| {
            let app = &app;
            async move {
                app.call(Method::PATCH, &format!("/api/admin/users/{who}"))
                    .auth(&auth)
                    .json(body)
                    .send()
                    .await
            }
        };
        let own = patch("root", json!({"is_active": false}), root.clone()).await;
        assert_eq!(own.status, StatusCode::BAD_REQUEST);
        assert!(
            own.json()["detail"]
                .as_str()
                .unwrap()
                .contains("your own account")
        );
        let own = patch("root", json!({"is_superuser": false}), root.clone()).await;
        assert_eq!(own.status, StatusCode::BAD_REQUEST);
        let nothing = patch("root", json!({}), root.clone()).await;
        assert_eq!(nothing.status, StatusCode::BAD_REQUEST);
        let garbled = patch("root", json!({"is_active": "maybe"}), root.clone()).await;
        assert_eq!(garbled.status, StatusCode::BAD_REQUEST);
        assert_eq!(garbled.json()["is_active"][0], "Must be a valid boolean.");

        // With a second administrator, either may take the other's administration, but the
        // last one standing keeps theirs (the command line has no "own" account to protect).
        let (_, kim) = administrator(&app, "kim").await;
        let taken = patch("kim", json!({"is_superuser": false}), root.clone()).await;
        assert_eq!(taken.status, StatusCode::OK, "{}", taken.text);
        assert_eq!(taken.json()["is_superuser"], false);
        let refused = patch("root", json!({"is_active": false}), kim.clone()).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "kim is no administrator now"
        );
        let last = server::domain::accounts::admin::set_active(
            &app.state.store,
            &server::domain::log::Actor::command_line(),
            "root",
            false,
        )
        .await;
        assert!(
            last.unwrap_err()
                .to_string()
                .contains("last active site administrator"),
            "the last administrator stays"
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_ends_sessions_tokens_and_open_streams_within_a_second() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await.with_database_bus().await;
        let live = LiveServer::start(&app).await;
        let (_, root) = administrator(&app, "root").await;
        let (alice_user, alice) = app.person("alice").await;
        let session = app.session_for(alice_user.id).await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let mut stream = live.join(&app, &alice, sprint).await;
        // The token has been used (and cached, on SQLite) before it must stop working.
        assert_eq!(
            app.call(Method::GET, "/api/sprints")
                .auth(&alice)
                .send()
                .await
                .status,
            StatusCode::OK
        );

        let started = Instant::now();
        let answer = app
            .call(Method::PATCH, "/api/admin/users/alice")
            .auth(&root)
            .json(json!({"is_active": false}))
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(answer.json()["is_active"], false);
        assert!(
            stream.closed_within(WITHIN_A_SECOND).await,
            "{backend:?}: the open board closes within a second"
        );
        let closed_after = started.elapsed();
        for auth in [alice.clone(), Auth::Session(session.clone())] {
            let refused = app
                .call(Method::GET, "/api/sprints")
                .auth(&auth)
                .send()
                .await;
            assert_eq!(
                refused.status,
                StatusCode::UNAUTHORIZED,
                "{backend:?} {auth:?}"
            );
        }
        eprintln!("{backend:?}: stream closed {closed_after:?} after the request");

        // Reactivated, she signs in again; the old token and session stay ended.
        let answer = app
            .call(Method::PATCH, "/api/admin/users/alice/")
            .auth(&root)
            .form(&[("is_active", "true")])
            .send()
            .await;
        assert_eq!(answer.json()["is_active"], true);
        for auth in [alice.clone(), Auth::Session(session)] {
            let refused = app
                .call(Method::GET, "/api/sprints")
                .auth(&auth)
                .send()
                .await;
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        }
        let again = app
            .call(Method::GET, "/api/sprints")
            .auth(&Auth::basic("alice", "secret-password"))
            .send()
            .await;
        assert_eq!(again.status, StatusCode::OK);
        drop(live);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_on_one_instance_closes_a_stream_on_another() {
    let Some(backend) = backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))
    else {
        return;
    };
    let first = TestApp::spawn(&backend).await.with_database_bus().await;
    let second = first.attach(&[]).await.with_database_bus().await;
    let live = LiveServer::start(&second).await;
    let (_, root) = administrator(&first, "root").await;
    let (_, alice) = first.person("alice").await;
    let sprint = first.insert_sprint("Current", date(14)).await.id;
    let mut stream = live.join(&second, &alice, sprint).await;
    let answer = first
        .call(Method::PATCH, "/api/admin/users/alice")
        .auth(&root)
        .json(json!({"is_active": false}))
        .send()
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        stream.closed_within(WITHIN_A_SECOND).await,
        "closed on the other instance"
    );
    drop(live);
    second.cleanup().await;
    first.cleanup().await;
}

/// `server users …` against `database_url`, as an operator runs it beside the server.
fn command_line(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(SERVER_BINARY)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("SECRET_KEY", crate::harness::SECRET_KEY)
        .env("RUST_LOG", "warn")
        .env_remove("SCRUM_PASSWORD")
        .env_remove("PUBLIC_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the server binary")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_beside_a_running_server_ends_streams_and_tokens_within_a_second() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await.with_database_bus().await;
        let live = LiveServer::start(&app).await;
        let (_, alice) = app.person("alice").await;
        let sprint = app.insert_sprint("Current", date(14)).await.id;
        let mut stream = live.join(&app, &alice, sprint).await;
        assert_eq!(
            app.call(Method::GET, "/api/sprints")
                .auth(&alice)
                .send()
                .await
                .status,
            StatusCode::OK
        );

        let output = command_line(&app.database_url, &["users", "deactivate", "alice"]);
        assert!(output.status.success(), "{output:?}");
        let finished = Instant::now();
        assert!(String::from_utf8_lossy(&output.stdout).contains("deactivated"));
        assert!(
            stream.closed_within(WITHIN_A_SECOND).await,
            "{backend:?}: the board closes within a second of the command"
        );
        let refused = app
            .call(Method::GET, "/api/sprints")
            .auth(&alice)
            .send()
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{backend:?}");
        assert!(finished.elapsed() < Duration::from_secs(2));

        let output = command_line(&app.database_url, &["users", "reactivate", "alice"]);
        assert!(output.status.success(), "{output:?}");
        let output = command_line(&app.database_url, &["users", "reset-password", "alice"]);
        assert!(output.status.success(), "{output:?}");
        let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let path = printed
            .split_once("/password/")
            .map(|(_, key)| format!("/password/{key}"))
            .unwrap_or_else(|| panic!("a link, not {printed:?}"));
        assert!(
            printed.starts_with("http://127.0.0.1:3000/password/"),
            "{printed}"
        );
        let done = set_password(
            &app,
            &path,
            "copper kettle sunrise",
            "copper kettle sunrise",
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);

        let unknown = command_line(&app.database_url, &["users", "deactivate", "nobody"]);
        assert!(!unknown.status.success());
        assert!(
            String::from_utf8_lossy(&unknown.stderr).contains("no account is named \"nobody\"")
        );
        drop(live);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_allowed_nets_guards_the_administration_only() {
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("ADMIN_ALLOWED_NETS", "10.0.0.0/8")]).await;
    let (root_user, root) = administrator(&app, "root").await;
    let session = Auth::Session(app.session_for(root_user.id).await);
    for (path, auth) in [("/api/admin/users", &root), ("/admin/accounts", &session)] {
        let outside = app
            .call(Method::GET, path)
            .auth(auth)
            .peer("127.0.0.1")
            .send()
            .await;
        assert_eq!(outside.status, StatusCode::FORBIDDEN, "{path} from outside");
        let inside = app
            .call(Method::GET, path)
            .auth(auth)
            .peer("10.1.2.3")
            .send()
            .await;
        assert_eq!(inside.status, StatusCode::OK, "{path} from inside");
    }
    let board = app
        .call(Method::GET, "/api/sprints")
        .auth(&root)
        .peer("127.0.0.1")
        .send()
        .await;
    assert_eq!(
        board.status,
        StatusCode::OK,
        "the rest of the site is not guarded by it"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accounts_page_invites_deactivates_and_shows_each_link_once() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (root_user, _) = administrator(&app, "root").await;
    let session = Auth::Session(app.session_for(root_user.id).await);
    let page = app
        .call(Method::GET, "/admin/accounts")
        .auth(&session)
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("<h1>Accounts</h1>")
            && page.text.contains("<caption>1 account</caption>")
    );

    let invited = app
        .call(Method::POST, "/admin/accounts")
        .auth(&session)
        .header("origin", BASE)
        .form(&[("username", "ann"), ("email", "ann@example.com")])
        .send()
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.text);
    assert!(invited.text.contains("ann is invited"));
    let url = invited
        .text
        .split(r#"class="copy-link" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the link to copy");
    assert!(
        app.get(&path_of(url))
            .await
            .text
            .contains("Choose your password")
    );
    assert!(invited.text.contains("<td>Invited</td>"));

    let taken = app
        .call(Method::POST, "/admin/accounts")
        .auth(&session)
        .header("origin", BASE)
        .form(&[("username", "ann")])
        .send()
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.text.contains("An account named ann exists already."));

    let ann_id = user::Entity::find()
        .filter(user::Column::Username.eq("ann"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let deactivated = app
        .call(Method::POST, &format!("/admin/accounts/{ann_id}"))
        .auth(&session)
        .header("origin", BASE)
        .form(&[("action", "deactivate")])
        .send()
        .await;
    assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.text);
    assert!(deactivated.text.contains("ann is deactivated"));
    assert!(deactivated.text.contains("<td>Deactivated</td>"));
    assert_eq!(
        app.get(&path_of(url)).await.status,
        StatusCode::NOT_FOUND,
        "its link ended with it"
    );

    let own = app
        .call(Method::POST, &format!("/admin/accounts/{}", root_user.id))
        .auth(&session)
        .header("origin", BASE)
        .form(&[("action", "deactivate")])
        .send()
        .await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
    assert!(own.text.contains("You cannot deactivate your own account"));

    let forged = app
        .call(Method::POST, &format!("/admin/accounts/{ann_id}"))
        .auth(&session)
        .header("origin", "https://evil.example")
        .form(&[("action", "reactivate")])
        .send()
        .await;
    assert_eq!(
        forged.status,
        StatusCode::FORBIDDEN,
        "another site's form is refused"
    );
    let ann = user::Entity::find()
        .filter(user::Column::Username.eq("ann"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!ann.is_active);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_edits_their_own_names_and_email() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, alice) = app.person("alice").await;
    let me = app.get_json(&alice, "/api/me").await;
    assert_eq!(
        (me["username"].clone(), me["email"].clone()),
        (json!("alice"), json!("alice@example.com"))
    );
    let saved = app
        .call(Method::PATCH, "/api/me")
        .auth(&alice)
        .json(json!({"first_name": "Alice", "last_name": "Walker", "email": " alice@walker.example "}))
        .send()
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.json()["full_name"], "Alice Walker");
    assert_eq!(saved.json()["email"], "alice@walker.example");
    // Everyone sees the new name where the book shows it.
    assert_eq!(
        app.get_json(&alice, "/api/users/alice").await["full_name"],
        "Alice Walker"
    );
    for (body, field, message) in [
        (
            json!({"email": "not an address"}),
            "email",
            "Enter a valid email address.",
        ),
        (
            json!({"last_name": "x".repeat(151)}),
            "last_name",
            "Ensure this field has no more than 150 characters.",
        ),
    ] {
        let refused = app
            .call(Method::PATCH, "/api/me")
            .auth(&alice)
            .json(body)
            .send()
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.json()[field][0], message);
    }
    assert_eq!(
        app.get_json(&alice, "/api/me").await["full_name"],
        "Alice Walker",
        "refusals change nothing"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_tokens_are_listed_without_their_keys_and_revoked_by_their_owner_only() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, alice) = app.person("alice").await;
    let (_, bob) = app.person("bob").await;
    let created = app
        .call(Method::POST, "/api/me/tokens")
        .auth(&alice)
        .json(json!({"name": "deploy script", "expires_in_days": 30}))
        .send()
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let created = created.json();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let expires =
        chrono::DateTime::parse_from_rfc3339(created["expires"].as_str().unwrap()).unwrap();
    assert_eq!(
        (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days(),
        29
    );
    let deploy = Auth::Token(key.clone());
    let listed = app.get_json(&deploy, "/api/me/tokens").await;
    let listed = listed.as_array().unwrap();
    assert_eq!(
        listed.len(),
        2,
        "the new token and the one the test signed in with"
    );
    let mine = listed
        .iter()
        .find(|token| token["id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (mine["name"].clone(), mine["current"].clone()),
        (json!("deploy script"), json!(true))
    );
    assert!(
        !listed.iter().any(|token| token.to_string().contains(&key)),
        "no key in the list"
    );

    for (body, field) in [
        (json!({"name": "  "}), "name"),
        (
            json!({"name": "x", "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "expires_in_days": 400}),
            "expires_in_days",
        ),
    ] {
        let refused = app
            .call(Method::POST, "/api/me/tokens")
            .auth(&alice)
            .json(body)
            .send()
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(refused.json()[field][0].is_string(), "{}", refused.text);
    }

    let path = format!("/api/me/tokens/{id}");
    let not_theirs = app.call(Method::DELETE, &path).auth(&bob).send().await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&deploy)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    let revoked = app.call(Method::DELETE, &path).auth(&alice).send().await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&deploy)
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(Method::DELETE, &path)
            .auth(&alice)
            .send()
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.cleanup().await;
}

/// A form on "Your account", sent as the browser does.
async fn account_form(
    app: &TestApp,
    session: &Auth,
    path: &str,
    pairs: &[(&str, &str)],
) -> crate::harness::TestResponse {
    app.call(Method::POST, path)
        .auth(session)
        .header("origin", BASE)
        .form(pairs)
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn your_account_page_edits_the_profile_password_browsers_and_tokens() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let anonymous = app.get("/account").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.header("location"), "/login?next=%2Faccount");

    let (alice_user, _) = app.person("alice").await;
    let here = Auth::Session(app.session_for(alice_user.id).await);
    let elsewhere = Auth::Session(app.session_for(alice_user.id).await);
    let page = app.call(Method::GET, "/account").auth(&here).send().await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("<h1>Your account</h1>")
            && page.text.contains("<strong>this browser</strong>")
    );

    let saved = account_form(
        &app,
        &here,
        "/account/profile",
        &[
            ("first_name", "Alice"),
            ("last_name", "Walker"),
            ("email", "alice@walker.example"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert!(saved.text.contains("Your profile is saved."));
    assert_eq!(
        app.get_json(&here, "/api/me").await["full_name"],
        "Alice Walker"
    );
    let refused = account_form(
        &app,
        &here,
        "/account/profile",
        &[("first_name", "A"), ("last_name", "W"), ("email", "nope")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text
            .contains(r#"id="email-error">Enter a valid email address."#)
    );
    assert_eq!(
        app.get_json(&here, "/api/me").await["full_name"],
        "Alice Walker"
    );

    let wrong = account_form(
        &app,
        &here,
        "/account/password",
        &[
            ("old_password", "not it"),
            ("new_password1", "a fresh long phrase"),
            ("new_password2", "a fresh long phrase"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong
            .text
            .contains("Your old password was entered incorrectly.")
    );
    let changed = account_form(
        &app,
        &here,
        "/account/password",
        &[
            ("old_password", "secret-password"),
            ("new_password1", "a fresh long phrase"),
            ("new_password2", "a fresh long phrase"),
        ],
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&elsewhere)
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&here)
            .send()
            .await
            .status,
        StatusCode::OK
    );

    let made = account_form(
        &app,
        &here,
        "/account/tokens",
        &[("token_name", "nightly export"), ("expires_in_days", "30")],
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let key = made
        .text
        .split(r#"id="new-key" class="copy-link" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the key, shown once")
        .to_owned();
    let token = Auth::Token(key.clone());
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&token)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    let page = app.call(Method::GET, "/account").auth(&here).send().await;
    assert!(
        page.text.contains("nightly export") && !page.text.contains(&key),
        "listed, never the key again"
    );
    let id = app.get_json(&token, "/api/me/tokens").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = account_form(&app, &here, &format!("/account/tokens/{id}"), &[]).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&token)
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let unnamed = account_form(
        &app,
        &here,
        "/account/tokens",
        &[("token_name", " "), ("expires_in_days", "")],
    )
    .await;
    assert_eq!(unnamed.status, StatusCode::BAD_REQUEST);

    let third = Auth::Session(app.session_for(alice_user.id).await);
    let others = account_form(&app, &here, "/account/sessions", &[]).await;
    assert!(
        others.text.contains("1 other browser is signed out."),
        "{}",
        others.text
    );
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&third)
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let forged = app
        .call(Method::POST, "/account/sessions")
        .auth(&here)
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

/// The administration's column of the route matrix, generated from the API's own document: a
/// new `/api/admin/…` operation that forgets to ask for a site administrator fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_administration_operation_is_for_site_administrators_only() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, admin) = administrator(&app, "root").await;
    let (_, member) = app.person("mia").await;
    app.person("target").await;
    let document = app.get_json(&admin, "/api/openapi.json").await;
    let mut checked = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/admin") {
            continue;
        }
        let concrete = path.replace("{username}", "target");
        for method in operations.as_object().expect("operations").keys() {
            let verb = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let body = json!({"username": "matrix", "is_superuser": false});
            let refused = app
                .call(verb.clone(), &concrete)
                .auth(&member)
                .json(body.clone())
                .send()
                .await;
            assert_eq!(
                refused.status,
                StatusCode::FORBIDDEN,
                "member: {method} {path}"
            );
            let allowed = app
                .call(verb, &concrete)
                .auth(&admin)
                .json(body)
                .send()
                .await;
            assert!(
                allowed.status.is_success(),
                "administrator: {method} {path}: {} {}",
                allowed.status,
                allowed.text
            );
            checked.push(format!("{method} {path}"));
        }
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "get /api/admin/users",
            "get /api/admin/users/{username}",
            "patch /api/admin/users/{username}",
            "post /api/admin/users",
            "post /api/admin/users/{username}/password-link",
        ]
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_moved_between_first_and_last_is_saved_and_an_email_is_logged_privately() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, alice) = app.person("alice").await;
    let patch = |body: Value| {
        let (app, alice) = (&app, &alice);
        async move {
            app.call(Method::PATCH, "/api/me")
                .auth(alice)
                .json(body)
                .send()
                .await
        }
    };
    patch(json!({"first_name": "Mary Ann", "last_name": "Smith"})).await;
    // The full name stays "Mary Ann Smith": the change is still made and logged.
    let moved = patch(json!({"first_name": "Mary", "last_name": "Ann Smith"})).await;
    assert_eq!(moved.status, StatusCode::OK);
    let me = app.get_json(&alice, "/api/me").await;
    assert_eq!(
        (me["first_name"].clone(), me["last_name"].clone()),
        (json!("Mary"), json!("Ann Smith"))
    );
    patch(json!({"email": "mary@private.example"})).await;
    let logged = change::Entity::find()
        .filter(change::Column::Model.eq("user"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(logged.len(), 3, "three changes, three entries");
    let last_name = serde_json::from_str::<Value>(&logged[1].changes).unwrap();
    assert_eq!(last_name["last_name"], json!(["Smith", "Ann Smith"]));
    let history = app
        .get_json(&alice, "/api/history?page_size=100")
        .await
        .to_string();
    assert!(
        !history.contains("private.example") && !history.contains("alice@example.com"),
        "{history}"
    );
    assert!(history.contains("(private)"));
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_administrator_who_never_signed_in_does_not_count_as_the_other_one() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, root) = administrator(&app, "root").await;
    let (_, kim) = administrator(&app, "kim").await;
    let invited = app
        .call(Method::POST, "/api/admin/users")
        .auth(&root)
        .json(json!({"username": "newboss", "is_superuser": true}))
        .send()
        .await;
    assert_eq!(invited.json()["account"]["is_superuser"], true);
    // kim takes root's administration: newboss cannot sign in, so kim is the last one.
    let taken = app
        .call(Method::PATCH, "/api/admin/users/root")
        .auth(&kim)
        .json(json!({"is_superuser": false}))
        .send()
        .await;
    assert_eq!(taken.status, StatusCode::OK);
    let refused = server::domain::accounts::admin::set_active(
        &app.state.store,
        &server::domain::log::Actor::command_line(),
        "kim",
        false,
    )
    .await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("last active site administrator")
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_also_ends_the_accounts_tokens() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let (_, root) = administrator(&app, "root").await;
    let (_, bob) = app.person("bob").await;
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&bob)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    let link = app
        .call(Method::POST, "/api/admin/users/bob/password-link")
        .auth(&root)
        .send()
        .await
        .json();
    let path = path_of(link["url"].as_str().unwrap());
    let done = set_password(&app, &path, "seven green lanterns", "seven green lanterns").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.call(Method::GET, "/api/me")
            .auth(&bob)
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_ttl_is_the_most_a_named_token_lives() {
    let app = TestApp::spawn_with(&Backend::Sqlite, &[("TOKEN_TTL", "7d")]).await;
    let (_, alice) = app.person("alice").await;
    for body in [
        json!({"name": "forever"}),
        json!({"name": "a year", "expires_in_days": 365}),
    ] {
        let made = app
            .call(Method::POST, "/api/me/tokens")
            .auth(&alice)
            .json(body)
            .send()
            .await
            .json();
        let expires =
            chrono::DateTime::parse_from_rfc3339(made["expires"].as_str().unwrap()).unwrap();
        let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
        assert!((167..=168).contains(&days), "{made}: {days} hours");
    }
    let shorter = app
        .call(Method::POST, "/api/me/tokens")
        .auth(&alice)
        .json(json!({"name": "a day", "expires_in_days": 1}))
        .send()
        .await
        .json();
    let expires =
        chrono::DateTime::parse_from_rfc3339(shorter["expires"].as_str().unwrap()).unwrap();
    assert_eq!(
        (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours(),
        23
    );
    app.cleanup().await;
}
