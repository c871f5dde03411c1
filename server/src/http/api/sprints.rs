//! `/api/sprints` and `/api/sprints/{id}`.

use app::model::{Page, Sprint, TaskStatus, WipLimits};
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
    let router = route_both(
        router,
        "/api/sprints/{id}/complete",
        axum::routing::post(complete),
    );
    let router = route_both(
        router,
        "/api/sprints/{id}/reopen",
        axum::routing::post(reopen),
    );
    route_both(
        router,
        "/api/sprints/{id}",
        get(retrieve).put(replace).patch(patch).delete(remove),
    )
}

const LIMITS_SHAPE: &str =
    "Expected limits by status number, like {\"2\": 3, \"3\": 2} (null or 0: no limit).";

/// `wip_limits`: `{"2": 3}`, as JSON or (from a form) as JSON text; null, empty or 0 means no
/// limit for that column.
fn parse_wip_limits(input: &Input, errors: &mut FieldErrors) -> Option<WipLimits> {
    let parsed;
    let object = match input.get("wip_limits") {
        input::Field::Absent => return None,
        input::Field::Null => return Some(WipLimits::default()),
        input::Field::Value(serde_json::Value::String(text)) => {
            parsed = serde_json::from_str::<serde_json::Value>(text).ok();
            parsed.as_ref().and_then(|value| value.as_object())
        }
        input::Field::Value(value) => value.as_object(),
    };
    let Some(object) = object else {
        errors.add("wip_limits", LIMITS_SHAPE);
        return None;
    };
    let mut limits = Vec::new();
    for (key, value) in object {
        let status = key
            .trim()
            .parse::<i16>()
            .ok()
            .and_then(|code| TaskStatus::try_from(code).ok());
        let Some(status) = status else {
            errors.add(
                "wip_limits",
                format!("\"{key}\" is not a status: use 1, 2, 3 or 4."),
            );
            continue;
        };
        match value {
            serde_json::Value::Null => continue,
            value => match input::as_integer(value).and_then(|n| u16::try_from(n).ok()) {
                Some(0) => continue,
                Some(limit) if limit <= MAX_WIP_LIMIT => limits.push((status, limit)),
                _ => errors.add(
                    "wip_limits",
                    format!(
                        "The limit of {} must be a whole number from 1 to {MAX_WIP_LIMIT}.",
                        status.column_title()
                    ),
                ),
            },
        }
    }
    Some(WipLimits(limits))
}

/// The largest work-in-progress limit a column may have.
const MAX_WIP_LIMIT: u16 = 999;

fn parse_fields(input: &Input) -> Result<SprintFields, AppError> {
    let mut errors = FieldErrors::default();
    let fields = SprintFields {
        start: match input.date("start", &mut errors) {
            Some(Some(start)) => Some(start),
            Some(None) => {
                errors.add("start", "This field may not be null.");
                None
            }
            None => None,
        },
        goal: input.text("goal", None, &mut errors),
        wip_limits: parse_wip_limits(input, &mut errors),
        wip_strict: input.boolean("wip_strict", &mut errors),
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
        ("page_size" = Option<String>, Query, description = "Items per page: a whole number; above 100 counts as 100, and anything else (0, a word) as the default, 25"),
        ("progress" = Option<bool>, Query, description = "`true`: each sprint also carries `progress`, its task count and how many are done"),
        ("project" = Option<String>, Query, description = "Sprints of this project: its id (one of yours), or `current` (your default project). Without it, those of all your projects that are not archived"),
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
    description = "Deletes the sprint; its tasks return to the backlog (Not Started). A completed sprint must be reopened first.",
    responses((status = 204), (status = 400, description = "The sprint is completed"), (status = 404), (status = 412, body = Sprint)))]
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

#[utoipa::path(post, path = "/api/sprints/{id}/complete", tag = "sprints",
    description = "Completes the sprint: its done tasks stay, every other task moves to `carry_over` (the backlog, as Not Started; or another sprint of the project that is not completed, keeping its status, at the end of its column), its report and burndown are frozen, and it and its tasks are read-only until reopened. One transaction; one logged change per moved task.",
    request_body(content = crate::http::api::openapi::CompleteInput, content_type = "application/json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Sprint, description = "The completed sprint"), (status = 400, description = "`{\"carry_over\": [\"message\"]}`, or the sprint is completed already"), (status = 403, description = "A viewer, or an archived project"), (status = 404), (status = 412, body = Sprint)))]
async fn complete(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
    input: Input,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let expected = expected_version(&headers, Some(&input))?;
    let to = match input.get("carry_over") {
        input::Field::Absent | input::Field::Null => {
            return Err(AppError::Validation(FieldErrors::single(
                "carry_over",
                input::REQUIRED,
            )));
        }
        input::Field::Value(serde_json::Value::String(text)) if text == "backlog" => {
            service::CarryOver::Backlog
        }
        input::Field::Value(value) => {
            match input::as_integer(value).and_then(|n| i32::try_from(n).ok()) {
                Some(sprint) => service::CarryOver::Sprint(sprint),
                None => {
                    return Err(AppError::Validation(FieldErrors::single(
                        "carry_over",
                        service::CARRY_OVER_CHOICES,
                    )));
                }
            }
        }
    };
    let renderer = renderer(&state, &origin, &caller);
    let (model, _) = service::complete(
        &state.store,
        &actor(&caller),
        id,
        to,
        &state.config.working_days,
        expected,
    )
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

#[utoipa::path(post, path = "/api/sprints/{id}/reopen", tag = "sprints",
    description = "Reopens a completed sprint (project owners only): it and its tasks can change again, and its report is computed afresh. Tasks it carried over stay where they went.",
    params(("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Sprint), (status = 400, description = "The sprint is not completed"), (status = 403, description = "Not an owner"), (status = 404), (status = 412, body = Sprint)))]
async fn reopen(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let expected = expected_version(&headers, None)?;
    let renderer = renderer(&state, &origin, &caller);
    let model = service::reopen(&state.store, &actor(&caller), id, expected)
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

pub(super) fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
