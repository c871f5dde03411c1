//! User accounts: creation (`server createsuperuser`, and the first run's administrator), a
//! person's own profile, and the rules usernames follow.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
    Statement, TransactionTrait,
};

use crate::domain::{
    accounts::password,
    db::entities::user,
    log::{self, Actor, NewEntry},
    service::{WriteError, projects},
    store::Store,
};

pub const MAX_USERNAME_LEN: usize = 150;
/// The longest email address (the column's width, RFC 5321's limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// How a stored password hash starts when the account has no password (an invitation not yet
/// taken up): Django's marker. No argon2 PHC string starts so, so nothing ever verifies.
pub const UNUSABLE: &str = "!";

#[derive(Debug)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub is_superuser: bool,
}

impl CreateUserError {
    /// The form field an `Invalid` message is about (`email` or `username`).
    pub fn field_of(message: &str) -> &'static str {
        if message.contains("email") {
            "email"
        } else {
            "username"
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("{0}")]
    Invalid(String),
    #[error("a user named {0:?} already exists")]
    Taken(String),
    /// The first run's account was asked for, but an account exists (made a moment ago by
    /// someone else, or with the command line).
    #[error("an account exists already")]
    NotFirst,
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Django's username rule: 1–150 letters, digits and `@.+-_`.
pub fn validate_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        return Err("the username may not be blank".into());
    }
    if username.chars().count() > MAX_USERNAME_LEN {
        return Err(format!(
            "the username may have at most {MAX_USERNAME_LEN} characters"
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_alphanumeric() || "@.+-_".contains(c))
    {
        return Err("the username may contain only letters, digits and @/./+/-/_".into());
    }
    Ok(())
}

pub fn validate_email(email: &str) -> Result<(), String> {
    if email.chars().count() > MAX_EMAIL_LEN {
        return Err(format!(
            "the email address may have at most {MAX_EMAIL_LEN} characters"
        ));
    }
    match email.split_once('@') {
        _ if email.is_empty() => Ok(()),
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => Ok(()),
        _ => Err(format!("{email:?} is not an email address")),
    }
}

/// Creates an active user with an argon2id password hash, and logs it (the change log names
/// `actor`, `None` from the command line).
pub async fn create_user(
    store: &Store,
    actor: &Actor,
    new: NewUser,
) -> Result<user::Model, CreateUserError> {
    create(store, actor, new, Kind::Ordinary).await
}

/// An invited account: active, with no usable password until its person sets one through
/// their link (`new.password` is ignored).
pub async fn create_invited(
    store: &Store,
    actor: &Actor,
    new: NewUser,
) -> Result<(user::Model, super::links::NewLink), CreateUserError> {
    let mut link = None;
    let user = create_with(store, actor, new, Kind::Invited, &mut link).await?;
    Ok((user, link.expect("an invitation has its link")))
}

/// The first run's administrator: created only while no account exists, which is checked in
/// the transaction that creates it, so two people setting up at once get one account. The
/// log names the new account as its own author (the person at the setup form; no account
/// existed to act for them).
/// The first project, named `project`, is created with it, with this person as its owner.
pub async fn create_first(
    store: &Store,
    new: NewUser,
    project: &str,
) -> Result<user::Model, CreateUserError> {
    let author = Actor {
        username: Some(new.username.clone()),
        ..Actor::default()
    };
    create_with(store, &author, new, Kind::First(project), &mut None).await
}

/// Whether no account exists yet (the first run).
pub async fn none_yet(db: &impl sea_orm::ConnectionTrait) -> Result<bool, sea_orm::DbErr> {
    Ok(user::Entity::find().one(db).await?.is_none())
}

/// PostgreSQL's transaction-scoped lock serialising the first run's account creation across
/// instances (SQLite has the write gate and one writer).
const FIRST_RUN_LOCK: i64 = 0x5343_5255_4d46_5253; // "SCRUMFRS"

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    /// A site administrator also gets the first project when none exists (so `createsuperuser`
    /// on a new install leads to a usable board, as the first run does), and otherwise joins
    /// the oldest as an owner.
    Ordinary,
    /// Only while no account exists; with the first project's name.
    First(&'a str),
    /// Without a password.
    Invited,
}

async fn create(
    store: &Store,
    actor: &Actor,
    new: NewUser,
    kind: Kind<'_>,
) -> Result<user::Model, CreateUserError> {
    create_with(store, actor, new, kind, &mut None).await
}

/// Creates the account; an invitation's link is issued in the same transaction (into `link`).
async fn create_with(
    store: &Store,
    actor: &Actor,
    new: NewUser,
    kind: Kind<'_>,
    link: &mut Option<super::links::NewLink>,
) -> Result<user::Model, CreateUserError> {
    let db = &store.db;
    validate_username(&new.username).map_err(CreateUserError::Invalid)?;
    validate_email(&new.email).map_err(CreateUserError::Invalid)?;
    if new.password.is_empty() && kind != Kind::Invited {
        return Err(CreateUserError::Invalid(
            "the password may not be blank".into(),
        ));
    }
    let existing = user::Entity::find()
        .filter(user::Column::Username.eq(new.username.as_str()))
        .one(db)
        .await?;
    if existing.is_some() {
        return Err(CreateUserError::Taken(new.username));
    }
    // Hash before touching the database again: hashing takes ~50 ms and must not hold a
    // transaction or connection open.
    let password_hash = if kind == Kind::Invited {
        format!("{UNUSABLE}{}", super::secrets::random_hex(20))
    } else {
        password::hash(new.password).await?
    };
    let username = new.username.clone();
    let is_superuser = new.is_superuser;
    let model = user::ActiveModel {
        username: Set(new.username),
        email: Set(new.email),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        password_hash: Set(password_hash),
        is_active: Set(true),
        is_superuser: Set(new.is_superuser),
        date_joined: Set(Utc::now()),
        ..Default::default()
    };
    let _gate = store.write_gate().await;
    let txn = db.begin().await?;
    if let Kind::First(_) = kind {
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [FIRST_RUN_LOCK.into()],
            ))
            .await?;
        }
        if !none_yet(&txn).await? {
            return Err(CreateUserError::NotFirst);
        }
    }
    let created = model.insert(&txn).await.map_err(|error| {
        // Taken a moment ago by someone else (the check above ran outside the transaction).
        if crate::domain::service::is_unique_violation(&error) {
            CreateUserError::Taken(username)
        } else {
            error.into()
        }
    })?;
    if kind == Kind::Invited {
        *link = Some(super::links::issue(&txn, created.id, super::links::Purpose::Invite).await?);
    }
    let body = body_of(store, &created);
    let changes = log::diff(None, Some(&body), &["username", "full_name", "is_active"]);
    let mut entries = vec![account_entry(&created, log::Action::Create, changes, body)];
    let first_project = match kind {
        Kind::First(name) => Some(name),
        Kind::Ordinary if is_superuser => {
            // A site administrator from the command line founds the first project, or joins
            // the oldest as an owner: either way the board they open shows them.
            if projects::any(&txn).await? {
                entries.extend(projects::join_oldest_as_owner(&txn, &created).await?);
                None
            } else {
                Some(projects::FIRST_NAME)
            }
        }
        _ => None,
    };
    if let Some(name) = first_project {
        let fields = projects::ProjectFields {
            name: Some(name.to_owned()),
            ..Default::default()
        };
        let (_, founded) = projects::found(&txn, store, Some(created.id), &fields)
            .await
            .map_err(|error| match error {
                WriteError::Db(error) => CreateUserError::Db(error),
                WriteError::Invalid(errors) => CreateUserError::Invalid(
                    errors
                        .messages("name")
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "the project could not be created".into()),
                ),
                _ => CreateUserError::Internal(anyhow::anyhow!("the first project was refused")),
            })?;
        entries.extend(founded);
    }
    store.commit(txn, actor, entries).await?;
    Ok(created)
}

