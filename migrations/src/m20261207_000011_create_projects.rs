//! Projects and their members. Sprints, tasks and labels each belong to one project; a
//! sprint's end date is unique within its project, and so is a label's name. The change log
//! records each entry's project, so history and live delivery can keep to its members.
//!
//! Existing data moves into one project, "Scrum Board" (key `SCRUM`, which the statements
//! below find it by), holding every account as a member (site administrators as its owners). A database with nothing in it gets no project:
//! the first run, or `createsuperuser`, makes the first one.
//!
//! SQLite cannot drop a column's `UNIQUE` (it is an index the table owns), so there `sprints`
//! and `labels` are rebuilt: a copy with the new constraint is filled, the old table dropped and
//! the copy renamed, in one transaction. Dropping a table deletes its rows first, which fires
//! the foreign keys that point at it (`tasks.sprint_id` is set to NULL, `task_labels` rows are
//! deleted), so those references are saved beforehand and restored afterwards. PostgreSQL swaps
//! the constraint in place.

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{
        ConnectionTrait, DatabaseTransaction, DbBackend, Statement, StatementBuilder,
        TransactionTrait,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let txn = manager.get_connection().begin().await?;
        create_project_tables(&txn).await?;
        adopt_existing_data(&txn).await?;
        if txn.get_database_backend() == DbBackend::Sqlite {
            rebuild_sprints_on_sqlite(&txn).await?;
            rebuild_labels_on_sqlite(&txn).await?;
        } else {
            give_projects_on_postgres(&txn).await?;
        }
        // Tasks keep their table: the column is added (on SQLite, a column added with a
        // foreign key must allow NULL; the domain always sets it) and filled.
        txn.execute_unprepared(
            "ALTER TABLE tasks ADD COLUMN project_id integer REFERENCES projects (id)",
        )
        .await?;
        txn.execute_unprepared(
            "UPDATE tasks SET project_id = (SELECT id FROM projects WHERE \"key\" = 'SCRUM')",
        )
        .await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_unprepared("ALTER TABLE tasks ALTER COLUMN project_id SET NOT NULL")
                .await?;
        }
        // A project's backlog, and its tasks in a sprint.
        exec(
            &txn,
            Index::create()
                .name("idx_tasks_project_sprint")
                .table(Tasks::Table)
                .col(Tasks::ProjectId)
                .col(Tasks::SprintId),
        )
        .await?;

        for (table, column) in [
            (
                Users::Table.into_iden(),
                Users::DefaultProjectId.into_iden(),
            ),
            (
                ChangeLog::Table.into_iden(),
                ChangeLog::ProjectId.into_iden(),
            ),
        ] {
            exec(
                &txn,
                Table::alter()
                    .table(table)
                    .add_column(ColumnDef::new(column).integer().null()),
            )
            .await?;
        }
        txn.execute_unprepared(
            "UPDATE change_log SET project_id = (SELECT id FROM projects WHERE \"key\" = 'SCRUM') \
             WHERE model <> 'user'",
        )
        .await?;
        // A project's history, newest first.
        exec(
            &txn,
            Index::create()
                .name("idx_change_log_project")
                .table(ChangeLog::Table)
                .col(ChangeLog::ProjectId)
                .col(ChangeLog::Id),
        )
        .await?;
        txn.commit().await
    }

    /// Back to one board: possible while at most one project holds sprints and labels (two
    /// projects' sprints may end the same day, which one board cannot hold).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let txn = manager.get_connection().begin().await?;
        let spread = Query::select()
            .expr(Expr::val(1))
            .from(Sprints::Table)
            .group_by_col(Sprints::End)
            .and_having(Expr::col(Sprints::ProjectId).count_distinct().gt(1))
            .to_owned();
        if txn
            .query_one(txn.get_database_backend().build(&spread))
            .await?
            .is_some()
        {
            return Err(DbErr::Migration(
                "sprints of two projects end on the same day: one board cannot hold them".into(),
            ));
        }
        exec(
            &txn,
            Index::drop()
                .name("idx_change_log_project")
                .table(ChangeLog::Table),
        )
        .await?;
        exec(
            &txn,
            Index::drop()
                .name("idx_tasks_project_sprint")
                .table(Tasks::Table),
        )
        .await?;
        for (table, column) in [
            (
                Users::Table.into_iden(),
                Users::DefaultProjectId.into_iden(),
            ),
            (
                ChangeLog::Table.into_iden(),
                ChangeLog::ProjectId.into_iden(),
            ),
        ] {
            exec(&txn, Table::alter().table(table).drop_column(column)).await?;
        }
        txn.execute_unprepared("ALTER TABLE tasks DROP COLUMN project_id")
            .await?;
        if txn.get_database_backend() == DbBackend::Sqlite {
            unbuild_on_sqlite(&txn).await?;
        } else {
            txn.execute_unprepared("ALTER TABLE sprints DROP COLUMN project_id")
                .await?;
            txn.execute_unprepared(
                "ALTER TABLE sprints ADD CONSTRAINT sprints_end_key UNIQUE (\"end\")",
            )
            .await?;
            txn.execute_unprepared("ALTER TABLE labels DROP COLUMN project_id")
                .await?;
            txn.execute_unprepared(
                "ALTER TABLE labels ADD CONSTRAINT labels_name_key_key UNIQUE (name_key)",
            )
            .await?;
        }
        exec(&txn, Table::drop().table(ProjectMembers::Table)).await?;
        exec(&txn, Table::drop().table(Projects::Table)).await?;
        txn.commit().await
    }
}

