//! The state every handler and every server-side render receives: injected, never global.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use tokio::sync::{Mutex, MutexGuard, Semaphore};

use crate::{
    config::Config,
    domain::accounts::{throttle::LoginThrottle, tokens::TokenCache},
    live::{Bus, Hub},
};

/// Cheap to clone: the database handle is a pool and the rest sits behind `Arc`s.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub throttle: Arc<LoginThrottle>,
    /// Bounds concurrent argon2 checks (each holds ~19 MiB): a burst of logins queues here
    /// instead of exhausting memory.
    pub password_checks: Arc<Semaphore>,
    /// Where committed changes are published for the live stream.
    pub bus: Bus,
    /// The bundle's manifest (hashed file names, where browsers fetch them), read at start-up.
    pub assets: Arc<app::assets::Assets>,
    /// Recent token lookups; only on SQLite (one instance sees every revocation).
    pub token_cache: Option<Arc<TokenCache>>,
    /// The `Strict-Transport-Security` value for HTTPS answers, from `HSTS_SECONDS`.
    pub hsts: axum::http::HeaderValue,
    write_gate: Arc<Mutex<()>>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        let token_cache = (db.get_database_backend() == DbBackend::Sqlite)
            .then(|| Arc::new(TokenCache::default()));
        let throttle = Arc::new(LoginThrottle::new(config.login_limits));
        let hsts = crate::http::headers::hsts_value(config.hsts_seconds);
        Self {
            token_cache,
            assets: Arc::new(crate::http::assets::manifest(&config)),
            db,
            config: Arc::new(config),
            throttle,
            hsts,
            password_checks: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            )),
            bus: Bus::in_process(Hub::default()),
            write_gate: Arc::new(Mutex::new(())),
        }
    }

    /// Switches to the database's own event bus: PostgreSQL `LISTEN/NOTIFY`, so that several
    /// instances share changes. On SQLite the in-process bus stays.
    pub async fn with_database_bus(mut self) -> anyhow::Result<Self> {
        self.bus = Bus::for_database(&self.db, self.bus.hub().clone()).await?;
        Ok(self)
    }

    /// Held around every write transaction on SQLite. SQLite allows one writer at a time, and
    /// a deferred transaction that upgrades to a writer fails at once with "database is locked"
    /// (the busy timeout does not apply); queueing writers here turns that into a short wait.
    /// PostgreSQL needs no gate: it locks rows and columns itself.
    pub async fn write_gate(&self) -> Option<MutexGuard<'_, ()>> {
        if self.db.get_database_backend() == DbBackend::Sqlite {
            Some(self.write_gate.lock().await)
        } else {
            None
        }
    }
}

// leptos_axum finds the site's options (site root, output name, hashes) through this.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}
