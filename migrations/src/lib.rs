//! Database migrations for the Scrum board, run at server start-up and by `server migrate`.
//!
//! Every migration works on SQLite and PostgreSQL alike: schema changes go through sea-query's
//! builders, or, where they have none (data moves, partial indexes), through SQL that both
//! databases read the same way. The one exception is a constraint SQLite cannot alter: there the
//! table is rebuilt (see the projects migration).

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_board_tables;
mod m20261121_000002_create_auth_tables;
mod m20261121_000003_add_search_keys;
mod m20261121_000004_create_live_events;
mod m20261121_000005_index_tasks_by_sprint_order;
mod m20261205_000006_create_change_log;
mod m20261205_000007_change_log_sprint_columns;
mod m20261205_000008_change_log_lean_indexes;
mod m20261206_000009_create_labels_and_comments;
mod m20261207_000010_create_password_links;
mod m20261207_000011_create_projects;
mod m20261207_000012_add_scrum_fields;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_board_tables::Migration),
            Box::new(m20261121_000002_create_auth_tables::Migration),
            Box::new(m20261121_000003_add_search_keys::Migration),
            Box::new(m20261121_000004_create_live_events::Migration),
            Box::new(m20261121_000005_index_tasks_by_sprint_order::Migration),
            Box::new(m20261205_000006_create_change_log::Migration),
            Box::new(m20261205_000007_change_log_sprint_columns::Migration),
            Box::new(m20261205_000008_change_log_lean_indexes::Migration),
            Box::new(m20261206_000009_create_labels_and_comments::Migration),
            Box::new(m20261207_000010_create_password_links::Migration),
            Box::new(m20261207_000011_create_projects::Migration),
            Box::new(m20261207_000012_add_scrum_fields::Migration),
        ]
    }
}
