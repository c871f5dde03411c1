//! The change log: one numbered, durable entry per change of record, written by the change's
//! own transaction (see [`Store::commit`](super::store::Store::commit)). Live delivery, resume
//! after a reconnect, history and undo all read it.
//!
//! **Ordering.** An entry's id is the order in which changes became visible. On PostgreSQL a
//! sequence alone does not give that: ids are taken at insert time but become visible at
//! commit, in another order, so a reader asking for "everything after N" could pass over an id
//! that commits a moment later and never see it. Appends are therefore serialised on a
//! transaction-level advisory lock taken just before the entry is inserted and held until the
//! commit: the next writer takes its id only after the previous one is visible (PostgreSQL makes
//! a commit visible before it releases the transaction's locks). Only the append and the commit
//! are serialised; the change's own work runs concurrently before it. On SQLite writers are
//! already serialised (one writer at a time, and the store's write gate), so ids commit in
//! order there too.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::db::entities::change;

/// The PostgreSQL channel on which a commit announces "the log reached N" (the id only,
/// never the entry: every instance reads the entries itself).
pub const NOTIFY_CHANNEL: &str = "scrum_log";

/// The advisory-lock key that serialises appends on PostgreSQL ("scrumlog" in ASCII).
const APPEND_LOCK: i64 = 0x7363_7275_6d6c_6f67;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Task,
    Sprint,
    User,
    Label,
    Comment,
    Project,
    /// A person's membership of a project (the object is the person; `project` says where).
    Member,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// A task placed in a column: its own change, and the column's new order.
    Move,
}

/// How the log (and the API) spells a model or an action.
pub fn name_of<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => unreachable!("log enums serialize to strings"),
    }
}

fn parse_name<T: for<'de> Deserialize<'de>>(name: &str) -> Result<T, DbErr> {
    serde_json::from_value(Value::String(name.to_owned()))
        .map_err(|_| DbErr::Custom(format!("unknown name in the change log: {name}")))
}

/// Who made a change: a person, or nobody (the server's command line).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<i32>,
    pub username: Option<String>,
    /// A site administrator, who acts as an owner in every project (as Django's superuser
    /// holds every permission). Known while acting; the log does not keep it.
    pub site_admin: bool,
    /// Where their writes that name no project go, as their profile says (see
    /// [`default_project`](super::permissions::default_project)).
    pub default_project: Option<i32>,
}

impl Actor {
    pub fn user(id: i32, username: &str) -> Self {
        Self {
            id: Some(id),
            username: Some(username.to_owned()),
            site_admin: false,
            default_project: None,
        }
    }

    /// The person `user` acting, with their standing on the site.
    pub fn person(user: &super::db::entities::user::Model) -> Self {
        Self {
            site_admin: user.is_superuser,
            default_project: user.default_project_id,
            ..Self::user(user.id, &user.username)
        }
    }

    /// Acts everywhere: the command line, and site administrators.
    pub fn is_unrestricted(&self) -> bool {
        self.id.is_none() || self.site_admin
    }

    pub fn command_line() -> Self {
        Self::default()
    }
}

/// `{field: [before, after]}`, in the REST field names and values.
pub type Changes = BTreeMap<String, [Value; 2]>;

/// The fields that differ between two REST snapshots of an object (`None`: it did not exist).
pub fn diff(before: Option<&Value>, after: Option<&Value>, fields: &[&str]) -> Changes {
    let pick = |snapshot: Option<&Value>, field: &str| {
        snapshot
            .and_then(|s| s.get(field))
            .cloned()
            .unwrap_or(Value::Null)
    };
    fields
        .iter()
        .filter_map(|field| {
            let (old, new) = (pick(before, field), pick(after, field));
            (old != new).then(|| ((*field).to_owned(), [old, new]))
        })
        .collect()
}

/// An entry about to be written.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub model: Model,
    pub object: i32,
    pub action: Action,
    pub changes: Changes,
    /// The REST representation after the change (before it, for a delete).
    pub body: Value,
    pub version: i32,
    /// The sprints it touches (a task's sprint before and after): at most two.
    pub sprints: Vec<i32>,
    /// It shows on its project's backlog (every board of the project).
    pub backlog: bool,
    /// For a move: the target column in its new order, each task with its version after it.
    pub column: Option<Vec<(i32, i32)>>,
    /// The project the object belongs to; `None` for accounts.
    pub project: Option<i32>,
}

