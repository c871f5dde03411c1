//! Labels: a project's, each a name (unique in it, ignoring case) and a colour from the palette. Deleting one takes it
//! off every task that carried it, each task's change logged like any other edit of its labels.

use app::model::LABEL_COLOURS;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::Value;

pub use super::sprints::Mode;
use super::{WriteError, check_version, is_unique_violation, permit, target_project};
use crate::domain::{
    db::entities::{fold, label, task, task_label},
    errors::{BLANK, FieldErrors, REQUIRED},
    log::{self, Actor, NewEntry},
    permissions::{Need, Scope},
    store::Store,
};

/// A label's fields as the log records them.
pub const LOGGED_FIELDS: &[&str] = &["name", "colour"];
pub const NAME_TAKEN: &str = "A label with this name already exists.";
pub const STAYS_IN_PROJECT: &str = "A label cannot move to another project.";
/// The colour a label gets when none is given.
pub const DEFAULT_COLOUR: &str = "grey";

/// Fields a client sent; `None`: not in the request.
#[derive(Debug, Default)]
pub struct LabelFields {
    pub name: Option<String>,
    pub colour: Option<String>,
    /// Where a new label goes (`None`: the actor's default project).
    pub project: Option<i32>,
}

type Result<T> = std::result::Result<T, WriteError<label::Model>>;

/// "`magenta` is not a valid choice" with the choices there are.
pub fn colour_error(colour: &str) -> String {
    format!(
        "\"{colour}\" is not a valid choice. Choose one of: {}.",
        LABEL_COLOURS.join(", ")
    )
}

pub(super) fn logged_body(store: &Store, model: &label::Model) -> Value {
    serde_json::to_value(store.broadcast().label(model.clone())).expect("labels serialize")
}

/// Labels show on every board of their project (on any task), so their changes go to each.
pub(super) fn entry(
    action: log::Action,
    model: &label::Model,
    before: Option<&Value>,
    after: &Value,
) -> NewEntry {
    let body_after = (action != log::Action::Delete).then_some(after);
    NewEntry {
        model: log::Model::Label,
        object: model.id,
        action,
        changes: log::diff(before, body_after, LOGGED_FIELDS),
        body: after.clone(),
        version: model.version,
        sprints: Vec::new(),
        backlog: true,
        column: None,
        project: Some(model.project_id),
    }
}

/// The name and colour a write leaves, checked: `stored` is the label as it is (`None` for a
/// new one), `mode` says what a missing field means.
async fn checked(
    db: &impl ConnectionTrait,
    project: i32,
    fields: LabelFields,
    stored: Option<&label::Model>,
    mode: Mode,
) -> std::result::Result<(String, String), WriteError<label::Model>> {
    let mut errors = FieldErrors::default();
    let name = match (fields.name, stored) {
        (Some(name), _) => name.trim().to_owned(),
        (None, Some(stored)) if mode == Mode::Patch => stored.name.clone(),
        _ => {
            errors.add("name", REQUIRED);
            String::new()
        }
    };
    if name.is_empty() && !errors.has("name") {
        errors.add("name", BLANK);
    }
    let colour = match (fields.colour, stored) {
        (Some(colour), _) => colour,
        (None, Some(stored)) if mode == Mode::Patch => stored.colour.clone(),
        _ => DEFAULT_COLOUR.to_owned(),
    };
    if !LABEL_COLOURS.contains(&colour.as_str()) {
        errors.add("colour", colour_error(&colour));
    }
    if !errors.has("name") {
        let mut same_name = label::Entity::find()
            .filter(label::Column::ProjectId.eq(project))
            .filter(label::Column::NameKey.eq(fold(&name)));
        if let Some(stored) = stored {
            same_name = same_name.filter(label::Column::Id.ne(stored.id));
        }
        if same_name.count(db).await? > 0 {
            errors.add("name", NAME_TAKEN);
        }
    }
    errors.into_result()?;
    Ok((name, colour))
}

/// A unique violation that slipped past the check (a concurrent create) is still a 400.
fn name_conflict(error: sea_orm::DbErr) -> WriteError<label::Model> {
    if is_unique_violation(&error) {
        WriteError::Invalid(FieldErrors::single("name", NAME_TAKEN))
    } else {
        WriteError::Db(error)
    }
}

pub async fn create(store: &Store, actor: &Actor, fields: LabelFields) -> Result<label::Model> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let project = target_project(&txn, actor, fields.project).await?;
    let (name, colour) = checked(&txn, project, fields, None, Mode::Create).await?;
    let created = label::ActiveModel {
        name: Set(name),
        colour: Set(colour),
        version: Set(1),
        project_id: Set(project),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(name_conflict)?;
    let body = logged_body(store, &created);
    store
        .commit(
            txn,
            actor,
            vec![entry(log::Action::Create, &created, None, &body)],
        )
        .await?;
    Ok(created)
}

