//! An entry touches at most two sprints (a task's sprint before and after a change of sprint),
//! so they live in the entry's own row instead of a table of their own: appending an entry is
//! one insert, and reading entries back needs no second query. `sprint_id` holds the lower id,
//! `other_sprint_id` the higher one when there are two; each has an index by (sprint, entry)
//! so a sprint's history is read from the indexes newest first, without scanning the log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [ChangeLog::SprintId, ChangeLog::OtherSprintId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ChangeLog::Table)
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        // The same SQL on SQLite and PostgreSQL: correlated subqueries over the old table.
        db.execute_unprepared(
            "UPDATE change_log SET sprint_id = (SELECT MIN(s.sprint_id) FROM change_log_sprints s \
             WHERE s.change_id = change_log.id)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE change_log SET other_sprint_id = (SELECT MAX(s.sprint_id) \
             FROM change_log_sprints s WHERE s.change_id = change_log.id) \
             WHERE (SELECT COUNT(*) FROM change_log_sprints s WHERE s.change_id = change_log.id) > 1",
        )
        .await?;
        for (name, column) in [
            ("change_log_by_sprint", ChangeLog::SprintId),
            ("change_log_by_other_sprint", ChangeLog::OtherSprintId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ChangeLog::Table)
                        .col(column)
                        .col(ChangeLog::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ChangeLogSprints::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeLogSprints::Table)
                    .col(integer(ChangeLogSprints::SprintId))
                    .col(big_integer(ChangeLogSprints::ChangeId))
                    .primary_key(
                        Index::create()
                            .col(ChangeLogSprints::SprintId)
                            .col(ChangeLogSprints::ChangeId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChangeLogSprints::Table, ChangeLogSprints::ChangeId)
                            .to(ChangeLog::Table, ChangeLog::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("change_log_sprints_by_change")
                    .table(ChangeLogSprints::Table)
                    .col(ChangeLogSprints::ChangeId)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO change_log_sprints (sprint_id, change_id) \
             SELECT sprint_id, id FROM change_log WHERE sprint_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO change_log_sprints (sprint_id, change_id) \
             SELECT other_sprint_id, id FROM change_log WHERE other_sprint_id IS NOT NULL",
        )
        .await?;
        for name in ["change_log_by_sprint", "change_log_by_other_sprint"] {
            manager
                .drop_index(Index::drop().name(name).table(ChangeLog::Table).to_owned())
                .await?;
        }
        for column in [ChangeLog::SprintId, ChangeLog::OtherSprintId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ChangeLog::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Id,
    SprintId,
    OtherSprintId,
}

#[derive(DeriveIden)]
enum ChangeLogSprints {
    Table,
    SprintId,
    ChangeId,
}
