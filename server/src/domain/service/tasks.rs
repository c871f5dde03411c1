//! Tasks: the book's field and cross-field rules (checked against the merged object, so PATCH
//! works), writes, the atomic move that replaces the book's N reorder PUTs, and filtered lists.

use app::model::TaskStatus;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbBackend, EntityTrait, FromQueryResult, IntoActiveModel, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Set, Statement, TransactionTrait, TryIntoModel,
    sea_query::{Condition, Expr, LockType, NullOrdering},
};

use serde_json::Value;

use app::placement::{self, NotInColumn};

use super::{WriteError, check_version, does_not_exist, icontains, permit, target_project};
use crate::domain::{
    db::entities::{project_member, sprint, task, task_label, user},
    errors::{FieldErrors, REQUIRED},
    log::{self, Actor, NewEntry},
    permissions::{self, Need, Scope},
    store::Store,
};

/// A task's fields as the log records them (REST names and values).
pub const LOGGED_FIELDS: &[&str] = &[
    "name",
    "description",
    "sprint",
    "status",
    "order",
    "assigned",
    "started",
    "due",
    "completed",
    "labels",
    "points",
];

pub const COMPLETED_SPRINT_CHANGE: &str = "Cannot change the sprint of a completed task.";
pub const ASSIGN_PAST_SPRINT: &str = "Cannot assign tasks to past sprints.";
pub const ADD_PAST_SPRINT: &str = "Cannot add tasks to past sprints.";
pub const BACKLOG_NOT_STARTED: &str = "Backlog tasks must have \"Not Started\" status.";
pub const STARTED_NOT_STARTED: &str = "Started date cannot be set for not started tasks.";
pub const COMPLETED_UNCOMPLETED: &str = "Completed date cannot be set for uncompleted tasks.";
pub const STAYS_IN_PROJECT: &str = "A task cannot move to another project.";
pub const SPRINT_OF_ANOTHER_PROJECT: &str =
    "This sprint belongs to another project: a task cannot move between projects.";
/// How many labels one task may carry.
pub const MAX_LABELS: usize = 20;

/// Fields a client sent. Outer `None`: not in the request; inner `None`: null / empty.
#[derive(Debug, Default)]
pub struct TaskFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub sprint: Option<Option<i32>>,
    pub status: Option<TaskStatus>,
    pub order: Option<i16>,
    /// A username.
    pub assigned: Option<Option<String>>,
    pub started: Option<Option<NaiveDate>>,
    pub due: Option<Option<NaiveDate>>,
    pub completed: Option<Option<NaiveDate>>,
    /// Label ids, replacing the task's labels. `None` keeps them, whatever the mode: the
    /// book's clients never send labels, and their PUTs must not wipe them.
    pub labels: Option<Vec<i32>>,
    /// Its estimate in tenths of a point; `Some(None)` clears it. Kept when left out, whatever
    /// the mode (the book's clients never send it).
    pub points: Option<Option<app::model::Points>>,
    /// Where a new task goes (`None`: its sprint's project, else the actor's default); on an
    /// update, only the task's own project is accepted.
    pub project: Option<i32>,
}

pub use super::sprints::Mode;

type Result<T> = std::result::Result<T, WriteError<task::Model>>;

/// A task as committed, with its assignee's username: everything its REST representation
/// needs, so neither the log's body nor the caller's answer has to look the user up again.
#[derive(Clone, Debug)]
pub struct Saved {
    pub task: task::Model,
    pub assignee: Option<String>,
}

/// The task as it will be stored, before the rules have approved it.
struct Draft {
    name: String,
    description: String,
    sprint: Option<i32>,
    status: TaskStatus,
    order: i16,
    assigned_id: Option<i32>,
    /// The assignee's username (looked up with the id, or kept with it).
    assignee: Option<String>,
    started: Option<NaiveDate>,
    due: Option<NaiveDate>,
    completed: Option<NaiveDate>,
    /// Label ids, ascending, each once.
    labels: Vec<i32>,
    points_tenths: Option<i32>,
}

/// The sprint a task joins, which must be in the task's `project`. A sprint of a project the
/// actor cannot see is "does not exist", as is one that does not.
async fn find_sprint(
    db: &impl ConnectionTrait,
    actor: &Actor,
    project: i32,
    id: i32,
    errors: &mut FieldErrors,
) -> std::result::Result<Option<sprint::Model>, sea_orm::DbErr> {
    let mut query = sprint::Entity::find_by_id(id);
    if db.get_database_backend() == DbBackend::Postgres {
        // A sprint being deleted cannot take this task in behind its back: its delete holds
        // the row exclusively, so we wait, then find it gone.
        query = query.lock_shared();
    }
    let found = query.one(db).await?;
    match &found {
        Some(sprint) if sprint.project_id == project => return Ok(found),
        Some(sprint)
            if permissions::standing(db, actor, sprint.project_id)
                .await?
                .is_some() =>
        {
            errors.add("sprint", SPRINT_OF_ANOTHER_PROJECT);
        }
        _ => errors.add("sprint", does_not_exist(id)),
    }
    Ok(None)
}

