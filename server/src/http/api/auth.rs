//! Signing in and out: `POST/DELETE /api/token/` for scripts (the book's token endpoint, with
//! revocation) and `GET/POST/DELETE /api/session` for the browser (an HttpOnly cookie).
//! Both sign-ins re-hash a password stored with older argon2 settings. And a person's own
//! password: `POST /api/me/password`.

use app::model::SessionInfo;
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::json;

use super::{input::Input, route_both};
use crate::domain::{log::Actor, render::Renderer};
use crate::{
    domain::accounts::{password, sessions, tokens},
    domain::db::entities::user,
    http::error::{AppError, FieldErrors},
    http::extract::{AuthMethod, CurrentUser, verify_credentials},
    http::origin::RequestOrigin,
    http::state::AppState,
};

pub const BAD_CREDENTIALS: &str = "Unable to login with provided credentials.";
pub const DISABLED: &str = "User account is disabled.";

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(
        router,
        "/api/token",
        post(obtain_token).delete(revoke_token),
    );
    let router = route_both(
        router,
        "/api/session",
        get(current_session).post(login).delete(logout),
    );
    let router = route_both(router, "/api/me/password", post(change_password));
    route_both(
        router,
        "/api/me/sessions",
        get(my_sessions).delete(sign_out_everywhere),
    )
}

/// How many hex digits of a session's digest name it in `GET /api/me/sessions`.
const SESSION_HANDLE_LEN: usize = 12;

/// `GET /api/me/sessions`: the caller's browser sessions, newest first, the one this request
/// came with marked `current`.
#[utoipa::path(get, path = "/api/me/sessions", tag = "auth",
    responses((status = 200, body = Vec<app::model::SessionSummary>), (status = 401)))]
async fn my_sessions(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<Response, AppError> {
    let current = caller
        .session_id()
        .map(crate::domain::accounts::secrets::digest);
    let listed: Vec<app::model::SessionSummary> = sessions::of_user(&state.db, caller.user.id)
        .await?
        .into_iter()
        .map(|session| app::model::SessionSummary {
            id: session.id_hash.chars().take(SESSION_HANDLE_LEN).collect(),
            created: crate::domain::render::timestamp(session.created),
            expires: crate::domain::render::timestamp(session.expires),
            current: current.as_deref() == Some(session.id_hash.as_str()),
        })
        .collect();
    Ok(Json(listed).into_response())
}

/// `DELETE /api/me/sessions`: "sign out everywhere": every browser session of the caller
/// ends, this one too (its cookie is cleared). API tokens are revoked one by one
/// (`DELETE /api/token/`).
#[utoipa::path(delete, path = "/api/me/sessions", tag = "auth",
    responses((status = 204, description = "Every session of the caller has ended"), (status = 401)))]
async fn sign_out_everywhere(
    State(state): State<AppState>,
    origin: RequestOrigin,
    caller: CurrentUser,
) -> Result<Response, AppError> {
    {
        let _gate = state.write_gate().await;
        sessions::delete_others(&state.db, caller.user.id, None).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if matches!(caller.method, AuthMethod::Session { .. }) {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, clearing_cookie(&state, &origin)?);
    }
    Ok(response)
}

/// `POST /api/me/password`: a new password for the caller, who proves it is them with the
/// current one (Django's `old_password`, `new_password1`, `new_password2`). Every other
/// session of theirs ends (a browser signed in elsewhere, by someone who knew the old
/// password, is signed out); the one asking stays signed in, and API tokens are left to their
/// own revocation.
#[utoipa::path(post, path = "/api/me/password", tag = "auth",
    request_body(content = crate::http::api::openapi::PasswordChange, content_type = "application/json"),
    responses((status = 204, description = "Changed; the caller's other sessions are ended"), (status = 400), (status = 401), (status = 429)))]
