//! How change-log entries reach every instance's hub. Nothing publishes changes: each instance
//! follows the log itself. It learns that the log moved on from its own commits (in process)
//! and, on PostgreSQL, from a `NOTIFY` carrying only the new id, sent by the writing
//! transaction; then it reads every entry after the last one it delivered, in log order, and
//! hands them to its hub. A notification that never arrives (bus outage, listener reconnect,
//! an instance that was down) costs nothing but time: the next notification, the reconnect or
//! the regular poll reads from where delivery stopped. On SQLite the poll is how a running
//! server hears of the command line's changes.
//!
//! Gestures and presence are not logged; instances share them over `CHANNEL` as before.

use std::{sync::Arc, time::Duration};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, sqlx,
    sqlx::postgres::{PgListener, PgPool},
};
use serde::Deserialize;
use tokio::sync::Notify;

use super::{
    events::BusMessage,
    hub::{Hub, PRESENCE_REFRESH},
};
use crate::domain::{log, store::Store};

/// Where instances share gestures and presence.
pub const CHANNEL: &str = "scrum_events";
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; larger messages travel by
/// reference through the `live_events` table.
pub const MAX_NOTIFY_BYTES: usize = 7_900;
/// How often an instance on PostgreSQL reads the log without being told to, so that a lost
/// notification delays a change by at most this long.
pub const LOG_POLL: Duration = Duration::from_secs(1);
/// How often an instance on SQLite reads the log without being told to. Its own writes wake
/// it at once; this is how it hears of the command line's (`server users deactivate` beside
/// a running server), which must reach open streams within a second.
pub const LOG_POLL_SQLITE: Duration = Duration::from_millis(250);
/// Entries read per query while catching up.
const BATCH: u64 = 500;

#[derive(Clone)]
pub struct Bus {
    hub: Hub,
    db: DatabaseConnection,
    /// Wakes the follower: "the log may have moved on".
    wake: Arc<Notify>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "ref")]
    id: i32,
}

impl Bus {
    /// Follows the log of `store` from its current head, waking on this process's commits and
    /// reading it regularly ([`LOG_POLL`], [`LOG_POLL_SQLITE`]).
    pub async fn follow(store: &Store, hub: Hub) -> Result<Self, sea_orm::DbErr> {
        hub.deliver_after(log::head(&store.db).await?);
        let wake = Arc::new(Notify::new());
        let every = match store.backend() {
            DbBackend::Postgres => LOG_POLL,
            _ => LOG_POLL_SQLITE,
        };
        let polling = Arc::downgrade(&wake);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(every);
            loop {
                every.tick().await;
                match polling.upgrade() {
                    Some(wake) => wake.notify_one(),
                    None => return,
                }
            }
        });
        tokio::spawn(follow(
            store.db.clone(),
            hub.clone(),
            store.commits(),
            wake.clone(),
        ));
        Ok(Self {
            hub,
            db: store.db.clone(),
            wake,
        })
    }

    /// Joins the other instances on the same PostgreSQL database: `LISTEN` for the log's
    /// notifications and their gestures and presence, share ours, and poll the log. Does
    /// nothing on SQLite (one instance).
    pub async fn connect_instances(&self) -> anyhow::Result<()> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let pool = self.db.get_postgres_connection_pool().clone();
        let listener = subscribe(&pool).await?;
        tokio::spawn(listen(
            listener,
            pool.clone(),
            self.hub.clone(),
            self.wake.clone(),
        ));
        // Gestures and presence from this instance's boards, for the other instances.
        let mut uplink = self.hub.open_uplink();
        let uplink_pool = pool.clone();
        tokio::spawn(async move {
            while let Some(message) = uplink.recv().await {
                if let Err(error) = notify(&uplink_pool, &message).await {
                    tracing::warn!(%error, "could not share a gesture or presence");
                }
            }
        });
        let refreshing = self.hub.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PRESENCE_REFRESH);
            loop {
                every.tick().await;
                refreshing.refresh_presence();
            }
        });
        Ok(())
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }
}