/// The project of sprint `id`, when `actor` may see it.
async fn project_of_sprint(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> std::result::Result<Option<i32>, sea_orm::DbErr> {
    let project: Option<i32> = sprint::Entity::find_by_id(id)
        .select_only()
        .column(sprint::Column::ProjectId)
        .into_tuple()
        .one(db)
        .await?;
    Ok(match project {
        Some(project) if permissions::standing(db, actor, project).await?.is_some() => {
            Some(project)
        }
        _ => None,
    })
}

/// The assignee, who must be a member of the task's project (any role).
async fn find_user(
    db: &impl ConnectionTrait,
    project: i32,
    username: &str,
    errors: &mut FieldErrors,
) -> std::result::Result<Option<(i32, String)>, sea_orm::DbErr> {
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?;
    let Some(found) = found else {
        errors.add(
            "assigned",
            format!("Object with username={username} does not exist."),
        );
        return Ok(None);
    };
    let member = project_member::Entity::find_by_id((project, found.id))
        .one(db)
        .await?
        .is_some();
    if !member {
        errors.add(
            "assigned",
            format!("{username} is not a member of this project."),
        );
        return Ok(None);
    }
    Ok(Some((found.id, found.username)))
}

/// Who is writing, and the day the date rules are judged on.
#[derive(Clone, Copy)]
struct Rules<'a> {
    actor: &'a Actor,
    today: NaiveDate,
}

impl<'a> Rules<'a> {
    fn of(store: &Store, actor: &'a Actor) -> Self {
        Self {
            actor,
            today: store.today(),
        }
    }
}

