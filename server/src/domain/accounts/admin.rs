//! What site administrators do to accounts (the `/admin` pages, `/api/admin/…` and the
//! command line alike): invite, deactivate and reactivate, hand out a password-reset link,
//! grant or take site administration. Each is one logged change.
//!
//! Deactivating ends the account's sessions, API tokens and password links in the same
//! transaction; its open live streams and any instance's cached token close when the logged
//! change reaches them (see `live::hub`), within a second, wherever it was made.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, Set, Statement, TransactionTrait,
};
use serde_json::Value;

use super::{
    links::{self, NewLink, Purpose},
    sessions,
    users::{self, CreateUserError},
};
use crate::domain::{
    db::entities::{auth_token, password_link, user},
    log::{self, Actor},
    store::Store,
};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no account is named {0:?}")]
    NoSuchAccount(String),
    /// Refused, with the reason in words a person can act on.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Create(#[from] CreateUserError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// An invitation: the new account (active, without a password yet) and its link.
pub struct Invitation {
    pub user: user::Model,
    pub link: NewLink,
}

/// Creates `username`'s account with no usable password and a link (valid a week) to choose
/// one, in one transaction.
pub async fn invite(
    store: &Store,
    actor: &Actor,
    username: &str,
    email: &str,
    is_superuser: bool,
) -> Result<Invitation, AdminError> {
    let (user, link) = users::create_invited(
        store,
        actor,
        users::NewUser {
            username: username.to_owned(),
            email: email.to_owned(),
            password: String::new(),
            is_superuser,
        },
    )
    .await?;
    Ok(Invitation { user, link })
}

/// A password link for `username` (a reset, valid three days; a new invitation, valid a week,
/// while the account still awaits its first password). An earlier link stops working. Not a
/// change of record (the password set with it is), but who handed out which account's link is
/// written to the server's log.
pub async fn reset_link(
    store: &Store,
    actor: &Actor,
    username: &str,
) -> Result<NewLink, AdminError> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let account = find(&txn, username).await?;
    if !account.is_active {
        return Err(AdminError::Refused(format!(
            "{username} is deactivated: reactivate the account first."
        )));
    }
    // An invited colleague who lost their link gets a new invitation, not a "reset".
    let purpose = if awaiting_password(&account) {
        Purpose::Invite
    } else {
        Purpose::Reset
    };
    let link = links::issue(&txn, account.id, purpose).await?;
    txn.commit().await?;
    tracing::info!(
        by = actor.username.as_deref().unwrap_or("the command line"),
        account = %account.username,
        purpose = purpose.as_str(),
        "password link issued"
    );
    Ok(link)
}

/// PostgreSQL's transaction-scoped lock serialising changes to accounts' standing across
/// instances ("SCRUMADM").
const ADMINISTRATION_LOCK: i64 = 0x5343_5255_4d41_444d;

/// What an administrator changes on an account: each field `None` to leave it.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccountUpdate {
    /// `false` deactivates: the account's sessions, tokens and links end with it. `true`
    /// reactivates and gives none back (the person signs in again).
    pub is_active: Option<bool>,
    /// Grants or takes site administration.
    pub is_superuser: Option<bool>,
}

/// Deactivates (`active == false`) or reactivates `username`.
pub async fn set_active(
    store: &Store,
    actor: &Actor,
    username: &str,
    active: bool,
) -> Result<user::Model, AdminError> {
    let update = AccountUpdate {
        is_active: Some(active),
        ..AccountUpdate::default()
    };
    change(store, actor, username, update).await
}

/// Applies `update` to `username` in one transaction with its log entry. Refused: taking
/// one's own access (deactivating oneself, or one's own administration), and leaving the site
/// with no active administrator.
pub async fn change(
    store: &Store,
    actor: &Actor,
    username: &str,
    update: AccountUpdate,
) -> Result<user::Model, AdminError> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Two administrators demoting each other at once must not both see the other as the
        // one who stays (SQLite's write gate serialises these already).
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [ADMINISTRATION_LOCK.into()],
        ))
        .await?;
    }
    let account = find(&txn, username).await?;
    let active = update.is_active.unwrap_or(account.is_active);
    let superuser = update.is_superuser.unwrap_or(account.is_superuser);
    if active == account.is_active && superuser == account.is_superuser {
        return Ok(account);
    }
    if actor.id == Some(account.id) {
        if !active {
            return Err(AdminError::Refused(
                "You cannot deactivate your own account; ask another administrator.".into(),
            ));
        }
        if !superuser {
            return Err(AdminError::Refused(
                "You cannot give up your own administration; ask another administrator.".into(),
            ));
        }
    }
    if account.is_active && account.is_superuser && !(active && superuser) {
        ensure_another_admin(&txn, account.id).await?;
    }
    if account.is_active && !active {
        sessions::delete_others(&txn, account.id, None).await?;
        auth_token::Entity::delete_many()
            .filter(auth_token::Column::UserId.eq(account.id))
            .exec(&txn)
            .await?;
        password_link::Entity::delete_many()
            .filter(password_link::Column::UserId.eq(account.id))
            .exec(&txn)
            .await?;
    }
    let mut changes = log::Changes::new();
    for (field, before, after) in [
        ("is_active", account.is_active, active),
        ("is_superuser", account.is_superuser, superuser),
    ] {
        if before != after {
            changes.insert(field.to_owned(), [Value::Bool(before), Value::Bool(after)]);
        }
    }
    let mut changed = account.into_active_model();
    changed.is_active = Set(active);
    changed.is_superuser = Set(superuser);
    let saved = changed.update(&txn).await?;
    let body = users::body_of(store, &saved);
    let entry = users::account_entry(&saved, log::Action::Update, changes, body);
    store.commit(txn, actor, vec![entry]).await?;
    Ok(saved)
}

/// Refuses a change that would leave the site without an active administrator.
async fn ensure_another_admin(txn: &DatabaseTransaction, leaving: i32) -> Result<(), AdminError> {
    // Someone who can sign in: an invited administrator who never chose a password is not one.
    let others = user::Entity::find()
        .filter(user::Column::IsSuperuser.eq(true))
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::Id.ne(leaving))
        .filter(user::Column::PasswordHash.not_like(format!("{}%", users::UNUSABLE)))
        .count(txn)
        .await?;
    if others == 0 {
        return Err(AdminError::Refused(
            "This is the last active site administrator: make someone else an administrator first."
                .into(),
        ));
    }
    Ok(())
}

/// The account named `username`.
pub async fn find(db: &impl ConnectionTrait, username: &str) -> Result<user::Model, AdminError> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?
        .ok_or_else(|| AdminError::NoSuchAccount(username.to_owned()))
}

/// Every account, in the order they joined.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<user::Model>, sea_orm::DbErr> {
    use sea_orm::QueryOrder;
    user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(db)
        .await
}

/// Whether `user` has no usable password yet (invited, link not used).
pub fn awaiting_password(user: &user::Model) -> bool {
    user.password_hash.starts_with(users::UNUSABLE)
}

/// A moment as people read it on the pages and the command line: `2026-12-14 09:30 UTC`.
pub fn describe_moment(at: chrono::DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
