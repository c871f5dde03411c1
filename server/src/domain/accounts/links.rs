//! One-time links to set a password: an invitation (the account exists, with no password
//! yet) or a reset an administrator hands over. No mail server is involved: whoever makes the
//! link copies it to the person. Only the key's SHA-256 is stored; a link works once, and
//! setting a password through it ends every other link of that account and every session.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    TransactionTrait,
};

use super::{
    password,
    secrets::{digest, random_hex},
    sessions, users,
};
use crate::domain::{
    db::entities::{auth_token, password_link, user},
    log::{self, Actor},
    store::Store,
};

/// Why a link exists; it decides how long it lasts and what its page says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A new account's first password.
    Invite,
    /// A forgotten password, replaced.
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invite => "invite",
            Purpose::Reset => "reset",
        }
    }

    /// An invitation waits a week for its colleague; a reset is a shorter-lived secret.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Invite => Duration::from_secs(7 * 24 * 3600),
            Purpose::Reset => Duration::from_secs(3 * 24 * 3600),
        }
    }

    fn parse(text: &str) -> Self {
        if text == "invite" {
            Purpose::Invite
        } else {
            Purpose::Reset
        }
    }
}

/// A link just made: its key (the only time it exists in clear) and when it stops working.
#[derive(Clone, Debug)]
pub struct NewLink {
    pub key: String,
    pub expires: DateTime<Utc>,
}

/// The path of the page that takes a link's key.
pub fn path(key: &str) -> String {
    format!("/password/{key}")
}

/// Makes a link for `user_id`, replacing any earlier one (only the newest link works).
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: i32,
    purpose: Purpose,
) -> Result<NewLink, sea_orm::DbErr> {
    password_link::Entity::delete_many()
        .filter(password_link::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let key = random_hex(24);
    let now = Utc::now();
    let expires =
        now + chrono::Duration::from_std(purpose.lifetime()).unwrap_or(chrono::Duration::days(3));
    password_link::ActiveModel {
        key_hash: Set(digest(&key)),
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        created: Set(now),
        expires: Set(expires),
    }
    .insert(db)
    .await?;
    Ok(NewLink { key, expires })
}

/// What a working link leads to.
#[derive(Clone, Debug)]
pub struct Found {
    pub user: user::Model,
    pub purpose: Purpose,
}

/// The account a key opens, if the link exists, has not expired, and its account is active.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> Result<Option<Found>, sea_orm::DbErr> {
    if key.len() != 48 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let found = password_link::Entity::find_by_id(digest(key))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(match found {
        Some((link, Some(user))) if link.expires > Utc::now() && user.is_active => Some(Found {
            user,
            purpose: Purpose::parse(&link.purpose),
        }),
        _ => None,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// Unknown, used, expired, or its account deactivated since.
    #[error("this link is no longer valid")]
    Gone,
    /// The password breaks a rule; the message says which.
    #[error("{0}")]
    Weak(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Sets the password of the link's account: the link and every other link of the account are
/// used up, and every session and API token of it ends (someone who knew the old password, or
/// held a token, is signed out).
/// Logged as a change of the account, in the same transaction. Returns the account.
pub async fn redeem(
    store: &Store,
    key: &str,
    new_password: &str,
) -> Result<user::Model, RedeemError> {
    let found = find(&store.db, key).await?.ok_or(RedeemError::Gone)?;
    if let Some(weakness) = password::weakness(&found.user.username, new_password) {
        return Err(RedeemError::Weak(weakness));
    }
    let hash = password::hash(new_password.to_owned()).await?;
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    // Used up inside the transaction: of two people sending the same link at once, one wins.
    let used = password_link::Entity::delete_many()
        .filter(password_link::Column::KeyHash.eq(digest(key)))
        .filter(password_link::Column::Expires.gt(Utc::now()))
        .exec(&txn)
        .await?
        .rows_affected;
    if used == 0 {
        return Err(RedeemError::Gone);
    }
    password_link::Entity::delete_many()
        .filter(password_link::Column::UserId.eq(found.user.id))
        .exec(&txn)
        .await?;
    sessions::delete_others(&txn, found.user.id, None).await?;
    // Whoever held the account's tokens before a reset (a lost laptop, a leaked script) is cut
    // off too; the person makes new ones.
    auth_token::Entity::delete_many()
        .filter(auth_token::Column::UserId.eq(found.user.id))
        .exec(&txn)
        .await?;
    let mut changed = found.user.clone().into_active_model();
    changed.password_hash = Set(hash);
    let user = changed.update(&txn).await?;
    let body = users::body_of(store, &user);
    let mut changes = log::Changes::new();
    changes.insert(
        "password".into(),
        [
            serde_json::Value::Null,
            serde_json::Value::String(format!("set with a {} link", found.purpose.as_str())),
        ],
    );
    let entry = users::account_entry(&user, log::Action::Update, changes, body);
    store
        .commit(txn, &Actor::user(user.id, &user.username), vec![entry])
        .await?;
    Ok(user)
}

/// Deletes links past their expiry; returns how many.
pub async fn sweep_expired(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    Ok(password_link::Entity::delete_many()
        .filter(password_link::Column::Expires.lt(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}