/// Merges the sent fields over `stored` (or the defaults), resolving references, and applies
/// every rule. `mode` decides what a missing field means (see [`Mode`]).
async fn draft(
    db: &impl ConnectionTrait,
    rules: Rules<'_>,
    project: i32,
    fields: TaskFields,
    saved: Option<&Saved>,
    mode: Mode,
) -> std::result::Result<Draft, FieldErrors> {
    let Rules { actor, today } = rules;
    let stored = saved.map(|saved| &saved.task);
    let mut errors = FieldErrors::default();
    let db_error = |error: sea_orm::DbErr| {
        tracing::error!(%error, "task validation query failed");
        FieldErrors::single(FieldErrors::NON_FIELD, "A server error occurred.")
    };

    // Fields DRF gives a model default are reset by PUT; nullable ones without a default
    // (sprint, assigned, dates) keep their stored value when a PUT leaves them out.
    let patching = mode == Mode::Patch;
    let name = match (fields.name, stored) {
        (Some(name), _) if !name.trim().is_empty() => name,
        (None, Some(stored)) if patching => stored.name.clone(),
        _ => {
            errors.add("name", REQUIRED);
            String::new()
        }
    };
    let description = match (fields.description, stored) {
        (Some(text), _) => text,
        (None, Some(stored)) if patching => stored.description.clone(),
        _ => String::new(),
    };
    let status = match (fields.status, stored) {
        (Some(status), _) => status,
        (None, Some(stored)) if patching => {
            TaskStatus::try_from(stored.status).unwrap_or(TaskStatus::NotStarted)
        }
        _ => TaskStatus::NotStarted,
    };
    let order = match (fields.order, stored) {
        (Some(order), _) => order,
        (None, Some(stored)) if patching => stored.order,
        _ => 0,
    };
    let keep = |sent: Option<Option<NaiveDate>>, stored_value: Option<NaiveDate>| {
        sent.unwrap_or(stored_value)
    };
    let started = keep(fields.started, stored.and_then(|s| s.started));
    let due = keep(fields.due, stored.and_then(|s| s.due));
    let completed = keep(fields.completed, stored.and_then(|s| s.completed));

    let stored_sprint = stored.and_then(|s| s.sprint_id);
    let sprint_id = fields.sprint.unwrap_or(stored_sprint);
    // A task that stays in its sprint needs no lookup: the sprint exists (the foreign key
    // says so, and a sprint's delete locks its tasks before it returns them to the backlog),
    // and the book's sprint rules apply only to a task that enters one.
    let unchanged = stored.is_some() && sprint_id == stored_sprint;
    let sprint = match sprint_id {
        Some(id) if !unchanged => find_sprint(db, actor, project, id, &mut errors)
            .await
            .map_err(db_error)?,
        _ => None,
    };
    let (assigned_id, assignee) = match fields.assigned {
        Some(Some(username)) => find_user(db, project, &username, &mut errors)
            .await
            .map_err(db_error)?
            .unzip(),
        Some(None) => (None, None),
        None => (
            stored.and_then(|s| s.assigned_id),
            saved.and_then(|s| s.assignee.clone()),
        ),
    };

    let labels = match fields.labels {
        Some(mut labels) => {
            labels.sort_unstable();
            labels.dedup();
            if labels.len() > MAX_LABELS {
                errors.add(
                    "labels",
                    format!("Ensure this field has no more than {MAX_LABELS} elements."),
                );
            }
            for id in super::labels::missing(db, project, &labels)
                .await
                .map_err(db_error)?
            {
                errors.add(
                    "labels",
                    format!("Invalid pk '{id}' - object does not exist."),
                );
            }
            labels
        }
        None => stored
            .map(|s| task::label_ids(&s.labels))
            .unwrap_or_default(),
    };

    let points_tenths = match fields.points {
        Some(points) => points.map(|p| i32::try_from(p.tenths()).unwrap_or(i32::MAX)),
        None => stored.and_then(|s| s.points_tenths),
    };

    // A completed sprint's tasks stay as they are, and none join it.
    let current = match stored_sprint {
        Some(stored_sprint) => sprint::Entity::find_by_id(stored_sprint)
            .one(db)
            .await
            .map_err(db_error)?,
        None => None,
    };
    if let Some(current) = current.as_ref().filter(|s| s.completed_at.is_some()) {
        return Err(FieldErrors::single(
            FieldErrors::NON_FIELD,
            super::sprints::completed_message(current),
        ));
    }
    if let Some(joined) = sprint.as_ref().filter(|s| s.completed_at.is_some()) {
        errors.add("sprint", super::sprints::completed_message(joined));
    }

    // The book's validate_sprint, on the resolved sprint.
    if !errors.has("sprint") {
        let past = sprint.as_ref().is_some_and(|s| s.end < today);
        match stored {
            Some(stored) if sprint_id != stored.sprint_id => {
                if stored.status == TaskStatus::Done.code() {
                    errors.add("sprint", COMPLETED_SPRINT_CHANGE);
                } else if past {
                    errors.add("sprint", ASSIGN_PAST_SPRINT);
                }
            }
            None if past => errors.add("sprint", ADD_PAST_SPRINT),
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // The book's cross-field `validate`, on the merged object: only the first failure.
    let cross_field = if sprint_id.is_none() && status != TaskStatus::NotStarted {
        Some(BACKLOG_NOT_STARTED)
    } else if started.is_some() && status == TaskStatus::NotStarted {
        Some(STARTED_NOT_STARTED)
    } else if completed.is_some() && status != TaskStatus::Done {
        Some(COMPLETED_UNCOMPLETED)
    } else {
        None
    };
    if let Some(message) = cross_field {
        return Err(FieldErrors::single(FieldErrors::NON_FIELD, message));
    }
    let stored_column = stored.map(|s| (s.sprint_id, s.status));
    if let Some(id) = sprint_id
        && stored_column != Some((sprint_id, status.code()))
    {
        // The sprint it joins, or the one it stays in (both read above already).
        let known = sprint
            .as_ref()
            .or(current.as_ref().filter(|s| Some(s.id) == sprint_id));
        refuse_past_wip_limit(db, project, id, known, status, stored.map(|s| s.id)).await?;
    }
    Ok(Draft {
        name,
        description,
        sprint: sprint_id,
        status,
        order,
        assigned_id,
        assignee,
        started,
        due,
        completed,
        labels,
        points_tenths,
    })
}

/// A task entering column `status` of sprint `id`, when that sprint's limits are strict and
/// the column is full, is refused: "In Testing is at its limit of 2 tasks."
async fn refuse_past_wip_limit(
    db: &impl ConnectionTrait,
    project: i32,
    id: i32,
    known: Option<&sprint::Model>,
    status: TaskStatus,
    task: Option<i32>,
) -> std::result::Result<(), FieldErrors> {
    let db_error = |error: sea_orm::DbErr| {
        tracing::error!(%error, "work-in-progress check failed");
        FieldErrors::single(FieldErrors::NON_FIELD, "A server error occurred.")
    };
    let found = match known {
        Some(sprint) => Some(sprint.clone()),
        None => sprint::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(db_error)?,
    };
    let Some(sprint) = found.filter(|s| s.wip_strict) else {
        return Ok(());
    };
    let Some(limit) = super::sprints::wip_limits(&sprint.wip_limits).of(status) else {
        return Ok(());
    };
    let mut column = column_query(project, Some(id), status);
    if let Some(task) = task {
        column = column.filter(task::Column::Id.ne(task));
    }
    let count = column.count(db).await.map_err(db_error)?;
    if count >= u64::from(limit) {
        return Err(FieldErrors::single(
            "status",
            app::model::WipLimits::message(status, limit, true),
        ));
    }
    Ok(())
}

/// Sets the draft's fields on `active`; returns the assignee's username and the labels (which
/// live beside the row: see [`write_labels`]).
fn apply(active: &mut task::ActiveModel, draft: Draft) -> (Option<String>, Vec<i32>) {
    active.name = Set(draft.name);
    active.description = Set(draft.description);
    active.sprint_id = Set(draft.sprint);
    active.status = Set(draft.status.code());
    active.order = Set(draft.order);
    active.assigned_id = Set(draft.assigned_id);
    active.started = Set(draft.started);
    active.due = Set(draft.due);
    active.completed = Set(draft.completed);
    active.labels = Set(task::labels_text(&draft.labels));
    active.points_tenths = Set(draft.points_tenths);
    (draft.assignee, draft.labels)
}

/// Makes `after` the labels of task `id` in `task_labels` (the task's own `labels` column is
/// set with its row), which had `before`: only the difference is written.
async fn write_labels(
    txn: &DatabaseTransaction,
    id: i32,
    before: &[i32],
    after: &[i32],
) -> std::result::Result<(), sea_orm::DbErr> {
    let gone: Vec<i32> = before
        .iter()
        .copied()
        .filter(|l| !after.contains(l))
        .collect();
    if !gone.is_empty() {
        task_label::Entity::delete_many()
            .filter(task_label::Column::TaskId.eq(id))
            .filter(task_label::Column::LabelId.is_in(gone))
            .exec(txn)
            .await?;
    }
    let added: Vec<task_label::ActiveModel> = after
        .iter()
        .filter(|l| !before.contains(l))
        .map(|&label_id| task_label::ActiveModel {
            task_id: Set(id),
            label_id: Set(label_id),
        })
        .collect();
    if !added.is_empty() {
        task_label::Entity::insert_many(added).exec(txn).await?;
    }
    Ok(())
}

/// The REST representation the log keeps for a task.
pub(super) fn logged_body(store: &Store, saved: &Saved) -> Value {
    let rendered = store
        .broadcast()
        .task(saved.task.clone(), saved.assignee.clone());
    serde_json::to_value(&rendered).expect("tasks serialize")
}

/// Writes the changed fields of `active` (a task read in `txn`) without reading the row back:
/// the caller knows what it wrote. Returns the task as stored.
async fn save(txn: &DatabaseTransaction, active: task::ActiveModel) -> Result<task::Model> {
    // What `ActiveModel::update` runs first: the search key follows name and description.
    let active = active.before_save(txn, false).await?;
    let model = active.clone().try_into_model()?;
    let written = task::Entity::update_many()
        .set(active)
        .filter(task::Column::Id.eq(model.id))
        .exec(txn)
        .await?;
    if written.rows_affected != 1 {
        return Err(WriteError::NotFound);
    }
    Ok(model)
}

/// The entry for a change of `task` that was in `previous_sprint` before it.
pub(super) fn entry(
    action: log::Action,
    task: &task::Model,
    previous_sprint: Option<i32>,
    before: Option<&Value>,
    after: &Value,
) -> NewEntry {
    let body_after = (action != log::Action::Delete).then_some(after);
    NewEntry {
        model: log::Model::Task,
        object: task.id,
        action,
        changes: log::diff(before, body_after, LOGGED_FIELDS),
        body: after.clone(),
        version: task.version,
        sprints: [previous_sprint, task.sprint_id]
            .into_iter()
            .flatten()
            .collect(),
        backlog: previous_sprint.is_none() || task.sprint_id.is_none(),
        column: None,
        project: Some(task.project_id),
    }
}

/// The project a new task goes to: the one named, else its sprint's, else the default.
async fn project_for_new(
    txn: &DatabaseTransaction,
    actor: &Actor,
    fields: &TaskFields,
) -> Result<i32> {
    let named = match (fields.project, fields.sprint) {
        (Some(project), _) => Some(project),
        (None, Some(Some(sprint))) => project_of_sprint(txn, actor, sprint).await?,
        _ => None,
    };
    target_project(txn, actor, named).await
}

pub async fn create(store: &Store, actor: &Actor, fields: TaskFields) -> Result<Saved> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let project = project_for_new(&txn, actor, &fields).await?;
    let draft = draft(
        &txn,
        Rules::of(store, actor),
        project,
        fields,
        None,
        Mode::Create,
    )
    .await?;
    let mut active = task::ActiveModel {
        version: Set(1),
        project_id: Set(project),
        ..Default::default()
    };
    let (assignee, labels) = apply(&mut active, draft);
    let task = active.insert(&txn).await?;
    write_labels(&txn, task.id, &[], &labels).await?;
    let created = Saved { task, assignee };
    let body = logged_body(store, &created);
    let logged = entry(
        log::Action::Create,
        &created.task,
        created.task.sprint_id,
        None,
        &body,
    );
    store.commit(txn, actor, vec![logged]).await?;
    Ok(created)
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i32,
    fields: TaskFields,
    mode: Mode,
    expected_version: Option<i32>,
) -> Result<Saved> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let stored = find_for_update(&txn, id).await?;
    let project = stored.task.project_id;
    permit(&txn, actor, project, Need::Write).await?;
    check_version(stored.task.version, expected_version, &stored.task)?;
    if fields.project.is_some_and(|named| named != project) {
        return Err(FieldErrors::single("project", STAYS_IN_PROJECT).into());
    }
    let draft = draft(
        &txn,
        Rules::of(store, actor),
        project,
        fields,
        Some(&stored),
        mode,
    )
    .await?;
    let mut active = stored.task.clone().into_active_model();
    let (assignee, labels) = apply(&mut active, draft);
    active.version = Set(stored.task.version + 1);
    let task = save(&txn, active).await?;
    write_labels(&txn, id, &task::label_ids(&stored.task.labels), &labels).await?;
    let updated = Saved { task, assignee };
    let logged = entry(
        log::Action::Update,
        &updated.task,
        stored.task.sprint_id,
        Some(&logged_body(store, &stored)),
        &logged_body(store, &updated),
    );
    store.commit(txn, actor, vec![logged]).await?;
    Ok(updated)
}

pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: i32,
    expected_version: Option<i32>,
) -> Result<task::Model> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let stored = find_for_update(&txn, id).await?;
    permit(&txn, actor, stored.task.project_id, Need::Write).await?;
    check_version(stored.task.version, expected_version, &stored.task)?;
    if let Some(sprint) = stored.task.sprint_id {
        let current = sprint::Entity::find_by_id(sprint).one(&txn).await?;
        if let Some(current) = current.filter(|s| s.completed_at.is_some()) {
            let message = super::sprints::completed_message(&current);
            return Err(FieldErrors::single(FieldErrors::NON_FIELD, message).into());
        }
    }
    let before = logged_body(store, &stored);
    task::Entity::delete_by_id(id).exec(&txn).await?;
    let logged = entry(
        log::Action::Delete,
        &stored.task,
        stored.task.sprint_id,
        Some(&before),
        &before,
    );
    store.commit(txn, actor, vec![logged]).await?;
    Ok(stored.task)
}

/// The fields named in `values` (REST names and values, as the log records them), as a write
/// would send them: what an undo puts back.
pub fn fields_from_rest(values: &serde_json::Map<String, Value>) -> TaskFields {
    let text = |name: &str| {
        values
            .get(name)
            .map(|v| v.as_str().unwrap_or_default().to_owned())
    };
    let date = |name: &str| {
        values
            .get(name)
            .map(|v| v.as_str().and_then(|d| d.parse::<NaiveDate>().ok()))
    };
    TaskFields {
        name: text("name"),
        description: text("description"),
        sprint: values
            .get("sprint")
            .map(|v| v.as_i64().and_then(|id| i32::try_from(id).ok())),
        status: values.get("status").and_then(|v| {
            v.as_i64()
                .and_then(|n| i16::try_from(n).ok())
                .and_then(|n| TaskStatus::try_from(n).ok())
        }),
        order: values
            .get("order")
            .and_then(|v| v.as_i64())
            .and_then(|n| i16::try_from(n).ok()),
        assigned: values
            .get("assigned")
            .map(|v| v.as_str().map(str::to_owned)),
        started: date("started"),
        due: date("due"),
        completed: date("completed"),
        labels: values.get("labels").map(|v| {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| id.as_i64().and_then(|id| i32::try_from(id).ok()))
                .collect()
        }),
        project: values
            .get("project")
            .and_then(Value::as_i64)
            .and_then(|id| i32::try_from(id).ok()),
        points: values.get("points").map(|v| match v {
            Value::Number(number) => app::model::Points::parse(&number.to_string()).ok(),
            _ => None,
        }),
    }
}

