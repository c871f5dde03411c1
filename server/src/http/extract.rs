//! `CurrentUser`: the extractor every protected endpoint takes.
//!
//! Order, as DRF's authentication classes: `Authorization: Basic` (for scripts and the book's
//! Python client), `Authorization: Token`, then the session cookie. Cookie-authenticated writes
//! must come from this site (`Origin`/`Referer`) or carry the session's `X-CSRFToken`.

use axum::{
    extract::FromRequestParts,
    http::{Method, header, request::Parts},
};
use base64::Engine;

use crate::domain::accounts::{password, sessions, tokens};
use crate::{
    domain::db::entities::user, http::error::AppError, http::origin::RequestOrigin,
    http::state::AppState,
};

pub const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";
pub const INVALID_TOKEN: &str = "Invalid token";
pub const INVALID_BASIC: &str = "Invalid username/password";
pub const INACTIVE: &str = "User inactive or deleted";

#[derive(Clone, Debug)]
pub enum AuthMethod {
    Basic,
    /// The digest of the token used, so `DELETE /api/token/` can revoke exactly it.
    Token {
        key_hash: String,
    },
    Session {
        id: String,
        csrf_token: String,
    },
}

#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: user::Model,
    pub method: AuthMethod,
}

impl CurrentUser {
    /// The browser session this request came with, if it came with one (the cookie's value).
    pub fn session_id(&self) -> Option<&str> {
        match &self.method {
            AuthMethod::Session { id, .. } => Some(id),
            _ => None,
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        if let Some(authorization) = authorization.as_deref() {
            let trimmed = authorization.trim();
            let (scheme, credentials) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
            if scheme.eq_ignore_ascii_case("token") {
                return token_user(state, credentials.trim()).await;
            }
            if scheme.eq_ignore_ascii_case("basic") {
                let origin = RequestOrigin::from_request_parts(parts, state).await?;
                return basic_user(state, credentials.trim(), &origin).await;
            }
            // Other schemes are not ours (as DRF): fall through to the cookie.
        }
        let cookie_id = sessions::id_from_headers(&parts.headers).map(str::to_owned);
        if let Some(id) = cookie_id
            && let Some((session, user)) = sessions::find(&state.db, &id).await?
            && user.is_active
        {
            if !is_safe(&parts.method) {
                let origin = RequestOrigin::from_request_parts(parts, state).await?;
                check_csrf(parts, &origin, &session.csrf_token)?;
            }
            return Ok(CurrentUser {
                user,
                method: AuthMethod::Session {
                    id,
                    csrf_token: session.csrf_token,
                },
            });
        }
        Err(AppError::Unauthorized(NOT_AUTHENTICATED))
    }
}

/// The user, when the request carries valid credentials; anonymous callers get `None` rather
/// than 401 (for pages and endpoints that serve everyone).
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(user) => Ok(MaybeUser(Some(user))),
            Err(AppError::Unauthorized(_)) => Ok(MaybeUser(None)),
            Err(other) => Err(other),
        }
    }
}

pub const ADMINISTRATORS_ONLY: &str = "Only site administrators may manage accounts.";

/// A signed-in site administrator (403 for anyone else signed in): what the account
/// administration takes.
pub struct SiteAdmin(pub CurrentUser);

impl FromRequestParts<AppState> for SiteAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let caller = CurrentUser::from_request_parts(parts, state).await?;
        if !caller.user.is_superuser {
            return Err(AppError::Forbidden(ADMINISTRATORS_ONLY.into()));
        }
        Ok(SiteAdmin(caller))
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

async fn token_user(state: &AppState, key: &str) -> Result<CurrentUser, AppError> {
    if key.is_empty() || key.contains(' ') {
        return Err(AppError::Unauthorized(INVALID_TOKEN));
    }
    let key_hash = crate::domain::accounts::secrets::digest(key);
    let user = match state
        .token_cache
        .as_ref()
        .and_then(|cache| cache.get(&key_hash))
    {
        Some(user) => user,
        None => {
            let generation = state.token_cache.as_ref().map(|cache| cache.generation());
            let (key_hash, user, expires) = tokens::find_user(&state.db, key)
                .await?
                .ok_or(AppError::Unauthorized(INVALID_TOKEN))?;
            if let (Some(cache), Some(generation)) = (&state.token_cache, generation) {
                cache.put(generation, key_hash, user.clone(), expires);
            }
            user
        }
    };
    if !user.is_active {
        return Err(AppError::Unauthorized(INACTIVE));
    }
    Ok(CurrentUser {
        user,
        method: AuthMethod::Token { key_hash },
    })
}

