//! Accounts: users, their passwords, tokens and sessions, and login throttling.
//!
//! - `users`: creating users and the username rule.
//! - `admin`: what site administrators do to accounts (invite, deactivate, reset, grant).
//! - `links`: one-time links to set a password (invitations and resets).
//! - `password`: argon2id hashing, off the async runtime.
//! - `secrets`: random keys and their stored SHA-256 digests.
//! - `tokens`: API tokens (stored hashed, revocable, optional expiry).
//! - `sessions`: server-side browser sessions behind an HttpOnly cookie.
//! - `ticket`: short-lived, signed websocket tickets for a sprint's channel.
//! - `throttle`: login attempts per client address and per username.

pub mod admin;
pub mod links;
pub mod password;
pub mod secrets;
pub mod sessions;
pub mod throttle;
pub mod ticket;
pub mod tokens;
pub mod users;

/// Deletes expired tokens, sessions and password links (run every few minutes by `server serve`).
pub async fn sweep_expired(store: &crate::domain::store::Store) -> Result<(), sea_orm::DbErr> {
    let _gate = store.write_gate().await;
    let tokens = tokens::sweep_expired(&store.db).await?;
    let sessions = sessions::sweep_expired(&store.db).await?;
    let links = links::sweep_expired(&store.db).await?;
    if tokens + sessions + links > 0 {
        tracing::info!(tokens, sessions, links, "swept expired credentials");
    }
    Ok(())
}
