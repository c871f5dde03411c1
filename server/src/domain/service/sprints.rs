//! Sprints: validation (the book's rules and messages), writes, deletion that returns the
//! sprint's tasks to the backlog, and filtered lists.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionTrait,
};

use super::{
    WriteError, check_version, icontains, is_unique_violation, permit, target_project, today,
};
use app::model::{SprintProgress, TaskStatus};
use serde_json::Value;

use crate::domain::{
    db::entities::{sprint, task},
    errors::{FieldErrors, REQUIRED},
    log::{self, Actor, NewEntry},
    permissions::{Need, Scope},
    store::Store,
};

/// A sprint's fields as the log records them.
pub const LOGGED_FIELDS: &[&str] = &["name", "description", "end"];

fn logged_body(store: &Store, model: &sprint::Model) -> Value {
    serde_json::to_value(store.broadcast().sprint(model.clone())).expect("sprints serialize")
}

fn entry(
    action: log::Action,
    model: &sprint::Model,
    before: Option<&Value>,
    after: &Value,
) -> NewEntry {
    let body_after = (action != log::Action::Delete).then_some(after);
    NewEntry {
        model: log::Model::Sprint,
        object: model.id,
        action,
        changes: log::diff(before, body_after, LOGGED_FIELDS),
        body: after.clone(),
        version: model.version,
        sprints: vec![model.id],
        backlog: false,
        column: None,
        project: Some(model.project_id),
    }
}

pub const END_IN_PAST: &str = "End date cannot be in the past.";
pub const END_TAKEN: &str = "Sprint with this End already exists.";
pub const STAYS_IN_PROJECT: &str = "A sprint cannot move to another project.";

/// Fields a client sent; `None` means "not in the request".
#[derive(Debug, Default)]
pub struct SprintFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub end: Option<NaiveDate>,
    /// Where a new sprint goes (`None`: the actor's default project); on an update, only
    /// the sprint's own project is accepted.
    pub project: Option<i32>,
}

/// How missing fields are read: PUT resets them to their defaults (DRF), PATCH keeps them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Create,
    Replace,
    Patch,
}

type Result<T> = std::result::Result<T, WriteError<sprint::Model>>;

async fn end_is_taken(
    db: &impl ConnectionTrait,
    project: i32,
    end: NaiveDate,
    except: Option<i32>,
) -> std::result::Result<bool, sea_orm::DbErr> {
    let mut query = sprint::Entity::find()
        .filter(sprint::Column::ProjectId.eq(project))
        .filter(sprint::Column::End.eq(end));
    if let Some(id) = except {
        query = query.filter(sprint::Column::Id.ne(id));
    }
    Ok(query.count(db).await? > 0)
}

/// Applies the book's `validate_end` and the uniqueness of `end` in the project.
async fn validate_end(
    db: &impl ConnectionTrait,
    project: i32,
    end: NaiveDate,
    previous: Option<NaiveDate>,
    id: Option<i32>,
    errors: &mut FieldErrors,
) -> std::result::Result<(), sea_orm::DbErr> {
    if previous != Some(end) {
        if end < today() {
            errors.add("end", END_IN_PAST);
        } else if end_is_taken(db, project, end, id).await? {
            errors.add("end", END_TAKEN);
        }
    }
    Ok(())
}