async fn basic_user(
    state: &AppState,
    credentials: &str,
    origin: &RequestOrigin,
) -> Result<CurrentUser, AppError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(AppError::Unauthorized(INVALID_BASIC))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or(AppError::Unauthorized(INVALID_BASIC))?;
    let user = verify_credentials(state, origin, username, password)
        .await?
        .ok_or(AppError::Unauthorized(INVALID_BASIC))?;
    if !user.is_active {
        return Err(AppError::Unauthorized(INACTIVE));
    }
    Ok(CurrentUser {
        user,
        method: AuthMethod::Basic,
    })
}

/// Checks a username and password, throttled per address and per username. The argon2 work
/// runs on the blocking pool, with no database transaction open.
pub async fn verify_credentials(
    state: &AppState,
    origin: &RequestOrigin,
    username: &str,
    password: &str,
) -> Result<Option<user::Model>, AppError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    // In production a password travels only over TLS (the server's own, or a trusted proxy's
    // that says `X-Forwarded-Proto: https`); over plain HTTP it is refused unchecked.
    if state.config.environment == crate::config::Environment::Production && !origin.is_secure() {
        return Err(AppError::Forbidden(
            "Credentials are only accepted over HTTPS.".into(),
        ));
    }
    // No username is longer than this: refuse at once, before spending memory or CPU on it.
    if username.chars().count() > crate::domain::accounts::users::MAX_USERNAME_LEN {
        return Ok(None);
    }
    state
        .throttle
        .reserve(origin.client_ip, username)
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&state.db)
        .await?;
    // Each check holds ~19 MiB for ~50 ms: at most a few run at once, whatever the load.
    let _permit = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        state.password_checks.acquire(),
    )
    .await
    .map_err(|_| AppError::Unavailable("Sign-in"))?
    .map_err(|_| AppError::Unavailable("Sign-in"))?;
    let verified = match &found {
        Some(user)
            if !user
                .password_hash
                .starts_with(crate::domain::accounts::users::UNUSABLE) =>
        {
            password::verify(password.to_owned(), user.password_hash.clone()).await
        }
        // No such user, or one invited who has no password yet: nothing can match.
        _ => {
            // Spend the same time as a real check, so response times do not reveal which
            // usernames exist.
            password::verify(password.to_owned(), password::dummy_hash().to_owned()).await;
            false
        }
    };
    if verified {
        state.throttle.succeeded(origin.client_ip, username);
        Ok(found)
    } else {
        tracing::info!(client = ?origin.client_ip, "failed login");
        Ok(None)
    }
}

/// A cookie-authenticated write must come from a page of this site: a browser that names
/// another site (`Origin`, else `Referer`) is refused even with the right token (a token can
/// leak; the browser's own word on where the request started cannot be forged by a page).
/// Otherwise the session's CSRF token or a same-site `Origin`/`Referer` is enough.
fn check_csrf(parts: &Parts, origin: &RequestOrigin, csrf_token: &str) -> Result<(), AppError> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let own = origin.origin();
    let same_site = match (header("origin"), header("referer")) {
        (Some(sent), _) if sent != "null" => {
            if sent != own {
                return Err(AppError::Forbidden(format!(
                    "CSRF Failed: Origin checking failed - {sent} does not match any trusted origins."
                )));
            }
            true
        }
        (_, Some(referer)) => {
            if referer != own && !referer.starts_with(&format!("{own}/")) {
                return Err(AppError::Forbidden(
                    "CSRF Failed: Referer checking failed - does not match any trusted origins."
                        .into(),
                ));
            }
            true
        }
        _ => false,
    };
    let token_matches = header("x-csrftoken").is_some_and(|sent| {
        !sent.is_empty()
            && subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), csrf_token.as_bytes()).into()
    });
    if same_site || token_matches {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "CSRF Failed: CSRF token missing.".into(),
        ))
    }
}

/// Whether the browser says the request comes from this site (`Origin`, else `Referer`);
/// `None` when it names none (scripts, or `Origin: null` without a `Referer`).
pub fn sent_from_this_site(
    headers: &axum::http::HeaderMap,
    origin: &RequestOrigin,
) -> Option<bool> {
    let own = origin.origin();
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    match (header("origin"), header("referer")) {
        (Some(sent), _) if sent != "null" => Some(sent == own),
        (_, Some(referer)) => Some(referer == own || referer.starts_with(&format!("{own}/"))),
        _ => None,
    }
}

/// 403 when a browser says the request comes from another site (`Origin`, else `Referer`).
pub fn reject_foreign_origin(
    headers: &axum::http::HeaderMap,
    origin: &RequestOrigin,
) -> Result<(), AppError> {
    if sent_from_this_site(headers, origin) == Some(false) {
        Err(AppError::Forbidden(
            "CSRF Failed: the request came from another site.".into(),
        ))
    } else {
        Ok(())
    }
}