/// An entry as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub model: Model,
    pub object: i32,
    pub action: Action,
    pub changes: Changes,
    pub body: Value,
    pub version: i32,
    pub sprints: Vec<i32>,
    pub backlog: bool,
    pub column: Option<Vec<(i32, i32)>>,
    pub project: Option<i32>,
}

/// Appends `entry` (made at `at`) inside `txn`, returning its id. The caller commits (see the module note on
/// ordering: on PostgreSQL this takes the log's append lock until the transaction ends).
pub async fn append(
    txn: &DatabaseTransaction,
    actor: &Actor,
    entry: NewEntry,
    at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [APPEND_LOCK.into()],
        ))
        .await?;
    }
    let mut sprints = entry.sprints;
    sprints.sort_unstable();
    sprints.dedup();
    let (sprint, other_sprint) = match sprints[..] {
        [] => (None, None),
        [one] => (Some(one), None),
        [lower, higher] => (Some(lower), Some(higher)),
        _ => {
            return Err(DbErr::Custom(format!(
                "a change touches at most two sprints, not {sprints:?}"
            )));
        }
    };
    // `Entity::insert` answers with the new id only; `ActiveModel::insert` would read the
    // whole row back (a second statement on SQLite, the body included) inside the write.
    let id = change::Entity::insert(change::ActiveModel {
        at: Set(at),
        actor_id: Set(actor.id),
        actor: Set(actor.username.clone()),
        model: Set(name_of(entry.model)),
        object_id: Set(entry.object),
        action: Set(name_of(entry.action)),
        changes: Set(serde_json::to_string(&entry.changes).expect("changes serialize")),
        body: Set(entry.body.to_string()),
        version: Set(entry.version),
        column_order: Set(entry
            .column
            .map(|ids| serde_json::to_string(&ids).expect("ids serialize"))),
        backlog: Set(entry.backlog),
        sprint_id: Set(sprint),
        other_sprint_id: Set(other_sprint),
        project_id: Set(entry.project),
        ..Default::default()
    })
    .exec(txn)
    .await?
    .last_insert_id;
    Ok(id)
}

/// Tells every instance, when `txn` commits, that the log reached `id` (PostgreSQL only; a
/// notification is delivered only if its transaction commits, so it never runs ahead of
/// the entry).
pub async fn notify(txn: &DatabaseTransaction, id: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [NOTIFY_CHANNEL.into(), id.to_string().into()],
        ))
        .await?;
    }
    Ok(())
}

/// An entry as stored, read.
pub fn read(row: change::Model) -> Result<Entry, DbErr> {
    fn json<T: for<'de> Deserialize<'de>>(id: i64, text: &str) -> Result<T, DbErr> {
        serde_json::from_str(text)
            .map_err(|error| DbErr::Custom(format!("change {id} is unreadable: {error}")))
    }
    Ok(Entry {
        id: row.id,
        at: row.at,
        actor: Actor {
            id: row.actor_id,
            username: row.actor.clone(),
            site_admin: false,
            default_project: None,
        },
        model: parse_name(&row.model)?,
        object: row.object_id,
        action: parse_name(&row.action)?,
        changes: json(row.id, &row.changes)?,
        body: json(row.id, &row.body)?,
        version: row.version,
        sprints: [row.sprint_id, row.other_sprint_id]
            .into_iter()
            .flatten()
            .collect(),
        backlog: row.backlog,
        column: row
            .column_order
            .as_deref()
            .map(|text| json(row.id, text))
            .transpose()?,
        project: row.project_id,
    })
}

fn read_all(rows: Vec<change::Model>) -> Result<Vec<Entry>, DbErr> {
    rows.into_iter().map(read).collect()
}

