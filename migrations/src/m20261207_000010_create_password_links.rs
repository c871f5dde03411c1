//! One-time links that let a person set their password (an invitation, or a reset an
//! administrator hands over), stored as the SHA-256 of their key like tokens and sessions; and
//! a name for API tokens, so a person can tell their tokens apart.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PasswordLinks::Table)
                    .if_not_exists()
                    .col(string_len(PasswordLinks::KeyHash, 64).primary_key())
                    .col(integer(PasswordLinks::UserId))
                    .col(string_len(PasswordLinks::Purpose, 16))
                    .col(timestamp_with_time_zone(PasswordLinks::Created))
                    .col(timestamp_with_time_zone(PasswordLinks::Expires))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_password_links_user")
                            .from(PasswordLinks::Table, PasswordLinks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_password_links_user")
                    .table(PasswordLinks::Table)
                    .col(PasswordLinks::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuthTokens::Table)
                    .add_column(string_len(AuthTokens::Name, 100).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuthTokens::Table)
                    .drop_column(AuthTokens::Name)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PasswordLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    Name,
}

#[derive(DeriveIden)]
enum PasswordLinks {
    Table,
    KeyHash,
    UserId,
    Purpose,
    Created,
    Expires,
}
