//! Changes too large for a PostgreSQL NOTIFY payload (8000 bytes) travel by reference through
//! this table; rows live about a minute. Unused on SQLite (one instance, no bus).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LiveEvents::Table)
                    .if_not_exists()
                    .col(pk_auto(LiveEvents::Id))
                    .col(text(LiveEvents::Payload))
                    .col(timestamp_with_time_zone(LiveEvents::Created))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LiveEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LiveEvents {
    Table,
    Id,
    Payload,
    Created,
}
