//! `/api/tasks`, `/api/tasks/{id}` and the atomic `/api/tasks/{id}/move`.

use app::model::{MoveTask, Page, Points, Task, TaskStatus};
use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::Value;

use super::{
    actor, expected_version,
    input::{Field, Input, as_integer, json_type_name},
    list_scope, parse_id, project_field,
    query::{self, PageNumber, PageRequest, Query},
    renderer, route_both,
    sprints::json_of,
    versioned, write_error,
};
use crate::{
    domain::service::{
        self,
        tasks::{self as tasks_service, Mode, Move, TaskFields, TaskFilter},
    },
    http::error::{AppError, FieldErrors},
    http::extract::CurrentUser,
    http::origin::RequestOrigin,
    http::state::AppState,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/tasks", get(list).post(create));
    let router = route_both(
        router,
        "/api/tasks/{id}",
        get(retrieve).put(replace).patch(patch).delete(remove),
    );
    route_both(router, "/api/tasks/{id}/move", post(move_task))
}

fn choice_error(value: &Value) -> String {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("Select a valid choice. {shown} is not one of the available choices.")
}

fn parse_status(input: &Input, errors: &mut FieldErrors) -> Option<TaskStatus> {
    match input.get("status") {
        Field::Absent | Field::Null => None,
        Field::Value(value) => {
            let status = as_integer(value)
                .and_then(|n| i16::try_from(n).ok())
                .and_then(|n| TaskStatus::try_from(n).ok());
            if status.is_none() {
                errors.add("status", choice_error(value));
            }
            status
        }
    }
}

/// `labels`: a JSON list of label ids; from a form, the key repeated (as the book's client
/// sends a list) or ids separated by commas. Null, an empty string or an empty list clears
/// them.
fn parse_labels(input: &Input, errors: &mut FieldErrors) -> Option<Vec<i32>> {
    let split = |text: &str| -> Vec<Value> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| Value::String(part.to_owned()))
            .collect()
    };
    let values: Vec<Value> = match input.get("labels") {
        Field::Absent => return None,
        Field::Null => return Some(Vec::new()),
        Field::Value(Value::Array(items)) => items
            .iter()
            .flat_map(|item| match item {
                Value::String(text) => split(text),
                other => vec![other.clone()],
            })
            .collect(),
        Field::Value(Value::String(text)) => split(text),
        Field::Value(other) => {
            errors.add(
                "labels",
                format!(
                    "Expected a list of items but got type \"{}\".",
                    json_type_name(other)
                ),
            );
            return None;
        }
    };
    let mut ids = Vec::with_capacity(values.len());
    for value in &values {
        match as_integer(value).and_then(|n| i32::try_from(n).ok()) {
            Some(id) => ids.push(id),
            None => {
                errors.add(
                    "labels",
                    format!(
                        "Incorrect type. Expected pk value, received {}.",
                        json_type_name(value)
                    ),
                );
                return None;
            }
        }
    }
    Some(ids)
}

fn parse_fields(input: &Input) -> Result<TaskFields, AppError> {
    let mut errors = FieldErrors::default();
    let sprint = match input.get("sprint") {
        Field::Absent => None,
        Field::Null => Some(None),
        Field::Value(value) => match as_integer(value).and_then(|n| i32::try_from(n).ok()) {
            Some(id) => Some(Some(id)),
            None => {
                let kind = if value.is_string() { "str" } else { "unknown" };
                errors.add(
                    "sprint",
                    format!("Incorrect type. Expected pk value, received {kind}."),
                );
                None
            }
        },
    };
    let order = match input.integer("order", &mut errors) {
        Some(Some(n)) => match i16::try_from(n) {
            Ok(order) => Some(order),
            Err(_) => {
                let message = if n > 0 {
                    "Ensure this value is less than or equal to 32767."
                } else {
                    "Ensure this value is greater than or equal to -32768."
                };
                errors.add("order", message);
                None
            }
        },
        _ => None,
    };
    let fields = TaskFields {
        name: input.text("name", Some(100), &mut errors),
        description: input.text("description", None, &mut errors),
        sprint,
        status: parse_status(input, &mut errors),
        order,
        assigned: match input.get("assigned") {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(_) => input.text("assigned", Some(150), &mut errors).map(Some),
        },
        started: input.date("started", &mut errors),
        due: input.date("due", &mut errors),
        completed: input.date("completed", &mut errors),
        labels: parse_labels(input, &mut errors),
        project: project_field(input, &mut errors),
        points: parse_points(input, &mut errors),
    };
    errors.into_result()?;
    Ok(fields)
}

