//! `/api/tasks/{id}/comments` (a task's thread: list, add) and `/api/comments/{id}` (read;
//! edit and delete by its author only).

use app::model::{Comment, Page};
use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    actor, expected_version,
    input::Input,
    parse_id,
    query::{PageRequest, Query},
    renderer, route_both,
    sprints::json_of,
    versioned, write_error,
};
use crate::{
    domain::service::comments as service,
    http::error::{AppError, FieldErrors},
    http::extract::CurrentUser,
    http::origin::RequestOrigin,
    http::state::AppState,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/tasks/{id}/comments", get(list).post(create));
    route_both(
        router,
        "/api/comments/{id}",
        get(retrieve).put(replace).patch(patch).delete(remove),
    )
}

/// `body`, as sent: its type and length checked here, the rest by the service.
fn parse_body(input: &Input) -> Result<Option<String>, AppError> {
    let mut errors = FieldErrors::default();
    let body = input.text("body", Some(service::MAX_LENGTH), &mut errors);
    errors.into_result()?;
    Ok(body)
}

#[utoipa::path(get, path = "/api/tasks/{id}/comments", tag = "comments",
    description = "The task's comments, oldest first.",
    params(
        ("id" = i32, Path, description = "The task's id"),
        ("page" = Option<String>, Query, description = "Page number, or `last`"),
        ("page_size" = Option<String>, Query, description = "Items per page: a whole number; above 100 counts as 100, and anything else (0, a word) as the default, 25"),
    ),
    responses((status = 200, body = Page<Comment>), (status = 401), (status = 404, description = "No such task, or a page past the last")))]
async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let task_id = parse_id(&id)?;
    crate::domain::service::tasks::find(&state.db, &actor(&caller), task_id)
        .await
        .map_err(super::read_error)?;
    let query = Query::parse(raw.as_deref());
    let request = PageRequest::from_query(&query)?;
    let count = service::count(&state.db, task_id).await?;
    let page = request.resolve(count)?;
    let saved = service::page(&state.db, task_id, (page - 1) * request.size, request.size).await?;
    let renderer = renderer(&state, &origin, &caller);
    let path = format!("/api/tasks/{task_id}/comments");
    let (next, previous) = request.links(page, count, &origin, &path, &query);
    Ok(axum::Json(Page {
        count,
        next,
        previous,
        results: saved
            .into_iter()
            .map(|s| renderer.comment(s.comment, s.author))
            .collect::<Vec<Comment>>(),
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/tasks/{id}/comments", tag = "comments",
    description = "Adds a comment to the task's thread, by the caller. `@username` of an account mentions that person.",
    params(("id" = i32, Path, description = "The task's id")),
    request_body(content = crate::http::api::openapi::CommentInput, content_type = "application/json", description = "JSON, or the same field as application/x-www-form-urlencoded"),
    responses((status = 201, body = Comment), (status = 400, description = "`{\"body\": [\"message\"]}`: missing, blank or too long"), (status = 401), (status = 404, description = "No such task")))]
async fn create(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    input: Input,
) -> Result<Response, AppError> {
    let task_id = parse_id(&id)?;
    let body = parse_body(&input)?;
    let renderer = renderer(&state, &origin, &caller);
    let saved = service::create(&state.store, &actor(&caller), task_id, body)
        .await
        .map_err(|e| write_error(e, |_| serde_json::Value::Null))?;
    let version = saved.comment.version;
    let comment = renderer.comment(saved.comment, saved.author);
    Ok(versioned(
        StatusCode::CREATED,
        &comment,
        version,
        Some(&comment.links.self_),
    ))
}

#[utoipa::path(get, path = "/api/comments/{id}", tag = "comments",
    params(("id" = i32, Path, description = "The comment's id")),
    responses((status = 200, body = Comment, description = "With an `ETag` of its version"), (status = 401), (status = 404)))]
async fn retrieve(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let saved = service::find(&state.db, &actor(&caller), parse_id(&id)?)
        .await
        .map_err(super::read_error)?;
    let version = saved.comment.version;
    let comment = renderer(&state, &origin, &caller).comment(saved.comment, saved.author);
    Ok(versioned(StatusCode::OK, &comment, version, None))
}

#[utoipa::path(put, path = "/api/comments/{id}", tag = "comments",
    description = "Changes the text of one of the caller's own comments (PATCH alike).",
    params(("id" = i32, Path, description = "The comment's id"), ("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    request_body(content = crate::http::api::openapi::CommentInput, content_type = "application/json", description = "JSON, or the same field as application/x-www-form-urlencoded"),
    responses((status = 200, body = Comment), (status = 400), (status = 401), (status = 403, description = "Someone else's comment"), (status = 404), (status = 412, body = Comment)))]
async fn replace(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
    input: Input,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let expected = expected_version(&headers, Some(&input))?;
    let body = parse_body(&input)?;
    let renderer = renderer(&state, &origin, &caller);
    let saved = service::update(&state.store, &actor(&caller), id, body, expected)
        .await
        .map_err(|e| stale_or(e, &renderer, &caller))?;
    let version = saved.comment.version;
    let comment = renderer.comment(saved.comment, saved.author);
    Ok(versioned(StatusCode::OK, &comment, version, None))
}

#[utoipa::path(patch, path = "/api/comments/{id}", tag = "comments",
    description = "As PUT: the text is the comment's only field.",
    params(("id" = i32, Path, description = "The comment's id"), ("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    request_body(content = crate::http::api::openapi::CommentInput, content_type = "application/json", description = "JSON, or the same field as application/x-www-form-urlencoded"),
    responses((status = 200, body = Comment), (status = 400), (status = 401), (status = 403, description = "Someone else's comment"), (status = 404), (status = 412, body = Comment)))]
async fn patch(
    state: State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    id: Path<String>,
    headers: HeaderMap,
    input: Input,
) -> Result<Response, AppError> {
    replace(state, caller, origin, id, headers, input).await
}

#[utoipa::path(delete, path = "/api/comments/{id}", tag = "comments",
    description = "Deletes one of the caller's own comments.",
    params(("id" = i32, Path, description = "The comment's id"), ("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 204), (status = 401), (status = 403, description = "Someone else's comment"), (status = 404), (status = 412, body = Comment)))]
async fn remove(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let expected = expected_version(&headers, None)?;
    let renderer = renderer(&state, &origin, &caller);
    service::delete(&state.store, &actor(&caller), id, expected)
        .await
        .map_err(|e| stale_or(e, &renderer, &caller))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A refused comment write as its answer; a stale one carries the comment as stored. Only its
/// author gets that far (anyone else is refused first), so its author is the caller.
fn stale_or(
    error: service::WriteErrorOf,
    renderer: &crate::domain::render::Renderer<'_>,
    caller: &CurrentUser,
) -> AppError {
    write_error(error, |model| {
        json_of(&renderer.comment(model, caller.user.username.clone()))
    })
}
