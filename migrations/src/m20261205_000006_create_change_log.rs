//! The change log: one numbered entry per change of record, written by the change's own
//! transaction. `change_log_sprints` indexes the entries by the sprints they touch (history and
//! resume read a sprint's entries without scanning the rest); `change_log_horizon` remembers
//! the newest entry pruned by the retention, so a client asking for older ones is told to
//! refetch instead of being given a partial history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .if_not_exists()
                    // AUTOINCREMENT on SQLite: an id is never reused, even after pruning.
                    .col(big_integer(ChangeLog::Id).auto_increment().primary_key())
                    .col(timestamp_with_time_zone(ChangeLog::At))
                    .col(integer_null(ChangeLog::ActorId))
                    .col(string_null(ChangeLog::Actor))
                    .col(string(ChangeLog::Model))
                    .col(integer(ChangeLog::ObjectId))
                    .col(string(ChangeLog::Action))
                    .col(text(ChangeLog::Changes))
                    .col(text(ChangeLog::Body))
                    .col(integer(ChangeLog::Version))
                    .col(text_null(ChangeLog::ColumnOrder))
                    .col(boolean(ChangeLog::Backlog))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("change_log_by_object")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::Model)
                    .col(ChangeLog::ObjectId)
                    .col(ChangeLog::Id)
                    .to_owned(),
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
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChangeLogSprints::Table)
                    .if_not_exists()
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
        manager
            .create_table(
                Table::create()
                    .table(ChangeLogHorizon::Table)
                    .if_not_exists()
                    .col(integer(ChangeLogHorizon::Id).primary_key())
                    .col(big_integer(ChangeLogHorizon::PrunedThrough))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ChangeLogHorizon::Table)
                    .columns([ChangeLogHorizon::Id, ChangeLogHorizon::PrunedThrough])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChangeLogHorizon::Table.into_iden(),
            ChangeLogSprints::Table.into_iden(),
            ChangeLog::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Id,
    At,
    ActorId,
    Actor,
    Model,
    ObjectId,
    Action,
    Changes,
    Body,
    Version,
    ColumnOrder,
    Backlog,
}

#[derive(DeriveIden)]
enum ChangeLogSprints {
    Table,
    SprintId,
    ChangeId,
}

#[derive(DeriveIden)]
enum ChangeLogHorizon {
    Table,
    Id,
    PrunedThrough,
}
