//! The first run: while no account exists, every page leads to "Create the administrator
//! account" (`/setup`), so a new install is usable from a browser without the command line.
//! The form is rendered and handled here alone (the browser bundle knows nothing of it, and
//! needs nothing: it works without scripts). It is accepted from anywhere with the setup code
//! the server writes to its log at start, and without it from this machine itself (outside
//! production: see [`from_this_machine`]); once an account exists, `/setup` is gone (404) and
//! the pages are the app's again.

use std::sync::atomic::{AtomicBool, Ordering};

use axum::{
    Form,
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    domain::accounts::{
        password, secrets,
        users::{self, CreateUserError, NewUser},
    },
    domain::service::projects::FIRST_NAME,
    http::{
        error::AppError,
        forms::{self, escape},
        origin::RequestOrigin,
        state::AppState,
    },
};

/// Whether the first run is still to be done, and its setup code.
#[derive(Debug)]
pub struct FirstRun {
    code: String,
    /// Set once an account is known to exist: from then on nobody asks the database again.
    done: AtomicBool,
}

impl Default for FirstRun {
    fn default() -> Self {
        Self {
            code: secrets::random_hex(8),
            done: AtomicBool::new(false),
        }
    }
}

impl FirstRun {
    /// The one-time code that allows the first run from another machine (16 hex digits).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Whether no account exists yet. An account made any way (here, the command line,
    /// another instance) ends the first run.
    pub async fn pending(&self, db: &sea_orm::DatabaseConnection) -> Result<bool, AppError> {
        if self.done.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let pending = users::none_yet(db).await?;
        if !pending {
            self.done.store(true, Ordering::Relaxed);
        }
        Ok(pending)
    }
}

/// On the app's pages: during the first run, to `/setup` instead.
pub async fn first_run_first(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if state.first_run.pending(&state.db).await? {
        let to = format!("{}/setup", state.config.base_path);
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response());
    }
    Ok(next.run(request).await)
}

/// The form's fields, named as Django's forms name them.
#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password1: String,
    #[serde(default)]
    password2: String,
    #[serde(default)]
    setup_code: String,
    /// The first project's name ("My Project" when left empty).
    #[serde(default)]
    project: String,
}

/// `GET /setup`: the form, while no account exists.
pub async fn page(
    State(state): State<AppState>,
    origin: RequestOrigin,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !state.first_run.pending(&state.db).await? {
        return Err(AppError::NotFound);
    }
    let local = from_this_machine(&state, &headers, &origin);
    Ok(render(
        &state,
        &headers,
        local,
        &SetupForm::default(),
        &[],
        StatusCode::OK,
    ))
}

