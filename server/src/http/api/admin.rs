//! `/api/admin/users`: the account administration for scripts, the same rules as the
//! `/admin/accounts` page (site administrators only, from `ADMIN_ALLOWED_NETS` when set).
//!
//! - `GET /api/admin/users`: every account.
//! - `POST /api/admin/users` `{username, email, is_superuser}`: invite; answers the account
//!   and a one-time link (valid 7 days) to hand its person.
//! - `PATCH /api/admin/users/{username}` `{is_active, is_superuser}`: deactivate or
//!   reactivate, grant or take site administration.
//! - `POST /api/admin/users/{username}/password-link`: a password-reset link (3 days).

use app::model::{Account, Invitation, PasswordLink};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};

use super::{input::Input, route_both};
use crate::{
    domain::{
        accounts::{
            admin::{self, AccountUpdate, AdminError},
            links::{self, NewLink},
            users::CreateUserError,
        },
        db::entities::user,
        render::timestamp,
    },
    http::{
        error::{AppError, FieldErrors},
        extract::SiteAdmin,
        origin::RequestOrigin,
        state::AppState,
    },
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/admin/users", get(list).post(invite));
    let router = route_both(
        router,
        "/api/admin/users/{username}",
        get(retrieve).patch(update),
    );
    route_both(
        router,
        "/api/admin/users/{username}/password-link",
        post(password_link),
    )
}

/// An account as administrators see it.
pub fn account(user: &user::Model) -> Account {
    Account {
        id: user.id,
        username: user.username.clone(),
        email: user.email.clone(),
        full_name: user.full_name(),
        is_active: user.is_active,
        is_superuser: user.is_superuser,
        awaiting_password: admin::awaiting_password(user),
        date_joined: timestamp(user.date_joined),
    }
}

/// The link to hand over: on `PUBLIC_URL` when set (an administrator may reach the server by
/// an address the person cannot), else on the address this request used.
pub fn password_link_of(state: &AppState, origin: &RequestOrigin, link: &NewLink) -> PasswordLink {
    let path = links::path(&link.key);
    let url = match &state.config.public_url {
        Some(public) => format!("{public}{}{path}", state.config.base_path),
        None => origin.url(&path),
    };
    PasswordLink {
        url,
        expires: timestamp(link.expires),
    }
}

/// A refused or failed administration, as the API answers it.
pub fn admin_error(error: AdminError) -> AppError {
    match error {
        AdminError::NoSuchAccount(_) => AppError::NotFound,
        AdminError::Refused(reason) => AppError::BadRequest(reason),
        AdminError::Create(CreateUserError::Invalid(message)) => {
            let mut errors = FieldErrors::default();
            errors.add(
                CreateUserError::field_of(&message),
                crate::http::forms::sentence(&message),
            );
            AppError::Validation(errors)
        }
        AdminError::Create(CreateUserError::Taken(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("username", "A user with that username already exists.");
            AppError::Validation(errors)
        }
        AdminError::Create(CreateUserError::NotFirst) => AppError::NotFound,
        AdminError::Create(CreateUserError::Db(error)) | AdminError::Db(error) => error.into(),
        AdminError::Create(CreateUserError::Internal(error)) => AppError::Internal(error),
    }
}

/// `GET /api/admin/users`: every account, in the order they joined.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    responses((status = 200, body = Vec<Account>), (status = 401), (status = 403)))]
async fn list(State(state): State<AppState>, _admin: SiteAdmin) -> Result<Response, AppError> {
    let accounts: Vec<Account> = admin::list(&state.db).await?.iter().map(account).collect();
    Ok(Json(accounts).into_response())
}

/// `GET /api/admin/users/{username}`.
#[utoipa::path(get, path = "/api/admin/users/{username}", tag = "admin",
    params(("username" = String, Path)),
    responses((status = 200, body = Account), (status = 401), (status = 403), (status = 404)))]
async fn retrieve(
    State(state): State<AppState>,
    _admin: SiteAdmin,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let found = admin::find(&state.db, &username)
        .await
        .map_err(admin_error)?;
    Ok(Json(account(&found)).into_response())
}

/// `POST /api/admin/users`: invites a colleague. The account exists at once, without a
/// password; the answer's link lets its person choose one (once, within 7 days).
#[utoipa::path(post, path = "/api/admin/users", tag = "admin",
    request_body(content = crate::http::api::openapi::InvitationInput, content_type = "application/json"),
    responses((status = 201, body = Invitation), (status = 400), (status = 401), (status = 403)))]
async fn invite(
    State(state): State<AppState>,
    SiteAdmin(caller): SiteAdmin,
    origin: RequestOrigin,
    input: Input,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let username = input
        .text("username", Some(150), &mut errors)
        .unwrap_or_default();
    if username.trim().is_empty() {
        errors.add("username", "This field is required.");
    }
    let email = input
        .text("email", Some(254), &mut errors)
        .unwrap_or_default();
    let is_superuser = input.boolean("is_superuser", &mut errors).unwrap_or(false);
    errors.into_result()?;
    let invitation = admin::invite(
        &state.store,
        &super::actor(&caller),
        username.trim(),
        email.trim(),
        is_superuser,
    )
    .await
    .map_err(admin_error)?;
    let body = Invitation {
        account: account(&invitation.user),
        password_link: password_link_of(&state, &origin, &invitation.link),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `PATCH /api/admin/users/{username}`: `is_active` (deactivating ends the account's
/// sessions, tokens and live streams) and `is_superuser`.
#[utoipa::path(patch, path = "/api/admin/users/{username}", tag = "admin",
    params(("username" = String, Path)),
    request_body(content = crate::http::api::openapi::AccountChange, content_type = "application/json"),
    responses((status = 200, body = Account), (status = 400), (status = 401), (status = 403), (status = 404)))]
async fn update(
    State(state): State<AppState>,
    SiteAdmin(caller): SiteAdmin,
    Path(username): Path<String>,
    input: Input,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let active = input.boolean("is_active", &mut errors);
    let superuser = input.boolean("is_superuser", &mut errors);
    errors.into_result()?;
    if active.is_none() && superuser.is_none() {
        return Err(AppError::BadRequest(
            "Send is_active or is_superuser (true or false).".into(),
        ));
    }
    let user = admin::change(
        &state.store,
        &super::actor(&caller),
        &username,
        AccountUpdate {
            is_active: active,
            is_superuser: superuser,
        },
    )
    .await
    .map_err(admin_error)?;
    state.account_changed(user.id);
    Ok(Json(account(&user)).into_response())
}

/// `POST /api/admin/users/{username}/password-link`: a link for the person to set a new
/// password (once, within 3 days); an earlier link stops working.
#[utoipa::path(post, path = "/api/admin/users/{username}/password-link", tag = "admin",
    params(("username" = String, Path)),
    responses((status = 201, body = PasswordLink), (status = 400), (status = 401), (status = 403), (status = 404)))]
async fn password_link(
    State(state): State<AppState>,
    SiteAdmin(caller): SiteAdmin,
    origin: RequestOrigin,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let link = admin::reset_link(&state.store, &super::actor(&caller), &username)
        .await
        .map_err(admin_error)?;
    Ok((
        StatusCode::CREATED,
        Json(password_link_of(&state, &origin, &link)),
    )
        .into_response())
}