/// Delivers the log's new entries whenever it may have moved on, until the store is gone.
async fn follow(
    db: DatabaseConnection,
    hub: Hub,
    mut commits: tokio::sync::watch::Receiver<i64>,
    wake: Arc<Notify>,
) {
    loop {
        tokio::select! {
            changed = commits.changed() => {
                if changed.is_err() {
                    return;
                }
                // Our own commit with no board open here: nothing to read. Every entry below
                // it is already visible (appends commit in id order, see `log`).
                let committed = *commits.borrow_and_update();
                if hub.skip_if_idle(committed) {
                    continue;
                }
            }
            () = wake.notified() => {}
        }
        catch_up(&db, &hub).await;
    }
}

/// Reads and dispatches every entry after the last one delivered.
async fn catch_up(db: &DatabaseConnection, hub: &Hub) {
    loop {
        match log::after(db, hub.delivered(), BATCH).await {
            Ok(entries) => {
                for entry in &entries {
                    hub.dispatch(entry);
                }
                if (entries.len() as u64) < BATCH {
                    return;
                }
            }
            Err(error) => {
                // Retried at the next commit, notification or poll, from the same place.
                tracing::warn!(%error, "reading the change log failed");
                return;
            }
        }
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all([CHANNEL, log::NOTIFY_CHANNEL]).await?;
    Ok(listener)
}

async fn notify(pool: &PgPool, message: &BusMessage) -> anyhow::Result<()> {
    let mut payload = serde_json::to_string(message)?;
    if payload.len() > MAX_NOTIFY_BYTES {
        let (id,): (i32,) = sea_orm::sqlx::query_as(
            "INSERT INTO live_events (payload, created) VALUES ($1, now()) RETURNING id",
        )
        .bind(&payload)
        .fetch_one(pool)
        .await?;
        // Listeners fetch within milliseconds; anything older than a minute is garbage.
        sea_orm::sqlx::query("DELETE FROM live_events WHERE created < now() - interval '1 minute'")
            .execute(pool)
            .await?;
        payload = format!(r#"{{"ref":{id}}}"#);
    }
    sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(&payload)
        .execute(pool)
        .await?;
    Ok(())
}

/// Receives every instance's messages until the pool closes (shutdown). After a lost
/// connection the follower reads the log from where it stopped, so nothing is missed.
async fn listen(mut listener: PgListener, pool: PgPool, hub: Hub, wake: Arc<Notify>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) if notification.channel() == log::NOTIFY_CHANNEL => {
                wake.notify_one();
            }
            Ok(Some(notification)) => match decode(&pool, notification.payload()).await {
                Ok(message) => hub.apply_remote(&message),
                Err(error) => tracing::error!(%error, "undecodable message on the event bus"),
            },
            Ok(None) => {
                // sqlx reconnected before answering `None`: notifications sent in between
                // are lost, the log is not.
                tracing::warn!("event bus connection lost and re-established; reading the log");
                wake.notify_one();
            }
            // The listener keeps a pool connection; holding it after the pool closed would make
            // `close()` wait for ever.
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::error!(%error, "event bus listener failed; reconnecting");
                drop(listener);
                let Some(fresh) = resubscribe(&pool).await else {
                    return;
                };
                listener = fresh;
                wake.notify_one();
            }
        }
    }
}

/// A new listener, retried with back-off (0.25 s doubling to 10 s) until the database
/// answers; `None` once the pool is closed.
async fn resubscribe(pool: &PgPool) -> Option<PgListener> {
    let mut delay = Duration::from_millis(250);
    loop {
        match subscribe(pool).await {
            Ok(listener) => return Some(listener),
            Err(sqlx::Error::PoolClosed) => return None,
            Err(error) => {
                tracing::warn!(%error, retry_in = ?delay, "event bus cannot listen yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn decode(pool: &PgPool, payload: &str) -> anyhow::Result<BusMessage> {
    if let Ok(reference) = serde_json::from_str::<Reference>(payload) {
        let (stored,): (String,) =
            sea_orm::sqlx::query_as("SELECT payload FROM live_events WHERE id = $1")
                .bind(reference.id)
                .fetch_one(pool)
                .await?;
        return Ok(serde_json::from_str(&stored)?);
    }
    Ok(serde_json::from_str(payload)?)
}
