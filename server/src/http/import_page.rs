//! `/admin/import`: loading an export (this board's JSON document) from a file the site
//! administrator picks, through a form that needs no script. The same domain call as
//! `POST /api/import` and `server import`: all of the file, or none of it and why.

use axum::{
    extract::{DefaultBodyLimit, Multipart, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};

use crate::http::{
    api::transfer::{MAX_IMPORT_BYTES, load},
    error::AppError,
    extract::{ADMINISTRATORS_ONLY, CurrentUser, MaybeUser},
    forms::{self, escape},
    state::AppState,
};

pub const PATH: &str = "/admin/import";

/// The body limit of the upload: the API's, plus room for the form's own parts.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_IMPORT_BYTES + 64 * 1024)
}

fn administrator(
    state: &AppState,
    headers: &HeaderMap,
    caller: Option<CurrentUser>,
) -> Result<CurrentUser, Box<Response>> {
    match caller {
        None => Err(Box::new(forms::sign_in_first(state, PATH))),
        Some(caller) if !caller.user.is_superuser => Err(Box::new(forms::message_page(
            state,
            headers,
            "Site administrators only",
            ADMINISTRATORS_ONLY,
            StatusCode::FORBIDDEN,
        ))),
        Some(caller) => Ok(caller),
    }
}

/// `GET /admin/import`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
) -> Result<Response, AppError> {
    if let Err(response) = administrator(&state, &headers, caller) {
        return Ok(*response);
    }
    Ok(render(&state, &headers, "", StatusCode::OK))
}

/// `POST /admin/import`: the file in the form's `file` part.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let admin = match administrator(&state, &headers, caller) {
        Ok(admin) => admin,
        Err(response) => return Ok(*response),
    };
    let refused = |message: &str| {
        format!(
            r#"<div class="notice refusal" role="alert" tabindex="-1" autofocus><p>Nothing was imported. {}</p></div>"#,
            escape(message)
        )
    };
    let mut file = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|error| AppError::BadRequest(format!("The upload is incomplete: {error}.")))?
    {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(|error| {
                AppError::BadRequest(format!("The upload is incomplete: {error}."))
            })?;
            file = Some(bytes);
        }
    }
    let Some(bytes) = file.filter(|bytes| !bytes.is_empty()) else {
        let notice = refused("Choose the exported file (a .json file) first.");
        return Ok(render(&state, &headers, &notice, StatusCode::BAD_REQUEST));
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        let notice = refused("The file is not UTF-8 text.");
        return Ok(render(&state, &headers, &notice, StatusCode::BAD_REQUEST));
    };
    let notice = match load(&state, &crate::http::api::actor(&admin), text).await {
        Ok(imported) => {
            let base = &state.config.base_path;
            let projects: Vec<String> = imported
                .projects
                .iter()
                .map(|(id, key)| {
                    format!(
                        r#"<a href="{}">{}</a>"#,
                        escape(&format!("{base}/projects/{id}")),
                        escape(key)
                    )
                })
                .collect();
            let accounts = if imported.accounts_created.is_empty() {
                String::new()
            } else {
                format!(
                    r#"<p>New accounts, with no password yet: {}. Send each a password link from <a href="{}">Accounts</a>.</p>"#,
                    escape(&imported.accounts_created.join(", ")),
                    escape(&format!("{base}/admin/accounts"))
                )
            };
            format!(
                r#"<div class="notice" role="status" tabindex="-1" autofocus><p>Imported {} project{} ({}): {} task{} and {} logged change{}.</p>{accounts}</div>"#,
                projects.len(),
                if projects.len() == 1 { "" } else { "s" },
                projects.join(", "),
                imported.tasks,
                if imported.tasks == 1 { "" } else { "s" },
                imported.entries,
                if imported.entries == 1 { "" } else { "s" },
            )
        }
        Err(AppError::BadRequest(message)) => {
            let notice = refused(&message);
            return Ok(render(&state, &headers, &notice, StatusCode::BAD_REQUEST));
        }
        Err(other) => return Err(other),
    };
    Ok(render(&state, &headers, &notice, StatusCode::OK))
}

fn render(state: &AppState, headers: &HeaderMap, notice: &str, status: StatusCode) -> Response {
    let base = &state.config.base_path;
    let action = escape(&format!("{base}{PATH}"));
    let main = format!(
        r#"<section class="administration"><h1>Import</h1>{notice}<form class="invite" method="post" action="{action}" enctype="multipart/form-data"><h2>Bring in an export</h2><p class="hint" id="file-hint">A file from a project's or the site's Export (this board's JSON). Its projects are added here with their members, sprints, tasks, labels, comments and history; their keys must not be in use here. People are matched by username; anyone new gets an account without a password. A file with a problem changes nothing.</p><div class="fields"><div><label for="id_file">Export file</label><input id="id_file" name="file" type="file" accept="application/json,.json" required aria-describedby="file-hint"></div><button type="submit" class="primary">Import</button></div></form></section>"#,
    );
    let nav = format!(
        r#"<a href="{home}">Board</a><a href="{accounts}">Accounts</a><a href="{here}" aria-current="page">Import</a><a href="{account}">Your account</a>"#,
        home = escape(&format!("{base}/")),
        accounts = escape(&format!("{base}/admin/accounts")),
        here = escape(&format!("{base}{PATH}")),
        account = escape(&format!("{base}/account")),
    );
    forms::page(state, headers, "Import", &nav, &main, status)
}
