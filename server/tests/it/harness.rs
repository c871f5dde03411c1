//! Test harness: one fresh database per test (an SQLite file, or a throw-away PostgreSQL
//! database) and helpers to send requests through the application's router. For the live
//! stream: the application served on loopback ([`LiveServer`]), websocket clients
//! ([`WsClient`]), and the real `server` binary as a process ([`ServerProcess`]).

use std::{
    net::SocketAddr,
    sync::{
        Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use base64::Engine;
use chrono::NaiveDate;
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, Set};
use serde_json::Value;
use server::{
    AppState, Config, build_router,
    domain::db::{
        self,
        entities::{project, project_member, sprint, task, user},
    },
};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};
use tower::ServiceExt;

/// Which engines this machine can test against: SQLite always; PostgreSQL when
/// `TEST_DATABASE_URL` is set or a server answers on 127.0.0.1:5432. With `REQUIRE_POSTGRES=1`
/// (CI sets it after starting the server) a missing PostgreSQL fails the test instead of
/// leaving its PostgreSQL half unrun.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if let Some(url) = postgres_admin_url() {
        backends.push(Backend::Postgres(url));
    }
    backends
}

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// URL of a database we may `CREATE DATABASE` from.
    Postgres(String),
}

fn postgres_admin_url() -> Option<String> {
    let found = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) => (!url.is_empty()).then_some(url),
        Err(_) => {
            let addr = "127.0.0.1:5432".parse().expect("a socket address");
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300))
                .ok()
                .map(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
        }
    };
    if found.is_none() && std::env::var("REQUIRE_POSTGRES").is_ok_and(|value| value == "1") {
        panic!(
            "REQUIRE_POSTGRES=1, but no PostgreSQL answers on 127.0.0.1:5432 and \
             TEST_DATABASE_URL is not set: this test's PostgreSQL half cannot run"
        );
    }
    found
}

/// Notes that the running test uses `backend`, in the file `TEST_BACKEND_TALLY` names (set by
/// `cargo xtask test`, which counts the tests that ran on each engine for its summary).
fn tally(backend: &Backend) {
    let Some(path) = std::env::var_os("TEST_BACKEND_TALLY") else {
        return;
    };
    let engine = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres(_) => "postgres",
    };
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned();
    use std::io::Write;
    // One short line per write on a file opened for appending: lines from parallel tests do
    // not interleave.
    let line = format!("{engine} {test}\n");
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(line.as_bytes()))
        .expect("write TEST_BACKEND_TALLY");
}

/// A running application over its own, freshly migrated database.
pub struct TestApp {
    pub router: Router,
    pub db: DatabaseConnection,
    /// The state behind `router` (its bus and hub drive the live stream).
    pub state: AppState,
    /// The database's URL, for a second instance on the same data ([`TestApp::attach`]).
    pub database_url: String,
    /// The project the fixtures live in: [`TestApp::create_user`] makes its people members,
    /// [`TestApp::insert_sprint`] and [`TestApp::insert_task`] put their rows there.
    pub project: i32,
    cleanup: Cleanup,
    _watchdog: Watchdog,
}

/// How long one test may hold a [`TestApp`]. The slowest tests take seconds; a test still
/// running after this is hung (a wait without a timeout, a blocked runtime).
const TEST_LIMIT: Duration = Duration::from_secs(180);

/// Ends the whole test process, naming the test, when a test outlives [`TEST_LIMIT`]: a hang
/// must fail the run at once, not stall it until CI's own limit cuts everything off. A plain
/// thread, so it fires even when the test's runtime is blocked. Dropping it disarms it.
struct Watchdog {
    _disarm: std::sync::mpsc::Sender<()>,
}

impl Watchdog {
    fn arm() -> Watchdog {
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        let (disarm, disarmed) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                disarmed.recv_timeout(TEST_LIMIT)
            {
                // Not eprintln!: libtest captures that, and the capture dies with the process.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\n{test} is still running after {TEST_LIMIT:?}: aborting the tests"
                );
                std::process::abort();
            }
        });
        Watchdog { _disarm: disarm }
    }
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another instance owns the database ([`TestApp::attach`]).
    Shared,
}