/// `POST /setup`: creates the administrator, signs them in and opens the site.
pub async fn submit(
    State(state): State<AppState>,
    origin: RequestOrigin,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Result<Response, AppError> {
    if !state.first_run.pending(&state.db).await? {
        return Err(AppError::NotFound);
    }
    // Another site must not create an account of its choosing through this browser (which,
    // on the server's own machine, would pass without the code): the form must say it comes
    // from this site, which every browser's form post does (unlike the API, a request that
    // names no site, or `null`, is refused: nothing but this page has reason to post it).
    if crate::http::extract::sent_from_this_site(&headers, &origin) != Some(true) {
        return Err(AppError::Forbidden(
            "CSRF Failed: the form must be sent from this site's setup page.".into(),
        ));
    }
    let local = from_this_machine(&state, &headers, &origin);
    let mut problems = forms::Problems::new();
    if !local && !secrets_match(form.setup_code.trim(), state.first_run.code()) {
        let message = if form.setup_code.is_empty() {
            "From another machine, enter the setup code the server wrote to its log when it started."
        } else {
            "That is not the setup code the server wrote to its log."
        };
        problems.push(("setup_code", message.into()));
    }
    let username = form.username.trim();
    if let Err(message) = users::validate_username(username) {
        problems.push(("username", forms::sentence(&message)));
    }
    if form.password1 != form.password2 {
        problems.push(("password2", "The two password fields didn’t match.".into()));
    } else if let Some(weakness) = password::weakness(username, &form.password1) {
        problems.push(("password1", weakness));
    }
    let project = form.project.trim();
    if project.chars().count() > 100 {
        problems.push((
            "project",
            "A project's name may have at most 100 characters.".into(),
        ));
    }
    if problems.is_empty() {
        let project = if project.is_empty() {
            FIRST_NAME
        } else {
            project
        };
        let created = users::create_first(
            &state.store,
            NewUser {
                username: username.to_owned(),
                email: form.email.trim().to_owned(),
                password: form.password1.clone(),
                is_superuser: true,
            },
            project,
        )
        .await;
        match created {
            Ok(user) => return forms::signed_in(&state, &origin, user.id).await,
            Err(CreateUserError::NotFirst) => return Err(AppError::NotFound),
            Err(CreateUserError::Invalid(message)) => {
                problems.push((
                    CreateUserError::field_of(&message),
                    forms::sentence(&message),
                ));
            }
            Err(CreateUserError::Taken(_)) => return Err(AppError::NotFound),
            Err(CreateUserError::Db(error)) => return Err(error.into()),
            Err(CreateUserError::Internal(error)) => return Err(AppError::Internal(error)),
        }
    }
    let status = if problems.iter().any(|(field, _)| *field == "setup_code") {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render(&state, &headers, local, &form, &problems, status))
}

/// A request from this machine itself, which may skip the setup code: from a loopback
/// address, to a loopback name, relayed by nothing, and not in production. A proxy or tunnel
/// on the same machine makes every visitor arrive from a loopback address, so a request that
/// names another host or carries forwarding headers needs the code; and in production, where
/// such a proxy is the rule, every request does.
fn from_this_machine(state: &AppState, headers: &HeaderMap, origin: &RequestOrigin) -> bool {
    const RELAYED: [&str; 5] = [
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
    ];
    let host = origin
        .host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(origin.host.as_str(), |(host, _)| host);
    state.config.environment != crate::config::Environment::Production
        && !RELAYED.iter().any(|name| headers.contains_key(*name))
        && matches!(host, "localhost" | "127.0.0.1" | "[::1]")
        && origin
            .client_ip
            .is_some_and(|ip| crate::http::origin::canonical(ip).is_loopback())
}

/// The codes compared without telling, by the time taken, how much of a guess was right.
fn secrets_match(given: &str, code: &str) -> bool {
    secrets::digest(given) == secrets::digest(code)
}

/// The page: a form that needs no script; the setup code's field unless the request is
/// `local` ([`from_this_machine`]).
fn render(
    state: &AppState,
    headers: &HeaderMap,
    local: bool,
    form: &SetupForm,
    problems: &[(&'static str, String)],
    status: StatusCode,
) -> Response {
    let problem = |field: &str| forms::problem(problems, field);
    let described = |field: &str| forms::described(problems, field);
    let code_field = if local {
        String::new()
    } else {
        format!(
            r#"<label for="id_setup_code">Setup code</label><input id="id_setup_code" name="setup_code" autocomplete="off" required{}><span class="hint">The server wrote it to its log when it started.</span>{}"#,
            described("setup_code"),
            problem("setup_code")
        )
    };
    let action = escape(&format!("{}/setup", state.config.base_path));
    let main = format!(
        r#"<section class="setup"><h1>Create the administrator account</h1><p>No account exists yet. This one manages the site: it can add the others, and owns the first project.</p><form class="stacked" method="post" action="{action}"><label for="id_username">Username</label><input id="id_username" name="username" autocomplete="username" required maxlength="150" value="{username}"{username_described}>{username_problem}<label for="id_email">Email</label><input id="id_email" name="email" type="email" autocomplete="email" value="{email}">{email_problem}{password_fields}<label for="id_project">First project</label><input id="id_project" name="project" maxlength="100" placeholder="{first_name}" value="{project}" aria-describedby="id_project_hint"><span class="hint" id="id_project_hint">Its board is where you start; you can add more projects later. Left empty: “{first_name}”.</span>{project_problem}{code_field}<div class="actions"><button type="submit" class="primary">Create account</button></div></form></section>"#,
        username = escape(form.username.trim()),
        email = escape(form.email.trim()),
        username_described = described("username"),
        username_problem = problem("username"),
        email_problem = problem("email"),
        project = escape(form.project.trim()),
        project_problem = problem("project"),
        first_name = FIRST_NAME,
        password_fields = forms::new_password_fields(problems),
    );
    forms::page(
        state,
        headers,
        "Create the administrator account",
        "",
        &main,
        status,
    )
}
