//! `/api/export` and `/api/import`: the whole data as one versioned JSON document (see
//! `domain::service::transfer`).
//!
//! - `GET /api/export?project=ID`: one project, for its owners; without `project`,
//!   everything, for site administrators. Answered as a file to save.
//! - `POST /api/import` (site administrators): loads such a document, all or nothing.

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, RawQuery, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::json;

use super::{actor, query::Query, route_both};
use crate::{
    domain::{
        permissions::{self, Need},
        service::transfer::{self, ImportError, Scope},
    },
    http::{
        error::AppError,
        extract::{CurrentUser, SiteAdmin},
        state::AppState,
    },
};

/// The largest document `POST /api/import` reads (the rest of the API reads 256 KiB).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

pub const EVERYTHING_ADMINS_ONLY: &str =
    "Only site administrators export everything: name one of your projects (?project=ID).";

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/export", get(export));
    route_both(
        router,
        "/api/import",
        post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
    )
}

#[utoipa::path(get, path = "/api/export", tag = "transfer",
    description = "One versioned JSON document (`format` `scrum-board-export`, `version` 1) with the projects, their members (usernames, names and emails; never passwords or tokens), labels, sprints, tasks, comments and change log, numbered by the document itself. `POST /api/import` or `server import` loads it into another install.",
    params(("project" = Option<i32>, Query, minimum = 1, description = "The project to export (you must be one of its owners); without it, everything (site administrators only)")),
    responses(
        (status = 200, description = "The document, as an attachment", content_type = "application/json"),
        (status = 400, description = "`{\"project\": [...]}`: not a whole number"),
        (status = 401),
        (status = 403, description = "`{\"detail\": ...}`: not an owner of the project, or everything asked by someone who is not a site administrator"),
        (status = 404, description = "No such project among yours"),
    ))]
pub async fn export(
    State(state): State<AppState>,
    caller: CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = Query::parse(raw.as_deref());
    let who = actor(&caller);
    let (scope, name) = match query.get("project") {
        None if who.is_unrestricted() => (Scope::Everything, "everything".to_owned()),
        None => return Err(AppError::Forbidden(EVERYTHING_ADMINS_ONLY.into())),
        Some(text) => {
            let Ok(id) = text.parse::<i32>() else {
                let mut errors = crate::http::error::FieldErrors::default();
                errors.add("project", "Enter a whole number.");
                return Err(AppError::Validation(errors));
            };
            match permissions::require(&state.db, &who, id, Need::Manage).await? {
                Err(permissions::Denied::Hidden) => return Err(AppError::NotFound),
                Err(permissions::Denied::Forbidden(reason)) => {
                    return Err(AppError::Forbidden(reason.into()));
                }
                Ok(_) => {}
            }
            (Scope::Project(id), format!("project-{id}"))
        }
    };
    let document = transfer::export(&state.store, scope).await?;
    let key = match (&scope, document.projects.first()) {
        (Scope::Project(_), Some(project)) => project.key.to_lowercase(),
        _ => name,
    };
    let filename = format!("scrum-{key}-{}.json", state.store.today());
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        serde_json::to_string_pretty(&document).expect("documents serialize"),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/import", tag = "transfer",
    description = "Loads a document from `GET /api/export` (at most 64 MiB) in one transaction: new projects (their keys must be free here), their members (matched by username; people this install does not know get an account with no password, for an administrator to send a password link), labels, sprints, tasks, comments and change log. New ids are given; every reference follows. A bad file changes nothing and is answered with the first problem found.",
    request_body(content = Object, description = "The exported document", content_type = "application/json"),
    responses(
        (status = 201, description = "`{\"projects\": [{\"id\", \"key\"}], \"accounts_created\": [username], \"tasks\": n, \"entries\": n}`"),
        (status = 400, description = "`{\"detail\": ...}`: the first problem in the file"),
        (status = 401),
        (status = 403, description = "Not a site administrator"),
        (status = 413, description = "Larger than 64 MiB"),
    ))]
pub async fn import(
    State(state): State<AppState>,
    admin: SiteAdmin,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::BadRequest("The file is not UTF-8 text.".into()))?;
    let imported = load(&state, &actor(&admin.0), text).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "projects": imported.projects.iter()
                .map(|(id, key)| json!({"id": id, "key": key}))
                .collect::<Vec<_>>(),
            "accounts_created": imported.accounts_created,
            "tasks": imported.tasks,
            "entries": imported.entries,
        })),
    )
        .into_response())
}

/// Parses and imports `text`, a refusal as a 400 that names the problem.
pub async fn load(
    state: &AppState,
    actor: &crate::domain::log::Actor,
    text: &str,
) -> Result<transfer::Imported, AppError> {
    let refused = |error: ImportError| match error {
        ImportError::Invalid(message) => AppError::BadRequest(message),
        ImportError::Db(error) => error.into(),
    };
    let document = transfer::parse(text).map_err(refused)?;
    transfer::import(&state.store, actor, document)
        .await
        .map_err(refused)
}