/// The `SECRET_KEY` every test instance runs with (tickets and sessions are signed with it).
pub const SECRET_KEY: &str = "test-key-Zq8J2vX9mL4tR7wN1cF5hB3yK6dP0sG";

/// The test configuration: `extra` first, then the test database and [`SECRET_KEY`].
fn test_config(database_url: &str, extra: &[(String, String)]) -> Config {
    Config::from_lookup(|name| {
        if let Some((_, value)) = extra.iter().find(|(extra_name, _)| extra_name == name) {
            return Some(value.clone());
        }
        match name {
            "DATABASE_URL" => Some(database_url.to_owned()),
            "SECRET_KEY" => Some(SECRET_KEY.into()),
            _ => None,
        }
    })
    .expect("config")
}

fn owned_env(extra_env: &[(&str, &str)]) -> Vec<(String, String)> {
    extra_env
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!(
        "scrum_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    )
}

impl TestApp {
    pub async fn spawn(backend: &Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    /// Like [`TestApp::spawn`], with extra configuration variables (e.g. `TOKEN_TTL`).
    pub async fn spawn_with(backend: &Backend, extra_env: &[(&str, &str)]) -> TestApp {
        tally(backend);
        let extra = owned_env(extra_env);
        let (database_url, cleanup) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/scrum.db?mode=rwc", dir.path().display());
                (url, Cleanup::Sqlite(dir))
            }
            Backend::Postgres(admin_url) => {
                let name = unique_name();
                let admin = Database::connect(admin_url).await.expect("postgres admin");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url.rsplit_once('/').expect("database url").0;
                (
                    format!("{base}/{name}"),
                    Cleanup::Postgres {
                        admin_url: admin_url.clone(),
                        name,
                    },
                )
            }
        };
        let config = test_config(&database_url, &extra);
        let db = db::connect(&config.database_url).await.expect("connect");
        db::migrate(&db).await.expect("migrate");
        let state = AppState::new(db.clone(), config).await.expect("state");
        let project = project::ActiveModel {
            name: Set("Test Project".into()),
            key: Set("TEST".into()),
            description: Set(String::new()),
            archived: Set(false),
            created: Set(chrono::Utc::now()),
            version: Set(1),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect("insert the fixtures' project")
        .id;
        TestApp {
            router: build_router(state.clone()),
            db,
            state,
            database_url,
            project,
            cleanup,
            _watchdog: Watchdog::arm(),
        }
    }

    /// A second instance (its own pool, hub and bus) on this app's database, as another server
    /// process would be. Cleaning it up leaves the database to its owner.
    pub async fn attach(&self, extra_env: &[(&str, &str)]) -> TestApp {
        let config = test_config(&self.database_url, &owned_env(extra_env));
        let db = db::connect(&config.database_url).await.expect("connect");
        let state = AppState::new(db.clone(), config).await.expect("state");
        TestApp {
            router: build_router(state.clone()),
            db,
            state,
            database_url: self.database_url.clone(),
            project: self.project,
            cleanup: Cleanup::Shared,
            _watchdog: Watchdog::arm(),
        }
    }

    /// This app on the database's own event bus (PostgreSQL `LISTEN/NOTIFY`; SQLite keeps the
    /// in-process bus), as `server serve` runs.
    pub async fn with_database_bus(mut self) -> TestApp {
        self.state = self
            .state
            .clone()
            .with_database_bus()
            .await
            .expect("event bus");
        self.router = build_router(self.state.clone());
        self
    }

    /// Sends `request` through the router and returns status, headers and body text.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        TestResponse {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(
            Request::get(path)
                .header(header::HOST, "localhost:3000")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// Drops the PostgreSQL database (SQLite files go with their temp dir).
    pub async fn cleanup(self) {
        self.db.close().await.ok();
        if let Cleanup::Postgres { admin_url, name } = self.cleanup
            && let Ok(admin) = Database::connect(&admin_url).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            admin.close().await.ok();
        }
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }
}