/// An account as the change log keeps it: the book's user representation.
pub fn body_of(store: &Store, account: &user::Model) -> serde_json::Value {
    serde_json::to_value(store.broadcast().user(account.clone())).expect("users serialize")
}

/// The log entry of a change to an account (it touches no sprint).
pub fn account_entry(
    account: &user::Model,
    action: log::Action,
    changes: log::Changes,
    body: serde_json::Value,
) -> NewEntry {
    NewEntry {
        model: log::Model::User,
        object: account.id,
        action,
        changes,
        body,
        version: 1,
        sprints: Vec::new(),
        backlog: false,
        column: None,
        project: None,
    }
}

/// How the log records a change to a private field (an email): that it changed, not what to.
pub const PRIVATE: &str = "(private)";

/// What a person may change about themselves: each field `None` to leave it.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// Where writes that name no project go: `Some(None)` clears the choice (the first project
    /// joined is used).
    pub default_project: Option<Option<i32>>,
}

pub const NOT_YOUR_PROJECT: &str = "Choose one of your projects that is not archived.";

/// The longest first or last name (Django's).
pub const MAX_NAME_LEN: usize = 150;

/// Saves `user`'s own `profile`, logged as a change of the account (by themselves). Refused,
/// by field, when a name is too long or the email is not one.
pub async fn update_profile(
    store: &Store,
    user: &user::Model,
    profile: Profile,
) -> Result<user::Model, ProfileError> {
    let mut problems = Vec::new();
    for (field, value) in [
        ("first_name", &profile.first_name),
        ("last_name", &profile.last_name),
    ] {
        if value
            .as_ref()
            .is_some_and(|name| name.chars().count() > MAX_NAME_LEN)
        {
            problems.push((
                field,
                format!("Ensure this field has no more than {MAX_NAME_LEN} characters."),
            ));
        }
    }
    if let Some(email) = &profile.email
        && validate_email(email).is_err()
    {
        problems.push(("email", "Enter a valid email address.".to_owned()));
    }
    if let Some(Some(project)) = profile.default_project {
        let standing =
            crate::domain::permissions::standing(&store.db, &Actor::person(user), project).await?;
        if standing.is_none_or(|standing| standing.archived) {
            problems.push(("default_project", NOT_YOUR_PROJECT.to_owned()));
        }
    }
    if !problems.is_empty() {
        return Err(ProfileError::Invalid(problems));
    }
    let saved = async {
        let _gate = store.write_gate().await;
        let txn = store.db.begin().await?;
        let current = user::Entity::find_by_id(user.id)
            .one(&txn)
            .await?
            .ok_or(sea_orm::DbErr::RecordNotFound("the account".into()))?;
        let mut changes = log::Changes::new();
        let mut changed: user::ActiveModel = current.clone().into();
        for (field, new, old) in [
            ("first_name", &profile.first_name, &current.first_name),
            ("last_name", &profile.last_name, &current.last_name),
        ] {
            if let Some(new) = new
                && new != old
            {
                changes.insert(field.into(), [old.clone().into(), new.clone().into()]);
            }
        }
        if let Some(email) = &profile.email
            && *email != current.email
        {
            // Anyone signed in reads the log: an email address stays between its owner and
            // the administrators.
            changes.insert("email".into(), [PRIVATE.into(), PRIVATE.into()]);
        }
        if let Some(project) = profile.default_project
            && project != current.default_project_id
        {
            changes.insert(
                "default_project".into(),
                [current.default_project_id.into(), project.into()],
            );
            changed.default_project_id = Set(project);
        }
        if changes.is_empty() {
            return Ok::<_, sea_orm::DbErr>(current);
        }
        if let Some(first) = profile.first_name {
            changed.first_name = Set(first);
        }
        if let Some(last) = profile.last_name {
            changed.last_name = Set(last);
        }
        if let Some(email) = profile.email {
            changed.email = Set(email);
        }
        let saved = changed.update(&txn).await?;
        let before = body_of(store, &current);
        let body = body_of(store, &saved);
        changes.extend(log::diff(Some(&before), Some(&body), &["full_name"]));
        let entry = account_entry(&saved, log::Action::Update, changes, body);
        store
            .commit(txn, &Actor::user(saved.id, &saved.username), vec![entry])
            .await?;
        Ok(saved)
    }
    .await;
    Ok(saved?)
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// By field, in words a person can act on.
    #[error("invalid profile: {0:?}")]
    Invalid(Vec<(&'static str, String)>),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_djangos_rule() {
        assert!(validate_username("demo").is_ok());
        assert!(validate_username("jane.doe+scrum@example-1_x").is_ok());
        assert!(validate_username("").is_err());
        assert!(validate_username("has space").is_err());
        assert!(validate_username("semi;colon").is_err());
        assert!(validate_username(&"a".repeat(150)).is_ok());
        assert!(validate_username(&"a".repeat(151)).is_err());
    }

    #[test]
    fn emails_are_optional_but_must_look_like_one() {
        assert!(validate_email("").is_ok());
        assert!(validate_email("demo@example.com").is_ok());
        assert!(validate_email("demo").is_err());
        assert!(validate_email("@example.com").is_err());
    }
}