/// Up to `limit` entries after `since`, oldest first.
pub async fn after(db: &impl ConnectionTrait, since: i64, limit: u64) -> Result<Vec<Entry>, DbErr> {
    let rows = change::Entity::find()
        .filter(change::Column::Id.gt(since))
        .order_by_asc(change::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    read_all(rows)
}

/// What a board of `sprint` (of `project`) shows that changed in `(since, through]`: entries
/// touching the sprint or the project's backlog, oldest first.
pub async fn for_board(
    db: &impl ConnectionTrait,
    sprint: i32,
    project: i32,
    since: i64,
    through: i64,
) -> Result<Vec<Entry>, DbErr> {
    let rows = change::Entity::find()
        .filter(change::Column::Id.gt(since))
        .filter(change::Column::Id.lte(through))
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(change::Column::Backlog.eq(true))
                        .add(change::Column::ProjectId.eq(project)),
                )
                .add(change::Column::SprintId.eq(sprint))
                .add(change::Column::OtherSprintId.eq(sprint)),
        )
        .order_by_asc(change::Column::Id)
        .all(db)
        .await?;
    read_all(rows)
}

/// Which entries a history lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One object's entries, newest first.
    Object(Model, i32),
    /// A sprint's: its own and those of every task that was in it at the time (also tasks
    /// that left it since), newest first.
    Sprint(i32),
    /// Everything after `after` that `reader` may see, oldest first (for clients that keep
    /// in sync). `reader`: a person's id, who sees the entries of their projects and of their
    /// own account; `None`: everything (site administrators).
    Since { after: i64, reader: Option<i32> },
}

fn scoped(scope: Scope) -> sea_orm::Select<change::Entity> {
    let query = change::Entity::find();
    match scope {
        Scope::Object(model, id) => query
            .filter(change::Column::Model.eq(name_of(model)))
            .filter(change::Column::ObjectId.eq(id))
            .order_by_desc(change::Column::Id),
        // What a sprint's history is; `count` and `page` read it through its indexes.
        Scope::Sprint(sprint) => query
            .filter(
                sea_orm::Condition::any()
                    .add(change::Column::SprintId.eq(sprint))
                    .add(change::Column::OtherSprintId.eq(sprint)),
            )
            .order_by_desc(change::Column::Id),
        Scope::Since { after, reader } => {
            let mut query = query.filter(change::Column::Id.gt(after));
            if let Some(reader) = reader {
                // Their projects' entries, and the changes to their own account.
                query = query.filter(
                    sea_orm::Condition::any()
                        .add(
                            change::Column::ProjectId
                                .in_subquery(super::permissions::projects_of(reader)),
                        )
                        .add(
                            sea_orm::Condition::all()
                                .add(change::Column::Model.eq(name_of(Model::User)))
                                .add(change::Column::ObjectId.eq(reader)),
                        ),
                );
            }
            query.order_by_asc(change::Column::Id)
        }
    }
}

/// How many entries `scope` holds.
pub async fn count(db: &impl ConnectionTrait, scope: Scope) -> Result<u64, DbErr> {
    match scope {
        // Straight from the two (sprint, entry) indexes: an entry's two sprints differ, so
        // no entry is counted twice.
        Scope::Sprint(sprint) => {
            let lower = change::Entity::find()
                .filter(change::Column::SprintId.eq(sprint))
                .count(db)
                .await?;
            let higher = change::Entity::find()
                .filter(change::Column::OtherSprintId.eq(sprint))
                .count(db)
                .await?;
            Ok(lower + higher)
        }
        other => scoped(other).count(db).await,
    }
}

/// The ids of one page of a sprint's entries, newest first: the two (sprint, entry) indexes
/// read newest first and merged, so a page costs its offset in index entries, never a scan
/// of the log or a sort of the sprint's entries.
fn sprint_page_ids(sprint: i32, offset: u64, limit: u64) -> SelectStatement {
    let arm = |column: change::Column| {
        Query::select()
            .column(change::Column::Id)
            .from(change::Entity)
            .and_where(Expr::col(column).eq(sprint))
            .to_owned()
    };
    arm(change::Column::SprintId)
        .union(UnionType::All, arm(change::Column::OtherSprintId))
        .order_by(change::Column::Id, sea_orm::Order::Desc)
        .limit(limit)
        .offset(offset)
        .to_owned()
}