/// `points`: a number (or its text, from a form) from 0 to 1000 with at most one decimal;
/// null or empty clears it.
fn parse_points(input: &Input, errors: &mut FieldErrors) -> Option<Option<Points>> {
    let text = match input.get("points") {
        Field::Absent => return None,
        Field::Null => return Some(None),
        Field::Value(serde_json::Value::Number(number)) => number.to_string(),
        Field::Value(serde_json::Value::String(text)) => text.clone(),
        Field::Value(_) => {
            errors.add("points", Points::NOT_A_NUMBER);
            return None;
        }
    };
    match Points::parse(&text) {
        Ok(points) => Some(Some(points)),
        Err(message) => {
            errors.add("points", message);
            None
        }
    }
}

#[utoipa::path(get, path = "/api/tasks", tag = "tasks",
    params(
        ("sprint" = Option<i32>, Query, description = "Tasks of this sprint"),
        ("status" = Option<i16>, Query, description = "1 Not Started, 2 In Progress, 3 Testing, 4 Done"),
        ("assigned" = Option<String>, Query, description = "Tasks assigned to this username"),
        ("label" = Option<i32>, Query, description = "Tasks carrying this label (its id)"),
        ("project" = Option<String>, Query, description = "Tasks of this project: its id (one of yours), or `current` (your default project). Without it, those of all your projects that are not archived"),
        ("backlog" = Option<String>, Query, description = "True/False (also true/false/1/0): tasks without a sprint, or with one"),
        ("search" = Option<String>, Query, description = "Terms that must all appear in the name or description"),
        ("ordering" = Option<String>, Query, description = "Comma list of name, order, started, due, completed; `-` for descending. Default: order, then id"),
        ("page" = Option<String>, Query, description = "Page number, or `last`"),
        ("page_size" = Option<String>, Query, description = "Items per page: a whole number; above 100 counts as 100, and anything else (0, a word) as the default, 25"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`: every matching task (no pages) as a spreadsheet file, UTF-8 with a byte-order mark, text that would run as a formula prefixed with `'`"),
    ),
    responses(
        (status = 200, description = "A page of tasks, or the CSV file", content((Page<Task> = "application/json"), (String = "text/csv"))),
        (status = 400), (status = 401)))]
