//! Lists of a sprint's tasks are read in (order, id) order, 25 at a time: with this index the
//! database streams the first page in order instead of sorting the whole sprint.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_sprint_order_id")
                    .table(Tasks::Table)
                    .col(Tasks::SprintId)
                    .col(Tasks::Order)
                    .col(Tasks::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_tasks_sprint_order_id")
                    .table(Tasks::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    SprintId,
    Order,
    Id,
}
