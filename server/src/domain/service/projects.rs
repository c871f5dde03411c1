//! Projects and their members: anyone may start a project (and owns it); its owners change
//! its name, key and description, archive and restore it, and decide who is in it and with
//! which role. A project always keeps an owner. Every change is logged in its project, so
//! history shows it and a member's live streams re-check their standing at once.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{Value, json};

use super::{WriteError, check_version, is_unique_violation, permit};
use crate::domain::{
    db::entities::{project, project_member, user},
    errors::{BLANK, FieldErrors, REQUIRED},
    log::{self, Actor, NewEntry},
    permissions::{self, Need, Role},
    render::timestamp,
    store::Store,
};

pub const KEY_RULE: &str =
    "Use 2 to 10 letters and digits, starting with a letter (for example WEB).";
pub const KEY_TAKEN: &str = "A project with this key already exists.";
pub const NAME_TOO_LONG: &str = "Ensure this field has no more than 100 characters.";
pub const LAST_OWNER: &str = "A project needs an owner: make someone else an owner first.";
pub const ALREADY_MEMBER: &str = "is already a member of this project.";
pub const ROLE_CHOICES: &str = "Choose one of: owner, member, viewer.";
pub const NOT_MEMBER: &str = "is not a member of this project.";
/// The name a project gets when none is given (the first run's).
pub const FIRST_NAME: &str = "My Project";

/// A project's fields as the log records them.
pub const LOGGED_FIELDS: &[&str] = &["name", "key", "description", "archived", "time_zone"];

type Result<T> = std::result::Result<T, WriteError<project::Model>>;

/// Fields a client sent; `None`: not in the request.
#[derive(Debug, Default)]
pub struct ProjectFields {
    pub name: Option<String>,
    pub key: Option<String>,
    pub description: Option<String>,
    pub archived: Option<bool>,
    /// An IANA time zone name (`Europe/Paris`, `UTC`).
    pub time_zone: Option<String>,
}

/// The time zone's name as stored, or why it is not one.
pub fn checked_time_zone(name: &str) -> std::result::Result<String, FieldErrors> {
    crate::domain::zone::Zone::named(name.trim())
        .map(|zone| zone.name().to_owned())
        .ok_or_else(|| FieldErrors::single("time_zone", crate::domain::zone::UNKNOWN))
}

/// A key as stored (uppercase), or why it cannot be one.
pub fn checked_key(key: &str) -> std::result::Result<String, &'static str> {
    let key = key.trim().to_uppercase();
    let mut chars = key.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    let rest_fits = chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if starts_with_letter && rest_fits && (2..=10).contains(&key.len()) {
        Ok(key)
    } else {
        Err(KEY_RULE)
    }
}

/// A key made from a name: its words' initials ("Web Shop" → `WS`), or the start of a
/// one-word name ("Platform" → `PLAT`); `PRJ` when the name has no letters to use.
pub fn suggested_key(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_uppercase)
        .collect();
    let key: String = if words.len() >= 2 {
        words
            .iter()
            .filter_map(|w| w.chars().next())
            .take(10)
            .collect()
    } else {
        words
            .first()
            .map(|w| w.chars().take(4).collect())
            .unwrap_or_default()
    };
    checked_key(&key).unwrap_or_else(|_| "PRJ".to_owned())
}

pub(super) fn body_of(store: &Store, model: &project::Model) -> Value {
    // The log keeps what every member may read; the role is the reader's, so it is left out.
    let mut body = serde_json::to_value(store.broadcast().project(model.clone(), Role::Owner))
        .expect("projects serialize");
    if let Some(fields) = body.as_object_mut() {
        fields.remove("role");
    }
    body
}

fn project_entry(
    action: log::Action,
    model: &project::Model,
    before: Option<&Value>,
    after: &Value,
) -> NewEntry {
    let body_after = (action != log::Action::Delete).then_some(after);
    NewEntry {
        model: log::Model::Project,
        object: model.id,
        action,
        changes: log::diff(before, body_after, LOGGED_FIELDS),
        body: after.clone(),
        version: model.version,
        sprints: Vec::new(),
        backlog: false,
        column: None,
        project: Some(model.id),
    }
}