async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = Query::parse(raw.as_deref());
    let mut errors = FieldErrors::default();
    let projects = list_scope(&state, &caller, &query, &mut errors).await?;
    let sprint = query::typed(
        &query,
        "sprint",
        "Enter a whole number.",
        &mut errors,
        |t| t.parse::<i32>().ok(),
    );
    let status = query::typed(
        &query,
        "status",
        "Select a valid choice. That choice is not one of the available choices.",
        &mut errors,
        |t| {
            t.parse::<i16>()
                .ok()
                .and_then(|n| TaskStatus::try_from(n).ok())
        },
    );
    let backlog = query::typed(
        &query,
        "backlog",
        "Enter True, False, true, false, 1 or 0.",
        &mut errors,
        query::parse_bool,
    );
    let assigned_id = match query.get("assigned") {
        Some(username) => {
            match service::users::by_username(&state.db, &actor(&caller), username).await? {
                Some(user) => Some(user.id),
                None => {
                    errors.add(
                        "assigned",
                        "Select a valid choice. That choice is not one of the available choices.",
                    );
                    None
                }
            }
        }
        None => None,
    };
    let label = query::typed(
        &query,
        "label",
        "Select a valid choice. That choice is not one of the available choices.",
        &mut errors,
        |t| t.parse::<i32>().ok(),
    );
    if let Some(id) = label
        && !service::labels::exists(&state.db, projects, id).await?
    {
        errors.add(
            "label",
            "Select a valid choice. That choice is not one of the available choices.",
        );
    }
    let csv = match query.get("format") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            errors.add("format", "Choose json or csv.");
            false
        }
    };
    errors.into_result()?;
    let filter = TaskFilter {
        projects,
        sprint,
        status,
        assigned_id,
        label,
        backlog,
        search: query::search_terms(&query),
        ordering: query::ordering(&query, &["name", "order", "started", "due", "completed"]),
    };
    if csv {
        // Every matching task, in one file: a spreadsheet has no pages.
        let count = tasks_service::count(&state.db, &filter).await?;
        let models = tasks_service::page(&state.db, &filter, 0, count.max(1)).await?;
        let file = super::spreadsheet::tasks_csv(&state.db, &models).await?;
        let name = match (sprint, backlog) {
            (Some(id), _) => format!("tasks-sprint-{id}.csv"),
            (None, Some(true)) => "tasks-backlog.csv".to_owned(),
            _ => "tasks.csv".to_owned(),
        };
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/csv; charset=utf-8".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            file,
        )
            .into_response());
    }
    let request = PageRequest::from_query(&query)?;
    // A numbered page comes with the count in one query; the last page (and a number too large
    // for any table) needs the count first.
    let numbered = match request.page {
        PageNumber::Number(number) => (number - 1)
            .checked_mul(request.size)
            .filter(|offset| i64::try_from(*offset).is_ok()),
        PageNumber::Last => None,
    };
    let (count, page, models) = match numbered {
        Some(offset) => {
            let (models, count) =
                tasks_service::page_counted(&state.db, &filter, offset, request.size).await?;
            let count = match count {
                Some(count) => count,
                // An empty page: nothing matches (page 1 is still a page), or past the end.
                None => tasks_service::count(&state.db, &filter).await?,
            };
            (count, request.resolve(count)?, models)
        }
        None => {
            let count = tasks_service::count(&state.db, &filter).await?;
            let page = request.resolve(count)?;
            let offset = (page - 1) * request.size;
            let models = tasks_service::page(&state.db, &filter, offset, request.size).await?;
            (count, page, models)
        }
    };
    let renderer = renderer(&state, &origin, &caller);
    let results = models
        .into_iter()
        .map(|saved| renderer.task(saved.task, saved.assignee))
        .collect();
    let (next, previous) = request.links(page, count, &origin, "/api/tasks", &query);
    Ok(axum::Json(Page {
        count,
        next,
        previous,
        results,
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks",
    responses((status = 200, body = Task), (status = 404)))]
async fn retrieve(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let model = tasks_service::find(&state.db, &actor(&caller), parse_id(&id)?)
        .await
        .map_err(super::read_error)?;
    let version = model.version;
    let task = renderer(&state, &origin, &caller)
        .one_task(&state.db, model)
        .await?;
    Ok(versioned(StatusCode::OK, &task, version, None))
}

/// Renders the current object of a stale write for the 412 body.
async fn current_json(
    state: &AppState,
    origin: &RequestOrigin,
    caller: &CurrentUser,
    error: service::WriteError<crate::domain::db::entities::task::Model>,
) -> AppError {
    match error {
        service::WriteError::Stale(model) => {
            match renderer(state, origin, caller)
                .one_task(&state.db, *model)
                .await
            {
                Ok(task) => AppError::PreconditionFailed(json_of(&task)),
                Err(db) => AppError::Db(db),
            }
        }
        other => write_error(other, |_| Value::Null),
    }
}

#[utoipa::path(post, path = "/api/tasks", tag = "tasks",
    request_body(content = crate::http::api::openapi::TaskInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    responses((status = 201, body = Task), (status = 400)))]
