//! API tokens: issued by `POST /api/token/`, sent as `Authorization: Token <key>`, revoked by
//! `DELETE /api/token/`. Only the key's SHA-256 is stored.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::secrets::{digest, random_hex};
use crate::domain::db::entities::{auth_token, user};

/// Creates a token for `user_id` and returns its key (the only time the key exists in clear).
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: i32,
    ttl: Option<Duration>,
) -> Result<String, sea_orm::DbErr> {
    let key = random_hex(20);
    let now = Utc::now();
    auth_token::ActiveModel {
        key_hash: Set(digest(&key)),
        user_id: Set(user_id),
        name: Set(String::new()),
        created: Set(now),
        expires: Set(ttl.and_then(|ttl| chrono::Duration::from_std(ttl).ok().map(|d| now + d))),
    }
    .insert(db)
    .await?;
    Ok(key)
}

/// How many hex digits of a token's digest name it in lists (never the key).
pub const HANDLE_LEN: usize = 12;

/// A token its owner named (`POST /api/me/tokens`), valid for `ttl` or until revoked.
pub async fn issue_named(
    db: &impl ConnectionTrait,
    user_id: i32,
    name: &str,
    ttl: Option<Duration>,
) -> Result<(String, auth_token::Model), sea_orm::DbErr> {
    let key = random_hex(20);
    let now = Utc::now();
    let model = auth_token::ActiveModel {
        key_hash: Set(digest(&key)),
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        created: Set(now),
        expires: Set(ttl.and_then(|ttl| chrono::Duration::from_std(ttl).ok().map(|d| now + d))),
    }
    .insert(db)
    .await?;
    Ok((key, model))
}

/// `user_id`'s tokens that still work, newest first.
pub async fn of_user(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<auth_token::Model>, sea_orm::DbErr> {
    use sea_orm::{Condition, QueryOrder};
    auth_token::Entity::find()
        .filter(auth_token::Column::UserId.eq(user_id))
        .filter(
            Condition::any()
                .add(auth_token::Column::Expires.is_null())
                .add(auth_token::Column::Expires.gt(Utc::now())),
        )
        .order_by_desc(auth_token::Column::Created)
        .all(db)
        .await
}

/// Revokes `user_id`'s token named by `handle` (the start of its digest); returns the digest
/// revoked, if one matched.
pub async fn revoke_by_handle(
    db: &impl ConnectionTrait,
    user_id: i32,
    handle: &str,
) -> Result<Option<String>, sea_orm::DbErr> {
    if handle.len() != HANDLE_LEN || !handle.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(token) = of_user(db, user_id)
        .await?
        .into_iter()
        .find(|token| token.key_hash.starts_with(handle))
    else {
        return Ok(None);
    };
    revoke(db, &token.key_hash).await?;
    Ok(Some(token.key_hash))
}

/// The token's digest, its user and its expiry (kept by [`TokenCache`]), if the key exists
/// and has not expired.
pub async fn find_user(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<(String, user::Model, Option<Expiry>)>, sea_orm::DbErr> {
    let key_hash = digest(key);
    // One query for token and user: this runs on every token-authenticated request.
    let Some((token, user)) = auth_token::Entity::find_by_id(key_hash.clone())
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Expired tokens are refused here and swept later by `sweep_expired` (under the write
    // gate: a read path must not write on SQLite).
    if token.expires.is_some_and(|expires| expires <= Utc::now()) {
        return Ok(None);
    }
    Ok(user.map(|user| (key_hash, user, token.expires)))
}

/// Remembers recent token lookups for a few seconds, so a token-authenticated request costs no
/// query for its credentials. Only used with SQLite, where one instance serves everything:
/// `revoke` and expiry are then seen at once. (With PostgreSQL, another instance may revoke a
/// token, so every request asks the database.)
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, CachedToken>>,
}

/// The token's user, its expiry, and when it was looked up.
type CachedToken = (user::Model, Option<Expiry>, Instant);
type Expiry = chrono::DateTime<Utc>;

/// How long a looked-up token is trusted without asking again. A deactivation through the
/// server, its API or its command line empties the user's entries at once (see
/// `AppState::account_changed`); one made by hand in the database is noticed within this time.
const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_MAX_ENTRIES: usize = 10_000;

impl TokenCache {
    pub fn get(&self, key_hash: &str) -> Option<user::Model> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (user, expires, cached) = entries.get(key_hash)?;
        let fresh = cached.elapsed() < CACHE_TTL && expires.is_none_or(|e| e > Utc::now());
        fresh.then(|| user.clone())
    }

    pub fn put(&self, key_hash: String, user: user::Model, expires: Option<Expiry>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHE_MAX_ENTRIES {
            entries.retain(|_, (_, _, cached)| cached.elapsed() < CACHE_TTL);
        }
        if entries.len() < CACHE_MAX_ENTRIES {
            entries.insert(key_hash, (user, expires, Instant::now()));
        }
    }

    /// Drops every cached token of `user_id` (deactivated: the next request asks the
    /// database, which no longer has them).
    pub fn forget_user(&self, user_id: i32) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (user, _, _)| user.id != user_id);
    }

    pub fn forget_all(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn forget(&self, key_hash: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key_hash);
    }
}

/// Deletes the token with this digest; later requests with its key get 401.
pub async fn revoke(db: &impl ConnectionTrait, key_hash: &str) -> Result<(), sea_orm::DbErr> {
    auth_token::Entity::delete_by_id(key_hash.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes tokens past their expiry; returns how many.
pub async fn sweep_expired(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    Ok(auth_token::Entity::delete_many()
        .filter(auth_token::Column::Expires.lt(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}
