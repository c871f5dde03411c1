//! `/api/labels` and `/api/labels/{id}`: the labels tasks carry (`labels` on a task).

use app::model::{Label, Page};
use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use sea_orm::{PaginatorTrait, QuerySelect};

use super::{
    actor, expected_version,
    input::Input,
    list_scope, parse_id, project_field,
    query::{PageRequest, Query},
    renderer, route_both,
    sprints::json_of,
    versioned, write_error,
};
use crate::{
    domain::service::labels::{self as service, LabelFields, Mode},
    http::error::{AppError, FieldErrors},
    http::extract::CurrentUser,
    http::origin::RequestOrigin,
    http::state::AppState,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/labels", get(list).post(create));
    route_both(
        router,
        "/api/labels/{id}",
        get(retrieve).put(replace).patch(patch).delete(remove),
    )
}

fn parse_fields(input: &Input) -> Result<LabelFields, AppError> {
    let mut errors = FieldErrors::default();
    let fields = LabelFields {
        name: input.text("name", Some(50), &mut errors),
        colour: input.text("colour", Some(16), &mut errors),
        project: project_field(input, &mut errors),
    };
    errors.into_result()?;
    Ok(fields)
}

#[utoipa::path(get, path = "/api/labels", tag = "labels",
    description = "The labels of your projects, by name (ignoring case).",
    params(
        ("project" = Option<i32>, Query, description = "Labels of this project (one of yours)"),
        ("page" = Option<String>, Query, description = "Page number, or `last`"),
        ("page_size" = Option<String>, Query, description = "Items per page: a whole number; above 100 counts as 100, and anything else (0, a word) as the default, 25"),
    ),
    responses((status = 200, body = Page<Label>), (status = 401), (status = 404, description = "A page past the last")))]
async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = Query::parse(raw.as_deref());
    let mut errors = FieldErrors::default();
    let projects = list_scope(&state, &caller, &query, &mut errors).await?;
    errors.into_result()?;
    let request = PageRequest::from_query(&query)?;
    let count = service::ordered(projects).count(&state.db).await?;
    let page = request.resolve(count)?;
    let models = service::ordered(projects)
        .offset((page - 1) * request.size)
        .limit(request.size)
        .all(&state.db)
        .await?;
    let renderer = renderer(&state, &origin, &caller);
    let (next, previous) = request.links(page, count, &origin, "/api/labels", &query);
    Ok(axum::Json(Page {
        count,
        next,
        previous,
        results: models
            .into_iter()
            .map(|m| renderer.label(m))
            .collect::<Vec<Label>>(),
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/labels/{id}", tag = "labels",
    params(("id" = i32, Path, description = "The label's id")),
    responses((status = 200, body = Label, description = "With an `ETag` of its version"), (status = 401), (status = 404)))]
async fn retrieve(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let model = service::find(&state.db, &actor(&caller), parse_id(&id)?)
        .await
        .map_err(super::read_error)?;
    let version = model.version;
    let label = renderer(&state, &origin, &caller).label(model);
    Ok(versioned(StatusCode::OK, &label, version, None))
}

#[utoipa::path(post, path = "/api/labels", tag = "labels",
    request_body(content = crate::http::api::openapi::LabelInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    responses((status = 201, body = Label), (status = 400, description = "`{\"field\": [\"message\"]}`: a missing or taken name, an unknown colour"), (status = 401)))]
async fn create(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    input: Input,
) -> Result<Response, AppError> {
    let fields = parse_fields(&input)?;
    let renderer = renderer(&state, &origin, &caller);
    let model = service::create(&state.store, &actor(&caller), fields)
        .await
        .map_err(|e| write_error(e, |m| json_of(&renderer.label(m))))?;
    let version = model.version;
    let label = renderer.label(model);
    Ok(versioned(
        StatusCode::CREATED,
        &label,
        version,
        Some(&label.links.self_),
    ))
}

async fn write(
    state: AppState,
    caller: CurrentUser,
    origin: RequestOrigin,
    id: String,
    headers: HeaderMap,
    input: Input,
    mode: Mode,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let expected = expected_version(&headers, Some(&input))?;
    let fields = parse_fields(&input)?;
    let renderer = renderer(&state, &origin, &caller);
    let model = service::update(&state.store, &actor(&caller), id, fields, mode, expected)
        .await
        .map_err(|e| write_error(e, |m| json_of(&renderer.label(m))))?;
    let version = model.version;
    Ok(versioned(
        StatusCode::OK,
        &renderer.label(model),
        version,
        None,
    ))
}

#[utoipa::path(put, path = "/api/labels/{id}", tag = "labels",
    request_body(content = crate::http::api::openapi::LabelInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    params(("id" = i32, Path, description = "The label's id"), ("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Label), (status = 400), (status = 401), (status = 404), (status = 412, body = Label, description = "Stale version: the current label")))]
async fn replace(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
    input: Input,
) -> Result<Response, AppError> {
    write(state, caller, origin, id, headers, input, Mode::Replace).await
}

#[utoipa::path(patch, path = "/api/labels/{id}", tag = "labels",
    request_body(content = crate::http::api::openapi::LabelInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    params(("id" = i32, Path, description = "The label's id"), ("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Label), (status = 400), (status = 401), (status = 404), (status = 412, body = Label)))]
async fn patch(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
    input: Input,
) -> Result<Response, AppError> {
    write(state, caller, origin, id, headers, input, Mode::Patch).await
}

#[utoipa::path(delete, path = "/api/labels/{id}", tag = "labels",
    description = "Deletes the label and takes it off every task that carried it (each such task gets its next version).",
    params(("id" = i32, Path, description = "The label's id"), ("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 204), (status = 401), (status = 404), (status = 412, body = Label)))]
async fn remove(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let expected = expected_version(&headers, None)?;
    let renderer = renderer(&state, &origin, &caller);
    service::delete(&state.store, &actor(&caller), parse_id(&id)?, expected)
        .await
        .map_err(|e| write_error(e, |m| json_of(&renderer.label(m))))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