async fn create(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    input: Input,
) -> Result<Response, AppError> {
    let fields = parse_fields(&input)?;
    let created = match tasks_service::create(&state.store, &actor(&caller), fields).await {
        Ok(created) => created,
        Err(error) => return Err(current_json(&state, &origin, &caller, error).await),
    };
    let version = created.task.version;
    let task = renderer(&state, &origin, &caller).task(created.task, created.assignee);
    Ok(versioned(
        StatusCode::CREATED,
        &task,
        version,
        Some(&task.links.self_),
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
    let updated = match tasks_service::update(
        &state.store,
        &actor(&caller),
        id,
        fields,
        mode,
        expected,
    )
    .await
    {
        Ok(updated) => updated,
        Err(error) => return Err(current_json(&state, &origin, &caller, error).await),
    };
    let version = updated.task.version;
    let task = renderer(&state, &origin, &caller).task(updated.task, updated.assignee);
    Ok(versioned(StatusCode::OK, &task, version, None))
}

#[utoipa::path(put, path = "/api/tasks/{id}", tag = "tasks",
    request_body(content = crate::http::api::openapi::TaskInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    params(("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Task), (status = 400), (status = 404), (status = 412, body = Task)))]
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

#[utoipa::path(patch, path = "/api/tasks/{id}", tag = "tasks",
    request_body(content = crate::http::api::openapi::TaskInput, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    params(("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Task), (status = 400), (status = 404), (status = 412, body = Task)))]
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

#[utoipa::path(delete, path = "/api/tasks/{id}", tag = "tasks",
    responses((status = 204), (status = 404), (status = 412, body = Task)))]
async fn remove(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let expected = expected_version(&headers, None)?;
    match tasks_service::delete(&state.store, &actor(&caller), parse_id(&id)?, expected).await {
        Ok(_) => {}
        Err(error) => return Err(current_json(&state, &origin, &caller, error).await),
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/tasks/{id}/move` `{status, sprint, before}`: one call, one transaction.
#[utoipa::path(post, path = "/api/tasks/{id}/move", tag = "tasks",
    description = "Places the task in front of `before` (or at the end of the column) in one transaction, applying the started/completed rules.",
    request_body(content = MoveTask, content_type = "application/json", description = "JSON, or the same fields as application/x-www-form-urlencoded"),
    responses((status = 200, body = Task), (status = 400), (status = 404), (status = 412, body = Task)))]
async fn move_task(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
    input: Input,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let expected = expected_version(&headers, Some(&input))?;
    let mut errors = FieldErrors::default();
    let status = parse_status(&input, &mut errors);
    if status.is_none() && !errors.has("status") {
        errors.add("status", "This field is required.");
    }
    let mut reference = |name: &str| match input.get(name) {
        Field::Absent | Field::Null => None,
        Field::Value(value) => {
            let id = as_integer(value).and_then(|n| i32::try_from(n).ok());
            if id.is_none() {
                errors.add(name, "A valid integer is required.");
            }
            id
        }
    };
    let sprint = reference("sprint");
    let before = reference("before");
    errors.into_result()?;
    let target = Move {
        status: status.unwrap_or(TaskStatus::NotStarted),
        sprint,
        before,
        dates: None,
    };
    let moved =
        match tasks_service::move_task(&state.store, &actor(&caller), id, target, expected).await {
            Ok(moved) => moved,
            Err(error) => return Err(current_json(&state, &origin, &caller, error).await),
        };
    let version = moved.task.version;
    let task = renderer(&state, &origin, &caller).task(moved.task, moved.assignee);
    Ok(versioned(StatusCode::OK, &task, version, None))
}
