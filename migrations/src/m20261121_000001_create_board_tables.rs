//! Users, sprints and tasks: the book's models, plus the `version` columns that optimistic
//! concurrency needs.
//!
//! Differences from the book, on purpose: task foreign keys are `SET NULL` rather than Django's
//! implicit `CASCADE` (deleting a sprint or a user must never destroy tasks), and usernames may be
//! 150 characters long (modern Django) instead of 30.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Username, 150))
                    .col(string_len(Users::Email, 254).default(""))
                    .col(string_len(Users::FirstName, 150).default(""))
                    .col(string_len(Users::LastName, 150).default(""))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::IsActive).default(true))
                    .col(boolean(Users::IsSuperuser).default(false))
                    .col(timestamp_with_time_zone(Users::DateJoined))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sprints::Table)
                    .if_not_exists()
                    .col(pk_auto(Sprints::Id))
                    .col(string_len(Sprints::Name, 100).default(""))
                    .col(text(Sprints::Description).default(""))
                    // One sprint per end date, globally (the book's `unique=True`).
                    .col(date_uniq(Sprints::End))
                    .col(integer(Sprints::Version).default(1))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .if_not_exists()
                    .col(pk_auto(Tasks::Id))
                    .col(string_len(Tasks::Name, 100))
                    .col(text(Tasks::Description).default(""))
                    .col(integer_null(Tasks::SprintId))
                    .col(small_integer(Tasks::Status).default(1))
                    .col(small_integer(Tasks::Order).default(0))
                    .col(integer_null(Tasks::AssignedId))
                    .col(date_null(Tasks::Started))
                    .col(date_null(Tasks::Due))
                    .col(date_null(Tasks::Completed))
                    .col(integer(Tasks::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tasks_sprint")
                            .from(Tasks::Table, Tasks::SprintId)
                            .to(Sprints::Table, Sprints::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tasks_assigned")
                            .from(Tasks::Table, Tasks::AssignedId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        // A board reads one column at a time in (order, id) order.
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_sprint_status_order")
                    .table(Tasks::Table)
                    .col(Tasks::SprintId)
                    .col(Tasks::Status)
                    .col(Tasks::Order)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_assigned")
                    .table(Tasks::Table)
                    .col(Tasks::AssignedId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tasks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Sprints::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Email,
    FirstName,
    LastName,
    PasswordHash,
    IsActive,
    IsSuperuser,
    DateJoined,
}

#[derive(DeriveIden)]
enum Sprints {
    Table,
    Id,
    Name,
    Description,
    End,
    Version,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    Name,
    Description,
    SprintId,
    Status,
    Order,
    AssignedId,
    Started,
    Due,
    Completed,
    Version,
}
