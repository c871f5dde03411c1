//! The change log as people and sync clients read it: `/api/history?since=ID` (everything,
//! oldest first), `/api/history/{id}`, a task's and a sprint's history (newest first), and
//! `POST /api/history/{id}/undo`.

use app::model::{FieldChanges, HistoryEntry, HistoryLinks, Page, Sprint, Task};
use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};

use super::{
    actor, parse_id,
    query::{self, PageRequest, Query},
    renderer, route_both,
};
use crate::{
    domain::{
        db::entities::{sprint, task},
        log::{self, Entry, Scope},
        permissions,
        undo::{self, UndoError, Undone},
    },
    http::{error::AppError, extract::CurrentUser, origin::RequestOrigin, state::AppState},
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/history", get(everything));
    let router = route_both(router, "/api/history/{id}", get(one));
    let router = route_both(router, "/api/history/{id}/undo", post(undo_entry));
    let router = route_both(router, "/api/tasks/{id}/history", get(of_task));
    route_both(router, "/api/sprints/{id}/history", get(of_sprint))
}

/// An entry for `caller`: links on the request's origin, `undo` only where they may.
fn render(
    entry: Entry,
    state: &AppState,
    origin: &RequestOrigin,
    caller: &CurrentUser,
) -> HistoryEntry {
    let object = match entry.model {
        log::Model::Task => origin.url(&format!("/api/tasks/{}", entry.object)),
        log::Model::Sprint => origin.url(&format!("/api/sprints/{}", entry.object)),
        log::Model::Label => origin.url(&format!("/api/labels/{}", entry.object)),
        log::Model::Comment => origin.url(&format!("/api/comments/{}", entry.object)),
        log::Model::Project => origin.url(&format!("/api/projects/{}", entry.object)),
        log::Model::Member => origin.url(&format!(
            "/api/projects/{}/members/{}",
            entry.project.unwrap_or_default(),
            entry
                .body
                .get("user")
                .and_then(|u| u.as_str())
                .unwrap_or_default()
        )),
        log::Model::User => origin.url(&format!(
            "/api/users/{}",
            entry
                .body
                .get("username")
                .and_then(|u| u.as_str())
                .unwrap_or_default()
        )),
    };
    let may_undo = undo::refusal(
        &entry,
        &actor(caller),
        chrono::Utc::now(),
        state.config.undo_window,
    )
    .is_none();
    HistoryEntry {
        links: HistoryLinks {
            self_: origin.url(&format!("/api/history/{}", entry.id)),
            object,
            undo: may_undo.then(|| origin.url(&format!("/api/history/{}/undo", entry.id))),
        },
        // Log ids start at 1.
        id: u64::try_from(entry.id).unwrap_or_default(),
        at: crate::domain::render::timestamp(entry.at),
        actor: entry.actor.username,
        model: log::name_of(entry.model),
        object: entry.object,
        action: log::name_of(entry.action),
        changes: FieldChanges(
            entry
                .changes
                .iter()
                .map(|(field, [before, after])| (field.clone(), [before.into(), after.into()]))
                .collect(),
        ),
    }
}

/// One page of `scope` in the book's envelope.
async fn listing(
    state: &AppState,
    caller: &CurrentUser,
    origin: &RequestOrigin,
    scope: Scope,
    path: &str,
    query: &Query,
) -> Result<Response, AppError> {
    let request = PageRequest::from_query(query)?;
    let count = log::count(&state.db, scope).await?;
    let page = request.resolve(count)?;
    let entries = log::page(&state.db, scope, (page - 1) * request.size, request.size).await?;
    let results = entries
        .into_iter()
        .map(|entry| render(entry, state, origin, caller))
        .collect();
    let (next, previous) = request.links(page, count, origin, path, query);
    Ok(Json(Page {
        count,
        next,
        previous,
        results,
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/history", tag = "history",
    description = "Every change after `since` (an entry id; default 0), oldest first: what a sync client reads to catch up.",
    params(
        ("since" = Option<i64>, Query, description = "Only entries after this id"),
        ("page" = Option<String>, Query, description = "Page number, or `last`"),
        ("page_size" = Option<String>, Query, description = "Items per page: a whole number; above 100 counts as 100, and anything else (0, a word) as the default, 25"),
    ),
    responses((status = 200, body = Page<HistoryEntry>), (status = 400), (status = 401)))]
pub(super) async fn everything(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = Query::parse(raw.as_deref());
    let mut errors = crate::domain::errors::FieldErrors::default();
    let since = query::typed(&query, "since", "Enter a whole number.", &mut errors, |t| {
        t.parse::<i64>().ok()
    });
    errors.into_result()?;
    let who = actor(&caller);
    let scope = Scope::Since {
        after: since.unwrap_or(0),
        reader: if who.site_admin { None } else { who.id },
    };
    listing(&state, &caller, &origin, scope, "/api/history", &query).await
}

#[utoipa::path(get, path = "/api/history/{id}", tag = "history",
    responses((status = 200, body = HistoryEntry), (status = 404)))]
