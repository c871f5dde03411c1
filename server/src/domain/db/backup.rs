//! Backups of an SQLite database: a consistent copy taken while the server runs, and putting
//! one back while it is stopped. (PostgreSQL has its own tool, `pg_dump`.)
//!
//! The copy is SQLite's `VACUUM INTO`: one read transaction, so it is the database as it was
//! at one moment, writers carry on meanwhile, and the copy is compact and holds no
//! write-ahead log. A restore copies the backup the same way into a new file beside the
//! database, then renames it over the database and removes the old write-ahead log: a stale
//! log replayed onto the restored file would corrupt it.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Why a backup or restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "this server uses PostgreSQL: back it up with pg_dump (pg_dump --format=custom \
         --file=PATH \"$DATABASE_URL\") and restore with pg_restore{0}"
    )]
    Postgres(String),
    #[error("{0} already exists: choose a new file, or remove it first")]
    Exists(PathBuf),
    #[error("{0} is not a backup of this board: {1}")]
    NotABackup(PathBuf, String),
    #[error("DATABASE_URL does not name an SQLite file: {0}")]
    NotAFile(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Where `pg_dump` is, if it is on the `PATH`.
fn pg_dump() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("pg_dump"))
        .find(|candidate| candidate.is_file())
}

fn postgres_advice() -> BackupError {
    BackupError::Postgres(match pg_dump() {
        Some(path) => format!(" ({} is installed here)", path.display()),
        None => "; pg_dump is not installed here (Debian: apt install postgresql-client)".into(),
    })
}

/// The file an SQLite URL names (`sqlite://data/board.db?mode=rwc` → `data/board.db`).
pub fn sqlite_file(url: &str) -> Result<PathBuf, BackupError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| BackupError::NotAFile(url.to_owned()))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return Err(BackupError::NotAFile(url.to_owned()));
    }
    Ok(PathBuf::from(path))
}

/// Writes a consistent copy of the database to `to`, which must not exist yet.
pub async fn backup(db: &DatabaseConnection, to: &Path) -> Result<(), BackupError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(postgres_advice());
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    db.execute(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [to.to_string_lossy().into_owned().into()],
    ))
    .await?;
    Ok(())
}

/// Puts the backup `from` in place of the SQLite database at `url`. The server must be
/// stopped: a running one would keep writing to the file this replaces.
pub async fn restore(url: &str, from: &Path) -> Result<(), BackupError> {
    if url.starts_with("postgres") {
        return Err(postgres_advice());
    }
    let target = sqlite_file(url)?;
    if !from.is_file() {
        return Err(BackupError::NotABackup(
            from.to_owned(),
            "no such file".into(),
        ));
    }
    let not_a_backup = |reason: String| BackupError::NotABackup(from.to_owned(), reason);
    // Read only: a restore never changes the backup it reads.
    let source_url = format!("sqlite://{}?mode=ro", from.display());
    let source = sea_orm::Database::connect(source_url)
        .await
        .map_err(|error| not_a_backup(error.to_string()))?;
    let check = source
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA quick_check",
        ))
        .await
        .map_err(|error| not_a_backup(error.to_string()))?
        .and_then(|row| row.try_get_by_index::<String>(0).ok());
    if check.as_deref() != Some("ok") {
        return Err(not_a_backup(format!(
            "SQLite finds it damaged ({})",
            check.unwrap_or_default()
        )));
    }
    let ours = source
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('tasks', 'change_log', 'seaql_migrations')",
        ))
        .await?
        .and_then(|row| row.try_get_by_index::<i64>(0).ok());
    if ours != Some(3) {
        return Err(not_a_backup(
            "it has no board tables (tasks, change_log, seaql_migrations)".into(),
        ));
    }
    let staging = sibling(&target, "restoring");
    if staging.exists() {
        std::fs::remove_file(&staging)?;
    }
    source
        .execute(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [staging.to_string_lossy().into_owned().into()],
        ))
        .await?;
    source.close().await?;
    std::fs::File::open(&staging)?.sync_all()?;
    for stale in [sibling(&target, "wal"), sibling(&target, "shm")] {
        match std::fs::remove_file(&stale) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error.into()),
            _ => {}
        }
    }
    std::fs::rename(&staging, &target)?;
    Ok(())
}

/// `board.db` → `board.db-<suffix>`.
fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(format!("-{suffix}"));
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_an_sqlite_url() {
        assert_eq!(
            sqlite_file("sqlite://data/board.db?mode=rwc").unwrap(),
            PathBuf::from("data/board.db")
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/scrum/board.db").unwrap(),
            PathBuf::from("/var/lib/scrum/board.db")
        );
        assert!(sqlite_file("sqlite::memory:").is_err());
        assert!(sqlite_file("postgres://localhost/board").is_err());
    }
}
