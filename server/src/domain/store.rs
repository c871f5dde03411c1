//! The database as the domain writes to it: the connection, SQLite's one-writer gate, the
//! links that logged bodies carry, and the one commit step that writes a change's log entries
//! with it.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr};
use tokio::sync::{Mutex, MutexGuard, watch};

use super::{
    clock::Clock,
    log::{self, Actor, NewEntry},
    render::Renderer,
};
use crate::config::Config;

/// Cheap to clone: the connection is a pool and the rest sits behind `Arc`s.
#[derive(Clone)]
pub struct Store {
    pub db: DatabaseConnection,
    gate: Arc<Mutex<()>>,
    /// `PUBLIC_URL` and `BASE_PATH`: the links of bodies everyone reads (never the writer's
    /// `Host`).
    public_url: Option<Arc<str>>,
    base_path: Arc<str>,
    /// The newest entry this process committed, for its own live delivery (other instances
    /// hear of it through the database).
    committed: Arc<watch::Sender<i64>>,
    /// What "now" and "today" are for the board's rules and the log.
    pub clock: Clock,
    /// Sprints' logged steps, parsed, for their reports and burndowns.
    pub steps: Arc<super::service::reports::StepCache>,
}

impl Store {
    /// On SQLite, also starts checkpointing its write-ahead log beside the writers, for as
    /// long as a clone of the store lives.
    pub fn new(db: DatabaseConnection, config: &Config) -> Self {
        let committed = Arc::new(watch::channel(0).0);
        super::db::checkpoint_beside_writers(db.clone(), committed.subscribe());
        Self {
            db,
            gate: Arc::default(),
            public_url: config.public_url.as_deref().map(Arc::from),
            base_path: config.base_path.as_str().into(),
            committed,
            clock: Clock::default(),
            steps: Arc::default(),
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Held around every write transaction on SQLite. SQLite allows one writer at a time, and
    /// a deferred transaction that upgrades to a writer fails at once with "database is locked"
    /// (the busy timeout does not apply); queueing writers here turns that into a short wait.
    /// PostgreSQL needs no gate: it locks rows and columns itself.
    pub async fn write_gate(&self) -> Option<MutexGuard<'_, ()>> {
        if self.backend() == DbBackend::Sqlite {
            Some(self.gate.lock().await)
        } else {
            None
        }
    }

    /// Renders the bodies the log keeps: links on `PUBLIC_URL`, or root-relative, and no
    /// personal channel ticket.
    pub fn broadcast(&self) -> Renderer<'static> {
        Renderer::for_broadcast(
            self.public_url.as_deref(),
            &self.base_path,
            &[],
            self.today(),
        )
    }

    /// The one way a change is committed: its log entries are appended in its transaction,
    /// then it commits, then this process's live delivery is told. Returns the entries' ids.
    pub async fn commit(
        &self,
        txn: DatabaseTransaction,
        actor: &Actor,
        entries: Vec<NewEntry>,
    ) -> Result<Vec<i64>, DbErr> {
        let mut ids = Vec::with_capacity(entries.len());
        for entry in entries {
            ids.push(log::append(&txn, actor, entry, self.clock.now()).await?);
        }
        self.seal(txn, &ids).await?;
        Ok(ids)
    }

    /// [`commit`](Self::commit) for entries that keep when and by whom they were first made
    /// (an import of another install's log).
    pub async fn commit_stamped(
        &self,
        txn: DatabaseTransaction,
        entries: Vec<(Actor, chrono::DateTime<chrono::Utc>, NewEntry)>,
    ) -> Result<Vec<i64>, DbErr> {
        let mut ids = Vec::with_capacity(entries.len());
        for (actor, at, entry) in entries {
            ids.push(log::append(&txn, &actor, entry, at).await?);
        }
        self.seal(txn, &ids).await?;
        Ok(ids)
    }

    /// Announces the newest of `ids`, commits, and tells this process's live delivery.
    async fn seal(&self, txn: DatabaseTransaction, ids: &[i64]) -> Result<(), DbErr> {
        if let Some(&newest) = ids.last() {
            log::notify(&txn, newest).await?;
        }
        txn.commit().await?;
        if let Some(&newest) = ids.last() {
            self.committed.send_if_modified(|head| {
                let advanced = newest > *head;
                *head = (*head).max(newest);
                advanced
            });
        }
        Ok(())
    }

    /// Prunes the change log's entries older than `before` in one transaction (the horizon
    /// and the entries move together). Returns how many went.
    pub async fn prune_history(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64, DbErr> {
        let _gate = self.write_gate().await;
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
        let pruned = log::prune(&txn, before).await?;
        txn.commit().await?;
        Ok(pruned)
    }

    /// "Today" for every date rule (see [`Clock::today`]).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Wakes on every commit made through this store.
    pub fn commits(&self) -> watch::Receiver<i64> {
        self.committed.subscribe()
    }
}
