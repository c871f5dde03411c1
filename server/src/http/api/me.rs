//! The signed-in person's own account: `GET/PATCH /api/me` (names and email) and
//! `/api/me/tokens` (named personal API tokens with an optional expiry: list, create, revoke).
//! The password and browser sessions are in `auth` (`/api/me/password`, `/api/me/sessions`).

use app::model::{NewToken, Profile, TokenSummary};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{delete, get},
};

use super::{input::Input, route_both};
use crate::{
    domain::{
        accounts::{
            tokens,
            users::{self, ProfileError},
        },
        db::entities::{auth_token, user},
        render::timestamp,
    },
    http::{
        error::{AppError, FieldErrors},
        extract::{AuthMethod, CurrentUser},
        state::AppState,
    },
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/me", get(profile).patch(update_profile));
    let router = route_both(
        router,
        "/api/me/tokens",
        get(list_tokens).post(create_token),
    );
    route_both(router, "/api/me/tokens/{id}", delete(revoke_token))
}

pub fn profile_of(user: &user::Model) -> Profile {
    Profile {
        id: user.id,
        username: user.username.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        full_name: user.full_name(),
        email: user.email.clone(),
        default_project: user.default_project_id,
        is_superuser: user.is_superuser,
        date_joined: timestamp(user.date_joined),
    }
}

/// A token as its owner sees it; `current`: the digest this request came with.
pub fn token_summary(token: &auth_token::Model, current: Option<&str>) -> TokenSummary {
    TokenSummary {
        id: token.key_hash.chars().take(tokens::HANDLE_LEN).collect(),
        name: token.name.clone(),
        created: timestamp(token.created),
        expires: token.expires.map(timestamp),
        current: current == Some(token.key_hash.as_str()),
    }
}

/// `GET /api/me`.
#[utoipa::path(get, path = "/api/me", tag = "auth",
    responses((status = 200, body = Profile), (status = 401)))]
async fn profile(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<Json<Profile>, AppError> {
    // Read afresh: a token's user may come from the cache, as it was a few seconds ago.
    let user = <user::Entity as sea_orm::EntityTrait>::find_by_id(caller.user.id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(profile_of(&user)))
}

/// `PATCH /api/me`: `first_name`, `last_name`, `email`, `default_project` (each optional).
#[utoipa::path(patch, path = "/api/me", tag = "auth",
    request_body(content = crate::http::api::openapi::ProfileInput, content_type = "application/json"),
    responses((status = 200, body = Profile), (status = 400), (status = 401)))]
async fn update_profile(
    State(state): State<AppState>,
    caller: CurrentUser,
    input: Input,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let changes = users::Profile {
        first_name: input.text("first_name", None, &mut errors),
        last_name: input.text("last_name", None, &mut errors),
        email: input
            .text("email", Some(254), &mut errors)
            .map(|email| email.trim().to_owned()),
        default_project: match input.get("default_project") {
            super::input::Field::Absent => None,
            super::input::Field::Null => Some(None),
            super::input::Field::Value(_) => input
                .integer("default_project", &mut errors)
                // An id beyond any there can be names no project of theirs: refused as such.
                .map(|id| id.map(|id| i32::try_from(id).unwrap_or(-1))),
        },
    };
    errors.into_result()?;
    let saved = save_profile(&state, &caller.user, changes).await?;
    Ok(Json(profile_of(&saved)).into_response())
}

/// Saves a profile, its refusals as the API's field errors.
pub async fn save_profile(
    state: &AppState,
    user: &user::Model,
    changes: users::Profile,
) -> Result<user::Model, AppError> {
    match users::update_profile(&state.store, user, changes).await {
        Ok(saved) => {
            state.account_changed(saved.id);
            Ok(saved)
        }
        Err(ProfileError::Invalid(problems)) => {
            Err(AppError::Validation(problems.into_iter().collect()))
        }
        Err(ProfileError::Db(error)) => Err(error.into()),
    }
}

fn current_token(caller: &CurrentUser) -> Option<&str> {
    match &caller.method {
        AuthMethod::Token { key_hash } => Some(key_hash),
        _ => None,
    }
}

/// `GET /api/me/tokens`: the caller's tokens that still work, newest first.
#[utoipa::path(get, path = "/api/me/tokens", tag = "auth",
    responses((status = 200, body = Vec<TokenSummary>), (status = 401)))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<Response, AppError> {
    let listed: Vec<TokenSummary> = tokens::of_user(&state.db, caller.user.id)
        .await?
        .iter()
        .map(|token| token_summary(token, current_token(&caller)))
        .collect();
    Ok(Json(listed).into_response())
}

/// `POST /api/me/tokens`: `name` (required) and `expires_in_days` (1–366; absent or null:
/// until revoked). A site's `TOKEN_TTL` caps either. The key is in this answer only.
#[utoipa::path(post, path = "/api/me/tokens", tag = "auth",
    request_body(content = crate::http::api::openapi::TokenInput, content_type = "application/json"),
    responses((status = 201, body = NewToken), (status = 400), (status = 401)))]
async fn create_token(
    State(state): State<AppState>,
    caller: CurrentUser,
    input: Input,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let name = input.text("name", None, &mut errors).unwrap_or_default();
    let days = input.integer("expires_in_days", &mut errors).flatten();
    errors.into_result()?;
    let (name, ttl) = tokens::named_token_rules(&name, days, state.config.token_ttl)
        .map_err(|problems| AppError::Validation(problems.into_iter().collect()))?;
    let (key, token) = {
        let _gate = state.write_gate().await;
        tokens::issue_named(&state.db, caller.user.id, &name, ttl).await?
    };
    let body = NewToken {
        token: token_summary(&token, None),
        key,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `DELETE /api/me/tokens/{id}`: revokes one of the caller's tokens (404 for any other id).
#[utoipa::path(delete, path = "/api/me/tokens/{id}", tag = "auth",
    params(("id" = String, Path, description = "The token's `id` from the list")),
    responses((status = 204), (status = 401), (status = 404)))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    revoke_own(&state, caller.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Revokes `user_id`'s token named `id` (404 for any other), and forgets it at once.
pub async fn revoke_own(state: &AppState, user_id: i32, id: &str) -> Result<(), AppError> {
    let revoked = {
        let _gate = state.write_gate().await;
        tokens::revoke_by_handle(&state.db, user_id, id).await?
    };
    let key_hash = revoked.ok_or(AppError::NotFound)?;
    if let Some(cache) = &state.token_cache {
        cache.forget(&key_hash);
    }
    Ok(())
}
