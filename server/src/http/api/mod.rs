//! The REST API under `/api/`: the book's resources, links, filters and error shapes, plus the
//! additions that make it safe (versions, atomic moves, revocable tokens, sessions).
//!
//! Handlers are thin: parse the request, call `service`, render `app::model` types.

pub mod admin;
pub mod auth;
pub mod comments;
pub mod history;
pub mod input;
pub mod labels;
pub mod me;
pub mod openapi;
pub mod projects;
pub mod query;
pub mod reports;
pub mod spreadsheet;
pub mod sprints;
pub mod tasks;
pub mod transfer;
pub mod users;

use axum::{
    Json, Router,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{MethodRouter, get},
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    domain::{
        log::Actor,
        permissions::{self, Scope},
        render::Renderer,
        service::WriteError,
    },
    http::{error::AppError, extract::CurrentUser, origin::RequestOrigin, state::AppState},
};
use input::Input;

/// The API's routes (full paths). Every path answers with and without its trailing slash.
pub fn router() -> Router<AppState> {
    let router = route_both(Router::new(), "/api", get(api_root));
    let router = route_both(router, "/api/openapi.json", get(openapi::document));
    let router = route_both(router, "/api/docs", get(openapi::docs_page));
    let router = sprints::routes(router);
    let router = reports::routes(router);
    let router = tasks::routes(router);
    let router = projects::routes(router);
    let router = users::routes(router);
    let router = labels::routes(router);
    let router = comments::routes(router);
    let router = history::routes(router);
    let router = admin::routes(router);
    let router = me::routes(router);
    let router = transfer::routes(router);
    auth::routes(router)
        // Anything else under /api/ is an API 404 in JSON, never the site's HTML page.
        .route("/api/{*unknown}", axum::routing::any(unknown_endpoint))
        .layer(axum::extract::DefaultBodyLimit::max(input::MAX_BODY_BYTES))
}

async fn unknown_endpoint() -> AppError {
    AppError::NotFound
}

/// Registers `path` and `path/`: the book's chapter 4 clients use trailing slashes, chapter 6
/// clients do not, and both must work unchanged. Unrouted methods get DRF's 405 body.
fn route_both(
    router: Router<AppState>,
    path: &str,
    handler: MethodRouter<AppState>,
) -> Router<AppState> {
    let handler = handler.fallback(method_not_allowed);
    router
        .route(path, handler.clone())
        .route(&format!("{path}/"), handler)
}

/// DRF's 405, with `Allow` listing what the path really answers (as the OpenAPI document
/// says: the one list of operations, so the header cannot disagree with it).
pub(super) async fn method_not_allowed(
    method: Method,
    path: Option<axum::extract::MatchedPath>,
) -> Response {
    let allowed = path
        .map(|path| openapi::methods_of(path.as_str().trim_end_matches('/')))
        .unwrap_or_default();
    let mut response = AppError::MethodNotAllowed(method.to_string()).into_response();
    if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// `GET /api/`: the entry point a client discovers every collection from (no auth needed).
#[utoipa::path(get, path = "/api/", tag = "discovery", security(()),
    responses((status = 200, description = "Absolute URLs of the `sprints`, `tasks`, `users` and `labels` collections")))]
async fn api_root(origin: RequestOrigin) -> Json<Value> {
    Json(json!({
        "sprints": origin.url("/api/sprints"),
        "tasks": origin.url("/api/tasks"),
        "users": origin.url("/api/users"),
        "labels": origin.url("/api/labels"),
    }))
}

fn renderer<'a>(state: &'a AppState, origin: &RequestOrigin, caller: &CurrentUser) -> Renderer<'a> {
    Renderer::for_request(
        origin.site(),
        origin.ws_url(""),
        state.config.secret_key.as_bytes(),
        Some(caller.user.id),
        state.store.today(),
    )
}

/// An id from the path; anything that is not one names no object (404, as DRF).
fn parse_id(text: &str) -> Result<i32, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

/// A strong ETag for a version: `"3"`.
pub fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header")
}

/// The version a write expects, from `If-Match` (preferred) or the body's `version` field.
/// `If-Match: *` and a missing header/field mean "any version" (the book's clients).
pub fn expected_version(
    headers: &HeaderMap,
    input: Option<&Input>,
) -> Result<Option<i32>, AppError> {
    if let Some(value) = headers.get(header::IF_MATCH) {
        let text = value.to_str().unwrap_or("").trim();
        if text == "*" {
            return Ok(None);
        }
        let first = text.split(',').next().unwrap_or("").trim();
        // A weak or foreign tag can never match a strong comparison: treat it as stale.
        let version = first
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .and_then(|digits| digits.parse().ok())
            .unwrap_or(-1);
        return Ok(Some(version));
    }
    if let Some(input) = input {
        let mut errors = crate::http::error::FieldErrors::default();
        let version = input.integer("version", &mut errors);
        errors.into_result()?;
        if let Some(Some(version)) = version {
            return Ok(i32::try_from(version).ok().or(Some(-1)));
        }
    }
    Ok(None)
}

/// Maps a service failure to its HTTP answer; a stale write answers 412 with the current object.
pub fn write_error<M>(error: WriteError<M>, current: impl FnOnce(M) -> Value) -> AppError {
    match error {
        WriteError::NotFound => AppError::NotFound,
        WriteError::Invalid(errors) => AppError::Validation(errors),
        WriteError::Stale(model) => AppError::PreconditionFailed(current(*model)),
        WriteError::Forbidden(reason) => AppError::Forbidden(reason),
        WriteError::Db(error) => AppError::Db(error),
    }
}

/// A JSON body with its `ETag` (and `Location` when created).
pub fn versioned<T: Serialize>(
    status: StatusCode,
    body: &T,
    version: i32,
    location: Option<&str>,
) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::ETAG, etag(version));
    if let Some(location) = location
        && let Ok(value) = HeaderValue::from_str(location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Who is acting for a request: the person, with their standing on the site. The change log
/// names them; the domain checks their roles.
pub fn actor(caller: &CurrentUser) -> Actor {
    Actor::person(&caller.user)
}

/// A refused read: "not found", or "forbidden" with its reason (reads have no stale version).
pub fn read_error<M>(error: WriteError<M>) -> AppError {
    write_error(error, |_| Value::Null)
}

const NOT_A_CHOICE: &str =
    "Select a valid choice. That choice is not one of the available choices.";

/// The projects a list covers: `?project=<id>`, one the caller may read (any other is "not a
/// valid choice", whether it exists or not); `?project=current`, the caller's current (default)
/// project, as the board shows it; else all of the caller's projects that are not archived.
pub async fn list_scope(
    state: &AppState,
    caller: &CurrentUser,
    query: &query::Query,
    errors: &mut crate::http::error::FieldErrors,
) -> Result<Scope, AppError> {
    let who = actor(caller);
    let named = if query.get("project") == Some("current") {
        permissions::default_project(&state.db, &who, who.default_project).await?
    } else {
        query::typed(query, "project", NOT_A_CHOICE, errors, |t| {
            t.parse::<i32>().ok()
        })
    };
    Ok(match permissions::scope(&state.db, &who, named).await? {
        Ok(scope) => scope,
        Err(_) => {
            errors.add("project", NOT_A_CHOICE);
            Scope::One(0)
        }
    })
}

/// The `project` a write names: `None` when absent or null.
pub fn project_field(input: &Input, errors: &mut crate::http::error::FieldErrors) -> Option<i32> {
    match input.integer("project", errors) {
        Some(Some(id)) => match i32::try_from(id) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("project", "A valid integer is required.");
                None
            }
        },
        _ => None,
    }
}