async fn change_password(
    State(state): State<AppState>,
    origin: RequestOrigin,
    caller: CurrentUser,
    input: Input,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let old = required(&input, "old_password", &mut errors);
    let new = required(&input, "new_password1", &mut errors);
    let again = required(&input, "new_password2", &mut errors);
    errors.into_result()?;
    replace_password(&state, &origin, &caller, &old, &new, &again).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Replaces the caller's password after checking the current one (throttled as a sign-in)
/// and the new one's rules; every other session of theirs ends in the same transaction (the
/// one asking stays signed in; API tokens are left to their own revocation). Refusals are
/// field errors under Django's names (`old_password`, `new_password2`).
pub async fn replace_password(
    state: &AppState,
    origin: &RequestOrigin,
    caller: &CurrentUser,
    old: &str,
    new: &str,
    again: &str,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    let username = caller.user.username.clone();
    if verify_credentials(state, origin, &username, old)
        .await?
        .is_none()
    {
        errors.add(
            "old_password",
            "Your old password was entered incorrectly. Please enter it again.",
        );
    } else if new != again {
        errors.add("new_password2", "The two password fields didn’t match.");
    } else if let Some(weakness) = password::weakness(&username, new) {
        errors.add("new_password2", weakness);
    }
    errors.into_result()?;
    let hash = password::hash(new.to_owned())
        .await
        .map_err(AppError::Internal)?;
    let keep = caller.session_id();
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set, TransactionTrait};
    let _gate = state.write_gate().await;
    let txn = state.db.begin().await?;
    let mut changed = caller.user.clone().into_active_model();
    changed.password_hash = Set(hash);
    changed.update(&txn).await?;
    sessions::delete_others(&txn, caller.user.id, keep).await?;
    txn.commit().await?;
    Ok(())
}

/// A text field that must not be empty, with DRF's message when it is.
fn required(input: &Input, name: &str, errors: &mut FieldErrors) -> String {
    let value = input.text(name, None, errors).unwrap_or_default();
    if value.is_empty() {
        errors.add(name, "This field is required.");
    }
    value
}

/// A new browser session for `user_id`, in place of `replacing` (the browser's old one, so
/// the id changes on every sign-in), and the `Set-Cookie` value that hands it over.
pub async fn start_session(
    state: &AppState,
    origin: &RequestOrigin,
    user_id: i32,
    replacing: Option<&str>,
) -> Result<(sessions::NewSession, HeaderValue), AppError> {
    let session = {
        let _gate = state.write_gate().await;
        if let Some(old) = replacing {
            sessions::delete(&state.db, old).await?;
        }
        sessions::create(&state.db, user_id, state.config.session_ttl).await?
    };
    let cookie = sessions::cookie(
        &session.id,
        state.config.session_ttl,
        origin.is_secure() || state.config.secure_cookies(),
        &state.config.base_path,
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.into()))?;
    Ok((session, cookie))
}

/// The `Set-Cookie` value that removes the session cookie from the browser.
fn clearing_cookie(state: &AppState, origin: &RequestOrigin) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&sessions::clearing_cookie(
        origin.is_secure() || state.config.secure_cookies(),
        &state.config.base_path,
    ))
    .map_err(|e| AppError::Internal(e.into()))
}

/// Reads `username` and `password` with DRF's messages, then checks them (throttled).
async fn authenticate(
    state: &AppState,
    origin: &RequestOrigin,
    input: &Input,
) -> Result<user::Model, AppError> {
    let mut errors = FieldErrors::default();
    let username = required(input, "username", &mut errors);
    let password = required(input, "password", &mut errors);
    errors.into_result()?;
    let user = verify_credentials(state, origin, &username, &password)
        .await?
        .ok_or_else(|| {
            AppError::Validation(FieldErrors::single(FieldErrors::NON_FIELD, BAD_CREDENTIALS))
        })?;
    if !user.is_active {
        return Err(AppError::Validation(FieldErrors::single(
            FieldErrors::NON_FIELD,
            DISABLED,
        )));
    }
    if password::needs_rehash(&user.password_hash) {
        rehash(state, &user, password).await;
    }
    Ok(user)
}

/// Stores a hash of `password` made with the current argon2 settings, unless the password
/// changed meanwhile. Best effort: the sign-in succeeds whatever happens here.
async fn rehash(state: &AppState, user: &user::Model, password: String) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

    let new_hash = {
        // Hashing holds as much memory as checking: take a place among the concurrent checks.
        let Ok(Ok(_permit)) = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            state.password_checks.acquire(),
        )
        .await
        else {
            return;
        };
        match password::hash(password).await {
            Ok(new_hash) => new_hash,
            Err(error) => {
                tracing::warn!(user = user.id, %error, "re-hashing a password failed");
                return;
            }
        }
    };
    let _gate = state.write_gate().await;
    let updated = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(new_hash))
        .filter(user::Column::Id.eq(user.id))
        .filter(user::Column::PasswordHash.eq(user.password_hash.as_str()))
        .exec(&state.db)
        .await;
    match updated {
        Ok(_) => tracing::info!(
            user = user.id,
            "password re-hashed with the current settings"
        ),
        Err(error) => tracing::warn!(user = user.id, %error, "storing a re-hashed password failed"),
    }
}

/// `POST /api/token/`: `{"token": key}` for a username and password. Every call issues a new
/// key (only its digest is stored, so an old key cannot be handed out again).
#[utoipa::path(post, path = "/api/token/", tag = "auth", security(()),
    request_body(content = crate::http::api::openapi::Credentials, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    responses((status = 200, description = "`{\"token\": \"<40 hex>\"}`"), (status = 400, description = "Missing fields or bad credentials"), (status = 429, description = "Too many failures; see Retry-After")))]
