//! `/api/sprints` and `/api/sprints/{id}`.

use app::model::{Page, Sprint};
use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    actor, expected_version,
    input::{self, Input},
    list_scope, parse_id, project_field,
    query::{self, PageRequest, Query},
    renderer, route_both, versioned, write_error,
};
use crate::{
    domain::service::sprints::{self as service, Mode, SprintFields, SprintFilter},
    http::error::{AppError, FieldErrors},
    http::extract::CurrentUser,
    http::origin::RequestOrigin,
    http::state::AppState,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/sprints", get(list).post(create));
    route_both(
        router,
        "/api/sprints/{id}",
        get(retrieve).put(replace).patch(patch).delete(remove),
    )
}

fn parse_fields(input: &Input) -> Result<SprintFields, AppError> {
    let mut errors = FieldErrors::default();
    let fields = SprintFields {
        name: input.text("name", Some(100), &mut errors),
        description: input.text("description", None, &mut errors),
        end: match input.date("end", &mut errors) {
            Some(Some(end)) => Some(end),
            Some(None) => {
                errors.add("end", input::REQUIRED);
                None
            }
            None => None,
        },
        project: project_field(input, &mut errors),
    };
    errors.into_result()?;
    Ok(fields)
}

#[utoipa::path(get, path = "/api/sprints", tag = "sprints",
    params(
        ("end_min" = Option<String>, Query, description = "Sprints ending on or after this date (YYYY-MM-DD)"),
        ("end_max" = Option<String>, Query, description = "Sprints ending on or before this date"),
        ("search" = Option<String>, Query, description = "Terms that must all appear in the name"),
        ("ordering" = Option<String>, Query, description = "Comma list of `end`, `name`; `-` for descending"),
        ("page" = Option<String>, Query, description = "Page number, or `last`"),
        ("page_size" = Option<u32>, Query, description = "Items per page (default 25, at most 100)"),
        ("progress" = Option<bool>, Query, description = "`true`: each sprint also carries `progress`, its task count and how many are done"),
        ("project" = Option<i32>, Query, description = "Sprints of this project (one of yours; `current`: your default project); without it, those of all your projects that are not archived"),
    ),
    responses((status = 200, body = Page<Sprint>), (status = 400, description = "A filter value that does not parse, by parameter"), (status = 401)))]
async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = Query::parse(raw.as_deref());
    let mut errors = FieldErrors::default();
    let date_message = "Enter a valid date.";
    let projects = list_scope(&state, &caller, &query, &mut errors).await?;
    let filter = SprintFilter {
        projects,
        end_min: query::typed(
            &query,
            "end_min",
            date_message,
            &mut errors,
            input::parse_date,
        ),
        end_max: query::typed(
            &query,
            "end_max",
            date_message,
            &mut errors,
            input::parse_date,
        ),
        search: query::search_terms(&query),
        ordering: query::ordering(&query, &["end", "name"]),
    };
    let with_progress = query::typed(
        &query,
        "progress",
        "Enter True, False, true, false, 1 or 0.",
        &mut errors,
        query::parse_bool,
    )
    .unwrap_or(false);
    errors.into_result()?;
    let request = PageRequest::from_query(&query)?;
    let count = service::count(&state.db, &filter).await?;
    let page = request.resolve(count)?;
    let models = service::page(&state.db, &filter, (page - 1) * request.size, request.size).await?;
    let progress = if with_progress {
        let ids: Vec<i32> = models.iter().map(|model| model.id).collect();
        Some(service::progress(&state.db, &ids).await?)
    } else {
        None
    };
    let renderer = renderer(&state, &origin, &caller);
    let (next, previous) = request.links(page, count, &origin, "/api/sprints", &query);
    Ok(axum::Json(Page {
        count,
        next,
        previous,
        results: models
            .into_iter()
            .map(|model| {
                let id = model.id;
                let mut sprint = renderer.sprint(model);
                sprint.progress = progress
                    .as_ref()
                    .map(|all| all.get(&id).copied().unwrap_or_default());
                sprint
            })
            .collect::<Vec<Sprint>>(),
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/sprints/{id}", tag = "sprints",
    responses((status = 200, body = Sprint, description = "With an `ETag` of its version"), (status = 404)))]
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
    let sprint = renderer(&state, &origin, &caller).sprint(model);
    Ok(versioned(StatusCode::OK, &sprint, version, None))
}

#[utoipa::path(post, path = "/api/sprints", tag = "sprints",
    request_body(content = crate::http::api::openapi::SprintInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    responses((status = 201, body = Sprint), (status = 400, description = "`{\"field\": [\"message\"]}`")))]
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
        .map_err(|e| write_error(e, |m| json_of(&renderer.sprint(m))))?;
    let version = model.version;
    let sprint = renderer.sprint(model);
    Ok(versioned(
        StatusCode::CREATED,
        &sprint,
        version,
        Some(&sprint.links.self_),
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
        .map_err(|e| write_error(e, |m| json_of(&renderer.sprint(m))))?;
    let version = model.version;
    Ok(versioned(
        StatusCode::OK,
        &renderer.sprint(model),
        version,
        None,
    ))
}

#[utoipa::path(put, path = "/api/sprints/{id}", tag = "sprints",
    request_body(content = crate::http::api::openapi::SprintInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    params(("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Sprint), (status = 400), (status = 404), (status = 412, body = Sprint, description = "Stale version: the current sprint")))]
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

#[utoipa::path(patch, path = "/api/sprints/{id}", tag = "sprints",
    request_body(content = crate::http::api::openapi::SprintInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    params(("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Sprint), (status = 400), (status = 404), (status = 412, body = Sprint)))]
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

#[utoipa::path(delete, path = "/api/sprints/{id}", tag = "sprints",
    description = "Deletes the sprint; its tasks return to the backlog (Not Started).",
    responses((status = 204), (status = 404), (status = 412, body = Sprint)))]
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
        .map_err(|e| write_error(e, |m| json_of(&renderer.sprint(m))))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