impl TestResponse {
    /// A response header as text; panics when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .expect("header is text")
    }
}

/// The host every helper request is addressed to (links in answers are built from it).
pub const HOST: &str = "localhost:3000";
/// `http://` + [`HOST`]: the prefix of every absolute URL the API answers with.
pub const BASE: &str = "http://localhost:3000";
/// The book's demo account.
pub const DEMO_USER: &str = "demo";
pub const DEMO_PASSWORD: &str = "test";

/// How a request proves who sends it.
#[derive(Clone, Debug)]
pub enum Auth {
    Anonymous,
    Basic(String, String),
    Token(String),
    /// The value of the `scrum_session` cookie.
    Session(String),
}

impl Auth {
    pub fn basic(username: &str, password: &str) -> Auth {
        Auth::Basic(username.to_owned(), password.to_owned())
    }

    /// The `Authorization: Token …` key (panics for other kinds).
    pub fn key(&self) -> &str {
        match self {
            Auth::Token(key) => key,
            other => panic!("not a token: {other:?}"),
        }
    }
}

/// A request body.
#[derive(Clone, Debug)]
pub enum Payload {
    Empty,
    Json(serde_json::Value),
    /// Already encoded `application/x-www-form-urlencoded` text.
    Form(String),
    /// Any bytes with any `Content-Type`.
    Raw {
        content_type: String,
        body: String,
    },
}

/// A body of `content_type` holding exactly `body`.
pub fn raw(content_type: &str, body: &str) -> Payload {
    Payload::Raw {
        content_type: content_type.to_owned(),
        body: body.to_owned(),
    }
}

/// Encodes pairs the way a browser or Python `requests` does (repeated keys allowed).
pub fn form(pairs: &[(&str, &str)]) -> Payload {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    Payload::Form(serializer.finish())
}

/// A request being built: `app.call(Method::POST, "/api/sprints").auth(&a).json(v).send()`.
pub struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    auth: Auth,
    payload: Payload,
    headers: Vec<(String, String)>,
    peer: Option<std::net::SocketAddr>,
}

impl Call<'_> {
    /// The client's socket address, as `axum::serve` would record it (oneshot requests have
    /// none, so per-address rules and trusted proxies only apply with this).
    pub fn peer(mut self, ip: &str) -> Self {
        self.peer = Some(std::net::SocketAddr::new(
            ip.parse().expect("an IP"),
            40_000,
        ));
        self
    }

    pub fn auth(mut self, auth: &Auth) -> Self {
        self.auth = auth.clone();
        self
    }

    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.payload = Payload::Json(body);
        self
    }

    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        self.payload = form(pairs);
        self
    }

    pub fn payload(mut self, payload: Payload) -> Self {
        self.payload = payload;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The headers of a websocket handshake in protocol `version` (RFC 6455's sample key).
    pub fn websocket_upgrade(self, version: &str) -> Self {
        self.header("connection", "keep-alive, Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", version)
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
    }

    pub async fn send(self) -> TestResponse {
        let mut builder = Request::builder().method(self.method).uri(self.path);
        // A test's own Host replaces the default (two Host headers would hide the test's one).
        if !self
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            builder = builder.header(header::HOST, HOST);
        }
        match &self.auth {
            Auth::Anonymous => {}
            Auth::Basic(username, password) => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                builder = builder.header(header::AUTHORIZATION, format!("Basic {encoded}"));
            }
            Auth::Token(key) => {
                builder = builder.header(header::AUTHORIZATION, format!("Token {key}"));
            }
            Auth::Session(id) => {
                builder = builder.header(header::COOKIE, format!("scrum_session={id}"));
            }
        }
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = match self.payload {
            Payload::Empty => Body::empty(),
            Payload::Json(value) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            Payload::Form(text) => {
                builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(text)
            }
            Payload::Raw { content_type, body } => {
                builder = builder.header(header::CONTENT_TYPE, content_type);
                Body::from(body)
            }
        };
        let mut request = builder.body(body).expect("request");
        if let Some(peer) = self.peer {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        self.app.send(request).await
    }
}

