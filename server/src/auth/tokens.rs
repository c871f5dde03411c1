//! API tokens: issued by `POST /api/token/`, sent as `Authorization: Token <key>`, revoked by
//! `DELETE /api/token/`. Only the key's SHA-256 is stored.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, ModelTrait, Set};

use super::secrets::{digest, random_hex};
use crate::db::entities::{auth_token, user};

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
        created: Set(now),
        expires: Set(ttl.and_then(|ttl| chrono::Duration::from_std(ttl).ok().map(|d| now + d))),
    }
    .insert(db)
    .await?;
    Ok(key)
}

/// The token's user, if the key exists and has not expired (expired tokens are deleted).
pub async fn find_user(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<(String, user::Model)>, sea_orm::DbErr> {
    let key_hash = digest(key);
    // One query for token and user: this runs on every token-authenticated request.
    let Some((token, user)) = auth_token::Entity::find_by_id(key_hash.clone())
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if token.expires.is_some_and(|expires| expires <= Utc::now()) {
        token.delete(db).await?;
        return Ok(None);
    }
    Ok(user.map(|user| (key_hash, user)))
}

/// Deletes the token with this digest; later requests with its key get 401.
pub async fn revoke(db: &impl ConnectionTrait, key_hash: &str) -> Result<(), sea_orm::DbErr> {
    auth_token::Entity::delete_by_id(key_hash.to_owned())
        .exec(db)
        .await?;
    Ok(())
}
