//! Projects, members and roles: every route of the API against every role (the matrix, walked
//! from the OpenAPI document, so a new route without a line here fails), the isolation of one
//! project from another in lists, search, history and the live stream, and the rules that
//! keep a project whole (its own sprints and labels, at least one owner).

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, Backend, LiveServer, TestApp, backends, date};

/// What a route does, which decides who may call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Open to anyone, signed in or not (the root, the docs, signing in).
    Public,
    /// About the caller themselves (profile, tokens, sessions): any signed-in person.
    Personal,
    /// Account administration: site administrators only.
    Admin,
    /// A list of the caller's projects' things: anyone signed in, each seeing their own.
    List,
    /// Starting a project: anyone signed in.
    Found,
    /// Reading one thing of the project: its members, of any role.
    Read,
    /// Changing the project's board: owners and members.
    Write,
    /// Changing one's own comment, or undoing one's own change: its author (the owner here),
    /// and only while they may write.
    Own,
    /// The project's settings and members: owners.
    Manage,
}

/// Every operation of the API, by its OpenAPI method and path.
const ROUTES: &[(&str, &str, Kind)] = &[
    ("get", "/api/", Kind::Public),
    ("get", "/api/sprints", Kind::List),
    ("post", "/api/sprints", Kind::Write),
    ("get", "/api/sprints/{id}", Kind::Read),
    ("put", "/api/sprints/{id}", Kind::Write),
    ("patch", "/api/sprints/{id}", Kind::Write),
    ("delete", "/api/sprints/{id}", Kind::Write),
    ("post", "/api/sprints/{id}/complete", Kind::Write),
    ("post", "/api/sprints/{id}/reopen", Kind::Manage),
    ("get", "/api/sprints/{id}/report", Kind::Read),
    ("get", "/api/sprints/{id}/burndown", Kind::Read),
    ("get", "/api/velocity", Kind::List),
    ("get", "/api/tasks", Kind::List),
    ("post", "/api/tasks", Kind::Write),
    ("get", "/api/tasks/{id}", Kind::Read),
    ("put", "/api/tasks/{id}", Kind::Write),
    ("patch", "/api/tasks/{id}", Kind::Write),
    ("delete", "/api/tasks/{id}", Kind::Write),
    ("post", "/api/tasks/{id}/move", Kind::Write),
    ("get", "/api/users", Kind::List),
    ("get", "/api/users/{username}", Kind::Read),
    ("get", "/api/labels", Kind::List),
    ("post", "/api/labels", Kind::Write),
    ("get", "/api/labels/{id}", Kind::Read),
    ("put", "/api/labels/{id}", Kind::Write),
    ("patch", "/api/labels/{id}", Kind::Write),
    ("delete", "/api/labels/{id}", Kind::Write),
    ("get", "/api/tasks/{id}/comments", Kind::Read),
    ("post", "/api/tasks/{id}/comments", Kind::Write),
    ("get", "/api/comments/{id}", Kind::Read),
    ("put", "/api/comments/{id}", Kind::Own),
    ("patch", "/api/comments/{id}", Kind::Own),
    ("delete", "/api/comments/{id}", Kind::Own),
    ("get", "/api/history", Kind::List),
    ("get", "/api/history/{id}", Kind::Read),
    ("get", "/api/tasks/{id}/history", Kind::Read),
    ("get", "/api/sprints/{id}/history", Kind::Read),
    ("post", "/api/history/{id}/undo", Kind::Own),
    ("post", "/api/token/", Kind::Public),
    ("delete", "/api/token/", Kind::Personal),
    ("get", "/api/session", Kind::Public),
    ("post", "/api/session", Kind::Public),
    ("delete", "/api/session", Kind::Public),
    ("post", "/api/me/password", Kind::Personal),
    ("get", "/api/me/sessions", Kind::Personal),
    ("delete", "/api/me/sessions", Kind::Personal),
    ("get", "/api/admin/users", Kind::Admin),
    ("post", "/api/admin/users", Kind::Admin),
    ("get", "/api/admin/users/{username}", Kind::Admin),
    ("patch", "/api/admin/users/{username}", Kind::Admin),
    (
        "post",
        "/api/admin/users/{username}/password-link",
        Kind::Admin,
    ),
    ("get", "/api/me", Kind::Personal),
    ("patch", "/api/me", Kind::Personal),
    ("get", "/api/me/tokens", Kind::Personal),
    ("post", "/api/me/tokens", Kind::Personal),
    ("delete", "/api/me/tokens/{id}", Kind::Personal),
    ("get", "/api/projects", Kind::List),
    ("post", "/api/projects", Kind::Found),
    // Everything (no `?project=`): site administrators only. A project's export is for its
    // owners (see `transfer.rs`).
    ("get", "/api/export", Kind::Admin),
    ("post", "/api/import", Kind::Admin),
    ("post", "/api/projects/{id}/import/trello", Kind::Write),
    ("get", "/api/projects/{id}", Kind::Read),
    ("patch", "/api/projects/{id}", Kind::Manage),
    ("get", "/api/projects/{id}/members", Kind::Read),
    ("post", "/api/projects/{id}/members", Kind::Manage),
    (
        "patch",
        "/api/projects/{id}/members/{username}",
        Kind::Manage,
    ),
    (
        "delete",
        "/api/projects/{id}/members/{username}",
        Kind::Manage,
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Owner,
    Member,
    Viewer,
    /// Signed in, a member of another project only.
    Outsider,
    Anonymous,
}

const ROLES: [Role; 5] = [
    Role::Owner,
    Role::Member,
    Role::Viewer,
    Role::Outsider,
    Role::Anonymous,
];

/// The people of the matrix: `owner`, `member` and `viewer` of the fixtures' project, and
/// `outsider`, who owns another.
struct People {
    owner: Auth,
    member: Auth,
    viewer: Auth,
    outsider: Auth,
}

impl People {
    async fn of(app: &TestApp) -> People {
        let (owner_user, owner) = app.person_with_role("owner", "owner").await;
        let (_, member) = app.person_with_role("member", "member").await;
        let (_, viewer) = app.person_with_role("viewer", "viewer").await;
        let outsider_user = app.create_outsider("outsider", "secret-password").await;
        let outsider = app.token_for(outsider_user.id).await;
        let theirs = app
            .call(Method::POST, "/api/projects")
            .auth(&outsider)
            .json(json!({"name": "Elsewhere", "key": "ELSE"}))
            .send()
            .await;
        assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
        let _ = owner_user;
        People {
            owner,
            member,
            viewer,
            outsider,
        }
    }

    fn auth(&self, role: Role) -> Option<&Auth> {
        match role {
            Role::Owner => Some(&self.owner),
            Role::Member => Some(&self.member),
            Role::Viewer => Some(&self.viewer),
            Role::Outsider => Some(&self.outsider),
            Role::Anonymous => None,
        }
    }
}

/// Fresh things of the fixtures' project for one call (a write may consume them).
struct Things {
    sprint: i64,
    task: i64,
    label: i64,
    comment: i64,
    /// An entry the owner wrote (the task's creation, undoable by them).
    entry: i64,
    /// A member to change or remove.
    extra: String,
    /// Someone in no project, to add.
    newcomer: String,
}

async fn things(app: &TestApp, people: &People, n: usize) -> Things {
    let sprint = app
        .create_sprint(
            &people.owner,
            json!({"name": format!("S{n}"), "end": date(30 + n as i64)}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let task = app
        .create_task(
            &people.owner,
            json!({"name": format!("T{n}"), "sprint": sprint}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let entry = app
        .get_json(&people.owner, &format!("/api/tasks/{task}/history"))
        .await["results"][0]["id"]
        .as_i64()
        .unwrap();
    let label = app
        .call(Method::POST, "/api/labels")
        .auth(&people.owner)
        .json(json!({"name": format!("L{n}")}))
        .send()
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let comment = app
        .call(Method::POST, &format!("/api/tasks/{task}/comments"))
        .auth(&people.owner)
        .json(json!({"body": "Mine"}))
        .send()
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let extra = format!("extra{n}");
    let user = app.create_outsider(&extra, "secret-password").await;
    app.join(user.id, "member").await;
    let newcomer = format!("newcomer{n}");
    app.create_outsider(&newcomer, "secret-password").await;
    Things {
        sprint,
        task,
        label,
        comment,
        entry,
        extra,
        newcomer,
    }
}

/// The concrete request for a route: its path with the ids filled in, and a body that the
/// route would accept from someone allowed.
fn request(
    method: &str,
    template: &str,
    things: &Things,
    project: i32,
    n: usize,
) -> (String, Option<Value>) {
    let path = template
        .replace(
            "{id}",
            &match template {
                t if t.starts_with("/api/sprints/") => things.sprint.to_string(),
                t if t.starts_with("/api/tasks/") => things.task.to_string(),
                t if t.starts_with("/api/labels/") => things.label.to_string(),
                t if t.starts_with("/api/comments/") => things.comment.to_string(),
                t if t.starts_with("/api/history/") => things.entry.to_string(),
                t if t.starts_with("/api/projects/") => project.to_string(),
                t if t.starts_with("/api/me/tokens/") => "000000000000".into(),
                _ => "0".into(),
            },
        )
        .replace(
            "{username}",
            if template.starts_with("/api/projects/") {
                &things.extra
            } else {
                "owner"
            },
        );
    let body = match (method, template) {
        ("post", "/api/sprints") => Some(json!({"end": date(1000 + n as i64), "project": project})),
        ("put" | "patch", "/api/sprints/{id}") => {
            Some(json!({"name": "Renamed", "end": date(30 + n as i64)}))
        }
        ("post", "/api/tasks") => Some(json!({"name": "New", "project": project})),
        ("put" | "patch", "/api/tasks/{id}") => Some(json!({"name": "Renamed"})),
        ("post", "/api/tasks/{id}/move") => Some(json!({"status": 2, "sprint": things.sprint})),
        ("post", "/api/sprints/{id}/complete") => Some(json!({"carry_over": "backlog"})),
        ("post", "/api/labels") => Some(json!({"name": format!("New{n}"), "project": project})),
        ("put" | "patch", "/api/labels/{id}") => Some(json!({"name": format!("Renamed{n}")})),
        ("post", "/api/tasks/{id}/comments") | ("put" | "patch", "/api/comments/{id}") => {
            Some(json!({"body": "Said"}))
        }
        ("post", "/api/projects") => Some(json!({"name": format!("Started {n}")})),
        ("patch", "/api/projects/{id}") => Some(json!({"description": "Changed"})),
        ("post", "/api/projects/{id}/members") => {
            Some(json!({"user": things.newcomer, "role": "viewer"}))
        }
        ("patch", "/api/projects/{id}/members/{username}") => Some(json!({"role": "viewer"})),
        ("post", "/api/projects/{id}/import/trello") => Some(json!({
            "board": {"name": "T", "lists": [{"id": "l", "name": "To Do"}],
                "cards": [{"id": "c", "name": "From Trello", "idList": "l"}]},
            "columns": {"l": 1},
        })),
        _ => None,
    };
    (path, body)
}

/// What `role` must get from a route of `kind` (a status range, as "allowed" may be 200, 201
/// or 204).
fn expected(kind: Kind, role: Role) -> Option<&'static [u16]> {
    const ALLOWED: &[u16] = &[200, 201, 204];
    const HIDDEN: &[u16] = &[404];
    const FORBIDDEN: &[u16] = &[403];
    const UNAUTHORIZED: &[u16] = &[401];
    Some(match (kind, role) {
        (Kind::Public | Kind::Personal, _) => return None,
        (_, Role::Anonymous) => UNAUTHORIZED,
        (Kind::Admin, _) => FORBIDDEN,
        (Kind::List | Kind::Found, _) => ALLOWED,
        (_, Role::Outsider) => HIDDEN,
        (Kind::Read, _) => ALLOWED,
        (Kind::Write, Role::Owner | Role::Member) => ALLOWED,
        (Kind::Own, Role::Owner) => ALLOWED,
        (Kind::Manage, Role::Owner) => ALLOWED,
        (_, _) => FORBIDDEN,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_its_kind_says() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let people = People::of(&app).await;
    let document = app.get_json(&people.owner, "/api/openapi.json").await;
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(
        documented.difference(&listed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes without a line in the matrix: say who may call them"
    );
    assert_eq!(
        listed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "lines for routes that no longer exist"
    );

    let mut failures = Vec::new();
    let mut n = 0;
    for (method, template, kind) in ROUTES {
        for role in ROLES {
            let Some(wanted) = expected(*kind, role) else {
                continue;
            };
            n += 1;
            let things = things(&app, &people, n).await;
            let (path, body) = request(method, template, &things, app.project, n);
            if template.ends_with("/reopen") {
                let completed = app
                    .call(
                        Method::POST,
                        &format!("/api/sprints/{}/complete", things.sprint),
                    )
                    .auth(&people.owner)
                    .json(json!({"carry_over": "backlog"}))
                    .send()
                    .await;
                assert_eq!(completed.status, StatusCode::OK, "{}", completed.text);
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut call = app.call(method.clone(), &path);
            if let Some(auth) = people.auth(role) {
                call = call.auth(auth);
            }
            if let Some(body) = body {
                call = call.json(body);
            }
            let answer = call.send().await;
            let status = answer.status.as_u16();
            // A create naming a project the caller cannot see is told the project does not
            // exist (a field error), as an unknown sprint is.
            let creating = method == Method::POST
                && matches!(*template, "/api/sprints" | "/api/tasks" | "/api/labels");
            let refused_as_unknown = role == Role::Outsider
                && creating
                && status == 400
                && answer.json()["project"][0]
                    .as_str()
                    .is_some_and(|message| message.contains("does not exist"));
            if !wanted.contains(&status) && !refused_as_unknown {
                failures.push(format!(
                    "{role:?} {method} {path}: {status} (wanted {wanted:?}) {}",
                    answer.text.chars().take(160).collect::<String>()
                ));
            }
            if role == Role::Viewer && status == 403 && *kind == Kind::Write {
                let reason = answer.json()["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                if !reason.contains("viewer") {
                    failures.push(format!("{method} {path}: a viewer's 403 says {reason:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    app.cleanup().await;
}

/// Two projects with a sprint, a backlog task and a label each; `ours` is the fixtures' one.
struct TwoProjects {
    alice: Auth,
    bob: Auth,
    theirs: i64,
    their_sprint: i64,
    their_task: i64,
}

async fn two_projects(app: &TestApp) -> TwoProjects {
    let (_, alice) = app.person("alice").await;
    let bob_user = app.create_outsider("bob", "secret-password").await;
    let bob = app.token_for(bob_user.id).await;
    let theirs = app
        .call(Method::POST, "/api/projects")
        .auth(&bob)
        .json(json!({"name": "Theirs", "key": "THEM"}))
        .send()
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    app.create_sprint(&alice, json!({"name": "Our sprint", "end": date(14)}))
        .await;
    app.create_task(&alice, json!({"name": "Our secret plan"}))
        .await;
    let their_sprint = app
        .create_sprint(&bob, json!({"name": "Their sprint", "end": date(14)}))
        .await["id"]
        .as_i64()
        .unwrap();
    let their_task = app
        .create_task(
            &bob,
            json!({"name": "Their secret plan", "sprint": their_sprint}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    TwoProjects {
        alice,
        bob,
        theirs,
        their_sprint,
        their_task,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_projects_people_see_nothing_of_another_in_lists_search_or_history() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let two = two_projects(&app).await;
        // The same end date in two projects: each has its own.
        assert_eq!(app.names(&two.alice, "/api/sprints").await, ["Our sprint"]);
        assert_eq!(app.names(&two.bob, "/api/sprints").await, ["Their sprint"]);
        assert_eq!(
            app.names(&two.alice, "/api/tasks?search=secret").await,
            ["Our secret plan"],
            "{backend:?}"
        );
        let history = app
            .get_json(&two.alice, "/api/history?page_size=100")
            .await
            .to_string();
        assert!(!history.contains("Their"), "{history}");
        let users = app.names_of_users(&two.alice).await;
        assert_eq!(users, ["alice"], "bob shares no project with alice");
        for path in [
            format!("/api/sprints/{}", two.their_sprint),
            format!("/api/tasks/{}", two.their_task),
            format!("/api/tasks/{}/history", two.their_task),
            format!("/api/sprints/{}/history", two.their_sprint),
            format!("/api/tasks/{}/comments", two.their_task),
            format!("/api/projects/{}", two.theirs),
            format!("/api/projects/{}/members", two.theirs),
            "/api/users/bob".to_owned(),
        ] {
            let answer = app.call(Method::GET, &path).auth(&two.alice).send().await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{backend:?} {path}");
        }
        let named = app
            .call(Method::GET, &format!("/api/tasks?project={}", two.theirs))
            .auth(&two.alice)
            .send()
            .await;
        assert_eq!(named.status, StatusCode::BAD_REQUEST, "{}", named.text);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_member_cannot_open_a_projects_stream_and_a_removed_member_loses_it() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let two = two_projects(&app).await;
    let live = LiveServer::start(&app).await;
    let refused = live
        .refusal(
            &format!("sprint={}", two.their_sprint),
            &[("authorization", &format!("Token {}", two.alice.key()))],
        )
        .await;
    assert_eq!(refused, StatusCode::NOT_FOUND);

    // Bob lets alice in as a viewer: she may watch, then he takes her out again.
    let added = app
        .call(
            Method::POST,
            &format!("/api/projects/{}/members", two.theirs),
        )
        .auth(&two.bob)
        .json(json!({"user": "alice", "role": "viewer"}))
        .send()
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let mut board = live.join(&app, &two.alice, two.their_sprint as i32).await;
    let moved = app
        .call(Method::PATCH, &format!("/api/tasks/{}", two.their_task))
        .auth(&two.bob)
        .json(json!({"name": "Watched"}))
        .send()
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(board.next_change().await["body"]["name"], "Watched");
    let refused = app
        .call(Method::PATCH, &format!("/api/tasks/{}", two.their_task))
        .auth(&two.alice)
        .json(json!({"name": "Touched"}))
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let removed = app
        .call(
            Method::DELETE,
            &format!("/api/projects/{}/members/alice", two.theirs),
        )
        .auth(&two.bob)
        .send()
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    assert!(
        board.closed_within(std::time::Duration::from_secs(1)).await,
        "a removed member's stream ends within a second"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_stays_in_its_project_and_a_project_keeps_an_owner() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let two = two_projects(&app).await;
        let (_, carol) = app.person("carol").await;
        let ours = app.create_task(&carol, json!({"name": "Ours"})).await;
        assert_eq!(ours["project"], app.project);
        // Carol joins theirs too, so she may see both: the move is refused in words.
        let added = app
            .call(
                Method::POST,
                &format!("/api/projects/{}/members", two.theirs),
            )
            .auth(&two.bob)
            .json(json!({"user": "carol", "role": "member"}))
            .send()
            .await;
        assert_eq!(added.status, StatusCode::CREATED);
        for body in [
            json!({"project": two.theirs}),
            json!({"sprint": two.their_sprint}),
        ] {
            let moved = app
                .call(Method::PATCH, &format!("/api/tasks/{}", ours["id"]))
                .auth(&carol)
                .json(body.clone())
                .send()
                .await;
            assert_eq!(moved.status, StatusCode::BAD_REQUEST, "{body}");
            assert!(moved.text.contains("another project"), "{}", moved.text);
        }
        // Bob is their only owner: he can neither leave nor step down.
        let leave = app
            .call(
                Method::DELETE,
                &format!("/api/projects/{}/members/bob", two.theirs),
            )
            .auth(&two.bob)
            .send()
            .await;
        assert_eq!(leave.status, StatusCode::BAD_REQUEST, "{}", leave.text);
        assert!(leave.text.contains("needs an owner"));
        let demote = app
            .call(
                Method::PATCH,
                &format!("/api/projects/{}/members/bob", two.theirs),
            )
            .auth(&two.bob)
            .json(json!({"role": "member"}))
            .send()
            .await;
        assert_eq!(demote.status, StatusCode::BAD_REQUEST);
        // Carol may leave on her own.
        let left = app
            .call(
                Method::DELETE,
                &format!("/api/projects/{}/members/carol", two.theirs),
            )
            .auth(&carol)
            .send()
            .await;
        assert_eq!(left.status, StatusCode::NO_CONTENT, "{}", left.text);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_without_a_project_go_to_the_default_one_and_archived_projects_are_read_only() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let two = two_projects(&app).await;
    let (_, dana) = app.person("dana").await;
    // Dana joins theirs and makes it her default: the book's client, naming none, writes there.
    app.call(
        Method::POST,
        &format!("/api/projects/{}/members", two.theirs),
    )
    .auth(&two.bob)
    .json(json!({"user": "dana", "role": "member"}))
    .send()
    .await;
    let chose = app
        .call(Method::PATCH, "/api/me")
        .auth(&dana)
        .json(json!({"default_project": two.theirs}))
        .send()
        .await;
    assert_eq!(chose.status, StatusCode::OK, "{}", chose.text);
    assert_eq!(chose.json()["default_project"], two.theirs);
    let task = app.create_task(&dana, json!({"name": "Where?"})).await;
    assert_eq!(task["project"], two.theirs);
    // A project she is not in cannot be her default.
    let refused = app
        .call(Method::PATCH, "/api/me")
        .auth(&two.alice)
        .json(json!({"default_project": two.theirs}))
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let archived = app
        .call(Method::PATCH, &format!("/api/projects/{}", two.theirs))
        .auth(&two.bob)
        .json(json!({"archived": true}))
        .send()
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.text);
    let frozen = app
        .call(Method::PATCH, &format!("/api/tasks/{}", two.their_task))
        .auth(&two.bob)
        .json(json!({"name": "Changed"}))
        .send()
        .await;
    assert_eq!(frozen.status, StatusCode::FORBIDDEN);
    assert!(frozen.text.contains("archived"), "{}", frozen.text);
    assert!(
        app.names(&two.bob, "/api/sprints").await.is_empty(),
        "an archived project leaves the lists that do not name it"
    );
    assert_eq!(
        app.names(&two.bob, &format!("/api/sprints?project={}", two.theirs))
            .await,
        ["Their sprint"]
    );
    app.cleanup().await;
}

/// Data from before projects: one project holds it all, with every account in it.
#[tokio::test]
async fn existing_data_moves_into_one_project_with_everyone_in_it() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, Statement};
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        // Back to the schema before projects (and the Scrum fields after them), with some
        // data in it.
        Migrator::down(&app.db, Some(2)).await.expect("down");
        let db = &app.db;
        let backend_of = db.get_database_backend();
        for sql in [
            "INSERT INTO users (username, email, first_name, last_name, password_hash, is_active, is_superuser, date_joined, search_key) VALUES ('root', '', '', '', '!', TRUE, TRUE, CURRENT_TIMESTAMP, 'root')",
            "INSERT INTO users (username, email, first_name, last_name, password_hash, is_active, is_superuser, date_joined, search_key) VALUES ('pat', '', '', '', '!', TRUE, FALSE, CURRENT_TIMESTAMP, 'pat')",
            "INSERT INTO sprints (name, description, \"end\", version, search_key) VALUES ('Old', '', '2030-01-01', 1, 'old')",
            "INSERT INTO labels (name, name_key, colour, version) VALUES ('Bug', 'bug', 'red', 1)",
        ] {
            db.execute(Statement::from_string(backend_of, sql))
                .await
                .expect(sql);
        }
        db.execute(Statement::from_string(
            backend_of,
            "INSERT INTO tasks (name, description, sprint_id, status, \"order\", version, search_key, labels, comment_count) SELECT 'Kept', '', id, 1, 0, 1, 'kept', '', 0 FROM sprints",
        ))
        .await
        .expect("task");
        db.execute(Statement::from_string(
            backend_of,
            "INSERT INTO task_labels (task_id, label_id) SELECT t.id, l.id FROM tasks t, labels l",
        ))
        .await
        .expect("task label");
        Migrator::up(&app.db, None).await.expect("up");
        let one = |sql: &'static str| async move {
            db.query_one(Statement::from_string(backend_of, sql))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index::<i64>(0)
                .unwrap()
        };
        assert_eq!(
            one("SELECT COUNT(*) FROM project_members m JOIN projects p ON p.id = m.project_id WHERE p.\"key\" = 'SCRUM'").await,
            2,
            "{backend:?}: everyone joins"
        );
        assert_eq!(
            one("SELECT COUNT(*) FROM project_members WHERE role = 'owner'").await,
            1,
            "the site administrator owns it"
        );
        assert_eq!(
            one("SELECT COUNT(*) FROM tasks t JOIN sprints s ON s.id = t.sprint_id WHERE t.project_id = s.project_id").await,
            1,
            "{backend:?}: the task keeps its sprint, in the same project"
        );
        assert_eq!(
            one("SELECT COUNT(*) FROM task_labels").await,
            1,
            "and its label"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn createsuperuser_on_an_empty_install_makes_the_first_project_theirs() {
    use sea_orm::{ConnectionTrait, EntityTrait};
    let app = TestApp::spawn(&Backend::Sqlite).await;
    app.db
        .execute_unprepared("DELETE FROM projects")
        .await
        .expect("an install without projects");
    crate::harness::create_superuser(&app.database_url, "root", "correct horse battery").await;
    crate::harness::create_superuser(&app.database_url, "second", "correct horse battery").await;
    let projects: Vec<String> = project_names(&app).await;
    assert_eq!(projects, ["My Project"], "one first project, not one each");
    // The second joins it as an owner, so its board shows both.
    let owners = server::domain::db::entities::project_member::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(owners.len(), 2);
    assert!(owners.iter().all(|member| member.role == "owner"));
    app.cleanup().await;
}

async fn project_names(app: &TestApp) -> Vec<String> {
    use sea_orm::EntityTrait;
    server::domain::db::entities::project::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|project| project.name)
        .collect()
}