pub async fn create(store: &Store, actor: &Actor, fields: SprintFields) -> Result<sprint::Model> {
    let Some(end) = fields.end else {
        return Err(FieldErrors::single("end", REQUIRED).into());
    };
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let project = target_project(&txn, actor, fields.project).await?;
    let mut errors = FieldErrors::default();
    validate_end(&txn, project, end, None, None, &mut errors).await?;
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let created = sprint::ActiveModel {
        name: Set(fields.name.unwrap_or_default()),
        description: Set(fields.description.unwrap_or_default()),
        end: Set(end),
        version: Set(1),
        project_id: Set(project),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(end_conflict)?;
    let body = logged_body(store, &created);
    let logged = entry(log::Action::Create, &created, None, &body);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(created)
}

/// A unique violation that slipped past the check (a concurrent insert) is still a 400.
fn end_conflict(error: sea_orm::DbErr) -> WriteError<sprint::Model> {
    if is_unique_violation(&error) {
        WriteError::Invalid(FieldErrors::single("end", END_TAKEN))
    } else {
        WriteError::Db(error)
    }
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i32,
    fields: SprintFields,
    mode: Mode,
    expected_version: Option<i32>,
) -> Result<sprint::Model> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let stored = find_for_update(&txn, id).await?;
    permit(&txn, actor, stored.project_id, Need::Write).await?;
    check_version(stored.version, expected_version, &stored)?;
    if fields
        .project
        .is_some_and(|project| project != stored.project_id)
    {
        return Err(FieldErrors::single("project", STAYS_IN_PROJECT).into());
    }

    let end = match (fields.end, mode) {
        (Some(end), _) => end,
        (None, Mode::Patch) => stored.end,
        (None, _) => return Err(FieldErrors::single("end", REQUIRED).into()),
    };
    let keep_or_default = |sent: Option<String>, stored: &str| match (sent, mode) {
        (Some(value), _) => value,
        (None, Mode::Patch) => stored.to_owned(),
        (None, _) => String::new(),
    };
    let name = keep_or_default(fields.name, &stored.name);
    let description = keep_or_default(fields.description, &stored.description);

    let mut errors = FieldErrors::default();
    validate_end(
        &txn,
        stored.project_id,
        end,
        Some(stored.end),
        Some(id),
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let before = logged_body(store, &stored);
    let version = stored.version + 1;
    let mut active = stored.into_active_model();
    active.name = Set(name);
    active.description = Set(description);
    active.end = Set(end);
    active.version = Set(version);
    let updated = active.update(&txn).await.map_err(end_conflict)?;
    let after = logged_body(store, &updated);
    let logged = entry(log::Action::Update, &updated, Some(&before), &after);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(updated)
}

/// Deletes a sprint after moving its tasks to the backlog (Not Started, no started/completed
/// dates). Returns the deleted sprint and the moved tasks, so callers can announce both.
/// The sprint, locked until the transaction ends on PostgreSQL (SQLite's write gate already
/// serializes writers): concurrent conditional writes cannot both pass the version check.
async fn find_for_update(txn: &sea_orm::DatabaseTransaction, id: i32) -> Result<sprint::Model> {
    let mut query = sprint::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or(WriteError::NotFound)
}

pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: i32,
    expected_version: Option<i32>,
) -> Result<(sprint::Model, Vec<task::Model>)> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let stored = find_for_update(&txn, id).await?;
    permit(&txn, actor, stored.project_id, Need::Write).await?;
    check_version(stored.version, expected_version, &stored)?;
    let mut tasks_query = task::Entity::find()
        .filter(task::Column::SprintId.eq(id))
        .order_by_asc(task::Column::Id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        tasks_query = tasks_query.lock_exclusive();
    }
    let tasks = tasks_query.all(&txn).await?;
    let mut moved = Vec::with_capacity(tasks.len());
    let mut entries = Vec::with_capacity(tasks.len() + 1);
    let renderer = store.broadcast();
    let befores = renderer.tasks(&txn, tasks.clone()).await?;
    for task in tasks {
        let version = task.version + 1;
        let mut active = task.into_active_model();
        active.sprint_id = Set(None);
        active.status = Set(1);
        active.started = Set(None);
        active.completed = Set(None);
        active.version = Set(version);
        moved.push(active.update(&txn).await?);
    }
    let afters = renderer.tasks(&txn, moved.clone()).await?;
    for ((returned, before), after) in moved.iter().zip(befores).zip(afters) {
        let (before, after) = (
            serde_json::to_value(before).expect("tasks serialize"),
            serde_json::to_value(after).expect("tasks serialize"),
        );
        // Its boards see it leave, every board sees it arrive in the backlog.
        entries.push(super::tasks::entry(
            log::Action::Update,
            returned,
            Some(id),
            Some(&before),
            &after,
        ));
    }
    sprint::Entity::delete_by_id(id).exec(&txn).await?;
    let body = logged_body(store, &stored);
    entries.push(entry(log::Action::Delete, &stored, Some(&body), &body));
    store.commit(txn, actor, entries).await?;
    Ok((stored, moved))
}