async fn obtain_token(
    State(state): State<AppState>,
    origin: RequestOrigin,
    input: Input,
) -> Result<Response, AppError> {
    let user = authenticate(&state, &origin, &input).await?;
    let key = {
        // SQLite has one writer at a time: every write queues at the gate.
        let _gate = state.write_gate().await;
        tokens::issue(&state.db, user.id, state.config.token_ttl).await?
    };
    Ok(Json(json!({ "token": key })).into_response())
}

/// `DELETE /api/token/`: revokes the token that authenticated this request.
#[utoipa::path(delete, path = "/api/token/", tag = "auth",
    responses((status = 204, description = "The token used for this request no longer works")))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<Response, AppError> {
    match caller.method {
        AuthMethod::Token { key_hash } => {
            {
                let _gate = state.write_gate().await;
                tokens::revoke(&state.db, &key_hash).await?;
            }
            if let Some(cache) = &state.token_cache {
                cache.forget(&key_hash);
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(AppError::BadRequest(
            "Only a request authenticated with a token can revoke it.".into(),
        )),
    }
}

/// What the header's link to the projects page says for someone in no project.
const NO_PROJECT_NAME: &str = "Projects";

async fn session_info(
    state: &AppState,
    origin: &RequestOrigin,
    user: user::Model,
    csrf_token: String,
) -> Result<SessionInfo, AppError> {
    let renderer = Renderer::for_request(
        origin.site(),
        origin.ws_url(""),
        state.config.secret_key.as_bytes(),
        Some(user.id),
        state.store.today(),
    );
    let current =
        crate::domain::service::projects::current(&state.db, &Actor::person(&user)).await?;
    let read_only = current.as_ref().is_some_and(|(project, role)| {
        project.archived || *role == crate::domain::permissions::Role::Viewer
    });
    let (project, project_name) = current.map_or_else(
        || (None, NO_PROJECT_NAME.to_owned()),
        |(project, _)| (Some(project.id), project.name),
    );
    Ok(SessionInfo {
        user: renderer.user(user),
        csrf_token,
        project,
        project_name,
        read_only,
    })
}

/// `GET /api/session`: the signed-in person, or 401.
#[utoipa::path(get, path = "/api/session", tag = "auth", security(()),
    responses((status = 200, body = SessionInfo), (status = 401)))]
async fn current_session(
    State(state): State<AppState>,
    origin: RequestOrigin,
    caller: CurrentUser,
) -> Result<Response, AppError> {
    let AuthMethod::Session { csrf_token, .. } = caller.method else {
        return Err(AppError::Unauthorized(
            crate::http::extract::NOT_AUTHENTICATED,
        ));
    };
    Ok(Json(session_info(&state, &origin, caller.user, csrf_token).await?).into_response())
}

/// `POST /api/session`: signs in and sets the cookie. Any session the browser already had is
/// deleted first, so the id changes on every login.
#[utoipa::path(post, path = "/api/session", tag = "auth", security(()),
    request_body(content = crate::http::api::openapi::Credentials, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    responses((status = 200, body = SessionInfo, description = "Sets the HttpOnly session cookie"), (status = 400), (status = 429)))]
async fn login(
    State(state): State<AppState>,
    origin: RequestOrigin,
    headers: HeaderMap,
    input: Input,
) -> Result<Response, AppError> {
    // Login CSRF: another site must not sign this browser into an account of its choosing.
    // Scripts send no Origin or Referer and are unaffected; the client-side build on a trusted
    // origin signs in from there.
    crate::http::extract::reject_foreign_origin(
        &headers,
        &origin,
        &state.config.cors_allowed_origins,
    )?;
    let user = authenticate(&state, &origin, &input).await?;
    let (session, cookie) = start_session(
        &state,
        &origin,
        user.id,
        sessions::id_from_headers(&headers),
    )
    .await?;
    let mut response =
        Json(session_info(&state, &origin, user, session.csrf_token).await?).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `DELETE /api/session`: ends the session on the server and clears the cookie.
#[utoipa::path(delete, path = "/api/session", tag = "auth", security(()),
    responses((status = 204, description = "The session is deleted on the server")))]
async fn logout(
    State(state): State<AppState>,
    origin: RequestOrigin,
    caller: CurrentUser,
) -> Result<Response, AppError> {
    if let AuthMethod::Session { id, .. } = &caller.method {
        let _gate = state.write_gate().await;
        sessions::delete(&state.db, id).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clearing_cookie(&state, &origin)?);
    Ok(response)
}
