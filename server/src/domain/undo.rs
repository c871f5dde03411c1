//! Taking a change back: the inverse of a change-log entry, applied as a new change (a new
//! entry, whose actor is the person undoing). Only your own changes, within the undo window,
//! and only while the object is as that change left it: anything changed since makes the undo
//! a conflict, never a silent overwrite.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DbErr, QueryFilter};
use serde_json::{Map, Value};

use super::{
    db::entities::task,
    errors::FieldErrors,
    log::{self, Action, Actor, Entry, Model},
    permissions,
    service::{
        WriteError,
        sprints::{self, SprintFields},
        tasks::{self, Mode, Move},
    },
    store::Store,
};
use app::model::TaskStatus;

/// What an undo did.
#[derive(Debug)]
pub enum Undone {
    /// The task as it is now (back, or back where it was).
    Task(task::Model),
    Sprint(super::db::entities::sprint::Model),
    /// The task the entry created is gone again.
    Removed,
}

#[derive(Debug)]
pub enum UndoError {
    NotFound,
    /// Not this person's to undo, or not any more (with the reason).
    NotAllowed(String),
    /// The object changed since, or is gone, or the rules refuse the old state now.
    Conflict(String),
    Db(DbErr),
}

impl From<DbErr> for UndoError {
    fn from(error: DbErr) -> Self {
        UndoError::Db(error)
    }
}

/// Whether this kind of change can be taken back at all.
fn undoable(entry: &Entry) -> bool {
    match entry.model {
        Model::Task => true,
        Model::Sprint => entry.action == Action::Update,
        Model::User | Model::Label | Model::Comment | Model::Project | Model::Member => false,
    }
}

/// Why `actor` may not undo `entry` at `now`, or `None` when they may.
pub fn refusal(
    entry: &Entry,
    actor: &Actor,
    now: DateTime<Utc>,
    window: Duration,
) -> Option<String> {
    if !undoable(entry) {
        return Some("This change cannot be undone.".into());
    }
    if actor.id.is_none() || entry.actor.id != actor.id {
        return Some("Only the person who made a change can undo it.".into());
    }
    let age = (now - entry.at).to_std().unwrap_or_default();
    if age > window {
        return Some(format!(
            "Changes can be undone for {}; this one is older.",
            spelled(window)
        ));
    }
    None
}

/// "15 minutes", "1 hour", "30 seconds": the window as a person reads it.
fn spelled(window: Duration) -> String {
    let seconds = window.as_secs();
    let (amount, unit) = if seconds >= 3600 && seconds.is_multiple_of(3600) {
        (seconds / 3600, "hour")
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    format!("{amount} {unit}{}", if amount == 1 { "" } else { "s" })
}

/// The name a conflict message calls the object by.
fn named(entry: &Entry) -> String {
    match entry.body.get("name").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => format!("“{name}”"),
        _ => format!("This {}", log::name_of(entry.model)),
    }
}

/// Maps a refused inverse write to the reason an undo cannot happen.
fn conflict<M>(entry: &Entry, error: WriteError<M>) -> UndoError {
    let name = named(entry);
    match error {
        WriteError::NotFound => UndoError::Conflict(format!("{name} no longer exists.")),
        WriteError::Stale(_) => UndoError::Conflict(format!(
            "{name} has been changed since; undoing would overwrite that change."
        )),
        WriteError::Invalid(errors) => {
            UndoError::Conflict(format!("{name} cannot go back: {}", first_message(&errors)))
        }
        WriteError::Forbidden(reason) => UndoError::NotAllowed(reason),
        WriteError::Db(error) => UndoError::Db(error),
    }
}

fn first_message(errors: &FieldErrors) -> &str {
    errors.first().unwrap_or("the board's rules refuse it.")
}

/// The `before` side of an entry's changes, as REST values.
fn before_values(entry: &Entry) -> Map<String, Value> {
    entry
        .changes
        .iter()
        .map(|(field, [before, _])| (field.clone(), before.clone()))
        .collect()
}

fn date_of(value: Option<&Value>) -> Option<NaiveDate> {
    value.and_then(Value::as_str).and_then(|d| d.parse().ok())
}