/// Puts a deleted task back as it was: `body` is its last REST representation (from the log).
/// It gets its id and fields back, the next version, and its place in its column (the tasks
/// below move down one, as in a move). Refused by the same rules as a new task (its sprint
/// must still exist and not be over; its assignee must still exist).
pub async fn restore(store: &Store, actor: &Actor, body: &Value) -> Result<Saved> {
    let Some(values) = body.as_object() else {
        return Err(WriteError::NotFound);
    };
    let id = values
        .get("id")
        .and_then(Value::as_i64)
        .and_then(|id| i32::try_from(id).ok())
        .ok_or(WriteError::NotFound)?;
    let version = values.get("version").and_then(Value::as_i64).unwrap_or(1) as i32;
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    if task::Entity::find_by_id(id).one(&txn).await?.is_some() {
        return Err(FieldErrors::single(FieldErrors::NON_FIELD, "The task exists already.").into());
    }
    let fields = fields_from_rest(values);
    let project = fields.project.ok_or(WriteError::NotFound)?;
    permit(&txn, actor, project, Need::Write).await?;
    let draft = draft(
        &txn,
        Rules::of(store, actor),
        project,
        fields,
        None,
        Mode::Create,
    )
    .await?;
    let (sprint, status, wanted) = (draft.sprint, draft.status, draft.order);
    let mut active = task::ActiveModel {
        id: Set(id),
        version: Set(version + 1),
        project_id: Set(project),
        ..Default::default()
    };
    let (assignee, labels) = apply(&mut active, draft);

    let mut column_rows = column_query(project, sprint, status).filter(task::Column::Id.ne(id));
    if txn.get_database_backend() == DbBackend::Postgres {
        column_rows = column_rows.lock_exclusive();
    }
    let column = column_rows.all(&txn).await?;
    let ids: Vec<i32> = column.iter().map(|t| t.id).collect();
    let at = usize::try_from(wanted).unwrap_or(0).min(ids.len());
    let order =
        placement::place(&ids, id, ids.get(at).copied()).map_err(|_| WriteError::NotFound)?;
    order_at(order.len() - 1)?;
    active.order = Set(order_at(at)?);
    let task = active.insert(&txn).await?;
    write_labels(&txn, id, &[], &labels).await?;
    // Its comments went with it.
    let restored = Saved { task, assignee };
    let placed = renumber_neighbours(&txn, &column, &order, (id, restored.task.version)).await?;
    let mut logged = entry(
        log::Action::Create,
        &restored.task,
        restored.task.sprint_id,
        None,
        &logged_body(store, &restored),
    );
    logged.column = Some(placed);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(restored)
}

