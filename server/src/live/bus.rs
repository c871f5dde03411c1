//! The event bus: how committed changes reach every instance's hub. With SQLite (one
//! instance) the hub is called directly; with PostgreSQL every instance `LISTEN`s on one channel
//! and every change is `NOTIFY`d, so a write on any instance reaches the boards on all of them.
//! Changes are published right after their commit; two writes racing on one object may reach
//! boards in either order, which is why every frame carries the object's `version`: clients
//! keep the higher one. The code above (`publish`, the hub, the sockets) is the same either way.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, sqlx,
    sqlx::postgres::{PgListener, PgPool},
};
use serde::Deserialize;

use super::{
    events::{BusMessage, Change},
    hub::{Hub, PRESENCE_REFRESH},
};

pub const CHANNEL: &str = "scrum_events";
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; larger changes travel by
/// reference through the `live_events` table.
pub const MAX_NOTIFY_BYTES: usize = 7_900;

#[derive(Clone)]
pub struct Bus {
    hub: Hub,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    InProcess,
    Postgres(PgPool),
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "ref")]
    id: i32,
}

impl Bus {
    pub fn in_process(hub: Hub) -> Self {
        Self {
            hub,
            transport: Transport::InProcess,
        }
    }

    /// The bus for `db`: PostgreSQL `LISTEN/NOTIFY` (starting the listener task), or in-process.
    pub async fn for_database(db: &DatabaseConnection, hub: Hub) -> anyhow::Result<Self> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self::in_process(hub));
        }
        let pool = db.get_postgres_connection_pool().clone();
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        tokio::spawn(listen(listener, pool.clone(), hub.clone()));
        // Gestures and presence from this instance's boards, for the other instances.
        let mut uplink = hub.open_uplink();
        let uplink_pool = pool.clone();
        tokio::spawn(async move {
            while let Some(message) = uplink.recv().await {
                if let Err(error) = notify(&uplink_pool, &message).await {
                    tracing::warn!(%error, "could not share a gesture or presence");
                }
            }
        });
        let refreshing = hub.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PRESENCE_REFRESH);
            loop {
                every.tick().await;
                refreshing.refresh_presence();
            }
        });
        Ok(Self {
            hub,
            transport: Transport::Postgres(pool),
        })
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Publishes changes that have committed, in order.
    pub async fn publish(&self, changes: Vec<Change>) {
        for change in changes {
            match &self.transport {
                Transport::InProcess => self.hub.dispatch(&change),
                Transport::Postgres(pool) => {
                    let message = BusMessage::Change(change);
                    if let Err(error) = notify(pool, &message).await {
                        // Other instances miss it; this instance's boards need not.
                        tracing::error!(%error, "publishing a change failed; delivering locally");
                        if let BusMessage::Change(change) = &message {
                            self.hub.dispatch(change);
                        }
                    }
                }
            }
        }
    }
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

/// Receives every instance's messages until the pool closes (shutdown). A lost connection
/// is re-established before boards are told to refetch, so nothing published after their
/// refetch can be missed.
async fn listen(mut listener: PgListener, pool: PgPool, hub: Hub) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match decode(&pool, notification.payload()).await {
                Ok(BusMessage::Change(change)) => hub.dispatch(&change),
                Ok(other) => hub.apply_remote(&other),
                Err(error) => tracing::error!(%error, "undecodable message on the event bus"),
            },
            Ok(None) => {
                // sqlx reconnected before answering `None`; what was published in between is
                // lost, so every board refetches.
                tracing::warn!("event bus connection lost and re-established; boards resync");
                hub.resync_all();
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
                hub.resync_all();
            }
        }
    }
}

/// A new listener on [`CHANNEL`], retried with back-off (0.25 s doubling to 10 s) until the
/// database answers; `None` once the pool is closed.
async fn resubscribe(pool: &PgPool) -> Option<PgListener> {
    let mut delay = Duration::from_millis(250);
    loop {
        let attempt = async {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match attempt.await {
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
