//! Fewer index pages written per change. Every entry is appended with a write to each of the
//! log's indexes, and on SQLite each one is another page in the write-ahead log at every
//! commit (measured: the `PATCH` benchmark gains about a fifth without these two):
//! - `change_log_by_time` goes: pruning walks the log from its oldest entry instead (ids
//!   follow commit time), and nothing else reads entries by time;
//! - the two sprint indexes hold only entries that have that sprint: most entries touch one
//!   sprint or none (backlog tasks), and an index of NULLs served no query. A lookup by
//!   `sprint_id = ?` implies `IS NOT NULL`, so both databases still use them.
//!
//! Partial indexes have no sea-query builder; the statements are the same SQL on SQLite and
//! PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("change_log_by_time")
                    .table(ChangeLog::Table)
                    .to_owned(),
            )
            .await?;
        // Each index is dropped and made again in one statement batch, so on one connection:
        // SQLite checks a new index's name against the schema its connection last read, and
        // a pooled connection that did not run the drop may still see the old index there.
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX change_log_by_sprint; \
                 CREATE INDEX change_log_by_sprint ON change_log (sprint_id, id) \
                 WHERE sprint_id IS NOT NULL; \
                 DROP INDEX change_log_by_other_sprint; \
                 CREATE INDEX change_log_by_other_sprint ON change_log (other_sprint_id, id) \
                 WHERE other_sprint_id IS NOT NULL;",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX change_log_by_sprint; \
                 CREATE INDEX change_log_by_sprint ON change_log (sprint_id, id); \
                 DROP INDEX change_log_by_other_sprint; \
                 CREATE INDEX change_log_by_other_sprint ON change_log (other_sprint_id, id);",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("change_log_by_time")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::At)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    At,
}
