//! Test harness: one fresh database per test (an SQLite file, or a throw-away PostgreSQL
//! database) and helpers to send requests through the application's router.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::{AppState, Config, build_router, db};
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
            _ => None,
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