pub(super) async fn one(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let entry = log::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if !permissions::may_read_entry(&state.db, &actor(&caller), &entry).await? {
        return Err(AppError::NotFound);
    }
    Ok(Json(render(entry, &state, &origin, &caller)).into_response())
}

/// 404 unless `caller` may read the history of `project` (entries without one, of accounts,
/// are the site administrators').
async fn require_readable(
    state: &AppState,
    caller: &CurrentUser,
    project: Option<i32>,
) -> Result<(), AppError> {
    if permissions::may_read_log(&state.db, &actor(caller), project).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// 404 for an object that never existed, or whose project `caller` is not in; one deleted
/// since keeps its history (its project is the one its entries were written in).
async fn require_known(
    state: &AppState,
    caller: &CurrentUser,
    model: log::Model,
    id: i32,
    project_now: Option<i32>,
) -> Result<(), AppError> {
    let project = match project_now {
        Some(project) => Some(project),
        None => log::project_of(&state.db, model, id).await?,
    };
    match project {
        Some(project) => require_readable(state, caller, Some(project)).await,
        None => Err(AppError::NotFound),
    }
}

#[utoipa::path(get, path = "/api/tasks/{id}/history", tag = "history",
    description = "The task's changes, newest first (also after it was deleted).",
    responses((status = 200, body = Page<HistoryEntry>), (status = 404)))]
pub(super) async fn of_task(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let scope = Scope::Object(log::Model::Task, id);
    let now = <task::Entity as sea_orm::EntityTrait>::find_by_id(id)
        .one(&state.db)
        .await?;
    let project_now = now.map(|task| task.project_id);
    require_known(&state, &caller, log::Model::Task, id, project_now).await?;
    let query = Query::parse(raw.as_deref());
    let path = format!("/api/tasks/{id}/history");
    listing(&state, &caller, &origin, scope, &path, &query).await
}

#[utoipa::path(get, path = "/api/sprints/{id}/history", tag = "history",
    description = "The sprint's changes and those of every task that was in it at the time (also tasks that left it), newest first.",
    responses((status = 200, body = Page<HistoryEntry>), (status = 404)))]
pub(super) async fn of_sprint(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let scope = Scope::Sprint(id);
    let now = <sprint::Entity as sea_orm::EntityTrait>::find_by_id(id)
        .one(&state.db)
        .await?;
    let project_now = now.map(|sprint| sprint.project_id);
    require_known(&state, &caller, log::Model::Sprint, id, project_now).await?;
    let query = Query::parse(raw.as_deref());
    let path = format!("/api/sprints/{id}/history");
    listing(&state, &caller, &origin, scope, &path, &query).await
}

#[utoipa::path(post, path = "/api/history/{id}/undo", tag = "history",
    description = "Takes the change back as a new change: your own changes only, within UNDO_WINDOW, and only while the object is as it left it. Answers with the object as it is now (204 when undoing a creation removed it).",
    responses((status = 200, body = Task), (status = 204), (status = 403), (status = 404), (status = 409)))]
pub(super) async fn undo_entry(
    State(state): State<AppState>,
    caller: CurrentUser,
    origin: RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let undone = undo::undo(&state.store, &actor(&caller), id, state.config.undo_window)
        .await
        .map_err(|error| match error {
            UndoError::NotFound => AppError::NotFound,
            UndoError::NotAllowed(reason) => AppError::Forbidden(reason),
            UndoError::Conflict(reason) => AppError::Conflict(reason),
            UndoError::Db(error) => AppError::Db(error),
        })?;
    let renderer = renderer(&state, &origin, &caller);
    Ok(match undone {
        Undone::Task(model) => {
            let task: Task = renderer.one_task(&state.db, model).await?;
            Json(task).into_response()
        }
        Undone::Sprint(model) => {
            let sprint: Sprint = renderer.sprint(model);
            Json(sprint).into_response()
        }
        Undone::Removed => StatusCode::NO_CONTENT.into_response(),
    })
}
