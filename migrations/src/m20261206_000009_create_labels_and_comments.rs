//! Labels (a name and a palette colour, several per task) and comments (a thread per task).
//!
//! A task also keeps its label ids (`labels`, ascending, comma-separated) and its number of
//! comments (`comment_count`) in its own row, written with them: every list and every write
//! reads a task's representation from that one row (a second query per page for them cost the
//! task list two fifths of its throughput).
//!
//! `task_labels` is the join between them: a label's delete takes its rows with it, and so
//! does a task's. A label's name is unique ignoring case: `name_key` holds it folded, under a
//! unique index, so two people creating "Bug" and "bug" at once cannot both succeed.
//! Comments go with their task; each names its author, who alone may edit or delete it, and
//! the people it mentions as they were found when it was written.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Tasks::Table)
                    .add_column(string_len(Tasks::Labels, 512).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tasks::Table)
                    .add_column(integer(Tasks::CommentCount).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Labels::Table)
                    .if_not_exists()
                    .col(pk_auto(Labels::Id))
                    .col(string_len(Labels::Name, 50))
                    .col(string_len_uniq(Labels::NameKey, 50))
                    .col(string_len(Labels::Colour, 16))
                    .col(integer(Labels::Version).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaskLabels::Table)
                    .if_not_exists()
                    .col(integer(TaskLabels::TaskId))
                    .col(integer(TaskLabels::LabelId))
                    .primary_key(
                        Index::create()
                            .col(TaskLabels::TaskId)
                            .col(TaskLabels::LabelId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_labels_task")
                            .from(TaskLabels::Table, TaskLabels::TaskId)
                            .to(Tasks::Table, Tasks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_labels_label")
                            .from(TaskLabels::Table, TaskLabels::LabelId)
                            .to(Labels::Table, Labels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "Tasks with this label" (the filter, and a label's delete).
        manager
            .create_index(
                Index::create()
                    .name("idx_task_labels_label")
                    .table(TaskLabels::Table)
                    .col(TaskLabels::LabelId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Comments::Table)
                    .if_not_exists()
                    .col(pk_auto(Comments::Id))
                    .col(integer(Comments::TaskId))
                    .col(integer(Comments::AuthorId))
                    .col(text(Comments::Body))
                    // The usernames it mentions, space-separated, resolved when it was written.
                    .col(text(Comments::Mentions).default(""))
                    .col(timestamp_with_time_zone(Comments::Created))
                    .col(timestamp_with_time_zone_null(Comments::Edited))
                    .col(integer(Comments::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_comments_task")
                            .from(Comments::Table, Comments::TaskId)
                            .to(Tasks::Table, Tasks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_comments_author")
                            .from(Comments::Table, Comments::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A task's thread, oldest first, and the count its card shows.
        manager
            .create_index(
                Index::create()
                    .name("idx_comments_task")
                    .table(Comments::Table)
                    .col(Comments::TaskId)
                    .col(Comments::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Comments::Table.into_iden(),
            TaskLabels::Table.into_iden(),
            Labels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Tasks::CommentCount, Tasks::Labels] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tasks::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Labels {
    Table,
    Id,
    Name,
    NameKey,
    Colour,
    Version,
}

#[derive(DeriveIden)]
enum TaskLabels {
    Table,
    TaskId,
    LabelId,
}

#[derive(DeriveIden)]
enum Comments {
    Table,
    Id,
    TaskId,
    AuthorId,
    Body,
    Mentions,
    Created,
    Edited,
    Version,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    Labels,
    CommentCount,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
