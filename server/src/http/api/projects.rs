//! `/api/projects` and `/api/projects/{id}/members`: a person's projects, and who is in each
//! with which role. The rules (who may do what, the last owner) are the domain's.
//!
//! - `GET /api/projects` (`?archived=true` adds archived ones), `POST` `{name, key}`;
//! - `GET`/`PATCH /api/projects/{id}` `{name, key, description, archived}`;
//! - `GET`/`POST /api/projects/{id}/members` `{user, role}`;
//! - `PATCH`/`DELETE /api/projects/{id}/members/{username}` `{role}`.

use app::model::{Member, Project};
use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, patch},
};

use super::{
    actor, expected_version, input::Input, parse_id, query, read_error, renderer, route_both,
    versioned, write_error,
};
use crate::{
    domain::{
        permissions::Role,
        service::projects::{self as service, ProjectFields},
    },
    http::{
        error::{AppError, FieldErrors},
        extract::CurrentUser,
        origin::RequestOrigin,
        state::AppState,
    },
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/projects", get(list).post(create));
    let router = route_both(router, "/api/projects/{id}", get(retrieve).patch(update));
    let router = route_both(
        router,
        "/api/projects/{id}/members",
        get(members).post(add_member),
    );
    route_both(
        router,
        "/api/projects/{id}/members/{username}",
        patch(change_role).delete(remove_member),
    )
}

fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

#[utoipa::path(get, path = "/api/projects", tag = "projects",
    params(("archived" = Option<bool>, Query, description = "`true`: archived projects too")),
    responses((status = 200, body = Vec<Project>), (status = 401)))]
async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = query::Query::parse(raw.as_deref());
    let mut errors = FieldErrors::default();
    let archived = query::typed(
        &query,
        "archived",
        "Enter True, False, true, false, 1 or 0.",
        &mut errors,
        query::parse_bool,
    )
    .unwrap_or(false);
    errors.into_result()?;
    let renderer = renderer(&state, &origin, &caller);
    let projects: Vec<Project> = service::list(&state.db, &actor(&caller), archived)
        .await?
        .into_iter()
        .map(|(model, role)| renderer.project(model, role))
        .collect();
    Ok(Json(projects).into_response())
}

fn parse_fields(input: &Input) -> Result<ProjectFields, AppError> {
    let mut errors = FieldErrors::default();
    let fields = ProjectFields {
        name: input.text("name", None, &mut errors),
        key: input.text("key", Some(10), &mut errors),
        description: input.text("description", Some(10_000), &mut errors),
        archived: input.boolean("archived", &mut errors),
        time_zone: input.text("time_zone", Some(64), &mut errors),
    };
    errors.into_result()?;
    Ok(fields)
}

#[utoipa::path(post, path = "/api/projects", tag = "projects",
    request_body(content = crate::http::api::openapi::ProjectInput, content_type = "application/json"),
    responses((status = 201, body = Project, description = "The caller is its owner"), (status = 400), (status = 401)))]
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
        .map_err(|e| write_error(e, |m| json_of(&m.id)))?;
    let version = model.version;
    let project = renderer.project(model, Role::Owner);
    Ok(versioned(
        StatusCode::CREATED,
        &project,
        version,
        Some(&project.links.self_),
    ))
}

#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects",
    responses((status = 200, body = Project), (status = 404, description = "No such project, or not one of yours")))]
async fn retrieve(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (model, role) = service::find(&state.db, &actor(&caller), parse_id(&id)?)
        .await
        .map_err(read_error)?;
    let version = model.version;
    let project = renderer(&state, &origin, &caller).project(model, role);
    Ok(versioned(StatusCode::OK, &project, version, None))
}

#[utoipa::path(patch, path = "/api/projects/{id}", tag = "projects",
    request_body(content = crate::http::api::openapi::ProjectInput, content_type = "application/json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one answers 412")),
    responses((status = 200, body = Project), (status = 400), (status = 403, description = "Not an owner"), (status = 404), (status = 412)))]
async fn update(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    headers: HeaderMap,
    input: Input,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let expected = expected_version(&headers, Some(&input))?;
    let fields = parse_fields(&input)?;
    let renderer = renderer(&state, &origin, &caller);
    let who = actor(&caller);
    let model = service::update(&state.store, &who, id, fields, expected)
        .await
        .map_err(|e| write_error(e, |m| json_of(&renderer.project(m, Role::Owner))))?;
    let version = model.version;
    // Only an owner may change a project (site administrators act as one).
    Ok(versioned(
        StatusCode::OK,
        &renderer.project(model, Role::Owner),
        version,
        None,
    ))
}

#[utoipa::path(get, path = "/api/projects/{id}/members", tag = "projects",
    responses((status = 200, body = Vec<Member>, description = "Owners first, then by username"), (status = 404)))]
async fn members(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let rows = service::members(&state.db, &actor(&caller), parse_id(&id)?)
        .await
        .map_err(read_error)?;
    let renderer = renderer(&state, &origin, &caller);
    let members: Vec<Member> = rows
        .iter()
        .map(|(member, user)| renderer.member(member, user))
        .collect();
    Ok(Json(members).into_response())
}

fn text_field(input: &Input, name: &str, errors: &mut FieldErrors) -> String {
    let text = input.text(name, Some(150), errors).unwrap_or_default();
    if text.trim().is_empty() && !errors.has(name) {
        errors.add(name, "This field is required.");
    }
    text.trim().to_owned()
}

#[utoipa::path(post, path = "/api/projects/{id}/members", tag = "projects",
    request_body(content = crate::http::api::openapi::MemberInput, content_type = "application/json"),
    responses((status = 201, body = Member), (status = 400), (status = 403, description = "Not an owner"), (status = 404)))]
async fn add_member(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    input: Input,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let mut errors = FieldErrors::default();
    let username = text_field(&input, "user", &mut errors);
    let role = text_field(&input, "role", &mut errors);
    errors.into_result()?;
    let (member, user) = service::add_member(&state.store, &actor(&caller), id, &username, &role)
        .await
        .map_err(read_error)?;
    let member = renderer(&state, &origin, &caller).member(&member, &user);
    let location = member.links.self_.clone();
    let mut response = (StatusCode::CREATED, Json(member)).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&location) {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, value);
    }
    Ok(response)
}

#[utoipa::path(patch, path = "/api/projects/{id}/members/{username}", tag = "projects",
    request_body(content = crate::http::api::openapi::RoleInput, content_type = "application/json"),
    responses((status = 200, body = Member), (status = 400, description = "Not a role, or the last owner"), (status = 403), (status = 404)))]
async fn change_role(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path((id, username)): Path<(String, String)>,
    input: Input,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let mut errors = FieldErrors::default();
    let role = text_field(&input, "role", &mut errors);
    errors.into_result()?;
    let (member, user) = service::change_role(&state.store, &actor(&caller), id, &username, &role)
        .await
        .map_err(read_error)?;
    Ok(Json(renderer(&state, &origin, &caller).member(&member, &user)).into_response())
}

#[utoipa::path(delete, path = "/api/projects/{id}/members/{username}", tag = "projects",
    description = "Owners remove anyone; anyone may remove themselves (leave). A project keeps at least one owner.",
    responses((status = 204), (status = 400, description = "The last owner"), (status = 403), (status = 404)))]
async fn remove_member(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path((id, username)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    service::remove_member(&state.store, &actor(&caller), id, &username)
        .await
        .map_err(read_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