fn member_body(member: &project_member::Model, username: &str) -> Value {
    json!({
        "user": username,
        "role": member.role,
        "joined": timestamp(member.joined),
    })
}

/// A membership's change: the object is the person, so their live streams hear of it.
fn member_entry(
    action: log::Action,
    member: &project_member::Model,
    username: &str,
    before: Option<&Value>,
) -> NewEntry {
    let after = member_body(member, username);
    let body_after = (action != log::Action::Delete).then_some(&after);
    NewEntry {
        model: log::Model::Member,
        object: member.user_id,
        action,
        changes: log::diff(before, body_after, &["role"]),
        body: if action == log::Action::Delete {
            before.cloned().unwrap_or(after.clone())
        } else {
            after.clone()
        },
        version: 1,
        sprints: Vec::new(),
        backlog: false,
        column: None,
        project: Some(member.project_id),
    }
}

/// Name, key and description as a write leaves them, checked.
async fn checked(
    db: &impl ConnectionTrait,
    fields: &ProjectFields,
    stored: Option<&project::Model>,
) -> Result<(String, String, String)> {
    let mut errors = FieldErrors::default();
    let name = match (&fields.name, stored) {
        (Some(name), _) => name.trim().to_owned(),
        (None, Some(stored)) => stored.name.clone(),
        (None, None) => {
            errors.add("name", REQUIRED);
            String::new()
        }
    };
    if name.is_empty() && !errors.has("name") {
        errors.add("name", BLANK);
    }
    if name.chars().count() > 100 {
        errors.add("name", NAME_TOO_LONG);
    }
    let key = match (&fields.key, stored) {
        (Some(key), _) => checked_key(key).unwrap_or_else(|rule| {
            errors.add("key", rule);
            String::new()
        }),
        (None, Some(stored)) => stored.key.clone(),
        (None, None) => free_key(db, &suggested_key(&name)).await?,
    };
    if !errors.has("key") {
        let mut same = project::Entity::find().filter(project::Column::Key.eq(key.as_str()));
        if let Some(stored) = stored {
            same = same.filter(project::Column::Id.ne(stored.id));
        }
        if same.count(db).await? > 0 {
            errors.add("key", KEY_TAKEN);
        }
    }
    let description = match (&fields.description, stored) {
        (Some(text), _) => text.clone(),
        (None, Some(stored)) => stored.description.clone(),
        (None, None) => String::new(),
    };
    errors.into_result()?;
    Ok((name, key, description))
}

/// `key`, or when it is taken the first of `key2`, `key3`… that is free (within ten
/// characters): a project started without a key never fails on the one made for it.
async fn free_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> std::result::Result<String, sea_orm::DbErr> {
    let taken = |candidate: String| async move {
        project::Entity::find()
            .filter(project::Column::Key.eq(candidate.as_str()))
            .count(db)
            .await
            .map(|count| (count > 0, candidate))
    };
    for n in 1..1000 {
        let candidate = if n == 1 {
            key.to_owned()
        } else {
            let suffix = n.to_string();
            let stem: String = key.chars().take(10 - suffix.len()).collect();
            format!("{stem}{suffix}")
        };
        let (is_taken, candidate) = taken(candidate).await?;
        if !is_taken {
            return Ok(candidate);
        }
    }
    Ok(key.to_owned())
}

fn key_conflict(error: sea_orm::DbErr) -> WriteError<project::Model> {
    if is_unique_violation(&error) {
        WriteError::Invalid(FieldErrors::single("key", KEY_TAKEN))
    } else {
        WriteError::Db(error)
    }
}

/// Starts a project owned by `actor` (the command line's has no owner yet).
pub async fn create(store: &Store, actor: &Actor, fields: ProjectFields) -> Result<project::Model> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let (created, entries) = found(&txn, store, actor.id, &fields).await?;
    store.commit(txn, actor, entries).await?;
    Ok(created)
}