/// Renumbers the neighbours of a task placed in a column: `column` is the column as read
/// (without the task), `order` its ids after the placement, `(id, version)` the placed task.
/// Every neighbour whose place changed gets its new `order` and the next version. Returns the
/// column in its new order with each task's version, as the log records a move.
async fn renumber_neighbours(
    txn: &DatabaseTransaction,
    column: &[task::Model],
    order: &[i32],
    (id, version): (i32, i32),
) -> Result<Vec<(i32, i32)>> {
    let row = |other: i32| column.iter().find(|t| t.id == other);
    let mut placed = Vec::with_capacity(order.len());
    let changed = placement::renumbered(order, |other| row(other).map(|t| t.order));
    for &other in order {
        if other == id {
            placed.push((id, version));
            continue;
        }
        let Some(neighbour) = row(other) else {
            continue;
        };
        let mut neighbour_version = neighbour.version;
        if let Some((_, index)) = changed.iter().find(|(changed, _)| *changed == other) {
            neighbour_version += 1;
            task::Entity::update_many()
                .col_expr(task::Column::Order, Expr::value(*index))
                .col_expr(task::Column::Version, Expr::value(neighbour_version))
                .filter(task::Column::Id.eq(other))
                .exec(txn)
                .await?;
        }
        placed.push((other, neighbour_version));
    }
    Ok(placed)
}

/// The task `id` with its assignee's username, locked for this transaction on PostgreSQL
/// (SQLite's writers are serialised already).
async fn find_for_update(txn: &DatabaseTransaction, id: i32) -> Result<Saved> {
    let mut query = task::Entity::find_by_id(id)
        .left_join(user::Entity)
        .column_as(user::Column::Username, "assignee");
    if txn.get_database_backend() == DbBackend::Postgres {
        // Only the task's row: PostgreSQL refuses to lock the nullable side of an outer join,
        // and the assignee may change meanwhile without making this write wrong.
        QuerySelect::query(&mut query).lock_with_tables(LockType::Update, [task::Entity]);
    }
    let row = query
        .into_model::<TaskRow>()
        .one(txn)
        .await?
        .ok_or(WriteError::NotFound)?;
    Ok(row.into())
}

/// A task `actor` may see (`NotFound` when it does not exist or is another project's).
pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> Result<task::Model> {
    let found = task::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(WriteError::NotFound)?;
    permit(db, actor, found.project_id, Need::Read).await?;
    Ok(found)
}

/// Where a dragged card lands.
#[derive(Clone, Copy, Debug)]
pub struct Move {
    pub status: TaskStatus,
    pub sprint: Option<i32>,
    /// Drop in front of this task; `None`: at the end of the column.
    pub before: Option<i32>,
    /// `(started, completed)` to set instead of what the move rules give (an undo puts back
    /// the dates the task had).
    pub dates: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
}

/// Moves a task to `target` in one transaction: validates like an update, applies the
/// book's started/completed rules (§4.9) when the status changes, and renumbers the target
/// column 0, 1, 2… so positions are exact and never drift. One log entry records it: the
/// task's change and the column's new order (the renumbered neighbours are implied by it).
pub async fn move_task(
    store: &Store,
    actor: &Actor,
    id: i32,
    target: Move,
    expected_version: Option<i32>,
) -> Result<Saved> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    if postgres {
        // One mover per column at a time, across every server instance: lock the column the
        // task leaves and the one it joins, always in the same order, so two moves in opposite
        // directions queue instead of deadlocking.
        let current = task::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(WriteError::NotFound)?;
        let project = current.project_id;
        let mut keys = vec![
            column_key(project, current.sprint_id, current.status),
            column_key(project, target.sprint, effective_status(target).code()),
        ];
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            txn.execute(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [key.into()],
            ))
            .await?;
        }
    }
    let saved = find_for_update(&txn, id).await?;
    let stored = &saved.task;
    let project = stored.project_id;
    permit(&txn, actor, project, Need::Write).await?;
    check_version(stored.version, expected_version, stored)?;

    let status = effective_status(target);
    let previous_status = TaskStatus::try_from(stored.status).unwrap_or(TaskStatus::NotStarted);
    let (started, completed) = if let Some(dates) = target.dates {
        dates
    } else if status == previous_status {
        (stored.started, stored.completed)
    } else {
        dates_after_move(status, stored.started, stored.completed, store.today())
    };
    let fields = TaskFields {
        sprint: Some(target.sprint),
        status: Some(status),
        started: Some(started),
        completed: Some(completed),
        ..Default::default()
    };
    // Validation as for a PATCH: a completed task may not change sprint, and so on.
    draft(
        &txn,
        Rules::of(store, actor),
        project,
        fields,
        Some(&saved),
        Mode::Patch,
    )
    .await?;

    let mut column_rows =
        column_query(project, target.sprint, status).filter(task::Column::Id.ne(id));
    if postgres {
        // The rows we renumber must not change under us (a PATCH of one of them, say).
        column_rows = column_rows.lock_exclusive();
    }
    let column = column_rows.all(&txn).await?;
    // The target column in display order, with the task where it stands when it moves
    // within its own column.
    let mut ids: Vec<i32> = column.iter().map(|t| t.id).collect();
    if stored.sprint_id == target.sprint && stored.status == status.code() {
        let at = column
            .iter()
            .position(|t| (t.order, t.id) > (stored.order, stored.id))
            .unwrap_or(column.len());
        ids.insert(at, id);
    }
    let order = placement::place(&ids, id, target.before).map_err(|NotInColumn(before)| {
        FieldErrors::single(
            "before",
            format!("Task {before} is not in the target column."),
        )
    })?;
    order_at(order.len() - 1)?;
    let position = order.iter().position(|other| *other == id).unwrap_or(0);
    let previous_sprint = stored.sprint_id;
    let version = stored.version + 1;
    let mut active = stored.clone().into_active_model();
    active.sprint_id = Set(target.sprint);
    active.status = Set(status.code());
    active.started = Set(started);
    active.completed = Set(completed);
    active.order = Set(order_at(position)?);
    active.version = Set(version);

    let placed = renumber_neighbours(&txn, &column, &order, (id, version)).await?;
    let moved = Saved {
        task: save(&txn, active).await?,
        assignee: saved.assignee.clone(),
    };
    let mut logged = entry(
        log::Action::Move,
        &moved.task,
        previous_sprint,
        Some(&logged_body(store, &saved)),
        &logged_body(store, &moved),
    );
    logged.column = Some(placed);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(moved)
}