/// Password hashes by password, so each argon2 hash is computed once per test run.
static HASHES: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

async fn hash_of(password: &str) -> String {
    if let Some((_, hash)) = HASHES
        .lock()
        .unwrap()
        .iter()
        .find(|(known, _)| known == password)
    {
        return hash.clone();
    }
    let hash = server::domain::accounts::password::hash(password.to_owned())
        .await
        .expect("hash");
    HASHES
        .lock()
        .unwrap()
        .push((password.to_owned(), hash.clone()));
    hash
}

/// Today's date (UTC, as the server's rules use) moved by `days`.
pub fn date(days: i64) -> NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(days)
}

/// [`date`] as the API writes it: `YYYY-MM-DD`.
pub fn day(days: i64) -> String {
    date(days).to_string()
}

/// What a test task row holds; unset fields take the model defaults.
#[derive(Clone, Debug, Default)]
pub struct NewTask {
    pub name: String,
    pub description: String,
    pub sprint: Option<i32>,
    pub status: i16,
    pub order: i16,
    pub assigned: Option<i32>,
    pub started: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub completed: Option<NaiveDate>,
}

impl NewTask {
    pub fn named(name: &str) -> NewTask {
        NewTask {
            name: name.to_owned(),
            status: 1,
            ..Default::default()
        }
    }
}

