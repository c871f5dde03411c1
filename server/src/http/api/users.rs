//! `/api/users` and `/api/users/{username}`: read-only; writes answer 405.

use app::model::{Page, User};
use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    query::{self, PageRequest, Query},
    renderer, route_both,
};
use crate::{
    domain::service::users as service, http::error::AppError, http::extract::CurrentUser,
    http::origin::RequestOrigin, http::state::AppState,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(
        router,
        "/api/users",
        get(list)
            .post(read_only)
            .put(read_only)
            .patch(read_only)
            .delete(read_only),
    );
    route_both(
        router,
        "/api/users/{username}",
        get(retrieve)
            .post(read_only)
            .put(read_only)
            .patch(read_only)
            .delete(read_only),
    )
}

/// Users are read-only through the API: 405, but only after authentication (as DRF), so an
/// anonymous caller learns nothing beyond "authenticate".
async fn read_only(
    _caller: CurrentUser,
    method: axum::http::Method,
    path: Option<axum::extract::MatchedPath>,
) -> axum::response::Response {
    super::method_not_allowed(method, path).await
}

#[utoipa::path(get, path = "/api/users", tag = "users",
    params(
        ("search" = Option<String>, Query, description = "Terms that must all appear in the username"),
        ("project" = Option<i32>, Query, description = "The members of this project (one of yours)"),
        ("page" = Option<String>, Query, description = "Page number, or `last`"),
        ("page_size" = Option<String>, Query, description = "Items per page: a whole number; above 100 counts as 100, and anything else (0, a word) as the default, 25"),
    ),
    description = "You, and the people who share a project with you (site administrators: everyone), by username.",
    responses((status = 200, body = Page<User>), (status = 401)))]
async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = Query::parse(raw.as_deref());
    let search = query::search_terms(&query);
    let mut errors = crate::http::error::FieldErrors::default();
    let project = match super::list_scope(&state, &caller, &query, &mut errors).await? {
        crate::domain::permissions::Scope::One(project) => Some(project),
        crate::domain::permissions::Scope::Mine { .. } => None,
    };
    errors.into_result()?;
    let request = PageRequest::from_query(&query)?;
    let who = super::actor(&caller);
    let count = service::count(&state.db, &who, &search, project).await?;
    let page = request.resolve(count)?;
    let offset = (page - 1) * request.size;
    let models = service::page(&state.db, &who, &search, project, offset, request.size).await?;
    let renderer = renderer(&state, &origin, &caller);
    let (next, previous) = request.links(page, count, &origin, "/api/users", &query);
    Ok(Json(Page {
        count,
        next,
        previous,
        results: models.into_iter().map(|m| renderer.user(m)).collect(),
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/users/{username}", tag = "users",
    responses((status = 200, body = User), (status = 404)))]
async fn retrieve(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let user = service::by_username(&state.db, &super::actor(&caller), &username)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(renderer(&state, &origin, &caller).user(user)).into_response())
}
