//! Browser sessions: a random id in an HttpOnly, SameSite=Lax cookie (Secure under TLS), the
//! session itself in the database so that logout really ends it.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::secrets::{digest, random_hex};
use crate::domain::db::entities::{session, user};

pub const COOKIE_NAME: &str = "scrum_session";

pub struct NewSession {
    /// The cookie value (never stored).
    pub id: String,
    pub csrf_token: String,
}

/// Starts a session for `user_id`. Callers delete any session the browser already had, so
/// the id changes on every login (no session fixation).
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: i32,
    ttl: Duration,
) -> Result<NewSession, sea_orm::DbErr> {
    let id = random_hex(32);
    let csrf_token = random_hex(16);
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(14));
    session::ActiveModel {
        id_hash: Set(digest(&id)),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.clone()),
        created: Set(now),
        expires: Set(expires),
    }
    .insert(db)
    .await?;
    Ok(NewSession { id, csrf_token })
}

/// The live session with this cookie value and its user; expired sessions are deleted.
pub async fn find(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<(session::Model, user::Model)>, sea_orm::DbErr> {
    let Some((found, user)) = session::Entity::find_by_id(digest(id))
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Expired sessions are refused here and swept later by `sweep_expired`.
    if found.expires <= Utc::now() {
        return Ok(None);
    }
    Ok(user.map(|user| (found, user)))
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<(), sea_orm::DbErr> {
    session::Entity::delete_by_id(digest(id)).exec(db).await?;
    Ok(())
}

/// The live sessions of `user_id`, newest first.
pub async fn of_user(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<session::Model>, sea_orm::DbErr> {
    use sea_orm::QueryOrder;
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Expires.gt(Utc::now()))
        .order_by_desc(session::Column::Created)
        .all(db)
        .await
}

/// Ends every session of `user_id` except `keep` (the one asking, if it is a session).
pub async fn delete_others(
    db: &impl ConnectionTrait,
    user_id: i32,
    keep: Option<&str>,
) -> Result<u64, sea_orm::DbErr> {
    let mut others = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        others = others.filter(session::Column::IdHash.ne(digest(keep)));
    }
    Ok(others.exec(db).await?.rows_affected)
}

/// Deletes sessions past their expiry; returns how many.
pub async fn sweep_expired(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::Expires.lt(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}

/// The `Set-Cookie` value that stores `id` for `ttl`, sent back only for paths under
/// `base_path` (another app on the same host, outside it, never sees the session).
pub fn cookie(id: &str, ttl: Duration, secure: bool, base_path: &str) -> String {
    format!(
        "{COOKIE_NAME}={id}; Path={}; Max-Age={}; HttpOnly; SameSite=Lax{}",
        cookie_path(base_path),
        ttl.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that deletes the cookie (the same `Path`, or the browser keeps it).
pub fn clearing_cookie(secure: bool, base_path: &str) -> String {
    format!(
        "{COOKIE_NAME}=; Path={}; Max-Age=0; HttpOnly; SameSite=Lax{}",
        cookie_path(base_path),
        if secure { "; Secure" } else { "" }
    )
}

fn cookie_path(base_path: &str) -> &str {
    if base_path.is_empty() { "/" } else { base_path }
}

/// The session id among a request's `Cookie` headers, if the browser sent one.
pub fn id_from_headers(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(id_from_cookie_header)
}

/// The session id from a `Cookie` header, if the browser sent one.
pub fn id_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_httponly_lax_and_secure_only_under_tls() {
        let plain = cookie("abc", Duration::from_secs(60), false, "");
        assert_eq!(
            plain,
            "scrum_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"
        );
        assert!(cookie("abc", Duration::from_secs(60), true, "").ends_with("; Secure"));
        assert!(clearing_cookie(false, "").contains("Max-Age=0"));
    }

    #[test]
    fn under_a_base_path_the_cookie_stays_within_it() {
        assert!(cookie("abc", Duration::from_secs(60), false, "/scrum").contains("; Path=/scrum;"));
        assert!(clearing_cookie(false, "/scrum").contains("; Path=/scrum;"));
    }

    #[test]
    fn the_session_id_is_found_among_other_cookies() {
        assert_eq!(
            id_from_cookie_header("theme=dark; scrum_session=xyz; other=1"),
            Some("xyz")
        );
        assert_eq!(id_from_cookie_header("scrum_session_old=1"), None);
        assert_eq!(id_from_cookie_header("scrum_session="), None);
    }
}