/// Writes a new project in `txn`, with `owner` as its owner: the entries to commit with it.
/// Also the first run's and `createsuperuser`'s first project.
pub async fn found(
    txn: &DatabaseTransaction,
    store: &Store,
    owner: Option<i32>,
    fields: &ProjectFields,
) -> Result<(project::Model, Vec<NewEntry>)> {
    let (name, key, description) = checked(txn, fields, None).await?;
    let time_zone = match &fields.time_zone {
        Some(zone) => checked_time_zone(zone)?,
        None => crate::domain::zone::Zone::default().name().to_owned(),
    };
    let created = project::ActiveModel {
        name: Set(name),
        key: Set(key),
        description: Set(description),
        time_zone: Set(time_zone),
        archived: Set(false),
        created: Set(Utc::now()),
        version: Set(1),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(key_conflict)?;
    let body = body_of(store, &created);
    let mut entries = vec![project_entry(log::Action::Create, &created, None, &body)];
    if let Some(owner) = owner {
        let username: Option<String> = user::Entity::find_by_id(owner)
            .select_only()
            .column(user::Column::Username)
            .into_tuple()
            .one(txn)
            .await?;
        let member = project_member::ActiveModel {
            project_id: Set(created.id),
            user_id: Set(owner),
            role: Set(Role::Owner.as_str().to_owned()),
            joined: Set(Utc::now()),
        }
        .insert(txn)
        .await?;
        entries.push(member_entry(
            log::Action::Create,
            &member,
            &username.unwrap_or_default(),
            None,
        ));
    }
    Ok((created, entries))
}

/// Makes `user` an owner of the oldest project that is not archived (a site administrator
/// made on the command line, so that they are among the people its board shows): the entry to
/// commit with it, or `None` when there is no such project or they are in it already.
pub async fn join_oldest_as_owner(
    txn: &DatabaseTransaction,
    user: &user::Model,
) -> std::result::Result<Option<NewEntry>, sea_orm::DbErr> {
    let oldest = project::Entity::find()
        .filter(project::Column::Archived.eq(false))
        .order_by_asc(project::Column::Id)
        .one(txn)
        .await?;
    let Some(oldest) = oldest else {
        return Ok(None);
    };
    if project_member::Entity::find_by_id((oldest.id, user.id))
        .one(txn)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let member = project_member::ActiveModel {
        project_id: Set(oldest.id),
        user_id: Set(user.id),
        role: Set(Role::Owner.as_str().to_owned()),
        joined: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(Some(member_entry(
        log::Action::Create,
        &member,
        &user.username,
        None,
    )))
}

/// Whether any project exists (the first run and `createsuperuser` start one when none does).
pub async fn any(db: &impl ConnectionTrait) -> std::result::Result<bool, sea_orm::DbErr> {
    Ok(project::Entity::find().one(db).await?.is_some())
}

async fn find_for_update(txn: &DatabaseTransaction, id: i32) -> Result<project::Model> {
    let mut query = project::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or(WriteError::NotFound)
}

/// Changes name, key, description, or archives or restores it (owners only).
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i32,
    fields: ProjectFields,
    expected_version: Option<i32>,
) -> Result<project::Model> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let stored = find_for_update(&txn, id).await?;
    permit(&txn, actor, id, Need::Manage).await?;
    check_version(stored.version, expected_version, &stored)?;
    let (name, key, description) = checked(&txn, &fields, Some(&stored)).await?;
    let time_zone = match &fields.time_zone {
        Some(zone) => checked_time_zone(zone)?,
        None => stored.time_zone.clone(),
    };
    let before = body_of(store, &stored);
    let mut active = stored.clone().into_active_model();
    active.name = Set(name);
    active.key = Set(key);
    active.description = Set(description);
    active.archived = Set(fields.archived.unwrap_or(stored.archived));
    active.time_zone = Set(time_zone);
    active.version = Set(stored.version + 1);
    let updated = active.update(&txn).await.map_err(key_conflict)?;
    let after = body_of(store, &updated);
    let logged = project_entry(log::Action::Update, &updated, Some(&before), &after);
    store.commit(txn, actor, vec![logged]).await?;
    Ok(updated)
}