/// The backlog has one column: moving there means Not Started.
fn effective_status(target: Move) -> TaskStatus {
    if target.sprint.is_none() {
        TaskStatus::NotStarted
    } else {
        target.status
    }
}

/// The advisory-lock key of a board column: a sprint's columns count up from 8, a project's
/// backlog down from -8.
fn column_key(project: i32, sprint: Option<i32>, status: i16) -> i64 {
    match sprint {
        Some(sprint) => i64::from(sprint) * 8 + i64::from(status),
        None => -(i64::from(project) * 8 + i64::from(status)),
    }
}

fn order_at(index: usize) -> Result<i16> {
    i16::try_from(index).map_err(|_| {
        WriteError::Invalid(FieldErrors::single(
            "before",
            "The column is full (32,767 tasks).",
        ))
    })
}

/// The book's `moveTo` date rules for a status change: entering In Progress starts the task
/// today, Testing/Done start it if it never was; Not Started clears it. Entering Done
/// completes it today; leaving Done clears the completion (whatever it was).
pub fn dates_after_move(
    status: TaskStatus,
    started: Option<NaiveDate>,
    _completed: Option<NaiveDate>,
    today: NaiveDate,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let started = match status {
        TaskStatus::NotStarted => None,
        TaskStatus::InProgress => Some(today),
        TaskStatus::Testing | TaskStatus::Done => started.or(Some(today)),
    };
    let completed = match status {
        TaskStatus::Done => Some(today),
        _ => None,
    };
    (started, completed)
}

/// One board column of `project` in display order (`sprint` `None`: its backlog).
pub fn column_query(project: i32, sprint: Option<i32>, status: TaskStatus) -> Select<task::Entity> {
    let in_sprint = match sprint {
        Some(id) => task::Column::SprintId.eq(id),
        None => task::Column::SprintId.is_null(),
    };
    task::Entity::find()
        .filter(task::Column::ProjectId.eq(project))
        .filter(in_sprint)
        .filter(task::Column::Status.eq(status.code()))
        .order_by_asc(task::Column::Order)
        .order_by_asc(task::Column::Id)
}

#[derive(Debug)]
pub struct TaskFilter {
    /// Which projects' tasks (see [`permissions::scope`]).
    pub projects: Scope,
    pub sprint: Option<i32>,
    pub status: Option<TaskStatus>,
    pub assigned_id: Option<i32>,
    /// Tasks carrying this label.
    pub label: Option<i32>,
    pub backlog: Option<bool>,
    pub search: Vec<String>,
    /// `(field, descending)` among name, order, started, due, completed.
    pub ordering: Vec<(&'static str, bool)>,
}

/// The tasks `filter` matches, in its order.
pub fn filtered(filter: &TaskFilter) -> Select<task::Entity> {
    let mut query = matching(filter);
    for (field, descending) in &filter.ordering {
        let column = match *field {
            "name" => task::Column::Name,
            "started" => task::Column::Started,
            "due" => task::Column::Due,
            "completed" => task::Column::Completed,
            _ => task::Column::Order,
        };
        // Undated tasks last ascending, first descending, on every engine (PostgreSQL's
        // default; SQLite's is the opposite).
        let (order, nulls) = if *descending {
            (Order::Desc, NullOrdering::First)
        } else {
            (Order::Asc, NullOrdering::Last)
        };
        query = query.order_by_with_nulls(column, order, nulls);
    }
    // Default and tie-break order: (order, id), so pages never shuffle.
    query
        .order_by_asc(task::Column::Order)
        .order_by_asc(task::Column::Id)
}

/// The tasks `filter` matches, in no order.
fn matching(filter: &TaskFilter) -> Select<task::Entity> {
    let mut query = task::Entity::find().filter(filter.projects.condition(task::Column::ProjectId));
    if let Some(sprint) = filter.sprint {
        query = query.filter(task::Column::SprintId.eq(sprint));
    }
    if let Some(status) = filter.status {
        query = query.filter(task::Column::Status.eq(status.code()));
    }
    if let Some(user) = filter.assigned_id {
        query = query.filter(task::Column::AssignedId.eq(user));
    }
    if let Some(label) = filter.label {
        query = query.filter(
            task::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(task_label::Column::TaskId)
                    .from(task_label::Entity)
                    .and_where(task_label::Column::LabelId.eq(label))
                    .to_owned(),
            ),
        );
    }
    match filter.backlog {
        Some(true) => query = query.filter(task::Column::SprintId.is_null()),
        Some(false) => query = query.filter(task::Column::SprintId.is_not_null()),
        None => {}
    }
    for term in &filter.search {
        // search_key holds "name description", folded: a term matches either field.
        query = query
            .filter(Condition::all().add(icontains((task::Entity, task::Column::SearchKey), term)));
    }
    query
}

