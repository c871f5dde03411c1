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
                check_csrf(
                    parts,
                    &origin,
                    &state.config.cors_allowed_origins,
                    &session.csrf_token,
                )?;
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

/// A cookie-authenticated write must come from a page of this site or of a trusted origin
/// (`CORS_ALLOWED_ORIGINS`): a browser that names any other site (`Origin`, else `Referer`) is
/// refused even with the right token (a token can leak; the browser's own word on where the
/// request started cannot be forged by a page). A page of this site needs nothing more; one of
/// a trusted origin, or a request that names none, must carry the session's CSRF token.
fn check_csrf(
    parts: &Parts,
    origin: &RequestOrigin,
    trusted: &[String],
    csrf_token: &str,
) -> Result<(), AppError> {
    let this_site = match Provenance::of(&parts.headers, origin, trusted) {
        Provenance::ThisSite => true,
        Provenance::Trusted | Provenance::Unstated => false,
        Provenance::OtherSite { origin: Some(sent) } => {
            return Err(AppError::Forbidden(format!(
                "CSRF Failed: Origin checking failed - {sent} does not match any trusted origins."
            )));
        }
        Provenance::OtherSite { origin: None } => {
            return Err(AppError::Forbidden(
                "CSRF Failed: Referer checking failed - does not match any trusted origins.".into(),
            ));
        }
    };
    let token_matches = parts
        .headers
        .get("x-csrftoken")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|sent| {
            !sent.is_empty()
                && subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), csrf_token.as_bytes()).into()
        });
    if this_site || token_matches {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "CSRF Failed: CSRF token missing.".into(),
        ))
    }
}

/// Where a browser says a request started (`Origin`, else `Referer`).
#[derive(Debug, PartialEq, Eq)]
enum Provenance {
    /// A page of this site.
    ThisSite,
    /// A page of an origin in `CORS_ALLOWED_ORIGINS`.
    Trusted,
    /// A page of any other site; `origin` when the browser sent `Origin` (else it was the
    /// `Referer`).
    OtherSite { origin: Option<String> },
    /// Nothing said: scripts, or `Origin: null` without a `Referer`.
    Unstated,
}

impl Provenance {
    fn of(headers: &axum::http::HeaderMap, origin: &RequestOrigin, trusted: &[String]) -> Self {
        let own = origin.origin();
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let is_trusted = |sent: &str| {
            trusted
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(sent))
        };
        match (header("origin"), header("referer")) {
            (Some(sent), _) if sent != "null" => {
                if sent == own {
                    Provenance::ThisSite
                } else if is_trusted(sent) {
                    Provenance::Trusted
                } else {
                    Provenance::OtherSite {
                        origin: Some(sent.to_owned()),
                    }
                }
            }
            (_, Some(referer)) => {
                let sent = origin_of_url(referer);
                if sent == own {
                    Provenance::ThisSite
                } else if is_trusted(sent) {
                    Provenance::Trusted
                } else {
                    Provenance::OtherSite { origin: None }
                }
            }
            _ => Provenance::Unstated,
        }
    }
}

/// Whether the browser says the request comes from this site (`Origin`, else `Referer`);
/// `None` when it names none (scripts, or `Origin: null` without a `Referer`).
pub fn sent_from_this_site(
    headers: &axum::http::HeaderMap,
    origin: &RequestOrigin,
) -> Option<bool> {
    match Provenance::of(headers, origin, &[]) {
        Provenance::ThisSite => Some(true),
        Provenance::Unstated => None,
        Provenance::Trusted | Provenance::OtherSite { .. } => Some(false),
    }
}

/// `scheme://host[:port]` of an absolute URL (a `Referer`): all before the path, query or
/// fragment.
fn origin_of_url(url: &str) -> &str {
    let Some(scheme_end) = url.find("://") else {
        return url;
    };
    let authority = scheme_end + 3;
    let end = url[authority..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| authority + at);
    &url[..end]
}

/// 403 when a browser says the request comes from another site (`Origin`, else `Referer`)
/// that is not one of the `trusted` origins.
pub fn reject_foreign_origin(
    headers: &axum::http::HeaderMap,
    origin: &RequestOrigin,
    trusted: &[String],
) -> Result<(), AppError> {
    if matches!(
        Provenance::of(headers, origin, trusted),
        Provenance::OtherSite { .. }
    ) {
        Err(AppError::Forbidden(
            "CSRF Failed: the request came from another site.".into(),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn provenance(pairs: &[(&'static str, &str)]) -> Provenance {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let origin = RequestOrigin {
            scheme: "http".into(),
            host: "board.local:3000".into(),
            client_ip: None,
            base_path: String::new(),
        };
        Provenance::of(&headers, &origin, &["http://app.local:8080".to_owned()])
    }

    #[test]
    fn requests_say_where_they_started() {
        assert_eq!(
            provenance(&[("origin", "http://board.local:3000")]),
            Provenance::ThisSite
        );
        assert_eq!(
            provenance(&[("origin", "http://APP.local:8080")]),
            Provenance::Trusted
        );
        assert_eq!(
            provenance(&[("origin", "http://app.local:8081")]),
            Provenance::OtherSite {
                origin: Some("http://app.local:8081".into())
            }
        );
        assert_eq!(
            provenance(&[("referer", "http://board.local:3000/sprint/1")]),
            Provenance::ThisSite
        );
        assert_eq!(
            provenance(&[("referer", "http://app.local:8080/sprint/1?x")]),
            Provenance::Trusted
        );
        assert_eq!(
            provenance(&[("referer", "http://app.local:8080.evil.example/")]),
            Provenance::OtherSite { origin: None }
        );
        assert_eq!(
            provenance(&[("referer", "http://board.local:30001/")]),
            Provenance::OtherSite { origin: None }
        );
        assert_eq!(provenance(&[("origin", "null")]), Provenance::Unstated);
        assert_eq!(provenance(&[]), Provenance::Unstated);
    }
}
