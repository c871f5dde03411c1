//! Imports through forms that need no script: `/admin/import` loads an export (this board's
//! JSON document) for a site administrator, the same call as `POST /api/import` and `server
//! import`; `/projects/{id}/trello` reads a Trello board export, shows its lists for the person
//! to say where each goes, and brings it in (`POST /api/projects/{id}/import/trello`). All of
//! a file, or none of it and why.

use axum::{
    extract::{DefaultBodyLimit, Multipart, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};

use crate::domain::service::trello;
use crate::http::{
    api::transfer::{MAX_IMPORT_BYTES, load},
    error::AppError,
    extract::{CurrentUser, MaybeUser},
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
    forms::site_administrator(state, headers, caller, PATH)
}

/// The bytes of the form's `file` part, if it has one.
async fn uploaded_file(form: &mut Multipart) -> Result<Option<axum::body::Bytes>, AppError> {
    let incomplete = |error: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("The upload is incomplete: {error}."))
    };
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(incomplete)? {
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(incomplete)?);
        }
    }
    Ok(file)
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
    let file = uploaded_file(&mut form).await?;
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

/// `POST /projects/{id}/trello`: the uploaded Trello export, read and shown back as its lists,
/// each with the status its cards will take (the first guess from its name), for the person
/// to confirm.
pub async fn trello_upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    axum::extract::Path(id): axum::extract::Path<i32>,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let Some(_caller) = caller else {
        return Ok(forms::sign_in_first(&state, &format!("/projects/{id}")));
    };
    let file = uploaded_file(&mut form).await?;
    let text = file
        .as_deref()
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .unwrap_or("");
    let board = match trello::parse(text) {
        Ok(board) => board,
        Err(crate::domain::service::transfer::ImportError::Invalid(message)) => {
            return Ok(forms::message_page(
                &state,
                &headers,
                "Nothing was imported",
                &message,
                StatusCode::BAD_REQUEST,
            ));
        }
        Err(crate::domain::service::transfer::ImportError::Db(error)) => return Err(error.into()),
    };
    let base = &state.config.base_path;
    let statuses = [
        (1, "Not Started"),
        (2, "In Progress"),
        (3, "Testing"),
        (4, "Completed"),
    ];
    let rows: String = trello::open_lists(&board)
        .into_iter()
        .map(|list| {
            let cards = board
                .cards
                .iter()
                .filter(|c| c.list == list.id && !c.closed)
                .count();
            let guess = trello::suggested_status(&list.name);
            let options: String = statuses
                .iter()
                .map(|(value, label)| {
                    let selected = if *value == guess { " selected" } else { "" };
                    format!(r#"<option value="{value}"{selected}>{label}</option>"#)
                })
                .chain(std::iter::once(
                    r#"<option value="">Leave out</option>"#.to_owned(),
                ))
                .collect();
            format!(
                r#"<tr><th scope="row"><label for="list-{key}">{name}</label></th><td>{cards}</td><td><select id="list-{key}" name="list:{id}">{options}</select></td></tr>"#,
                key = escape(&list.id),
                id = escape(&list.id),
                name = escape(&list.name),
            )
        })
        .collect();
    let main = format!(
        r#"<section class="administration"><h1>Import “{name}” from Trello</h1><form class="panel" method="post" action="{action}"><p class="hint">Each list's open cards become tasks in this project's backlog with the status you choose here. Labels, due dates, descriptions and comments come along; people are matched by username.</p><table class="accounts"><thead><tr><th scope="col">Trello list</th><th scope="col">Cards</th><th scope="col">Becomes</th></tr></thead><tbody>{rows}</tbody></table><input type="hidden" name="board" value="{board}"><p><button type="submit" class="primary">Import</button> <a class="button" href="{back}">Cancel</a></p></form></section>"#,
        name = escape(&board.name),
        action = escape(&format!("{base}/projects/{id}/trello/confirm")),
        board = escape(text),
        back = escape(&format!("{base}/projects/{id}")),
    );
    Ok(forms::page(
        &state,
        &headers,
        "Import from Trello",
        "",
        &main,
        StatusCode::OK,
    ))
}

/// `POST /projects/{id}/trello/confirm`: the board and the confirmed mapping.
pub async fn trello_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    axum::extract::Path(id): axum::extract::Path<i32>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(&state, &format!("/projects/{id}")));
    };
    let text = fields
        .iter()
        .find(|(name, _)| name == "board")
        .map(|(_, value)| value.as_str())
        .unwrap_or("");
    let columns = fields
        .iter()
        .filter_map(|(name, value)| {
            let list = name.strip_prefix("list:")?;
            Some((list.to_owned(), value.parse::<i16>().ok()))
        })
        .collect();
    let refused = |message: String, status| {
        forms::message_page(&state, &headers, "Nothing was imported", &message, status)
    };
    let board = match trello::parse(text) {
        Ok(board) => board,
        Err(crate::domain::service::transfer::ImportError::Invalid(message)) => {
            return Ok(refused(message, StatusCode::BAD_REQUEST));
        }
        Err(crate::domain::service::transfer::ImportError::Db(error)) => return Err(error.into()),
    };
    match crate::http::api::transfer::bring_in(
        &state,
        &crate::http::api::actor(&caller),
        id,
        &board,
        &columns,
    )
    .await
    {
        Ok(brought) => {
            let base = &state.config.base_path;
            let main = format!(
                r#"<section class="administration"><h1>Imported from Trello</h1><div class="notice" role="status" tabindex="-1" autofocus><p>{tasks} task{s} in the backlog, {labels} new label{ls}, {comments} comment{cs}; {left} card{lo} left out.</p></div><p><a class="button primary" href="{board}">Open the board</a> <a class="button" href="{back}">Project settings</a></p></section>"#,
                tasks = brought.tasks,
                s = if brought.tasks == 1 { "" } else { "s" },
                labels = brought.labels_created,
                ls = if brought.labels_created == 1 { "" } else { "s" },
                comments = brought.comments,
                cs = if brought.comments == 1 { "" } else { "s" },
                left = brought.cards_left_out,
                lo = if brought.cards_left_out == 1 { "" } else { "s" },
                board = escape(&format!("{base}/")),
                back = escape(&format!("{base}/projects/{id}")),
            );
            Ok(forms::page(
                &state,
                &headers,
                "Imported from Trello",
                "",
                &main,
                StatusCode::OK,
            ))
        }
        Err(AppError::Validation(errors)) => Ok(refused(
            errors.messages("columns").join(" "),
            StatusCode::BAD_REQUEST,
        )),
        Err(AppError::Forbidden(reason)) => Ok(refused(reason, StatusCode::FORBIDDEN)),
        Err(other) => Err(other),
    }
}
