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
    /// Request counts and timings for `/metrics`.
    pub metrics: Arc<crate::http::metrics::Metrics>,
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
        if let Some(cache) = &token_cache {
            forget_changed_accounts(bus.hub(), Arc::downgrade(cache));
        }
        Ok(Self {
            token_cache,
            assets: Arc::new(crate::http::assets::manifest(&config)),
            db,
            store,
            config: Arc::new(config),
            throttle,
            hsts,
            first_run: Arc::default(),
            metrics: Arc::default(),
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

    /// After this process changed `user_id`'s standing: its cached tokens go at once, before
    /// the answer, rather than when the log's delivery reaches [`forget_changed_accounts`].
    pub fn account_changed(&self, user_id: i32) {
        if let Some(cache) = &self.token_cache {
            cache.forget_user(user_id);
        }
    }
}

/// Empties the token cache of every account whose change the log delivers (made by the
/// command line beside this server, for one), for as long as the cache exists.
fn forget_changed_accounts(hub: &Hub, cache: std::sync::Weak<TokenCache>) {
    let mut changes = hub.account_changes();
    tokio::spawn(async move {
        loop {
            let changed = changes.recv().await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            match changed {
                Ok(user_id) => cache.forget_user(user_id),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => cache.forget_all(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

// leptos_axum finds the site's options (site root, output name, hashes) through this.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}
