//! Test harness: one fresh database per test (an SQLite file, or a throw-away PostgreSQL
//! database) and helpers to send requests through the application's router.

use std::sync::{
    Mutex,
    atomic::{AtomicU32, Ordering},
};

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use base64::Engine;
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, Set};
use server::{
    AppState, Config, build_router,
    db::{
        self,
        entities::{sprint, task, user},
    },
};
use tower::ServiceExt;

/// Which engines this machine can test against: SQLite always; PostgreSQL when
/// `TEST_DATABASE_URL` is set or a server answers on 127.0.0.1:5432.
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
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        return (!url.is_empty()).then_some(url);
    }
    let addr = "127.0.0.1:5432".parse().ok()?;
    std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300))
        .ok()
        .map(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A running application over its own, freshly migrated database.
pub struct TestApp {
    pub router: Router,
    pub db: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
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
        let extra: Vec<(String, String)> = extra_env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
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
        let config = Config::from_lookup(|name| match name {
            "DATABASE_URL" => Some(database_url.clone()),
            "SECRET_KEY" => Some("test-key-Zq8J2vX9mL4tR7wN1cF5hB3yK6dP0sG".into()),
            other => extra
                .iter()
                .find(|(name, _)| name == other)
                .map(|(_, value)| value.clone()),
        })
        .expect("config");
        let db = db::connect(&config.database_url).await.expect("connect");
        db::migrate(&db).await.expect("migrate");
        let router = build_router(AppState::new(db.clone(), config));
        TestApp {
            router,
            db,
            cleanup,
        }
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

    pub async fn send(self) -> TestResponse {
        let mut builder = Request::builder()
            .method(self.method)
            .uri(self.path)
            .header(header::HOST, HOST);
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
    let hash = server::auth::password::hash(password.to_owned())
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

    /// An active user with this password (argon2id, as `createsuperuser` stores it).
    pub async fn create_user(&self, username: &str, password: &str) -> user::Model {
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
            server::auth::tokens::issue(&self.db, user_id, None)
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
            version: Set(1),
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
