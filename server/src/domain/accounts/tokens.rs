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
    Ok(issue_named(db, user_id, "", ttl).await?.0)
}

/// Refusals by field, in words a person can act on.
pub type Problems = Vec<(&'static str, String)>;

/// The longest a named token may live, and the longest name.
pub const MAX_DAYS: u64 = 366;
pub const MAX_NAME: usize = 100;

/// A named token's name and lifetime, checked: `days` absent means no expiry, except that a
/// site's `TOKEN_TTL` is the most any token lives. Refusals by field (`name`,
/// `expires_in_days`), in words a person can act on.
pub fn named_token_rules(
    name: &str,
    days: Option<i64>,
    site_limit: Option<Duration>,
) -> Result<(String, Option<Duration>), Problems> {
    let name = name.trim();
    let mut problems = Vec::new();
    if name.is_empty() {
        problems.push(("name", "Name the token after what will use it.".to_owned()));
    } else if name.chars().count() > MAX_NAME {
        problems.push((
            "name",
            format!("Ensure this field has no more than {MAX_NAME} characters."),
        ));
    }
    let asked = match days {
        None => None,
        Some(days) if (1..=MAX_DAYS as i64).contains(&days) => {
            Some(Duration::from_secs(days as u64 * 86_400))
        }
        Some(_) => {
            problems.push((
                "expires_in_days",
                format!("Choose between 1 and {MAX_DAYS} days, or no expiry."),
            ));
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let ttl = match (asked, site_limit) {
        (Some(asked), Some(limit)) => Some(asked.min(limit)),
        (asked, limit) => asked.or(limit),
    };
    Ok((name.to_owned(), ttl))
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
    /// Bumped whenever an account's entries are dropped: a lookup that began before (and may
    /// have read the account as it was) must not put its stale answer back.
    generation: std::sync::atomic::AtomicU64,
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

    /// Where the cache stands now: pass it to [`TokenCache::put`] after the lookup.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Caches a lookup made at `generation`, unless an account changed since it began.
    pub fn put(
        &self,
        generation: u64,
        key_hash: String,
        user: user::Model,
        expires: Option<Expiry>,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation() != generation {
            return;
        }
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
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        entries.retain(|_, (user, _, _)| user.id != user_id);
    }

    pub fn forget_all(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        entries.clear();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn someone(id: i32) -> user::Model {
        user::Model {
            id,
            username: format!("user{id}"),
            email: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            password_hash: String::new(),
            is_active: true,
            is_superuser: false,
            date_joined: Utc::now(),
            search_key: String::new(),
            default_project_id: None,
        }
    }

    #[test]
    fn a_lookup_that_began_before_an_account_changed_is_not_cached() {
        let cache = TokenCache::default();
        let before = cache.generation();
        // The account is deactivated while a request is still reading its token...
        cache.forget_user(1);
        // ...whose answer (the account as it was) must not come back into the cache.
        cache.put(before, "stale".into(), someone(1), None);
        assert!(cache.get("stale").is_none());
        let now = cache.generation();
        cache.put(now, "fresh".into(), someone(2), None);
        assert_eq!(cache.get("fresh").map(|user| user.id), Some(2));
        cache.forget_user(2);
        assert!(cache.get("fresh").is_none());
    }

    #[test]
    fn named_tokens_follow_their_rules_and_the_sites_limit() {
        let day = Duration::from_secs(86_400);
        assert_eq!(
            named_token_rules(" deploy ", Some(30), None).unwrap(),
            ("deploy".to_owned(), Some(day * 30))
        );
        assert_eq!(named_token_rules("x", None, None).unwrap().1, None);
        assert_eq!(
            named_token_rules("x", None, Some(day)).unwrap().1,
            Some(day)
        );
        assert_eq!(
            named_token_rules("x", Some(30), Some(day)).unwrap().1,
            Some(day)
        );
        let refused = named_token_rules(" ", Some(0), None).unwrap_err();
        let fields: Vec<&str> = refused.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["name", "expires_in_days"]);
        assert!(named_token_rules(&"n".repeat(101), Some(367), None).is_err());
    }
}