/// A project `actor` may see, with their role in it.
pub async fn find(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> Result<(project::Model, Role)> {
    let standing = permit(db, actor, id, Need::Read).await?;
    let model = project::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(WriteError::NotFound)?;
    Ok((model, standing.role))
}

/// The project `actor`'s board opens on (their default project), with their role in it.
pub async fn current(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> std::result::Result<Option<(project::Model, Role)>, sea_orm::DbErr> {
    let Some(id) = permissions::default_project(db, actor, actor.default_project).await? else {
        return Ok(None);
    };
    let Some(standing) = permissions::standing(db, actor, id).await? else {
        return Ok(None);
    };
    Ok(project::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|project| (project, standing.role)))
}

/// The projects `actor` belongs to, by name (archived ones only when asked for), each with
/// their role; site administrators see every project.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    include_archived: bool,
) -> std::result::Result<Vec<(project::Model, Role)>, sea_orm::DbErr> {
    let mut query = project::Entity::find()
        .order_by_asc(project::Column::Name)
        .order_by_asc(project::Column::Id);
    if !include_archived {
        query = query.filter(project::Column::Archived.eq(false));
    }
    let roles: Vec<(i32, String)> = match actor.id {
        Some(user) => {
            project_member::Entity::find()
                .select_only()
                .column(project_member::Column::ProjectId)
                .column(project_member::Column::Role)
                .filter(project_member::Column::UserId.eq(user))
                .into_tuple()
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let role_in = |project: i32| {
        roles
            .iter()
            .find(|(id, _)| *id == project)
            .and_then(|(_, role)| Role::parse(role))
    };
    if !actor.is_unrestricted() {
        query = query.filter(project::Column::Id.is_in(roles.iter().map(|(id, _)| *id)));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|model| {
            let role = role_in(model.id).unwrap_or(Role::Owner);
            (model, role)
        })
        .collect())
}

/// A project's members with their accounts, owners first, then by username.
pub async fn members(
    db: &impl ConnectionTrait,
    actor: &Actor,
    project: i32,
) -> std::result::Result<Vec<(project_member::Model, user::Model)>, WriteError<project_member::Model>>
{
    permit(db, actor, project, Need::Read).await?;
    let mut rows: Vec<(project_member::Model, user::Model)> = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project))
        .find_also_related(user::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(member, user)| Some((member, user?)))
        .collect();
    rows.sort_by(|(a, ua), (b, ub)| {
        let rank = |m: &project_member::Model| std::cmp::Reverse(Role::parse(&m.role));
        rank(a)
            .cmp(&rank(b))
            .then_with(|| ua.username.cmp(&ub.username))
    });
    Ok(rows)
}

type MemberResult<T> = std::result::Result<T, WriteError<project_member::Model>>;

async fn account(txn: &DatabaseTransaction, username: &str) -> MemberResult<user::Model> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(txn)
        .await?
        .ok_or_else(|| {
            FieldErrors::single(
                "user",
                format!("Object with username={username} does not exist."),
            )
            .into()
        })
}

fn parse_role(role: &str) -> MemberResult<Role> {
    Role::parse(role).ok_or_else(|| {
        FieldErrors::single(
            "role",
            format!("\"{role}\" is not a valid choice. {ROLE_CHOICES}"),
        )
        .into()
    })
}

/// How many owners `project` has; locks its memberships on PostgreSQL so two owners leaving at
/// once cannot leave none (SQLite's writers are serialised already).
async fn owners(txn: &DatabaseTransaction, project: i32) -> MemberResult<u64> {
    let mut query = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project))
        .filter(project_member::Column::Role.eq(Role::Owner.as_str()));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    Ok(query.all(txn).await?.len() as u64)
}

