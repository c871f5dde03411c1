//! Database access: connecting (SQLite or PostgreSQL), migrating, and the SeaORM entities.

pub mod entities;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Opens a pool for `url`. Every SQLite connection gets write-ahead logging (readers never wait
/// for the writer), `synchronous = NORMAL` (safe with WAL: a power cut may lose the last commits,
/// never corrupt the file), foreign keys, and a busy timeout.
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
