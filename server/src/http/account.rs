//! `/account`: "Your account", the signed-in person's own page, written by the server alone
//! (forms, no script): names and email, the password, the browsers signed in (and signing
//! the others out), and named API tokens with an optional expiry. The same rules as
//! `/api/me…`, through the same domain calls.

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use crate::{
    domain::{
        accounts::{sessions, tokens, users},
        log::Actor,
        render::timestamp,
        service::projects,
    },
    http::{
        api::{
            auth::replace_password,
            me::{revoke_own, save_profile},
        },
        error::AppError,
        extract::{CurrentUser, MaybeUser},
        forms::{self, Problems, escape},
        origin::RequestOrigin,
        state::AppState,
    },
};

const PATH: &str = "/account";

#[derive(Debug, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    /// A project id, or empty for "the first I joined".
    #[serde(default)]
    default_project: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password1: String,
    #[serde(default)]
    new_password2: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token_name: String,
    /// Days, or empty for no expiry.
    #[serde(default)]
    expires_in_days: String,
}

/// What the page says after a form: text, and maybe a new token's key to copy.
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    key: Option<(String, String)>,
    problems: Problems,
    token_form: TokenForm,
}

/// `GET /account`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(sign_in_first(&state));
    };
    render(
        &state,
        &headers,
        &caller,
        Outcome::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /account/profile`.
pub async fn profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    let Some(mut caller) = caller else {
        return Ok(sign_in_first(&state));
    };
    let changes = users::Profile {
        first_name: Some(form.first_name.trim().to_owned()),
        last_name: Some(form.last_name.trim().to_owned()),
        email: Some(form.email.trim().to_owned()),
        // Anything but a number is "no choice": the list offers nothing else.
        default_project: Some(form.default_project.trim().parse().ok()),
    };
    let (outcome, status) = match save_profile(&state, &caller.user, changes).await {
        Ok(saved) => {
            caller.user = saved;
            (notice("Your profile is saved."), StatusCode::OK)
        }
        Err(AppError::Validation(errors)) => (refused(errors), StatusCode::BAD_REQUEST),
        Err(other) => return Err(other),
    };
    render(&state, &headers, &caller, outcome, status).await
}

/// `POST /account/password`.
pub async fn password(
    State(state): State<AppState>,
    headers: HeaderMap,
    origin: RequestOrigin,
    MaybeUser(caller): MaybeUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(sign_in_first(&state));
    };
    let changed = replace_password(
        &state,
        &origin,
        &caller,
        &form.old_password,
        &form.new_password1,
        &form.new_password2,
    )
    .await;
    let (outcome, status) = match changed {
        Ok(()) => (
            notice("Your password is changed. Every other browser signed in as you is signed out."),
            StatusCode::OK,
        ),
        Err(AppError::Validation(errors)) => (refused(errors), StatusCode::BAD_REQUEST),
        Err(other) => return Err(other),
    };
    render(&state, &headers, &caller, outcome, status).await
}

/// `POST /account/sessions`: signs out every other browser.
pub async fn sign_out_others(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(sign_in_first(&state));
    };
    let keep = caller.session_id();
    let ended = {
        let _gate = state.write_gate().await;
        sessions::delete_others(&state.db, caller.user.id, keep).await?
    };
    let text = match ended {
        0 => "No other browser was signed in.".to_owned(),
        1 => "1 other browser is signed out.".to_owned(),
        n => format!("{n} other browsers are signed out."),
    };
    render(&state, &headers, &caller, notice(&text), StatusCode::OK).await
}

/// `POST /account/tokens`: a named token; its key is shown this once.
pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(sign_in_first(&state));
    };
    let days = match form.expires_in_days.trim() {
        "" => Ok(None),
        text => text.parse::<i64>().map(Some),
    };
    let checked = match days {
        Ok(days) => tokens::named_token_rules(&form.token_name, days, state.config.token_ttl),
        Err(_) => Err(vec![(
            "expires_in_days",
            "Choose an expiry from the list.".to_owned(),
        )]),
    };
    let (name, ttl) = match checked {
        Ok(checked) => checked,
        Err(problems) => {
            // The page's field is `token_name` (its labels are unique on the page).
            let problems = problems
                .into_iter()
                .map(|(field, message)| {
                    (if field == "name" { "token_name" } else { field }, message)
                })
                .collect();
            let outcome = Outcome {
                problems,
                token_form: form,
                ..Outcome::default()
            };
            return render(&state, &headers, &caller, outcome, StatusCode::BAD_REQUEST).await;
        }
    };
    let (key, _) = {
        let _gate = state.write_gate().await;
        tokens::issue_named(&state.db, caller.user.id, &name, ttl).await?
    };
    let outcome = Outcome {
        notice: Some(format!(
            "Token “{name}” is made. Copy its key now: it is not shown again."
        )),
        key: Some((name, key)),
        ..Outcome::default()
    };
    render(&state, &headers, &caller, outcome, StatusCode::CREATED).await
}

/// `POST /account/tokens/{id}`: revokes one of the person's tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(sign_in_first(&state));
    };
    revoke_own(&state, caller.user.id, &id).await?;
    render(
        &state,
        &headers,
        &caller,
        notice("The token is revoked: requests with it are refused from now on."),
        StatusCode::OK,
    )
    .await
}

fn sign_in_first(state: &AppState) -> Response {
    forms::sign_in_first(state, PATH)
}

fn notice(text: &str) -> Outcome {
    Outcome {
        notice: Some(text.to_owned()),
        ..Outcome::default()
    }
}

/// The API's field errors as the page's problems (its fields carry the API's names).
fn refused(errors: crate::http::error::FieldErrors) -> Outcome {
    const FIELDS: [&str; 7] = [
        "first_name",
        "last_name",
        "email",
        "default_project",
        "old_password",
        "new_password1",
        "new_password2",
    ];
    Outcome {
        problems: forms::field_problems(&errors, &FIELDS),
        ..Outcome::default()
    }
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    caller: &CurrentUser,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, AppError> {
    let base = &state.config.base_path;
    let user = &caller.user;
    let problems = &outcome.problems;
    let problem = |field: &str| forms::problem(problems, field);
    let described = |field: &str| forms::described(problems, field);
    let action = |path: &str| escape(&format!("{base}{PATH}{path}"));
    let notice = match (&outcome.notice, &outcome.key) {
        (None, _) => String::new(),
        (Some(text), key) => {
            let key = key
                .as_ref()
                .map(|(name, key)| {
                    format!(
                        r#"<label for="new-key">Key of “{}”</label><input id="new-key" class="copy-link" value="{}" readonly>"#,
                        escape(name),
                        escape(key)
                    )
                })
                .unwrap_or_default();
            format!(
                r#"<div class="notice" role="status" tabindex="-1" autofocus><p>{}</p>{key}</div>"#,
                escape(text)
            )
        }
    };
    let current_session = caller
        .session_id()
        .map(crate::domain::accounts::secrets::digest);
    let browsers: String = sessions::of_user(&state.db, user.id)
        .await?
        .iter()
        .map(|session| {
            let this = current_session.as_deref() == Some(session.id_hash.as_str());
            format!(
                "<li>Signed in {}{}</li>",
                when(session.created),
                if this {
                    " — <strong>this browser</strong>"
                } else {
                    ""
                }
            )
        })
        .collect();
    let tokens: String = tokens::of_user(&state.db, user.id)
        .await?
        .iter()
        .map(|token| {
            let name = if token.name.is_empty() {
                "Signed-in token".to_owned()
            } else {
                token.name.clone()
            };
            let handle: String = token.key_hash.chars().take(tokens::HANDLE_LEN).collect();
            format!(
                r#"<tr><th scope="row">{name}</th><td>{created}</td><td>{expires}</td><td><form method="post" action="{revoke}" class="row-actions"><button type="submit" class="danger">Revoke<span class="visually-hidden"> {name}, made {made}</span></button></form></td></tr>"#,
                made = crate::domain::accounts::admin::describe_moment(token.created),
                name = escape(&name),
                created = when(token.created),
                expires = token.expires.map_or("Never".to_owned(), when),
                revoke = action(&format!("/tokens/{handle}")),
            )
        })
        .collect();
    let tokens = if tokens.is_empty() {
        r#"<p class="hint">No tokens yet.</p>"#.to_owned()
    } else {
        format!(
            r#"<table class="accounts"><thead><tr><th scope="col">Name</th><th scope="col">Made</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>{tokens}</tbody></table>"#
        )
    };
    let mine = projects::list(&state.db, &Actor::person(user), false).await?;
    let project_choice = |value: String, label: &str, chosen: bool| {
        format!(
            r#"<option value="{value}"{}>{}</option>"#,
            if chosen { " selected" } else { "" },
            escape(label)
        )
    };
    let mut project_choices = project_choice(
        String::new(),
        "The first I joined",
        user.default_project_id.is_none(),
    );
    for (project, _) in &mine {
        project_choices.push_str(&project_choice(
            project.id.to_string(),
            &format!("{} ({})", project.name, project.key),
            user.default_project_id == Some(project.id),
        ));
    }
    let expiry_choice = |value: &str, label: &str| {
        let selected = if outcome.token_form.expires_in_days == value {
            " selected"
        } else {
            ""
        };
        format!(r#"<option value="{value}"{selected}>{label}</option>"#)
    };
    let main = format!(
        r#"<section class="administration account"><h1>Your account</h1>{notice}
<form class="panel stacked" method="post" action="{profile_action}"><h2>Profile</h2><p class="hint">Signed in as <strong>{username}</strong>. Your name is what others see on cards and in the history.</p><label for="id_first_name">First name</label><input id="id_first_name" name="first_name" autocomplete="given-name" maxlength="150" value="{first}"{first_described}>{first_problem}<label for="id_last_name">Last name</label><input id="id_last_name" name="last_name" autocomplete="family-name" maxlength="150" value="{last}"{last_described}>{last_problem}<label for="id_email">Email</label><input id="id_email" name="email" type="email" autocomplete="email" value="{email}"{email_described}>{email_problem}<label for="id_default_project">Default project</label><select id="id_default_project" name="default_project" aria-describedby="id_default_project_hint">{project_choices}</select><span class="hint" id="id_default_project_hint">The board opens on it, and scripts that name no project write to it.</span>{default_project_problem}<div class="actions"><button type="submit" class="primary">Save profile</button></div></form>
<form class="panel stacked" method="post" action="{password_action}"><h2>Password</h2><input type="text" name="username" autocomplete="username" value="{username}" hidden><label for="id_old_password">Current password</label><input id="id_old_password" name="old_password" type="password" autocomplete="current-password" required{old_described}>{old_problem}<label for="id_new_password1">New password</label><input id="id_new_password1" name="new_password1" type="password" autocomplete="new-password" required minlength="{min}"><span class="hint">At least {min} characters, not your username, not a common password. Every other browser signed in as you is signed out.</span><label for="id_new_password2">New password (again)</label><input id="id_new_password2" name="new_password2" type="password" autocomplete="new-password" required{new2_described}>{new2_problem}<div class="actions"><button type="submit" class="primary">Change password</button></div></form>
<form class="panel" method="post" action="{sessions_action}"><h2>Browsers signed in</h2><ul class="sessions">{browsers}</ul><p><button type="submit">Sign out other browsers</button></p></form>
<div class="panel"><h2>API tokens</h2><p class="hint">For scripts: send <code>Authorization: Token &lt;key&gt;</code>. A token acts as you.</p>{tokens}<form class="invite" method="post" action="{tokens_action}"><div class="fields"><div><label for="id_token_name">Name</label><input id="id_token_name" name="token_name" maxlength="{max_name}" required value="{token_name}"{token_described}>{token_problem}</div><div><label for="id_expires_in_days">Expires</label><select id="id_expires_in_days" name="expires_in_days"{days_described}>{no_expiry}{month}{quarter}{year}</select>{days_problem}</div><button type="submit" class="primary">Make token</button></div></form></div></section>"#,
        profile_action = action("/profile"),
        password_action = action("/password"),
        sessions_action = action("/sessions"),
        tokens_action = action("/tokens"),
        username = escape(&user.username),
        first = escape(&user.first_name),
        last = escape(&user.last_name),
        email = escape(&user.email),
        first_described = described("first_name"),
        first_problem = problem("first_name"),
        last_described = described("last_name"),
        last_problem = problem("last_name"),
        email_described = described("email"),
        email_problem = problem("email"),
        default_project_problem = problem("default_project"),
        old_described = described("old_password"),
        old_problem = problem("old_password"),
        new2_described = described("new_password2"),
        new2_problem = problem("new_password2"),
        min = crate::domain::accounts::password::MIN_LENGTH,
        max_name = tokens::MAX_NAME,
        token_name = escape(&outcome.token_form.token_name),
        token_described = described("token_name"),
        token_problem = problem("token_name"),
        days_described = described("expires_in_days"),
        days_problem = problem("expires_in_days"),
        no_expiry = expiry_choice("", "Never"),
        month = expiry_choice("30", "In 30 days"),
        quarter = expiry_choice("90", "In 90 days"),
        year = expiry_choice("365", "In a year"),
    );
    let mut nav = format!(
        r#"<a href="{home}">Board</a>"#,
        home = escape(&format!("{base}/"))
    );
    nav.push_str(&format!(
        r#"<a href="{}">Projects</a>"#,
        escape(&format!("{base}/projects"))
    ));
    if user.is_superuser {
        nav.push_str(&format!(
            r#"<a href="{}">Accounts</a>"#,
            escape(&format!("{base}/admin/accounts"))
        ));
    }
    nav.push_str(&format!(
        r#"<a href="{}" aria-current="page">Your account</a>"#,
        escape(&format!("{base}{PATH}"))
    ));
    Ok(forms::page(
        state,
        headers,
        "Your account",
        &nav,
        &main,
        status,
    ))
}

/// A moment as the page shows it: `2026-12-06 23:45 UTC` (in a `<time>` element).
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        r#"<time datetime="{}">{}</time>"#,
        timestamp(at),
        crate::domain::accounts::admin::describe_moment(at)
    )
}