/// Adds `username` to `project` with `role` (owners only).
pub async fn add_member(
    store: &Store,
    actor: &Actor,
    project: i32,
    username: &str,
    role: &str,
) -> MemberResult<(project_member::Model, user::Model)> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    permit(&txn, actor, project, Need::Manage).await?;
    let role = parse_role(role)?;
    let person = account(&txn, username).await?;
    if project_member::Entity::find_by_id((project, person.id))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(FieldErrors::single("user", format!("{username} {ALREADY_MEMBER}")).into());
    }
    let member = project_member::ActiveModel {
        project_id: Set(project),
        user_id: Set(person.id),
        role: Set(role.as_str().to_owned()),
        joined: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            WriteError::Invalid(FieldErrors::single(
                "user",
                format!("{username} {ALREADY_MEMBER}"),
            ))
        } else {
            WriteError::Db(error)
        }
    })?;
    let logged = member_entry(log::Action::Create, &member, &person.username, None);
    store.commit(txn, actor, vec![logged]).await?;
    Ok((member, person))
}

async fn find_member(
    txn: &DatabaseTransaction,
    project: i32,
    username: &str,
) -> MemberResult<(project_member::Model, user::Model)> {
    let person = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(txn)
        .await?
        .ok_or(WriteError::NotFound)?;
    let mut query = project_member::Entity::find_by_id((project, person.id));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let member = query.one(txn).await?.ok_or(WriteError::NotFound)?;
    Ok((member, person))
}

/// Gives `username` another role in `project` (owners only; the last owner stays one).
pub async fn change_role(
    store: &Store,
    actor: &Actor,
    project: i32,
    username: &str,
    role: &str,
) -> MemberResult<(project_member::Model, user::Model)> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    permit(&txn, actor, project, Need::Manage).await?;
    let role = parse_role(role)?;
    let (member, person) = find_member(&txn, project, username).await?;
    let was = Role::parse(&member.role);
    if was == Some(Role::Owner) && role != Role::Owner && owners(&txn, project).await? <= 1 {
        return Err(FieldErrors::single("role", LAST_OWNER).into());
    }
    let before = member_body(&member, &person.username);
    let mut active = member.into_active_model();
    active.role = Set(role.as_str().to_owned());
    let updated = active.update(&txn).await?;
    let logged = member_entry(
        log::Action::Update,
        &updated,
        &person.username,
        Some(&before),
    );
    store.commit(txn, actor, vec![logged]).await?;
    Ok((updated, person))
}

/// Takes `username` out of `project`: owners remove anyone, anyone may leave; the last owner
/// stays. Their tasks stay assigned to them, as history.
pub async fn remove_member(
    store: &Store,
    actor: &Actor,
    project: i32,
    username: &str,
) -> MemberResult<()> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let leaving = actor.username.as_deref() == Some(username) && !actor.site_admin;
    permit(
        &txn,
        actor,
        project,
        if leaving { Need::Read } else { Need::Manage },
    )
    .await?;
    let (member, person) = find_member(&txn, project, username).await?;
    if Role::parse(&member.role) == Some(Role::Owner) && owners(&txn, project).await? <= 1 {
        return Err(FieldErrors::single("user", LAST_OWNER).into());
    }
    let before = member_body(&member, &person.username);
    project_member::Entity::delete_by_id((project, person.id))
        .exec(&txn)
        .await?;
    let logged = member_entry(
        log::Action::Delete,
        &member,
        &person.username,
        Some(&before),
    );
    store.commit(txn, actor, vec![logged]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_uppercase_and_start_with_a_letter() {
        assert_eq!(checked_key(" web "), Ok("WEB".to_owned()));
        assert_eq!(checked_key("A1"), Ok("A1".to_owned()));
        assert_eq!(checked_key("1A"), Err(KEY_RULE));
        assert_eq!(checked_key("W"), Err(KEY_RULE));
        assert_eq!(checked_key("WEB-SHOP"), Err(KEY_RULE));
        assert_eq!(checked_key("ABCDEFGHIJK"), Err(KEY_RULE));
        assert_eq!(checked_key("ÜBER"), Err(KEY_RULE));
    }

    #[test]
    fn a_key_is_suggested_from_the_name() {
        assert_eq!(suggested_key("Web Shop"), "WS");
        assert_eq!(suggested_key("Platform"), "PLAT");
        assert_eq!(suggested_key("My Project"), "MP");
        assert_eq!(
            suggested_key("2025 roadmap"),
            "PRJ",
            "a key starts with a letter"
        );
        assert_eq!(suggested_key("—"), "PRJ");
    }
}
