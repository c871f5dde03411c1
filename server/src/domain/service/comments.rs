//! Comments: a thread per task. Anyone who may write on the task's board may comment (its
//! project's owners and members); only a comment's author may edit or delete it. Each write is logged on the task's sprint (or the backlog),
//! so boards hear of it live and the task's history shows it.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::Value;

use super::{WriteError, check_version, permit};
use crate::domain::{
    db::entities::{comment, task, user},
    errors::{BLANK, FieldErrors, REQUIRED},
    log::{self, Actor, NewEntry},
    markdown,
    permissions::Need,
    store::Store,
};

/// A comment's fields as the log records them.
pub const LOGGED_FIELDS: &[&str] = &["body"];
/// The longest comment, in characters.
pub const MAX_LENGTH: usize = 10_000;
pub const NOT_YOURS: &str = "Only its author can change or delete a comment.";

/// How a comment write fails (a stale one carries the comment as stored).
pub type WriteErrorOf = WriteError<comment::Model>;

type Result<T> = std::result::Result<T, WriteErrorOf>;

/// A comment as stored, with its author's username: all its representation needs.
#[derive(Clone, Debug)]
pub struct Saved {
    pub comment: comment::Model,
    pub author: String,
}

/// The text a write leaves: required and not blank. (Its length, at most [`MAX_LENGTH`]
/// characters, is checked where the request is read, as every text field's is.)
pub fn checked_body(body: Option<String>) -> std::result::Result<String, FieldErrors> {
    let Some(body) = body else {
        return Err(FieldErrors::single("body", REQUIRED));
    };
    if body.trim().is_empty() {
        return Err(FieldErrors::single("body", BLANK));
    }
    Ok(body)
}

/// The people `body` mentions: its `@name` tokens that are active accounts, space-separated.
pub(crate) async fn mentioned(
    db: &impl ConnectionTrait,
    body: &str,
) -> std::result::Result<String, sea_orm::DbErr> {
    let candidates = markdown::mention_candidates(body);
    if candidates.is_empty() {
        return Ok(String::new());
    }
    let found: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Username)
        .filter(user::Column::Username.is_in(candidates.clone()))
        .filter(user::Column::IsActive.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    // In the order they were written.
    Ok(candidates
        .into_iter()
        .filter(|name| found.contains(name))
        .collect::<Vec<_>>()
        .join(" "))
}

pub(super) fn logged_body(store: &Store, saved: &Saved) -> Value {
    serde_json::to_value(
        store
            .broadcast()
            .comment(saved.comment.clone(), saved.author.clone()),
    )
    .expect("comments serialize")
}

/// A comment's change shows on its task's board (the backlog's, for a backlog task).
pub(super) fn entry(
    action: log::Action,
    saved: &Saved,
    place: Place,
    before: Option<&Value>,
    after: &Value,
) -> NewEntry {
    let Place { sprint, project } = place;
    let body_after = (action != log::Action::Delete).then_some(after);
    NewEntry {
        model: log::Model::Comment,
        object: saved.comment.id,
        action,
        changes: log::diff(before, body_after, LOGGED_FIELDS),
        body: after.clone(),
        version: saved.comment.version,
        sprints: sprint.into_iter().collect(),
        backlog: sprint.is_none(),
        column: None,
        project: Some(project),
    }
}

/// Where a comment's task is.
#[derive(Clone, Copy)]
pub(super) struct Place {
    /// `None`: the backlog.
    pub(super) sprint: Option<i32>,
    pub(super) project: i32,
}