/// One page of `scope`.
pub async fn page(
    db: &impl ConnectionTrait,
    scope: Scope,
    offset: u64,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    let rows = match scope {
        Scope::Sprint(sprint) => {
            change::Entity::find()
                .filter(
                    Expr::col(change::Column::Id)
                        .in_subquery(sprint_page_ids(sprint, offset, limit)),
                )
                .order_by_desc(change::Column::Id)
                .all(db)
                .await?
        }
        other => scoped(other).offset(offset).limit(limit).all(db).await?,
    };
    read_all(rows)
}

/// The project `model` `id` was in when its newest entry was written (`None`: no entries).
pub async fn project_of(
    db: &impl ConnectionTrait,
    model: Model,
    id: i32,
) -> Result<Option<i32>, DbErr> {
    let project: Option<Option<i32>> = change::Entity::find()
        .select_only()
        .column(change::Column::ProjectId)
        .filter(change::Column::Model.eq(name_of(model)))
        .filter(change::Column::ObjectId.eq(id))
        .order_by_desc(change::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(project.flatten())
}

/// One entry.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Entry>, DbErr> {
    change::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(read)
        .transpose()
}

/// The newest entry's id (0 for an empty log).
pub async fn head(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let newest = change::Entity::find()
        .select_only()
        .column_as(change::Column::Id.max(), "newest")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(newest.unwrap_or(0).max(horizon(db).await?))
}

/// The newest id the retention has pruned: entries up to it may be gone.
pub async fn horizon(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let query = Query::select()
        .column(Alias::new("pruned_through"))
        .from(Alias::new("change_log_horizon"))
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned();
    let row = db
        .query_one(db.get_database_backend().build(&query))
        .await?;
    Ok(row
        .map(|row| row.try_get::<i64>("", "pruned_through"))
        .transpose()?
        .unwrap_or(0))
}

/// Deletes whole entries older than `before` and moves the horizon past them. Returns how
/// many went.
///
/// Entries are taken from the oldest on and up to the first that is not older than `before`:
/// ids follow commit time, so that is every old entry (an entry stamped a moment early by
/// another instance's clock waits for the next prune). The walk reads only the entries that
/// go, plus one, along the primary key; the log keeps no index by time, which every append
/// would have to write.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let first_kept = change::Entity::find()
        .select_only()
        .column(change::Column::Id)
        .filter(change::Column::At.gte(before))
        .order_by_asc(change::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    // The newest entry that goes (an id the log holds, so the horizon never claims ids
    // that were never there).
    let mut old = change::Entity::find()
        .select_only()
        .column_as(change::Column::Id.max(), "newest");
    if let Some(kept) = first_kept {
        old = old.filter(change::Column::Id.lt(kept));
    }
    let Some(through) = old.into_tuple::<Option<i64>>().one(db).await?.flatten() else {
        return Ok(0);
    };
    // Everything up to the last old entry goes, so the log never has holes below the
    // horizon that a resume would silently skip.
    let raise = Query::update()
        .table(Alias::new("change_log_horizon"))
        .value(Alias::new("pruned_through"), through)
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .and_where(Expr::col(Alias::new("pruned_through")).lt(through))
        .to_owned();
    db.execute(db.get_database_backend().build(&raise)).await?;
    let deleted = change::Entity::delete_many()
        .filter(change::Column::Id.lte(through))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_lists_only_the_fields_that_changed() {
        let before = json!({"name": "a", "status": 1, "sprint": 3});
        let after = json!({"name": "a", "status": 2, "sprint": null});
        let changes = diff(Some(&before), Some(&after), &["name", "status", "sprint"]);
        assert_eq!(
            serde_json::to_value(&changes).unwrap(),
            json!({"status": [1, 2], "sprint": [3, null]})
        );
        let created = diff(None, Some(&after), &["name", "status", "sprint"]);
        assert_eq!(
            serde_json::to_value(&created).unwrap(),
            json!({"name": [null, "a"], "status": [null, 2]})
        );
    }

    #[test]
    fn names_are_stored_as_the_api_spells_them() {
        assert_eq!(name_of(Action::Move), "move");
        assert_eq!(name_of(Model::Sprint), "sprint");
        assert_eq!(parse_name::<Action>("delete").unwrap(), Action::Delete);
        assert!(parse_name::<Action>("explode").is_err());
    }
}
