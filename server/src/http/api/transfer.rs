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
        service::{
            transfer::{self, ImportError, Scope},
            trello,
        },
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
    let router = route_both(
        router,
        "/api/projects/{id}/import/trello",
        post(import_trello).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
    );
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

#[utoipa::path(post, path = "/api/projects/{id}/import/trello", tag = "transfer",
    description = "Brings a Trello board's JSON export into the project's backlog (members of the project who may write). `columns` maps every open list's id to the status its cards take (1 Not Started, 2 In Progress, 3 Testing, 4 Completed) or null to leave it out; archived lists and cards are left out. Cards keep their names, descriptions, due dates, labels (matched by name or created) and comments; members are matched by username. One transaction.",
    request_body(content = Object, description = "`{\"board\": <the export>, \"columns\": {\"<list id>\": 1}}`", content_type = "application/json"),
    responses(
        (status = 201, description = "`{\"tasks\": n, \"labels_created\": n, \"comments\": n, \"cards_left_out\": n}`"),
        (status = 400, description = "`{\"columns\": [...]}` (a list without a status) or `{\"detail\": ...}` (not a Trello export)"),
    ))]
pub async fn import_trello(
    State(state): State<AppState>,
    caller: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let project = super::parse_id(&id)?;
    #[derive(serde::Deserialize)]
    struct Request {
        board: serde_json::Value,
        #[serde(default)]
        columns: std::collections::HashMap<String, Option<i16>>,
    }
    let request: Request = serde_json::from_slice(&body).map_err(|error| {
        AppError::BadRequest(format!(
            "Send {{\"board\": <the Trello export>, \"columns\": {{list id: status}}}}: {error}."
        ))
    })?;
    let board = trello::parse(&request.board.to_string())?;
    let brought = bring_in(&state, &actor(&caller), project, &board, &request.columns).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "tasks": brought.tasks,
            "labels_created": brought.labels_created,
            "comments": brought.comments,
            "cards_left_out": brought.cards_left_out,
        })),
    )
        .into_response())
}

/// Imports a Trello board, refusals as the API answers them.
pub async fn bring_in(
    state: &AppState,
    actor: &crate::domain::log::Actor,
    project: i32,
    board: &trello::Board,
    columns: &std::collections::HashMap<String, Option<i16>>,
) -> Result<trello::Brought, AppError> {
    use crate::domain::service::WriteError;
    trello::import(&state.store, actor, project, board, columns)
        .await
        .map_err(|error| match error {
            WriteError::NotFound => AppError::NotFound,
            WriteError::Invalid(errors) => AppError::Validation(errors),
            WriteError::Forbidden(reason) => AppError::Forbidden(reason),
            WriteError::Stale(_) => AppError::Conflict("The project changed meanwhile.".into()),
            WriteError::Db(error) => error.into(),
        })
}

/// Parses and imports `text`, a refusal as a 400 that names the problem.
pub async fn load(
    state: &AppState,
    actor: &crate::domain::log::Actor,
    text: &str,
) -> Result<transfer::Imported, AppError> {
    let document = transfer::parse(text)?;
    Ok(transfer::import(&state.store, actor, document).await?)
}

/// A refused file is a 400 that names its problem.
impl From<ImportError> for AppError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Invalid(message) => AppError::BadRequest(message),
            ImportError::Db(error) => error.into(),
        }
    }
}
