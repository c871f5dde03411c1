//! Sprints: validation (the book's rules and messages), writes, deletion that returns the
//! sprint's tasks to the backlog, and filtered lists.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionTrait,
};

use super::{WriteError, check_version, icontains, is_unique_violation, permit, target_project};
use app::model::{SprintProgress, SprintState, TaskStatus, WipLimits};
use serde_json::Value;

use crate::domain::{
    db::entities::{sprint, task},
    errors::{FieldErrors, REQUIRED},
    log::{self, Actor, NewEntry},
    permissions::{Need, Scope},
    store::Store,
};

/// A sprint's fields as the log records them.
pub const LOGGED_FIELDS: &[&str] = &[
    "name",
    "description",
    "end",
    "start",
    "goal",
    "state",
    "wip_limits",
    "wip_strict",
];

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
pub const START_AFTER_END: &str = "Start date must be on or before the end date.";
pub const END_BEFORE_START: &str = "End date must be on or after the start date.";
/// A sprint's longest span, ten years: far beyond any real sprint (the book's clients send only
/// an end, and may pick one years ahead), and it bounds the work of its burndown, which has a
/// day per date (a start in year 1 would ask for 740,000 of them).
pub const MAX_DAYS: i64 = 3653;
pub const TOO_LONG: &str =
    "A sprint lasts at most ten years (3,653 days): move its start or its end.";
pub const ALREADY_COMPLETED: &str = "This sprint is completed already.";
pub const NOT_COMPLETED: &str = "This sprint is not completed.";
pub const CARRY_OVER_CHOICES: &str =
    "Choose \"backlog\" or the id of another sprint of this project that is not completed.";
/// The most characters a goal may have.
pub const MAX_GOAL: usize = 1000;

/// Why a completed sprint refuses a change to it or to its tasks.
pub fn completed_message(sprint: &sprint::Model) -> String {
    format!(
        "{} is completed: reopen it to change it or its tasks.",
        display_name(sprint)
    )
}

/// The book's display string: the name, or "Sprint ending <end>".
pub fn display_name(sprint: &sprint::Model) -> String {
    if sprint.name.is_empty() {
        format!("Sprint ending {}", sprint.end)
    } else {
        sprint.name.clone()
    }
}

/// Where a sprint stands on `today`.
pub fn state(sprint: &sprint::Model, today: NaiveDate) -> SprintState {
    if sprint.completed_at.is_some() {
        SprintState::Completed
    } else if today < sprint.start {
        SprintState::Planned
    } else {
        SprintState::Active
    }
}

/// The stored `"2:3,3:2"` as limits (anything unreadable is left out).
pub fn wip_limits(stored: &str) -> WipLimits {
    let limits = stored.split(',').filter_map(|pair| {
        let (status, limit) = pair.split_once(':')?;
        let status = TaskStatus::try_from(status.trim().parse::<i16>().ok()?).ok()?;
        Some((status, limit.trim().parse().ok()?))
    });
    WipLimits(limits.collect())
}

