//! Database access: connecting (SQLite or PostgreSQL), migrating, and the SeaORM entities.

pub mod backup;
pub mod entities;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Opens a pool for `url`. Every SQLite connection gets write-ahead logging (readers never wait
/// for the writer), `synchronous = NORMAL` (safe with WAL: a power cut may lose the last commits,
/// never corrupt the file), foreign keys, a busy timeout, and no automatic checkpoint: the
/// store checkpoints beside the writers instead (see [`checkpoint_beside_writers`]).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with_pool(url, None).await
}

/// [`connect`] with a pool of `pool_size` connections (default: 4 for SQLite, 10 for
/// PostgreSQL). SQLite runs one worker thread per connection; more threads than cores mostly
/// add context switches, and SQLite writes one at a time anyway.
pub async fn connect_with_pool(
    url: &str,
    pool_size: Option<u32>,
) -> Result<DatabaseConnection, DbErr> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(pool_size.unwrap_or(if sqlite { 4 } else { 10 }));
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // Statements are logged by our own spans; sqlx's per-statement INFO lines are noise.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .pragma("wal_autocheckpoint", "0")
        });
    if sqlite {
        // A local file cannot drop the connection under us; the ping sqlx would send before
        // every checkout doubles the round trips to SQLite's worker threads.
        options.test_before_acquire(false);
    }
    Database::connect(options).await
}

/// Applies every pending migration; run at start-up and by `server migrate`.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// How long the checkpointer lets commits gather before copying them into the database file.
const CHECKPOINT_BATCH: Duration = Duration::from_millis(100);
/// How often it checks without having been told of a commit (writes outside the change log:
/// sessions, tokens).
const CHECKPOINT_IDLE: Duration = Duration::from_secs(1);

/// Keeps SQLite's write-ahead log short from a task of its own, until `commits` closes.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, while that
/// writer still holds the store's write gate: every 1,000 pages one unlucky write copied them
/// all into the database file and synced it, and every other writer waited. A passive
/// checkpoint from another connection copies what no reader still needs without taking the
/// write lock, so writers go on meanwhile, and pages written many times between two
/// checkpoints (the log's last page, its indexes' last pages) are copied once.
pub fn checkpoint_beside_writers(
    db: DatabaseConnection,
    mut commits: tokio::sync::watch::Receiver<i64>,
) {
    use sea_orm::ConnectionTrait;
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::select! {
                changed = commits.changed() => if changed.is_err() { return },
                () = tokio::time::sleep(CHECKPOINT_IDLE) => {}
            }
            tokio::time::sleep(CHECKPOINT_BATCH).await;
            if let Err(error) = db
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await
            {
                tracing::warn!(%error, "checkpointing the write-ahead log failed");
            }
        }
    });
}