impl TestApp {
    /// A request to `path` on this app (anonymous, no body, until told otherwise).
    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            app: self,
            method,
            path: path.to_owned(),
            auth: Auth::Anonymous,
            payload: Payload::Empty,
            headers: Vec::new(),
            peer: None,
        }
    }

    /// One request with the given credentials and body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Payload,
    ) -> TestResponse {
        self.call(method, path)
            .auth(auth)
            .payload(body)
            .send()
            .await
    }

    /// An active user with this password (argon2id, as `createsuperuser` stores it), a member
    /// of the fixtures' project.
    pub async fn create_user(&self, username: &str, password: &str) -> user::Model {
        let user = self.create_outsider(username, password).await;
        self.join(user.id, "member").await;
        user
    }

    /// Makes user `id` a member of the fixtures' project with `role`.
    pub async fn join(&self, id: i32, role: &str) {
        self.join_project(self.project, id, role).await;
    }

    /// Makes user `id` a member of `project` with `role`.
    pub async fn join_project(&self, project: i32, id: i32, role: &str) {
        project_member::ActiveModel {
            project_id: Set(project),
            user_id: Set(id),
            role: Set(role.to_owned()),
            joined: Set(chrono::Utc::now()),
        }
        .insert(&self.db)
        .await
        .expect("insert membership");
    }

    /// An active user in no project.
    pub async fn create_outsider(&self, username: &str, password: &str) -> user::Model {
        user::ActiveModel {
            username: Set(username.to_owned()),
            email: Set(format!("{username}@example.com")),
            first_name: Set(String::new()),
            last_name: Set(String::new()),
            password_hash: Set(hash_of(password).await),
            is_active: Set(true),
            is_superuser: Set(false),
            date_joined: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("insert user")
    }

    /// A fresh API token for `user_id`, as `POST /api/token/` would issue.
    pub async fn token_for(&self, user_id: i32) -> Auth {
        Auth::Token(
            server::domain::accounts::tokens::issue(&self.db, user_id, None)
                .await
                .expect("issue token"),
        )
    }

    /// The book's `demo`/`test` user, signed in with a token (fast: no password check).
    pub async fn demo(&self) -> Auth {
        let user = self.create_user(DEMO_USER, DEMO_PASSWORD).await;
        self.token_for(user.id).await
    }

    /// A sprint row written directly (the API refuses past end dates; this does not).
    pub async fn insert_sprint(&self, name: &str, end: NaiveDate) -> sprint::Model {
        sprint::ActiveModel {
            name: Set(name.to_owned()),
            description: Set(String::new()),
            end: Set(end),
            start: Set(end.min(self.state.store.today())),
            version: Set(1),
            project_id: Set(self.project),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("insert sprint")
    }

    /// A task row written directly, bypassing the API's rules.
    pub async fn insert_task(&self, new: NewTask) -> task::Model {
        task::ActiveModel {
            name: Set(new.name),
            description: Set(new.description),
            sprint_id: Set(new.sprint),
            status: Set(if new.status == 0 { 1 } else { new.status }),
            order: Set(new.order),
            assigned_id: Set(new.assigned),
            started: Set(new.started),
            due: Set(new.due),
            completed: Set(new.completed),
            version: Set(1),
            project_id: Set(self.project),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("insert task")
    }

    /// `POST /api/sprints` as JSON; panics unless it answers 201. Returns the sprint.
    pub async fn create_sprint(&self, auth: &Auth, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .call(Method::POST, "/api/sprints")
            .auth(auth)
            .json(body)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
        response.json()
    }

    /// `POST /api/tasks` as JSON; panics unless it answers 201. Returns the task.
    pub async fn create_task(&self, auth: &Auth, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .call(Method::POST, "/api/tasks")
            .auth(auth)
            .json(body)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
        response.json()
    }

    /// `GET path` with `auth`; panics unless it answers 200. Returns the JSON body.
    pub async fn get_json(&self, auth: &Auth, path: &str) -> serde_json::Value {
        let response = self.call(Method::GET, path).auth(auth).send().await;
        assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.text);
        response.json()
    }

    /// The `name`s of a list answer's `results`, in order.
    pub async fn names(&self, auth: &Auth, path: &str) -> Vec<String> {
        names_of(&self.get_json(auth, path).await)
    }
}

/// The `name` of every entry of a list answer's `results`, in order.
pub fn names_of(page: &serde_json::Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|item| item["name"].as_str().expect("name").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The live stream over real sockets: the application served on loopback, websocket clients,
// and the real `server` binary run as separate processes.

/// How long a test waits for a frame it expects before failing.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The application served on `127.0.0.1:<free port>` exactly as `server serve` serves it.
pub struct LiveServer {
    pub addr: SocketAddr,
    state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl LiveServer {
    /// Serves `app`'s state (its database, bus and hub).
    pub async fn start(app: &TestApp) -> LiveServer {
        Self::serve(app.state.clone()).await
    }

    pub async fn serve(state: AppState) -> LiveServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let router = build_router(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        LiveServer { addr, state, task }
    }

    /// `http://127.0.0.1:<port>`: what a page of this site sends as `Origin`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The handshake for `/socket?<query>` with extra headers (`Origin`, `Cookie`, …).
    pub fn request(&self, query: &str, headers: &[(&str, &str)]) -> WsRequest {
        ws_request(self.addr, query, headers)
    }

    /// Opens `/socket?<query>` (panics if refused) and reads the hello frame.
    pub async fn connect(&self, query: &str) -> WsClient {
        self.connect_with(query, &[]).await
    }

    /// Waits until this instance has delivered every change already committed. A board that
    /// joins sooner starts its stream before those changes and receives them as news, as the
    /// protocol allows; a test that expects "the next change is the one I make now" waits here.
    pub async fn settled(&self) {
        let head = server::domain::log::head(&self.state.db)
            .await
            .expect("the log's head");
        let deadline = tokio::time::Instant::now() + FRAME_TIMEOUT;
        while self.state.bus.hub().delivered() < head {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the follower did not deliver up to entry {head} within {FRAME_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub async fn connect_with(&self, query: &str, headers: &[(&str, &str)]) -> WsClient {
        self.settled().await;
        WsClient::open(self.request(query, headers))
            .await
            .unwrap_or_else(|error| panic!("/socket?{query} refused: {}", describe(&error)))
    }

    /// Opens the board of `sprint` the way the SPA does: the `links.channel` ticket that the
    /// REST API gives `auth`.
    pub async fn join(&self, app: &TestApp, auth: &Auth, sprint: i32) -> WsClient {
        self.connect(&app.channel_query(auth, sprint).await).await
    }

    /// The HTTP status of a refused handshake (panics if the upgrade succeeds).
    pub async fn refusal(&self, query: &str, headers: &[(&str, &str)]) -> StatusCode {
        refusal_status(self.request(query, headers)).await
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub type WsRequest = tokio_tungstenite::tungstenite::handshake::client::Request;

/// `GET ws://<addr>/socket?<query>` with extra headers.
pub fn ws_request(addr: SocketAddr, query: &str, headers: &[(&str, &str)]) -> WsRequest {
    let mut request = format!("ws://{addr}/socket?{query}")
        .into_client_request()
        .expect("websocket request");
    for (name, value) in headers {
        request.headers_mut().append(
            header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            header::HeaderValue::from_str(value).expect("header value"),
        );
    }
    request
}

fn describe(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Http(response) => format!(
            "HTTP {} {}",
            response.status(),
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
        ),
        other => other.to_string(),
    }
}

/// The status a refused handshake answers with; panics if the socket opens.
pub async fn refusal_status(request: WsRequest) -> StatusCode {
    let uri = request.uri().clone();
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => panic!("{uri}: the handshake was accepted"),
        Err(tungstenite::Error::Http(response)) => response.status(),
        Err(other) => panic!("{uri}: expected an HTTP refusal, got {other}"),
    }
}

/// A websocket client of the live stream.
pub struct WsClient {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The first frame: `{"action":"hello","seq","sprint","user"}`.
    pub hello: Value,
}

impl WsClient {
    /// Completes the handshake and reads the hello frame.
    pub async fn open(request: WsRequest) -> Result<WsClient, tungstenite::Error> {
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        let mut client = WsClient {
            ws,
            hello: Value::Null,
        };
        let hello = client.next().await;
        assert_eq!(
            hello["action"], "hello",
            "the first frame is hello: {hello}"
        );
        client.hello = hello;
        Ok(client)
    }

    /// The `seq` of the hello frame: the last change-log entry when the client joined.
    pub fn hello_seq(&self) -> u64 {
        self.hello["seq"].as_u64().expect("seq")
    }

    /// The next text frame as JSON, or `None` when none arrives within `wait`. Panics when the
    /// server closes the stream. Reading also answers the server's pings.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) => panic!("the server closed the stream"),
                Ok(Some(Err(error))) => panic!("stream error: {error}"),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => {
                    return Some(
                        serde_json::from_str(text.as_str())
                            .unwrap_or_else(|error| panic!("not JSON ({error}): {text}")),
                    );
                }
                Message::Close(frame) => panic!("the server closed the stream: {frame:?}"),
                Message::Binary(_) => panic!("unexpected binary frame"),
                _ => {} // pings and pongs
            }
        }
    }

    /// The next text frame; panics after [`FRAME_TIMEOUT`].
    pub async fn next(&mut self) -> Value {
        self.next_within(FRAME_TIMEOUT)
            .await
            .unwrap_or_else(|| panic!("no frame within {FRAME_TIMEOUT:?}"))
    }

    /// The next frame for which `wanted` holds, skipping the others.
    pub async fn next_where(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + FRAME_TIMEOUT;
        let mut skipped = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(frame) if wanted(&frame) => return frame,
                Some(frame) => skipped.push(frame),
                None => panic!("no {what} within {FRAME_TIMEOUT:?}; skipped {skipped:?}"),
            }
        }
    }

    /// The next change frame (it has a `seq`) or `resync`, skipping presence and gestures.
    pub async fn next_change(&mut self) -> Value {
        self.next_where("change frame", |frame| {
            frame.get("seq").is_some() || frame["action"] == "resync"
        })
        .await
    }

    /// The usernames of the next presence frame.
    pub async fn next_presence(&mut self) -> Vec<String> {
        let frame = self
            .next_where("presence frame", |frame| frame["action"] == "presence")
            .await;
        usernames(&frame)
    }

    /// The next frame that is not presence (changes, relayed gestures, resync).
    pub async fn next_not_presence(&mut self) -> Value {
        self.next_where("non-presence frame", |frame| frame["action"] != "presence")
            .await
    }

    /// Every frame that arrives within `wait`.
    pub async fn frames_during(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut frames = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(frame) => frames.push(frame),
                None => return frames,
            }
        }
    }

    /// Whether the server ends the stream within `wait` (frames before the end are skipped).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn send_json(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("send a frame");
    }

    /// Closes the connection cleanly and waits for the server's close.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = tokio::time::timeout(FRAME_TIMEOUT, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}