async fn find_for_update(txn: &sea_orm::DatabaseTransaction, id: i32) -> Result<label::Model> {
    let mut query = label::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or(WriteError::NotFound)
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i32,
    fields: LabelFields,
    mode: Mode,
    expected_version: Option<i32>,
) -> Result<label::Model> {
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
    let (name, colour) = checked(&txn, stored.project_id, fields, Some(&stored), mode).await?;
    let before = logged_body(store, &stored);
    let version = stored.version + 1;
    let mut active = stored.into_active_model();
    active.name = Set(name);
    active.colour = Set(colour);
    active.version = Set(version);
    let updated = active.update(&txn).await.map_err(name_conflict)?;
    let after = logged_body(store, &updated);
    store
        .commit(
            txn,
            actor,
            vec![entry(log::Action::Update, &updated, Some(&before), &after)],
        )
        .await?;
    Ok(updated)
}

/// Deletes a label after taking it off its tasks: each task gets the next version and a logged
/// change of its `labels`, so every board and every history sees it go.
pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: i32,
    expected_version: Option<i32>,
) -> Result<label::Model> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let stored = find_for_update(&txn, id).await?;
    permit(&txn, actor, stored.project_id, Need::Write).await?;
    check_version(stored.version, expected_version, &stored)?;
    let carrying: Vec<i32> = task_label::Entity::find()
        .select_only()
        .column(task_label::Column::TaskId)
        .filter(task_label::Column::LabelId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut tasks_query = task::Entity::find()
        .filter(task::Column::Id.is_in(carrying))
        .order_by_asc(task::Column::Id);
    if txn.get_database_backend() == DbBackend::Postgres {
        tasks_query = tasks_query.lock_exclusive();
    }
    let tasks = tasks_query.all(&txn).await?;
    let renderer = store.broadcast();
    let befores = renderer.tasks(&txn, tasks.clone()).await?;
    task_label::Entity::delete_many()
        .filter(task_label::Column::LabelId.eq(id))
        .exec(&txn)
        .await?;
    let mut bumped = Vec::with_capacity(tasks.len());
    for task in tasks {
        let version = task.version + 1;
        let remaining: Vec<i32> = task::label_ids(&task.labels)
            .into_iter()
            .filter(|label| *label != id)
            .collect();
        let labels = task::labels_text(&remaining);
        task::Entity::update_many()
            .col_expr(task::Column::Version, Expr::value(version))
            .col_expr(task::Column::Labels, Expr::value(labels.clone()))
            .filter(task::Column::Id.eq(task.id))
            .exec(&txn)
            .await?;
        bumped.push(task::Model {
            version,
            labels,
            ..task
        });
    }
    let afters = renderer.tasks(&txn, bumped.clone()).await?;
    let mut entries = Vec::with_capacity(bumped.len() + 1);
    for ((task, before), after) in bumped.iter().zip(befores).zip(afters) {
        let (before, after) = (
            serde_json::to_value(before).expect("tasks serialize"),
            serde_json::to_value(after).expect("tasks serialize"),
        );
        entries.push(super::tasks::entry(
            log::Action::Update,
            task,
            task.sprint_id,
            Some(&before),
            &after,
        ));
    }
    label::Entity::delete_by_id(id).exec(&txn).await?;
    let body = logged_body(store, &stored);
    entries.push(entry(log::Action::Delete, &stored, Some(&body), &body));
    store.commit(txn, actor, entries).await?;
    Ok(stored)
}

/// The labels of `projects`, by name (ignoring case), then id.
pub fn ordered(projects: Scope) -> sea_orm::Select<label::Entity> {
    label::Entity::find()
        .filter(projects.condition(label::Column::ProjectId))
        .order_by_asc(label::Column::NameKey)
        .order_by_asc(label::Column::Id)
}

/// A label `actor` may see (`NotFound` when it does not exist or is another project's).
pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> Result<label::Model> {
    let found = label::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(WriteError::NotFound)?;
    permit(db, actor, found.project_id, Need::Read).await?;
    Ok(found)
}

/// Whether label `id` is one of `projects`'.
pub async fn exists(
    db: &impl ConnectionTrait,
    projects: Scope,
    id: i32,
) -> std::result::Result<bool, sea_orm::DbErr> {
    Ok(ordered(projects)
        .filter(label::Column::Id.eq(id))
        .count(db)
        .await?
        > 0)
}

/// Of `ids`, those that name no label of `project` (to refuse a task write that uses them).
pub async fn missing(
    db: &impl ConnectionTrait,
    project: i32,
    ids: &[i32],
) -> std::result::Result<Vec<i32>, sea_orm::DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<i32> = label::Entity::find()
        .select_only()
        .column(label::Column::Id)
        .filter(label::Column::Id.is_in(ids.to_vec()))
        .filter(label::Column::ProjectId.eq(project))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect())
}