/// Undoes entry `id` for `actor`: checks who may, then applies the inverse as a new change.
pub async fn undo(
    store: &Store,
    actor: &Actor,
    id: i64,
    window: Duration,
) -> Result<Undone, UndoError> {
    let entry = log::find(&store.db, id).await?.ok_or(UndoError::NotFound)?;
    // A change in a project the person is not in (any more) is not theirs to see.
    if let Some(project) = entry.project
        && permissions::standing(&store.db, actor, project)
            .await?
            .is_none()
    {
        return Err(UndoError::NotFound);
    }
    if let Some(reason) = refusal(&entry, actor, Utc::now(), window) {
        return Err(UndoError::NotAllowed(reason));
    }
    let expected = Some(entry.version);
    match (entry.model, entry.action) {
        (Model::Task, Action::Create) => tasks::delete(store, actor, entry.object, expected)
            .await
            .map(|_| Undone::Removed)
            .map_err(|e| conflict(&entry, e)),
        (Model::Task, Action::Delete) => {
            // Entries written before projects existed carry the project beside the body.
            let mut body = entry.body.clone();
            if let (Some(fields), Some(project)) = (body.as_object_mut(), entry.project) {
                fields.entry("project").or_insert(project.into());
            }
            tasks::restore(store, actor, &body)
                .await
                .map(|restored| Undone::Task(restored.task))
                .map_err(|e| conflict(&entry, e))
        }
        (Model::Task, Action::Update) => {
            let fields = tasks::fields_from_rest(&before_values(&entry));
            tasks::update(store, actor, entry.object, fields, Mode::Patch, expected)
                .await
                .map(|updated| Undone::Task(updated.task))
                .map_err(|e| conflict(&entry, e))
        }
        (Model::Task, Action::Move) => {
            // Back to the column it left, at the place it had there, with its old dates.
            let before = |field: &str| {
                entry
                    .changes
                    .get(field)
                    .map(|[before, _]| before)
                    .or_else(|| entry.body.get(field))
            };
            let sprint = before("sprint")
                .and_then(Value::as_i64)
                .and_then(|id| i32::try_from(id).ok());
            let status = before("status")
                .and_then(Value::as_i64)
                .and_then(|n| i16::try_from(n).ok())
                .and_then(|n| TaskStatus::try_from(n).ok())
                .unwrap_or(TaskStatus::NotStarted);
            let place = before("order").and_then(Value::as_i64).unwrap_or(0);
            let project = entry.project.unwrap_or_default();
            let column: Vec<i32> = tasks::column_query(project, sprint, status)
                .filter(task::Column::Id.ne(entry.object))
                .all(&store.db)
                .await?
                .into_iter()
                .map(|t| t.id)
                .collect();
            let target = Move {
                status,
                sprint,
                before: usize::try_from(place)
                    .ok()
                    .and_then(|at| column.get(at).copied()),
                dates: Some((date_of(before("started")), date_of(before("completed")))),
            };
            tasks::move_task(store, actor, entry.object, target, expected)
                .await
                .map(|moved| Undone::Task(moved.task))
                .map_err(|e| conflict(&entry, e))
        }
        (Model::Sprint, Action::Update) => {
            let values = before_values(&entry);
            let text = |name: &str| {
                values
                    .get(name)
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
            };
            let fields = SprintFields {
                name: text("name"),
                description: text("description"),
                end: date_of(values.get("end")),
                start: date_of(values.get("start")),
                goal: text("goal"),
                wip_limits: values
                    .get("wip_limits")
                    .and_then(|v| serde_json::from_value(v.clone()).ok()),
                wip_strict: values.get("wip_strict").and_then(Value::as_bool),
                project: None,
            };
            sprints::update(
                store,
                actor,
                entry.object,
                fields,
                sprints::Mode::Patch,
                expected,
            )
            .await
            .map(Undone::Sprint)
            .map_err(|e| conflict(&entry, e))
        }
        _ => Err(UndoError::NotAllowed(
            "This change cannot be undone.".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(actor: Option<i32>, minutes_ago: i64, model: Model, action: Action) -> Entry {
        Entry {
            id: 1,
            at: Utc::now() - chrono::Duration::minutes(minutes_ago),
            actor: Actor {
                id: actor,
                username: actor.map(|_| "alice".into()),
                ..Actor::default()
            },
            model,
            object: 7,
            action,
            changes: Default::default(),
            body: json!({"name": "Write docs"}),
            version: 2,
            sprints: vec![],
            backlog: true,
            column: None,
            project: Some(1),
        }
    }

    #[test]
    fn only_your_own_recent_undoable_changes() {
        let window = Duration::from_secs(15 * 60);
        let alice = Actor::user(1, "alice");
        let now = Utc::now();
        assert_eq!(
            refusal(
                &entry(Some(1), 3, Model::Task, Action::Move),
                &alice,
                now,
                window
            ),
            None
        );
        assert!(
            refusal(
                &entry(Some(2), 3, Model::Task, Action::Move),
                &alice,
                now,
                window
            )
            .unwrap()
            .contains("Only the person")
        );
        assert!(
            refusal(
                &entry(Some(1), 20, Model::Task, Action::Update),
                &alice,
                now,
                window
            )
            .unwrap()
            .contains("undone for 15 minutes;")
        );
        assert_eq!(spelled(Duration::from_secs(3600)), "1 hour");
        assert_eq!(spelled(Duration::from_secs(90)), "90 seconds");
        assert!(
            refusal(
                &entry(None, 1, Model::Task, Action::Update),
                &Actor::command_line(),
                now,
                window
            )
            .is_some()
        );
        assert!(
            refusal(
                &entry(Some(1), 1, Model::Sprint, Action::Delete),
                &alice,
                now,
                window
            )
            .is_some()
        );
        assert!(
            refusal(
                &entry(Some(1), 1, Model::User, Action::Create),
                &alice,
                now,
                window
            )
            .is_some()
        );
    }

    #[test]
    fn a_conflict_names_the_object() {
        let e = entry(Some(1), 1, Model::Task, Action::Update);
        let UndoError::Conflict(message) = conflict::<()>(&e, WriteError::Stale(Box::new(())))
        else {
            panic!("a conflict");
        };
        assert_eq!(
            message,
            "“Write docs” has been changed since; undoing would overwrite that change."
        );
    }
}