/// The sorted `users` of a presence frame.
pub fn usernames(frame: &Value) -> Vec<String> {
    let mut users: Vec<String> = frame["users"]
        .as_array()
        .unwrap_or_else(|| panic!("not a presence frame: {frame}"))
        .iter()
        .map(|user| user.as_str().expect("a username").to_owned())
        .collect();
    users.sort();
    users
}

/// The query of a sprint's `links.channel` (`channel=<ticket>`).
pub fn channel_query_of(sprint: &Value) -> String {
    let channel = sprint["links"]["channel"]
        .as_str()
        .unwrap_or_else(|| panic!("no links.channel: {sprint}"));
    channel
        .split_once('?')
        .unwrap_or_else(|| panic!("no query in {channel}"))
        .1
        .to_owned()
}

impl TestApp {
    /// The query of `links.channel` for `sprint` as the API gives it to `auth`: a ticket.
    pub async fn channel_query(&self, auth: &Auth, sprint: i32) -> String {
        let query = channel_query_of(&self.get_json(auth, &format!("/api/sprints/{sprint}")).await);
        assert!(query.starts_with("channel="), "{query}");
        query
    }

    /// Signs in through the session endpoint at `path` (`/api/session`, or under a
    /// `BASE_PATH`) as a browser does, and returns the `Cookie` header value to send back and
    /// the `Set-Cookie` header it came from.
    pub async fn sign_in_at(&self, path: &str, username: &str, password: &str) -> (String, String) {
        let response = self
            .call(Method::POST, path)
            .header("origin", BASE)
            .json(serde_json::json!({"username": username, "password": password}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        let set_cookie = response.header("set-cookie").to_owned();
        let cookie = set_cookie.split(';').next().expect("a cookie").to_owned();
        (cookie, set_cookie)
    }

    /// A browser session for `user_id`: the `scrum_session` cookie value.
    pub async fn session_for(&self, user_id: i32) -> String {
        server::domain::accounts::sessions::create(&self.db, user_id, Duration::from_secs(3600))
            .await
            .expect("create session")
            .id
    }

    /// A user signed in with a token, for the live tests that need several people.
    pub async fn person(&self, username: &str) -> (user::Model, Auth) {
        let user = self.create_user(username, "secret-password").await;
        let auth = self.token_for(user.id).await;
        (user, auth)
    }

    /// A person with `role` (`owner`, `member` or `viewer`) in the fixtures' project, signed in
    /// with a token.
    pub async fn person_with_role(&self, username: &str, role: &str) -> (user::Model, Auth) {
        let user = self.create_outsider(username, "secret-password").await;
        self.join(user.id, role).await;
        let auth = self.token_for(user.id).await;
        (user, auth)
    }

    /// The usernames `GET /api/users` shows `auth`.
    pub async fn names_of_users(&self, auth: &Auth) -> Vec<String> {
        self.get_json(auth, "/api/users").await["results"]
            .as_array()
            .expect("a page")
            .iter()
            .map(|user| user["username"].as_str().expect("username").to_owned())
            .collect()
    }
}

/// The real `server` binary (`serve`) as a child process on a free loopback port. Killed (by
/// its own handle) when dropped.
pub struct ServerProcess {
    pub addr: SocketAddr,
    child: std::process::Child,
    _logs: tempfile::TempDir,
}

pub const SERVER_BINARY: &str = env!("CARGO_BIN_EXE_server");

impl ServerProcess {
    /// Starts `server serve` on `database_url` with the test `SECRET_KEY`; returns once
    /// `/healthz` answers.
    pub async fn start(database_url: &str, extra_env: &[(&str, &str)]) -> ServerProcess {
        let mut last_error = String::new();
        for _attempt in 0..3 {
            // Another program may take the port between probing and binding: then retry.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|probe| probe.local_addr())
                .expect("a free port")
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let logs = tempfile::tempdir().expect("temp dir");
            let log_path = logs.path().join("stderr.log");
            let mut command = std::process::Command::new(SERVER_BINARY);
            command
                .arg("serve")
                .current_dir(logs.path())
                .env("DATABASE_URL", database_url)
                .env("SECRET_KEY", SECRET_KEY)
                .env("LEPTOS_SITE_ADDR", addr.to_string())
                .env("RUST_LOG", "warn")
                .env_remove("SCRUM_ENV")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(&log_path).expect("log file"));
            for (name, value) in extra_env {
                command.env(name, value);
            }
            let mut child = command.spawn().expect("spawn the server binary");
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!(
                        "server exited with {status}: {}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                    break;
                }
                if let Ok((200, _)) = http_call(addr, "GET", "/healthz", None, None).await {
                    return ServerProcess {
                        addr,
                        child,
                        _logs: logs,
                    };
                }
                if tokio::time::Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "server on {addr} not ready in 30 s: {}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        panic!("the server binary would not start: {last_error}");
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One JSON request with `Authorization: Token <token>`; panics on transport errors.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        http_call(self.addr, method, path, token, body)
            .await
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `server createsuperuser` on `database_url` (the password through `SCRUM_PASSWORD`).
pub async fn create_superuser(database_url: &str, username: &str, password: &str) {
    let mut command = std::process::Command::new(SERVER_BINARY);
    command
        .args([
            "createsuperuser",
            "--username",
            username,
            "--email",
            &format!("{username}@example.com"),
        ])
        .env("DATABASE_URL", database_url)
        .env("SECRET_KEY", SECRET_KEY)
        .env("SCRUM_PASSWORD", password)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run createsuperuser");
    assert!(output.status.success(), "createsuperuser: {output:?}");
}

/// A minimal HTTP/1.1 client over a `TcpStream` (one request per connection): the status and
/// the JSON body (`Null` when empty).
pub async fn http_call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let body = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Token {token}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(FRAME_TIMEOUT, stream.read_to_end(&mut raw))
        .await
        .map_err(|_| std::io::Error::other("response timed out"))??;
    let text = String::from_utf8_lossy(&raw);
    let (head, content) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {text:?}")))?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let content = if chunked {
        dechunk(content)
    } else {
        content.to_owned()
    };
    let json = if content.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&content).unwrap_or(Value::String(content))
    };
    Ok((status, json))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// A REST body as the live stream carries it: the same representation, with root-relative
/// links (broadcast links are never built from one writer's `Host`; see `Renderer`).
pub fn as_broadcast(body: &serde_json::Value) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text)
                if text.starts_with("http://") || text.starts_with("https://") =>
            {
                if let Some(path) = text.splitn(4, '/').nth(3) {
                    *text = format!("/{path}");
                }
            }
            serde_json::Value::String(text)
                if text.starts_with("ws://") || text.starts_with("wss://") =>
            {
                if let Some(path) = text.splitn(4, '/').nth(3) {
                    *text = format!("/{path}");
                }
            }
            serde_json::Value::Object(map) => map.values_mut().for_each(strip),
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut copy = body.clone();
    if let Some(links) = copy.get_mut("links") {
        strip(links);
    }
    copy
}

/// `method path` as `auth`, with an optional JSON body: the status and the JSON answer (null
/// for an empty one).
pub async fn send(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut call = app.call(method, path).auth(auth);
    if let Some(body) = body {
        call = call.json(body);
    }
    let answer = call.send().await;
    let json = if answer.text.is_empty() {
        serde_json::Value::Null
    } else {
        answer.json()
    };
    (answer.status, json)
}
