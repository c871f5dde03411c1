//! Authentication: who is calling, by HTTP Basic, `Token`, or the browser's session cookie.
//!
//! - `password`: argon2id hashing, off the async runtime.
//! - `secrets`: random keys and their stored SHA-256 digests.
//! - `tokens`: API tokens (stored hashed, revocable, optional expiry).
//! - `sessions`: server-side browser sessions behind an HttpOnly cookie.
//! - `throttle`: login attempts per client address and per username.
//! - `extract`: the `CurrentUser` extractor, including the CSRF check for cookie writes.

pub mod extract;
pub mod password;
pub mod secrets;
pub mod sessions;
pub mod throttle;
pub mod tokens;

pub use extract::{AuthMethod, CurrentUser};

/// Deletes expired tokens and sessions (run every few minutes by `server serve`).
pub async fn sweep_expired(state: &crate::state::AppState) -> Result<(), sea_orm::DbErr> {
    let _gate = state.write_gate().await;
    let tokens = tokens::sweep_expired(&state.db).await?;
    let sessions = sessions::sweep_expired(&state.db).await?;
    if tokens + sessions > 0 {
        tracing::info!(tokens, sessions, "swept expired credentials");
    }
    Ok(())
}
