//! The state every handler and every server-side render receives: injected, never global.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use tokio::sync::{MutexGuard, Semaphore};

use crate::{
    config::Config,
    domain::{
        accounts::{throttle::LoginThrottle, tokens::TokenCache},
        store::Store,
    },
    live::{Bus, Hub},
};

/// Cheap to clone: the database handle is a pool and the rest sits behind `Arc`s.
#[derive(Clone)]
pub struct AppState {
    /// For reads; writes go through `store`.
    pub db: DatabaseConnection,
    /// The domain's handle: writes, the change log, SQLite's write gate.
    pub store: Store,
    pub config: Arc<Config>,
    pub throttle: Arc<LoginThrottle>,
    /// Bounds concurrent argon2 checks (each holds ~19 MiB): a burst of logins queues here
    /// instead of exhausting memory.
    pub password_checks: Arc<Semaphore>,
    /// Follows the change log for this instance's live streams.
    pub bus: Bus,
    /// The bundle's manifest (hashed file names, where browsers fetch them), read at start-up.
    pub assets: Arc<app::assets::Assets>,
    /// Recent token lookups; only on SQLite (one instance sees every revocation).
    pub token_cache: Option<Arc<TokenCache>>,
    /// The `Strict-Transport-Security` value for HTTPS answers, from `HSTS_SECONDS`.
    pub hsts: axum::http::HeaderValue,
    /// Whether no account exists yet, and the code that allows creating the first remotely.
    pub first_run: Arc<crate::http::setup::FirstRun>,
}

impl AppState {
    /// The state for `db`, with live delivery following its change log from now on (one
    /// instance; see [`AppState::with_database_bus`] for several).
    pub async fn new(db: DatabaseConnection, config: Config) -> Result<Self, sea_orm::DbErr> {
        let token_cache = (db.get_database_backend() == DbBackend::Sqlite)
            .then(|| Arc::new(TokenCache::default()));
        let throttle = Arc::new(LoginThrottle::new(config.login_limits));
        let hsts = crate::http::headers::hsts_value(config.hsts_seconds);
        let store = Store::new(db.clone(), &config);
        let bus = Bus::follow(&store, Hub::default()).await?;
        Ok(Self {
            token_cache,
            assets: Arc::new(crate::http::assets::manifest(&config)),
            db,
            store,
            config: Arc::new(config),
            throttle,
            hsts,
            first_run: Arc::default(),
            password_checks: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            )),
            bus,
        })
    }

    /// Joins the other instances on the same PostgreSQL database (log notifications,
    /// gestures, presence). Nothing changes on SQLite.
    pub async fn with_database_bus(self) -> anyhow::Result<Self> {
        self.bus.connect_instances().await?;
        Ok(self)
    }

    /// See [`Store::write_gate`].
    pub async fn write_gate(&self) -> Option<MutexGuard<'_, ()>> {
        self.store.write_gate().await
    }
}

// leptos_axum finds the site's options (site root, output name, hashes) through this.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}