/// `down` on SQLite: sprints and labels rebuilt as they were (their `UNIQUE` again on the one
/// column), their references saved and restored as in `up`.
async fn unbuild_on_sqlite(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    let seq = sqlite_sequence(txn, "sprints").await?;
    exec(
        txn,
        Table::create()
            .table(Alias::new("sprints_rebuilt"))
            .col(pk_auto(Sprints::Id))
            .col(string_len(Sprints::Name, 100).default(""))
            .col(text(Sprints::Description).default(""))
            .col(date_uniq(Sprints::End))
            .col(integer(Sprints::Version).default(1))
            .col(text(Sprints::SearchKey).default("")),
    )
    .await?;
    txn.execute_unprepared(
        "CREATE TABLE sprint_of_task AS SELECT id, sprint_id FROM tasks WHERE sprint_id IS NOT NULL",
    )
    .await?;
    txn.execute_unprepared(
        "INSERT INTO sprints_rebuilt (id, name, description, \"end\", version, search_key) \
         SELECT id, name, description, \"end\", version, search_key FROM sprints",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE sprints").await?;
    txn.execute_unprepared("ALTER TABLE sprints_rebuilt RENAME TO sprints")
        .await?;
    txn.execute_unprepared(
        "UPDATE tasks SET sprint_id = (SELECT s.sprint_id FROM sprint_of_task s \
         WHERE s.id = tasks.id) WHERE id IN (SELECT id FROM sprint_of_task)",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE sprint_of_task").await?;
    restore_sqlite_sequence(txn, "sprints", seq).await?;

    let seq = sqlite_sequence(txn, "labels").await?;
    exec(
        txn,
        Table::create()
            .table(Alias::new("labels_rebuilt"))
            .col(pk_auto(Labels::Id))
            .col(string_len(Labels::Name, 50))
            .col(string_len_uniq(Labels::NameKey, 50))
            .col(string_len(Labels::Colour, 16))
            .col(integer(Labels::Version).default(1)),
    )
    .await?;
    txn.execute_unprepared(
        "CREATE TABLE task_labels_saved AS SELECT task_id, label_id FROM task_labels",
    )
    .await?;
    txn.execute_unprepared(
        "INSERT INTO labels_rebuilt (id, name, name_key, colour, version) \
         SELECT id, name, name_key, colour, version FROM labels",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE labels").await?;
    txn.execute_unprepared("ALTER TABLE labels_rebuilt RENAME TO labels")
        .await?;
    txn.execute_unprepared(
        "INSERT INTO task_labels (task_id, label_id) SELECT task_id, label_id \
         FROM task_labels_saved",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE task_labels_saved")
        .await?;
    restore_sqlite_sequence(txn, "labels", seq).await
}

async fn exec<S: StatementBuilder + Sync>(
    txn: &DatabaseTransaction,
    statement: &S,
) -> Result<(), DbErr> {
    let statement = txn.get_database_backend().build(statement);
    txn.execute(statement).await.map(|_| ())
}

async fn create_project_tables(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    exec(
        txn,
        Table::create()
            .table(Projects::Table)
            .col(pk_auto(Projects::Id))
            .col(string_len(Projects::Name, 100))
            .col(string_len_uniq(Projects::Key, 10))
            .col(text(Projects::Description).default(""))
            .col(boolean(Projects::Archived).default(false))
            .col(timestamp_with_time_zone(Projects::Created))
            .col(integer(Projects::Version).default(1)),
    )
    .await?;
    exec(
        txn,
        Table::create()
            .table(ProjectMembers::Table)
            .col(integer(ProjectMembers::ProjectId))
            .col(integer(ProjectMembers::UserId))
            .col(string_len(ProjectMembers::Role, 8))
            .col(timestamp_with_time_zone(ProjectMembers::Joined))
            .primary_key(
                Index::create()
                    .col(ProjectMembers::ProjectId)
                    .col(ProjectMembers::UserId),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_project_members_project")
                    .from(ProjectMembers::Table, ProjectMembers::ProjectId)
                    .to(Projects::Table, Projects::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_project_members_user")
                    .from(ProjectMembers::Table, ProjectMembers::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            ),
    )
    .await?;
    // "My projects": every request that lists anything reads this.
    exec(
        txn,
        Index::create()
            .name("idx_project_members_user")
            .table(ProjectMembers::Table)
            .col(ProjectMembers::UserId)
            .col(ProjectMembers::ProjectId),
    )
    .await
}

/// Creates the project that holds what the database already has (key `SCRUM`, which the
/// statements below find it by), with every account in it; nothing when there is nothing to
/// hold.
async fn adopt_existing_data(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    let mut occupied = false;
    for table in [
        Users::Table.into_iden(),
        Sprints::Table.into_iden(),
        Tasks::Table.into_iden(),
        Labels::Table.into_iden(),
    ] {
        let first = Query::select()
            .expr(Expr::val(1))
            .from(table)
            .limit(1)
            .to_owned();
        occupied |= txn
            .query_one(txn.get_database_backend().build(&first))
            .await?
            .is_some();
    }
    if !occupied {
        return Ok(());
    }
    txn.execute_unprepared(
        "INSERT INTO projects (name, \"key\", description, archived, created, version) \
         VALUES ('Scrum Board', 'SCRUM', '', FALSE, CURRENT_TIMESTAMP, 1)",
    )
    .await?;
    txn.execute_unprepared(
        "INSERT INTO project_members (project_id, user_id, role, joined) \
         SELECT (SELECT id FROM projects WHERE \"key\" = 'SCRUM'), id, \
         CASE WHEN is_superuser THEN 'owner' ELSE 'member' END, date_joined FROM users",
    )
    .await
    .map(|_| ())
}

async fn give_projects_on_postgres(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    txn.execute_unprepared(
        "ALTER TABLE sprints ADD COLUMN project_id integer REFERENCES projects (id)",
    )
    .await?;
    txn.execute_unprepared(
        "UPDATE sprints SET project_id = (SELECT id FROM projects WHERE \"key\" = 'SCRUM')",
    )
    .await?;
    txn.execute_unprepared("ALTER TABLE sprints ALTER COLUMN project_id SET NOT NULL")
        .await?;
    txn.execute_unprepared("ALTER TABLE sprints DROP CONSTRAINT sprints_end_key")
        .await?;
    txn.execute_unprepared(
        "ALTER TABLE sprints ADD CONSTRAINT sprints_project_end_key UNIQUE (project_id, \"end\")",
    )
    .await?;
    txn.execute_unprepared(
        "ALTER TABLE labels ADD COLUMN project_id integer REFERENCES projects (id)",
    )
    .await?;
    txn.execute_unprepared(
        "UPDATE labels SET project_id = (SELECT id FROM projects WHERE \"key\" = 'SCRUM')",
    )
    .await?;
    txn.execute_unprepared("ALTER TABLE labels ALTER COLUMN project_id SET NOT NULL")
        .await?;
    txn.execute_unprepared("ALTER TABLE labels DROP CONSTRAINT labels_name_key_key")
        .await?;
    txn.execute_unprepared(
        "ALTER TABLE labels ADD CONSTRAINT labels_project_name_key_key UNIQUE (project_id, name_key)",
    )
    .await
    .map(|_| ())
}

/// The next id SQLite's `AUTOINCREMENT` would give `table`, so a rebuilt table never hands out
/// an id a deleted row had (links to it may still be about).
async fn sqlite_sequence(txn: &DatabaseTransaction, table: &str) -> Result<Option<i64>, DbErr> {
    txn.query_one(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "SELECT seq FROM sqlite_sequence WHERE name = ?",
        [table.into()],
    ))
    .await?
    .map(|row| row.try_get::<i64>("", "seq"))
    .transpose()
}

async fn restore_sqlite_sequence(
    txn: &DatabaseTransaction,
    table: &str,
    seq: Option<i64>,
) -> Result<(), DbErr> {
    if let Some(seq) = seq {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?",
            [seq.into(), table.into()],
        ))
        .await?;
    }
    Ok(())
}

async fn rebuild_sprints_on_sqlite(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    let seq = sqlite_sequence(txn, "sprints").await?;
    exec(
        txn,
        Table::create()
            .table(Alias::new("sprints_rebuilt"))
            .col(pk_auto(Sprints::Id))
            .col(string_len(Sprints::Name, 100).default(""))
            .col(text(Sprints::Description).default(""))
            .col(date(Sprints::End))
            .col(integer(Sprints::Version).default(1))
            .col(text(Sprints::SearchKey).default(""))
            .col(integer(Sprints::ProjectId))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_sprints_project")
                    .from(Alias::new("sprints_rebuilt"), Sprints::ProjectId)
                    .to(Projects::Table, Projects::Id),
            )
            .index(
                Index::create()
                    .name("sprints_project_end_key")
                    .unique()
                    .col(Sprints::ProjectId)
                    .col(Sprints::End),
            ),
    )
    .await?;
    txn.execute_unprepared(
        "CREATE TABLE sprint_of_task AS SELECT id, sprint_id FROM tasks WHERE sprint_id IS NOT NULL",
    )
    .await?;
    txn.execute_unprepared(
        "INSERT INTO sprints_rebuilt (id, name, description, \"end\", version, search_key, \
         project_id) SELECT id, name, description, \"end\", version, search_key, \
         (SELECT id FROM projects WHERE \"key\" = 'SCRUM') FROM sprints",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE sprints").await?;
    txn.execute_unprepared("ALTER TABLE sprints_rebuilt RENAME TO sprints")
        .await?;
    txn.execute_unprepared(
        "UPDATE tasks SET sprint_id = (SELECT s.sprint_id FROM sprint_of_task s \
         WHERE s.id = tasks.id) WHERE id IN (SELECT id FROM sprint_of_task)",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE sprint_of_task").await?;
    restore_sqlite_sequence(txn, "sprints", seq).await
}

async fn rebuild_labels_on_sqlite(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    let seq = sqlite_sequence(txn, "labels").await?;
    exec(
        txn,
        Table::create()
            .table(Alias::new("labels_rebuilt"))
            .col(pk_auto(Labels::Id))
            .col(string_len(Labels::Name, 50))
            .col(string_len(Labels::NameKey, 50))
            .col(string_len(Labels::Colour, 16))
            .col(integer(Labels::Version).default(1))
            .col(integer(Labels::ProjectId))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_labels_project")
                    .from(Alias::new("labels_rebuilt"), Labels::ProjectId)
                    .to(Projects::Table, Projects::Id),
            )
            .index(
                Index::create()
                    .name("labels_project_name_key_key")
                    .unique()
                    .col(Labels::ProjectId)
                    .col(Labels::NameKey),
            ),
    )
    .await?;
    txn.execute_unprepared(
        "CREATE TABLE task_labels_saved AS SELECT task_id, label_id FROM task_labels",
    )
    .await?;
    txn.execute_unprepared(
        "INSERT INTO labels_rebuilt (id, name, name_key, colour, version, project_id) \
         SELECT id, name, name_key, colour, version, \
         (SELECT id FROM projects WHERE \"key\" = 'SCRUM') FROM labels",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE labels").await?;
    txn.execute_unprepared("ALTER TABLE labels_rebuilt RENAME TO labels")
        .await?;
    txn.execute_unprepared(
        "INSERT INTO task_labels (task_id, label_id) SELECT task_id, label_id \
         FROM task_labels_saved",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE task_labels_saved")
        .await?;
    restore_sqlite_sequence(txn, "labels", seq).await
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    Name,
    Key,
    Description,
    Archived,
    Created,
    Version,
}

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    ProjectId,
    UserId,
    Role,
    Joined,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    DefaultProjectId,
}

#[derive(DeriveIden)]
enum Sprints {
    Table,
    Id,
    Name,
    Description,
    End,
    Version,
    SearchKey,
    ProjectId,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    ProjectId,
    SprintId,
}

#[derive(DeriveIden)]
enum Labels {
    Table,
    Id,
    Name,
    NameKey,
    Colour,
    Version,
    ProjectId,
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Id,
    ProjectId,
}