pub async fn count(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
) -> std::result::Result<u64, sea_orm::DbErr> {
    matching(filter).count(db).await
}

/// One row of a task page: the task and its assignee's username. (Not `find_also_related`:
/// decoding the whole joined user row, column by prefixed name, cut the list benchmark from
/// ~7,000 to ~3,000 requests/s.)
#[derive(Debug, FromQueryResult)]
struct TaskRow {
    id: i32,
    name: String,
    description: String,
    sprint_id: Option<i32>,
    status: i16,
    order: i16,
    assigned_id: Option<i32>,
    started: Option<NaiveDate>,
    due: Option<NaiveDate>,
    completed: Option<NaiveDate>,
    version: i32,
    search_key: String,
    labels: String,
    comment_count: i32,
    project_id: i32,
    points_tenths: Option<i32>,
    assignee: Option<String>,
}

/// A row of [`page_counted`]: a task row and the number of every match.
struct PageRow {
    task: TaskRow,
    total: i64,
}

impl FromQueryResult for PageRow {
    fn from_query_result(
        row: &sea_orm::QueryResult,
        pre: &str,
    ) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(Self {
            task: TaskRow::from_query_result(row, pre)?,
            total: row.try_get(pre, "total")?,
        })
    }
}

/// The tasks of one page of `filter`, each with its assignee's username.
fn page_query(filter: &TaskFilter, offset: u64, limit: u64) -> Select<task::Entity> {
    filtered(filter)
        .left_join(user::Entity)
        .column_as(user::Column::Username, "assignee")
        .offset(offset)
        .limit(limit)
}

/// One page of tasks with their assignees' usernames, in one query.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    offset: u64,
    limit: u64,
) -> std::result::Result<Vec<Saved>, sea_orm::DbErr> {
    let rows = page_query(filter, offset, limit)
        .into_model::<TaskRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Saved::from).collect())
}

/// [`page`] and the number of every match (`None` when the page is empty: nothing matches, or
/// it lies past the end), in one query.
///
/// The count is an uncorrelated subquery: the database computes it once, from the indexes
/// alone, however many rows the page has (a window count would read every match before the
/// page). One query instead of a count and then a page halves a list's round trips to the
/// database, which on SQLite are each a hand-off to the connection's own thread and back.
pub async fn page_counted(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    offset: u64,
    limit: u64,
) -> std::result::Result<(Vec<Saved>, Option<u64>), sea_orm::DbErr> {
    let counting = matching(filter)
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .into_query();
    let rows = page_query(filter, offset, limit)
        .column_as(
            sea_orm::sea_query::SimpleExpr::SubQuery(
                None,
                Box::new(counting.into_sub_query_statement()),
            ),
            "total",
        )
        .into_model::<PageRow>()
        .all(db)
        .await?;
    let total = rows.first().map(|row| row.total.max(0) as u64);
    Ok((rows.into_iter().map(|row| row.task.into()).collect(), total))
}

impl From<TaskRow> for Saved {
    fn from(row: TaskRow) -> Self {
        Saved {
            task: task::Model {
                id: row.id,
                name: row.name,
                description: row.description,
                sprint_id: row.sprint_id,
                status: row.status,
                order: row.order,
                assigned_id: row.assigned_id,
                started: row.started,
                due: row.due,
                completed: row.completed,
                version: row.version,
                search_key: row.search_key,
                labels: row.labels,
                comment_count: row.comment_count,
                project_id: row.project_id,
                points_tenths: row.points_tenths,
            },
            assignee: row.assignee,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, 1, d).unwrap()
    }

    #[test]
    fn entering_in_progress_starts_today_and_done_completes_today() {
        let today = day(10);
        assert_eq!(
            dates_after_move(TaskStatus::InProgress, Some(day(1)), None, today),
            (Some(today), None)
        );
        assert_eq!(
            dates_after_move(TaskStatus::Done, Some(day(1)), None, today),
            (Some(day(1)), Some(today))
        );
        assert_eq!(
            dates_after_move(TaskStatus::Testing, None, Some(day(2)), today),
            (Some(today), None),
            "leaving Done clears completed; testing starts a never-started task"
        );
        assert_eq!(
            dates_after_move(TaskStatus::NotStarted, Some(day(1)), Some(day(2)), today),
            (None, None)
        );
    }
}
