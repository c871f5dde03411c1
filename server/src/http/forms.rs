//! Pages the server writes alone, without the browser bundle: the first run, the account
//! administration and the password links. They need no script (forms post and the server
//! answers with the next page) and get a policy that allows none: `default-src 'none'`.
//! They share the site's style sheet, its header and the person's theme.

use axum::{
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::http::state::AppState;

pub use app::markup::escape;

/// What went wrong with a submitted form, by field (`""`: the form as a whole).
pub type Problems = Vec<(&'static str, String)>;

/// The message for `field`, as an element the field points to (empty when there is none).
pub fn problem(problems: &[(&'static str, String)], field: &str) -> String {
    problems
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, message)| {
            format!(
                r#"<span class="error" id="{field}-error">{}</span>"#,
                escape(message)
            )
        })
        .unwrap_or_default()
}

/// The attributes that mark `field` invalid and point at its message, when it has one.
pub fn described(problems: &[(&'static str, String)], field: &str) -> String {
    if problems.iter().any(|(name, _)| *name == field) {
        format!(r#" aria-invalid="true" aria-describedby="{field}-error""#)
    } else {
        String::new()
    }
}

/// A new password, twice (`password1`, `password2`, as Django's forms name them), with the
/// rules it must follow.
pub fn new_password_fields(problems: &[(&'static str, String)]) -> String {
    format!(
        r#"<label for="id_password1">Password</label><input id="id_password1" name="password1" type="password" autocomplete="new-password" required minlength="{min}"{described1}><span class="hint" id="password1-hint">At least {min} characters, not your username, not a common password.</span>{problem1}<label for="id_password2">Password (again)</label><input id="id_password2" name="password2" type="password" autocomplete="new-password" required{described2}>{problem2}"#,
        min = crate::domain::accounts::password::MIN_LENGTH,
        // The rules are read with the field, and the problem with them when there is one.
        described1 = if problems.iter().any(|(name, _)| *name == "password1") {
            r#" aria-invalid="true" aria-describedby="password1-error password1-hint""#
        } else {
            r#" aria-describedby="password1-hint""#
        },
        problem1 = problem(problems, "password1"),
        described2 = described(problems, "password2"),
        problem2 = problem(problems, "password2"),
    )
}

/// A domain message ("the username may not be blank") as a sentence for a form.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

/// A whole page: `title` (the page's own; the site's name follows), `nav` (links in the
/// header, already markup) and `main` (markup), in the person's theme.
pub fn page(
    state: &AppState,
    headers: &HeaderMap,
    title: &str,
    nav: &str,
    main: &str,
    status: StatusCode,
) -> Response {
    let css = escape(
        &state
            .assets
            .url(&format!("{}.css", state.config.leptos.output_name)),
    );
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    let theme = app::components::preferences::THEME.from_cookie_header(&cookies);
    let home = escape(&format!("{}/", state.config.base_path));
    let nav = if nav.is_empty() {
        String::new()
    } else {
        format!(r#"<nav class="site-nav" aria-label="Site">{nav}</nav>"#)
    };
    let html = format!(
        r#"<!DOCTYPE html><html lang="en" data-theme="{theme}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>{title} — {site}</title><link rel="icon" href="{icon}" type="image/svg+xml"><link rel="stylesheet" href="{css}"></head><body><div class="app"><header class="site-header"><a class="title" href="{home}">{site}</a>{nav}</header><main id="content">{main}</main></div></body></html>"#,
        title = escape(title),
        site = app::SITE_NAME,
        icon = escape(&format!("{}/favicon.svg", state.config.base_path)),
    );
    let policy = format!(
        "default-src 'none'; style-src 'self'{assets}; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
        assets = state
            .assets
            .foreign_origin()
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default()
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            // The password links carry their key in the path: no other site may see it. Not
            // `no-referrer`: browsers would then send `Origin: null` with the forms, which
            // this site refuses as a forgery.
            (header::REFERRER_POLICY, "same-origin".to_owned()),
        ],
        html,
    )
        .into_response()
}

// A page reached by a form shows its outcome in a notice that takes the focus (`autofocus`
// on a `tabindex="-1"` element: no script needed), so a screen reader reads it first.

/// The messages of `errors` for the form's `fields`, in the fields' order.
pub fn field_problems(
    errors: &crate::http::error::FieldErrors,
    fields: &[&'static str],
) -> Problems {
    fields
        .iter()
        .flat_map(|field| {
            errors
                .messages(field)
                .iter()
                .map(move |message| (*field, message.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A domain refusal as the page's problems (`fields`: those the form has), or the error.
pub fn refusal<M>(
    error: crate::domain::service::WriteError<M>,
    fields: &[&'static str],
) -> Result<Problems, crate::http::error::AppError> {
    match error {
        crate::domain::service::WriteError::Invalid(errors) => {
            let mut problems = field_problems(&errors, fields);
            if problems.is_empty() {
                let first = errors.first().unwrap_or("That cannot be done.");
                problems.push(("form", first.to_owned()));
            }
            Ok(problems)
        }
        crate::domain::service::WriteError::Forbidden(reason) => Ok(vec![("form", reason)]),
        crate::domain::service::WriteError::NotFound => Err(crate::http::error::AppError::NotFound),
        crate::domain::service::WriteError::Stale(_) => Ok(vec![(
            "form",
            "Someone changed it meanwhile: look again and retry.".to_owned(),
        )]),
        crate::domain::service::WriteError::Db(error) => Err(error.into()),
    }
}

/// A page's outcome: the refusal of its form (`form`, or `open`), else `text`, in a notice
/// that takes the focus.
pub fn notice_of(text: Option<&str>, problems: &Problems) -> String {
    let form_problem = problems
        .iter()
        .find(|(field, _)| *field == "form" || *field == "open")
        .map(|(_, message)| message.as_str());
    match (text, form_problem) {
        (_, Some(problem)) => format!(
            r#"<div class="notice refusal" role="alert" tabindex="-1" autofocus><p>{}</p></div>"#,
            escape(problem)
        ),
        (Some(text), None) => format!(
            r#"<div class="notice" role="status" tabindex="-1" autofocus><p>{}</p></div>"#,
            escape(text)
        ),
        (None, None) => String::new(),
    }
}

/// A page that only says something (a link no longer valid, a refusal).
pub fn message_page(
    state: &AppState,
    headers: &HeaderMap,
    title: &str,
    text: &str,
    status: StatusCode,
) -> Response {
    let main = format!(
        r#"<section class="setup"><h1>{}</h1><p>{}</p></section>"#,
        escape(title),
        escape(text)
    );
    page(state, headers, title, "", &main, status)
}

/// The signed-in site administrator on the page at `path`, or the page to answer instead: the
/// sign-in page (back to `path` afterwards) for nobody, a refusal for anyone else.
pub fn site_administrator(
    state: &AppState,
    headers: &HeaderMap,
    caller: Option<crate::http::extract::CurrentUser>,
    path: &str,
) -> Result<crate::http::extract::CurrentUser, Box<Response>> {
    match caller {
        None => Err(Box::new(sign_in_first(state, path))),
        Some(caller) if !caller.user.is_superuser => Err(Box::new(message_page(
            state,
            headers,
            "Site administrators only",
            crate::http::extract::ADMINISTRATORS_ONLY,
            StatusCode::FORBIDDEN,
        ))),
        Some(caller) => Ok(caller),
    }
}

/// To the sign-in page, which comes back to `path` (a site path) afterwards.
pub fn sign_in_first(state: &AppState, path: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    see_other(state, &format!("/login?next={next}"))
}

/// A new browser session for `user`, and on to the site's home page (after the first run's
/// account, or a password set through a link).
pub async fn signed_in(
    state: &AppState,
    origin: &crate::http::origin::RequestOrigin,
    user: i32,
) -> Result<Response, crate::http::error::AppError> {
    let (_, cookie) = crate::http::api::auth::start_session(state, origin, user, None).await?;
    let mut response = see_other(state, "/");
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Off to `path` (a site path) after a form, as browsers expect: 303, then a GET.
pub fn see_other(state: &AppState, path: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            format!("{}{path}", state.config.base_path),
        )],
    )
        .into_response()
}
