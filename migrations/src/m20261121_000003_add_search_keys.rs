//! A `search_key` on users, sprints and tasks: their searchable text, lowercased with Unicode
//! rules by the server. SQLite's `lower()` folds only ASCII, so searching `lower(name)` would
//! miss "Überprüfung" for "überprüfung"; a key folded in Rust behaves the same on every engine.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Table::Users, Table::Sprints, Table::Tasks] {
            manager
                .alter_table(
                    sea_query::Table::alter()
                        .table(table)
                        .add_column(text(SearchKey::SearchKey).default(""))
                        .to_owned(),
                )
                .await?;
        }
        // Rows from before this migration: ASCII folding is the best SQL can do everywhere;
        // the server refolds a row whenever it is saved.
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE users SET search_key = LOWER(username)")
            .await?;
        db.execute_unprepared("UPDATE sprints SET search_key = LOWER(name)")
            .await?;
        db.execute_unprepared(
            "UPDATE tasks SET search_key = LOWER(name) || ' ' || LOWER(description)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Table::Users, Table::Sprints, Table::Tasks] {
            manager
                .alter_table(
                    sea_query::Table::alter()
                        .table(table)
                        .drop_column(SearchKey::SearchKey)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Table {
    Users,
    Sprints,
    Tasks,
}

#[derive(DeriveIden)]
enum SearchKey {
    SearchKey,
}