/// Where task `task_id` is, once `actor` is known to be allowed to write there (`NotFound`
/// when the task is gone or its project is hidden from them). Locks the task's row on
/// PostgreSQL (its comment count changes with the comment, and a delete of the task waits
/// for the comment or goes first).
async fn task_place(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    task_id: i32,
) -> Result<Place> {
    let mut query = task::Entity::find_by_id(task_id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let task = query.one(txn).await?.ok_or(WriteError::NotFound)?;
    permit(txn, actor, task.project_id, Need::Write).await?;
    Ok(Place {
        sprint: task.sprint_id,
        project: task.project_id,
    })
}

/// Adds `by` (1 or -1) to the task's comment count, which its representation shows. Not a
/// change of the task's fields: its version stays.
async fn count_comments(
    txn: &sea_orm::DatabaseTransaction,
    task_id: i32,
    by: i32,
) -> std::result::Result<(), sea_orm::DbErr> {
    task::Entity::update_many()
        .col_expr(
            task::Column::CommentCount,
            Expr::col(task::Column::CommentCount).add(by),
        )
        .filter(task::Column::Id.eq(task_id))
        .exec(txn)
        .await?;
    Ok(())
}

pub async fn create(
    store: &Store,
    actor: &Actor,
    task_id: i32,
    body: Option<String>,
) -> Result<Saved> {
    let (Some(author_id), Some(author)) = (actor.id, actor.username.clone()) else {
        return Err(WriteError::Forbidden("Comments need an author.".into()));
    };
    let body = checked_body(body)?;
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let place = task_place(&txn, actor, task_id).await?;
    let mentions = mentioned(&txn, &body).await?;
    let created = comment::ActiveModel {
        task_id: Set(task_id),
        author_id: Set(author_id),
        body: Set(body),
        mentions: Set(mentions),
        created: Set(Utc::now()),
        edited: Set(None),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    count_comments(&txn, task_id, 1).await?;
    let saved = Saved {
        comment: created,
        author,
    };
    let after = logged_body(store, &saved);
    let logged = entry(log::Action::Create, &saved, place, None, &after);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(saved)
}

/// The comment `id` with its author and where its task is, locked for this transaction on
/// PostgreSQL; refused unless `actor` may write on the task's board and wrote the comment.
async fn find_own(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: i32,
) -> Result<(Saved, Place)> {
    let mut query = comment::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let stored = query.one(txn).await?.ok_or(WriteError::NotFound)?;
    let place = task_place(txn, actor, stored.task_id).await?;
    if actor.id != Some(stored.author_id) {
        return Err(WriteError::Forbidden(NOT_YOURS.into()));
    }
    let saved = Saved {
        comment: stored,
        author: actor.username.clone().unwrap_or_default(),
    };
    Ok((saved, place))
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i32,
    body: Option<String>,
    expected_version: Option<i32>,
) -> Result<Saved> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let (stored, place) = find_own(&txn, actor, id).await?;
    check_version(stored.comment.version, expected_version, &stored.comment)?;
    let body = checked_body(body)?;
    let before = logged_body(store, &stored);
    let mentions = mentioned(&txn, &body).await?;
    let version = stored.comment.version + 1;
    let mut active = stored.comment.clone().into_active_model();
    if body != stored.comment.body {
        active.edited = Set(Some(Utc::now()));
    }
    active.body = Set(body);
    active.mentions = Set(mentions);
    active.version = Set(version);
    let updated = Saved {
        comment: active.update(&txn).await?,
        author: stored.author,
    };
    let after = logged_body(store, &updated);
    let logged = entry(log::Action::Update, &updated, place, Some(&before), &after);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(updated)
}

pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: i32,
    expected_version: Option<i32>,
) -> Result<()> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let (stored, place) = find_own(&txn, actor, id).await?;
    check_version(stored.comment.version, expected_version, &stored.comment)?;
    let before = logged_body(store, &stored);
    comment::Entity::delete_by_id(id).exec(&txn).await?;
    count_comments(&txn, stored.comment.task_id, -1).await?;
    let logged = entry(log::Action::Delete, &stored, place, Some(&before), &before);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(())
}

impl From<(comment::Model, Option<user::Model>)> for Saved {
    /// A comment read with its author (`find_also_related`).
    fn from((comment, author): (comment::Model, Option<user::Model>)) -> Self {
        Saved {
            comment,
            author: author.map(|a| a.username).unwrap_or_default(),
        }
    }
}

/// The comment `id` with its author's username, when `actor` may see its task.
pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> Result<Saved> {
    let (comment, author) = comment::Entity::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?
        .ok_or(WriteError::NotFound)?;
    let project: Option<i32> = task::Entity::find_by_id(comment.task_id)
        .select_only()
        .column(task::Column::ProjectId)
        .into_tuple()
        .one(db)
        .await?;
    permit(db, actor, project.ok_or(WriteError::NotFound)?, Need::Read).await?;
    Ok(Saved::from((comment, author)))
}

/// How many comments task `task_id` has.
pub async fn count(
    db: &impl ConnectionTrait,
    task_id: i32,
) -> std::result::Result<u64, sea_orm::DbErr> {
    comment::Entity::find()
        .filter(comment::Column::TaskId.eq(task_id))
        .count(db)
        .await
}

/// One page of task `task_id`'s thread, oldest first.
pub async fn page(
    db: &impl ConnectionTrait,
    task_id: i32,
    offset: u64,
    limit: u64,
) -> std::result::Result<Vec<Saved>, sea_orm::DbErr> {
    Ok(comment::Entity::find()
        .filter(comment::Column::TaskId.eq(task_id))
        .find_also_related(user::Entity)
        .order_by_asc(comment::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Saved::from)
        .collect())
}