/// Limits as stored, by status.
pub fn wip_limits_text(limits: &WipLimits) -> String {
    let mut pairs = limits.0.clone();
    pairs.sort_by_key(|(status, _)| status.code());
    pairs.dedup_by_key(|(status, _)| *status);
    pairs
        .iter()
        .map(|(status, limit)| format!("{}:{limit}", status.code()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Fields a client sent; `None` means "not in the request".
#[derive(Debug, Default)]
pub struct SprintFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub end: Option<NaiveDate>,
    /// `None` on a new sprint: the day after the project's previous sprint ends, or today.
    pub start: Option<NaiveDate>,
    pub goal: Option<String>,
    pub wip_limits: Option<WipLimits>,
    pub wip_strict: Option<bool>,
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
    today: NaiveDate,
    project: i32,
    end: NaiveDate,
    previous: Option<NaiveDate>,
    id: Option<i32>,
    errors: &mut FieldErrors,
) -> std::result::Result<(), sea_orm::DbErr> {
    if previous != Some(end) {
        if end < today {
            errors.add("end", END_IN_PAST);
        } else if end_is_taken(db, project, end, id).await? {
            errors.add("end", END_TAKEN);
        }
    }
    Ok(())
}

/// Where a new sprint ending on `end` starts when the client does not say: the day after the
/// project's previous sprint ends, but not before today.
async fn default_start(
    db: &impl ConnectionTrait,
    project: i32,
    end: NaiveDate,
    today: NaiveDate,
) -> std::result::Result<NaiveDate, sea_orm::DbErr> {
    let previous_end: Option<NaiveDate> = sprint::Entity::find()
        .select_only()
        .column(sprint::Column::End)
        .filter(sprint::Column::ProjectId.eq(project))
        .filter(sprint::Column::End.lt(end))
        .order_by_desc(sprint::Column::End)
        .into_tuple()
        .one(db)
        .await?;
    let after_previous = previous_end.and_then(|day| day.succ_opt());
    // An end further off than the longest sprint starts no earlier than that span before it.
    let earliest = end - chrono::Days::new(u64::try_from(MAX_DAYS - 1).unwrap_or(0));
    Ok(after_previous
        .map_or(today, |day| day.max(today))
        .max(earliest)
        .min(end))
}

/// The start-on-or-before-end rule and the longest sprint, reported on the field the client
/// changed.
fn validate_dates(start: NaiveDate, end: NaiveDate, start_sent: bool, errors: &mut FieldErrors) {
    if errors.has("end") {
        return;
    }
    let field = if start_sent { "start" } else { "end" };
    if start > end {
        errors.add(
            field,
            if start_sent {
                START_AFTER_END
            } else {
                END_BEFORE_START
            },
        );
    } else if (end - start).num_days() >= MAX_DAYS {
        errors.add(field, TOO_LONG);
    }
}

fn validate_goal(goal: &str, errors: &mut FieldErrors) {
    let length = goal.chars().count();
    if length > MAX_GOAL {
        errors.add(
            "goal",
            format!("Ensure this field has no more than {MAX_GOAL} characters (it has {length})."),
        );
    }
}

pub async fn create(store: &Store, actor: &Actor, fields: SprintFields) -> Result<sprint::Model> {
    let Some(end) = fields.end else {
        return Err(FieldErrors::single("end", REQUIRED).into());
    };
    let today = store.today();
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let project = target_project(&txn, actor, fields.project).await?;
    let mut errors = FieldErrors::default();
    validate_end(&txn, today, project, end, None, None, &mut errors).await?;
    let start = match fields.start {
        Some(start) => start,
        None => default_start(&txn, project, end, today).await?,
    };
    validate_dates(start, end, fields.start.is_some(), &mut errors);
    let goal = fields.goal.unwrap_or_default();
    validate_goal(&goal, &mut errors);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let created = sprint::ActiveModel {
        name: Set(fields.name.unwrap_or_default()),
        description: Set(fields.description.unwrap_or_default()),
        end: Set(end),
        version: Set(1),
        project_id: Set(project),
        start: Set(start),
        goal: Set(goal),
        wip_limits: Set(wip_limits_text(&fields.wip_limits.unwrap_or_default())),
        wip_strict: Set(fields.wip_strict.unwrap_or(false)),
        completed_at: Set(None),
        summary: Set(None),
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
    refuse_if_completed(&stored)?;
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
    // Unlike the book's fields, these keep their value when a PUT leaves them out: the
    // book's clients never send them.
    let goal = fields.goal.unwrap_or_else(|| stored.goal.clone());
    let start = fields.start.unwrap_or(stored.start);
    let wip_limits = fields.wip_limits.map_or_else(
        || stored.wip_limits.clone(),
        |limits| wip_limits_text(&limits),
    );
    let wip_strict = fields.wip_strict.unwrap_or(stored.wip_strict);

    let mut errors = FieldErrors::default();
    validate_end(
        &txn,
        store.today(),
        stored.project_id,
        end,
        Some(stored.end),
        Some(id),
        &mut errors,
    )
    .await?;
    validate_dates(start, end, fields.start.is_some(), &mut errors);
    validate_goal(&goal, &mut errors);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let before = logged_body(store, &stored);
    let version = stored.version + 1;
    let mut active = stored.into_active_model();
    active.name = Set(name);
    active.description = Set(description);
    active.end = Set(end);
    active.start = Set(start);
    active.goal = Set(goal);
    active.wip_limits = Set(wip_limits);
    active.wip_strict = Set(wip_strict);
    active.version = Set(version);
    let updated = active.update(&txn).await.map_err(end_conflict)?;
    let after = logged_body(store, &updated);
    let logged = entry(log::Action::Update, &updated, Some(&before), &after);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(updated)
}

/// A completed sprint, and its tasks, change only after it is reopened.
fn refuse_if_completed(sprint: &sprint::Model) -> Result<()> {
    if sprint.completed_at.is_some() {
        return Err(FieldErrors::single(FieldErrors::NON_FIELD, completed_message(sprint)).into());
    }
    Ok(())
}

/// The sprint, locked until the transaction ends on PostgreSQL (SQLite's write gate already
/// serializes writers): concurrent conditional writes cannot both pass the version check.
async fn find_for_update(txn: &sea_orm::DatabaseTransaction, id: i32) -> Result<sprint::Model> {
    let mut query = sprint::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or(WriteError::NotFound)
}

/// Deletes a sprint after moving its tasks to the backlog (Not Started, no started/completed
/// dates). Returns the deleted sprint and the moved tasks, so callers can announce both.
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
    refuse_if_completed(&stored)?;
    let tasks = tasks_for_update(&txn, id).await?;
    let (moved, mut entries) = carry_over(store, &txn, id, tasks, CarryOver::Backlog).await?;
    sprint::Entity::delete_by_id(id).exec(&txn).await?;
    let body = logged_body(store, &stored);
    entries.push(entry(log::Action::Delete, &stored, Some(&body), &body));
    store.commit(txn, actor, entries).await?;
    Ok((stored, moved))
}

/// The tasks of sprint `id`, locked against other writers on PostgreSQL.
async fn tasks_for_update(
    txn: &sea_orm::DatabaseTransaction,
    id: i32,
) -> std::result::Result<Vec<task::Model>, sea_orm::DbErr> {
    let mut tasks_query = task::Entity::find()
        .filter(task::Column::SprintId.eq(id))
        .order_by_asc(task::Column::Order)
        .order_by_asc(task::Column::Id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        tasks_query = tasks_query.lock_exclusive();
    }
    tasks_query.all(txn).await
}

/// Where a completed sprint's unfinished tasks go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CarryOver {
    /// The project's backlog, as Not Started (the book's rule for tasks leaving a sprint).
    Backlog,
    /// Another sprint of the project, keeping their status, after the tasks already there.
    Sprint(i32),
}

/// Moves `tasks` out of sprint `from` to `to`, each with its logged change. Returns the moved
/// tasks and their entries.
async fn carry_over(
    store: &Store,
    txn: &sea_orm::DatabaseTransaction,
    from: i32,
    tasks: Vec<task::Model>,
    to: CarryOver,
) -> std::result::Result<(Vec<task::Model>, Vec<NewEntry>), sea_orm::DbErr> {
    let mut moved = Vec::with_capacity(tasks.len());
    let renderer = store.broadcast();
    let befores = renderer.tasks(txn, tasks.clone()).await?;
    // The next free place at the end of each column of the target sprint.
    let mut next_order: std::collections::HashMap<i16, i16> = Default::default();
    for task in tasks {
        let version = task.version + 1;
        let status = task.status;
        let project = task.project_id;
        let mut active = task.into_active_model();
        active.version = Set(version);
        match to {
            CarryOver::Backlog => {
                active.sprint_id = Set(None);
                active.status = Set(TaskStatus::NotStarted.code());
                active.started = Set(None);
                active.completed = Set(None);
            }
            CarryOver::Sprint(sprint) => {
                let order = match next_order.get(&status) {
                    Some(order) => *order,
                    None => {
                        let status = TaskStatus::try_from(status).unwrap_or(TaskStatus::NotStarted);
                        let column = super::tasks::column_query(project, Some(sprint), status);
                        i16::try_from(column.count(txn).await?).unwrap_or(i16::MAX)
                    }
                };
                next_order.insert(status, order.saturating_add(1));
                active.sprint_id = Set(Some(sprint));
                active.order = Set(order);
            }
        }
        moved.push(active.update(txn).await?);
    }
    let afters = renderer.tasks(txn, moved.clone()).await?;
    let mut entries = Vec::with_capacity(moved.len() + 1);
    for ((returned, before), after) in moved.iter().zip(befores).zip(afters) {
        let (before, after) = (
            serde_json::to_value(before).expect("tasks serialize"),
            serde_json::to_value(after).expect("tasks serialize"),
        );
        // Its boards see it leave; the boards of where it goes see it arrive.
        entries.push(super::tasks::entry(
            log::Action::Update,
            returned,
            Some(from),
            Some(&before),
            &after,
        ));
    }
    Ok((moved, entries))
}

/// Completes sprint `id`: every task not done moves to `to`, its report and burndown are
/// frozen as they stand, and the sprint (with its remaining, completed tasks) is read-only
/// until reopened. One transaction; one logged change per moved task, and one for the sprint.
pub async fn complete(
    store: &Store,
    actor: &Actor,
    id: i32,
    to: CarryOver,
    working_days: &super::reports::WorkingDays,
    expected_version: Option<i32>,
) -> Result<(sprint::Model, Vec<task::Model>)> {
    let now = store.clock.now();
    let today = now.date_naive();
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let stored = find_for_update(&txn, id).await?;
    permit(&txn, actor, stored.project_id, Need::Write).await?;
    check_version(stored.version, expected_version, &stored)?;
    if stored.completed_at.is_some() {
        return Err(FieldErrors::single(FieldErrors::NON_FIELD, ALREADY_COMPLETED).into());
    }
    if let CarryOver::Sprint(target) = to {
        let found = if target == id {
            None
        } else {
            sprint::Entity::find_by_id(target).one(&txn).await?
        };
        match found {
            Some(target)
                if target.project_id == stored.project_id && target.completed_at.is_none() =>
            {
                if target.end < today {
                    return Err(FieldErrors::single(
                        "carry_over",
                        super::tasks::ASSIGN_PAST_SPRINT,
                    )
                    .into());
                }
            }
            _ => return Err(FieldErrors::single("carry_over", CARRY_OVER_CHOICES).into()),
        }
    }
    // Locked first, so every change to them has committed before the report reads the log.
    let tasks = tasks_for_update(&txn, id).await?;
    let summary = super::reports::summarise(&txn, &store.steps, &stored, now, working_days).await?;
    let unfinished: Vec<task::Model> = tasks
        .into_iter()
        .filter(|task| task.status != TaskStatus::Done.code())
        .collect();
    let (moved, mut entries) = carry_over(store, &txn, id, unfinished, to).await?;

    let before = logged_body(store, &stored);
    let version = stored.version + 1;
    let mut active = stored.into_active_model();
    active.completed_at = Set(Some(now));
    active.summary = Set(Some(
        serde_json::to_string(&summary).expect("summaries serialize"),
    ));
    active.version = Set(version);
    let completed = active.update(&txn).await?;
    let after = logged_body(store, &completed);
    entries.push(entry(
        log::Action::Update,
        &completed,
        Some(&before),
        &after,
    ));
    store.commit(txn, actor, entries).await?;
    Ok((completed, moved))
}

/// Reopens a completed sprint (owners only): it and its tasks can change again, and its
/// report is computed afresh. The tasks it carried over stay where they went.
pub async fn reopen(
    store: &Store,
    actor: &Actor,
    id: i32,
    expected_version: Option<i32>,
) -> Result<sprint::Model> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let stored = find_for_update(&txn, id).await?;
    permit(&txn, actor, stored.project_id, Need::Manage).await?;
    check_version(stored.version, expected_version, &stored)?;
    if stored.completed_at.is_none() {
        return Err(FieldErrors::single(FieldErrors::NON_FIELD, NOT_COMPLETED).into());
    }
    let before = logged_body(store, &stored);
    let version = stored.version + 1;
    let mut active = stored.into_active_model();
    active.completed_at = Set(None);
    active.summary = Set(None);
    active.version = Set(version);
    let reopened = active.update(&txn).await?;
    let after = logged_body(store, &reopened);
    let logged = entry(log::Action::Update, &reopened, Some(&before), &after);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(reopened)
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