#[derive(Debug)]
pub struct SprintFilter {
    /// Which projects' sprints (see [`crate::domain::permissions::scope`]).
    pub projects: Scope,
    pub end_min: Option<NaiveDate>,
    pub end_max: Option<NaiveDate>,
    pub search: Vec<String>,
    /// `(field, descending)` among `end` and `name`; empty: by `end`.
    pub ordering: Vec<(&'static str, bool)>,
}

pub fn filtered(filter: &SprintFilter) -> Select<sprint::Entity> {
    let mut query =
        sprint::Entity::find().filter(filter.projects.condition(sprint::Column::ProjectId));
    if let Some(min) = filter.end_min {
        query = query.filter(sprint::Column::End.gte(min));
    }
    if let Some(max) = filter.end_max {
        query = query.filter(sprint::Column::End.lte(max));
    }
    for term in &filter.search {
        query = query.filter(
            Condition::all().add(icontains((sprint::Entity, sprint::Column::SearchKey), term)),
        );
    }
    let ordering = if filter.ordering.is_empty() {
        vec![("end", false)]
    } else {
        filter.ordering.clone()
    };
    for (field, descending) in ordering {
        let column = match field {
            "name" => sprint::Column::Name,
            _ => sprint::Column::End,
        };
        query = query.order_by(column, if descending { Order::Desc } else { Order::Asc });
    }
    // Deterministic pages: ties broken by id.
    query.order_by_asc(sprint::Column::Id)
}

pub async fn count(
    db: &impl ConnectionTrait,
    filter: &SprintFilter,
) -> std::result::Result<u64, sea_orm::DbErr> {
    filtered(filter).count(db).await
}

pub async fn page(
    db: &impl ConnectionTrait,
    filter: &SprintFilter,
    offset: u64,
    limit: u64,
) -> std::result::Result<Vec<sprint::Model>, sea_orm::DbErr> {
    filtered(filter).offset(offset).limit(limit).all(db).await
}

/// A sprint `actor` may see (`NotFound` when it does not exist or is another project's).
pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> Result<sprint::Model> {
    let found = sprint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(WriteError::NotFound)?;
    permit(db, actor, found.project_id, Need::Read).await?;
    Ok(found)
}

/// How far along each of `sprints` is: its tasks and how many are done, one grouped query for
/// a whole page. A sprint without tasks has none.
pub async fn progress(
    db: &impl ConnectionTrait,
    sprints: &[i32],
) -> std::result::Result<std::collections::HashMap<i32, SprintProgress>, sea_orm::DbErr> {
    use sea_orm::sea_query::{Expr, Func, SimpleExpr};
    if sprints.is_empty() {
        return Ok(Default::default());
    }
    let done = Expr::case(task::Column::Status.eq(TaskStatus::Done.code()), 1).finally(0);
    let rows = task::Entity::find()
        .select_only()
        .column(task::Column::SprintId)
        .column_as(task::Column::Id.count(), "tasks")
        .column_as(SimpleExpr::from(Func::sum(done)), "completed")
        .filter(task::Column::SprintId.is_in(sprints.iter().copied()))
        .group_by(task::Column::SprintId)
        .into_tuple::<(i32, i64, i64)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(sprint, tasks, completed)| {
            let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
            let progress = SprintProgress {
                tasks: count(tasks),
                completed: count(completed),
            };
            (sprint, progress)
        })
        .collect())
}
