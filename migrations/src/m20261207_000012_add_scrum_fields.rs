//! What the Scrum loop keeps: a task's estimate, and a sprint's start date, goal, work-in-progress
//! limits and completion (with the report and burndown frozen at that moment).
//!
//! A task's `points_tenths` holds its estimate in tenths of a point (`5` is ½), so sums are
//! exact on every engine. Existing sprints get a start date: the day after the previous sprint
//! of their project ends, but no more than two weeks before their own end (the first sprint of a
//! project starts two weeks before its end).

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, FromQueryResult, TransactionTrait, prelude::Date},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// How long a sprint that has no predecessor is taken to have run.
const DEFAULT_LENGTH_DAYS: i64 = 13;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let txn = manager.get_connection().begin().await?;
        // SQLite alters one column per statement.
        let columns = [
            (
                Sprints::Table.into_iden(),
                ColumnDef::new(Sprints::Start)
                    .date()
                    .not_null()
                    .default("1970-01-01")
                    .to_owned(),
            ),
            (
                Sprints::Table.into_iden(),
                ColumnDef::new(Sprints::Goal)
                    .text()
                    .not_null()
                    .default("")
                    .to_owned(),
            ),
            (
                Sprints::Table.into_iden(),
                ColumnDef::new(Sprints::WipLimits)
                    .string_len(200)
                    .not_null()
                    .default("")
                    .to_owned(),
            ),
            (
                Sprints::Table.into_iden(),
                ColumnDef::new(Sprints::WipStrict)
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
            ),
            (
                Sprints::Table.into_iden(),
                ColumnDef::new(Sprints::CompletedAt)
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
            ),
            (
                Sprints::Table.into_iden(),
                ColumnDef::new(Sprints::Summary).text().null().to_owned(),
            ),
            (
                Tasks::Table.into_iden(),
                ColumnDef::new(Tasks::PointsTenths)
                    .integer()
                    .null()
                    .to_owned(),
            ),
            (
                Projects::Table.into_iden(),
                ColumnDef::new(Projects::TimeZone)
                    .string_len(64)
                    .not_null()
                    .default("UTC")
                    .to_owned(),
            ),
        ];
        let backend = txn.get_database_backend();
        for (table, mut column) in columns {
            let statement = Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned();
            txn.execute(backend.build(&statement)).await?;
        }
        give_existing_sprints_a_start(&txn).await?;
        txn.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let txn = manager.get_connection().begin().await?;
        let backend = txn.get_database_backend();
        let columns = [
            (Projects::Table.into_iden(), Projects::TimeZone.into_iden()),
            (Tasks::Table.into_iden(), Tasks::PointsTenths.into_iden()),
            (Sprints::Table.into_iden(), Sprints::Summary.into_iden()),
            (Sprints::Table.into_iden(), Sprints::CompletedAt.into_iden()),
            (Sprints::Table.into_iden(), Sprints::WipStrict.into_iden()),
            (Sprints::Table.into_iden(), Sprints::WipLimits.into_iden()),
            (Sprints::Table.into_iden(), Sprints::Goal.into_iden()),
            (Sprints::Table.into_iden(), Sprints::Start.into_iden()),
        ];
        for (table, column) in columns {
            let statement = Table::alter().table(table).drop_column(column).to_owned();
            txn.execute(backend.build(&statement)).await?;
        }
        txn.commit().await
    }
}

#[derive(Debug, FromQueryResult)]
struct SprintEnd {
    id: i32,
    project_id: i32,
    end: Date,
}

async fn give_existing_sprints_a_start<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let query = Query::select()
        .columns([Sprints::Id, Sprints::ProjectId, Sprints::End])
        .from(Sprints::Table)
        .order_by(Sprints::ProjectId, Order::Asc)
        .order_by(Sprints::End, Order::Asc)
        .to_owned();
    let backend = db.get_database_backend();
    let sprints = SprintEnd::find_by_statement(backend.build(&query))
        .all(db)
        .await?;
    let mut previous: Option<&SprintEnd> = None;
    for sprint in &sprints {
        let earliest = sprint.end - chrono_days(DEFAULT_LENGTH_DAYS);
        let start = match previous {
            Some(before) if before.project_id == sprint.project_id => {
                (before.end + chrono_days(1)).max(earliest)
            }
            _ => earliest,
        };
        let update = Query::update()
            .table(Sprints::Table)
            .value(Sprints::Start, start)
            .and_where(Expr::col(Sprints::Id).eq(sprint.id))
            .to_owned();
        db.execute(backend.build(&update)).await?;
        previous = Some(sprint);
    }
    Ok(())
}

fn chrono_days(days: i64) -> chrono::TimeDelta {
    chrono::TimeDelta::days(days)
}

#[derive(DeriveIden)]
enum Sprints {
    Table,
    Id,
    ProjectId,
    End,
    Start,
    Goal,
    WipLimits,
    WipStrict,
    CompletedAt,
    Summary,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    PointsTenths,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    TimeZone,
}
