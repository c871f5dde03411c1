//! `/admin/accounts`: the account administration page, for site administrators only (and
//! only from `ADMIN_ALLOWED_NETS` when it is set, see `access`). It lists every account and
//! invites, deactivates and reactivates, hands out password links, and grants or takes site
//! administration: the same domain calls as `/api/admin/…`, through forms that need no script.
//! A link just made is shown once, to copy and send to its person.

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use crate::{
    domain::{
        accounts::{
            admin::{self, AccountUpdate, AdminError},
            users::CreateUserError,
        },
        db::entities::user,
    },
    http::{
        api::admin::password_link_of,
        error::AppError,
        extract::{CurrentUser, MaybeUser},
        forms::{self, Problems, escape},
        origin::RequestOrigin,
        state::AppState,
    },
};

const PATH: &str = "/admin/accounts";

/// The invitation form.
#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    /// A checkbox: present (`on`) when ticked.
    #[serde(default)]
    is_superuser: Option<String>,
}

/// One account's buttons.
#[derive(Debug, Deserialize)]
pub struct AccountAction {
    action: String,
}

/// What the page says above the list after a change: plain text, and maybe a link to copy.
struct Notice {
    text: String,
    link: Option<(String, String)>,
}

/// `GET /admin/accounts`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
) -> Result<Response, AppError> {
    let admin = match administrator(&state, &headers, caller) {
        Ok(admin) => admin,
        Err(response) => return Ok(*response),
    };
    render(
        &state,
        &headers,
        &admin,
        None,
        &InviteForm::default(),
        &[],
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/accounts`: invites a colleague and shows the link to send them.
pub async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    origin: RequestOrigin,
    MaybeUser(caller): MaybeUser,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    let admin = match administrator(&state, &headers, caller) {
        Ok(admin) => admin,
        Err(response) => return Ok(*response),
    };
    let username = form.username.trim();
    let mut problems = Problems::new();
    if username.is_empty() {
        problems.push(("username", "Enter the colleague's username.".into()));
    } else {
        let invited = admin::invite(
            &state.store,
            &crate::http::api::actor(&admin),
            username,
            form.email.trim(),
            form.is_superuser.is_some(),
        )
        .await;
        match invited {
            Ok(invitation) => {
                let link = password_link_of(&state, &origin, &invitation.link);
                let notice = Notice {
                    text: format!(
                        "{} is invited. Send them this link: it works once, until {}.",
                        invitation.user.username,
                        admin::describe_moment(invitation.link.expires)
                    ),
                    link: Some((invitation.user.username.clone(), link.url)),
                };
                return render(
                    &state,
                    &headers,
                    &admin,
                    Some(notice),
                    &InviteForm::default(),
                    &[],
                    StatusCode::CREATED,
                )
                .await;
            }
            Err(AdminError::Create(CreateUserError::Invalid(message))) => {
                problems.push((
                    CreateUserError::field_of(&message),
                    forms::sentence(&message),
                ));
            }
            Err(AdminError::Create(CreateUserError::Taken(name))) => {
                problems.push((
                    "username",
                    format!("An account named {name} exists already."),
                ));
            }
            Err(other) => return Err(crate::http::api::admin::admin_error(other)),
        }
    }
    render(
        &state,
        &headers,
        &admin,
        None,
        &form,
        &problems,
        StatusCode::BAD_REQUEST,
    )
    .await
}

/// `POST /admin/accounts/{id}`: one of the account's buttons (`action`: `deactivate`,
/// `reactivate`, `grant`, `revoke`, `password-link`). By id, not username: a username such as
/// `..` is a path segment browsers rewrite.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    origin: RequestOrigin,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<i32>,
    Form(form): Form<AccountAction>,
) -> Result<Response, AppError> {
    let admin = match administrator(&state, &headers, caller) {
        Ok(admin) => admin,
        Err(response) => return Ok(*response),
    };
    let username = <user::Entity as sea_orm::EntityTrait>::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?
        .username;
    let actor = crate::http::api::actor(&admin);
    let update = |is_active, is_superuser| AccountUpdate {
        is_active,
        is_superuser,
    };
    let outcome = match form.action.as_str() {
        "password-link" => admin::reset_link(&state.store, &actor, &username)
            .await
            .map(|link| Notice {
                text: format!(
                    "A password link for {username}: send it to them. It works once, until {}; an earlier link no longer works.",
                    admin::describe_moment(link.expires)
                ),
                link: Some((username.clone(), password_link_of(&state, &origin, &link).url)),
            }),
        action => {
            let (change, done) = match action {
                "deactivate" => (
                    update(Some(false), None),
                    "is deactivated: their sessions, tokens and open boards have ended",
                ),
                "reactivate" => (
                    update(Some(true), None),
                    "is active again: they sign in with their password (or a new password link)",
                ),
                "grant" => (update(None, Some(true)), "is a site administrator now"),
                "revoke" => (update(None, Some(false)), "is no longer a site administrator"),
                _ => return Err(AppError::BadRequest("Unknown action.".into())),
            };
            admin::change(&state.store, &actor, &username, change)
                .await
                .map(|user| {
                    state.account_changed(user.id);
                    Notice {
                        text: format!("{username} {done}."),
                        link: None,
                    }
                })
        }
    };
    let (notice, problems, status) = match outcome {
        Ok(notice) => (Some(notice), Vec::new(), StatusCode::OK),
        Err(AdminError::Refused(reason)) => (None, vec![("", reason)], StatusCode::BAD_REQUEST),
        Err(AdminError::NoSuchAccount(_)) => return Err(AppError::NotFound),
        Err(other) => return Err(crate::http::api::admin::admin_error(other)),
    };
    render(
        &state,
        &headers,
        &admin,
        notice,
        &InviteForm::default(),
        &problems,
        status,
    )
    .await
}

/// The signed-in site administrator, or the page to answer instead (see
/// [`forms::site_administrator`]).
fn administrator(
    state: &AppState,
    headers: &HeaderMap,
    caller: Option<CurrentUser>,
) -> Result<CurrentUser, Box<Response>> {
    forms::site_administrator(state, headers, caller, PATH)
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    admin: &CurrentUser,
    notice: Option<Notice>,
    form: &InviteForm,
    problems: &[(&'static str, String)],
    status: StatusCode,
) -> Result<Response, AppError> {
    let accounts = admin::list(&state.db).await?;
    let base = &state.config.base_path;
    let notice = match notice {
        None => String::new(),
        Some(Notice { text, link }) => {
            let link = link
                .map(|(username, url)| {
                    format!(
                        r#"<label for="new-link">Link for {name}</label><input id="new-link" class="copy-link" value="{url}" readonly>"#,
                        name = escape(&username),
                        url = escape(&url),
                    )
                })
                .unwrap_or_default();
            format!(
                r#"<div class="notice" role="status" tabindex="-1" autofocus><p>{}</p>{link}</div>"#,
                escape(&text)
            )
        }
    };
    let refusal = problems
        .iter()
        .find(|(field, _)| field.is_empty())
        .map(|(_, message)| {
            format!(
                r#"<div class="notice refusal" role="alert" tabindex="-1" autofocus><p>{}</p></div>"#,
                escape(message)
            )
        })
        .unwrap_or_default();
    let rows: String = accounts
        .iter()
        .map(|account| row(base, admin.user.id, account))
        .collect();
    let invite_action = escape(&format!("{base}{PATH}"));
    let main = format!(
        r#"<section class="administration"><h1>Accounts</h1>{notice}{refusal}<form class="invite" method="post" action="{invite_action}"><h2>Invite a colleague</h2><p class="hint">Their account exists at once; they choose a password with the link you send them (it works once, within 7 days).</p><div class="fields"><div><label for="id_username">Username</label><input id="id_username" name="username" autocomplete="off" required maxlength="150" value="{username}"{username_described}>{username_problem}</div><div><label for="id_email">Email (optional)</label><input id="id_email" name="email" type="email" autocomplete="off" value="{email}"{email_described}>{email_problem}</div><label class="check"><input type="checkbox" name="is_superuser"{checked}> Site administrator</label><button type="submit" class="primary">Invite</button></div></form><table class="accounts"><caption>{count}</caption><thead><tr><th scope="col">Username</th><th scope="col">Email</th><th scope="col">Status</th><th scope="col">Role</th><th scope="col">Joined</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>{rows}</tbody></table></section>"#,
        username = escape(form.username.trim()),
        email = escape(form.email.trim()),
        username_described = forms::described(problems, "username"),
        username_problem = forms::problem(problems, "username"),
        email_described = forms::described(problems, "email"),
        email_problem = forms::problem(problems, "email"),
        checked = if form.is_superuser.is_some() {
            " checked"
        } else {
            ""
        },
        count = match accounts.len() {
            1 => "1 account".to_owned(),
            n => format!("{n} accounts"),
        },
    );
    let nav = format!(
        r#"<a href="{home}">Board</a><a href="{here}" aria-current="page">Accounts</a><a href="{import}">Import</a><a href="{export}" download>Export everything</a><a href="{account}">Your account</a>"#,
        home = escape(&format!("{base}/")),
        here = escape(&format!("{base}{PATH}")),
        import = escape(&format!("{base}{}", crate::http::import_page::PATH)),
        export = escape(&format!("{base}/api/export")),
        account = escape(&format!("{base}/account")),
    );
    Ok(forms::page(state, headers, "Accounts", &nav, &main, status))
}

/// One account's row: what it is, and its buttons (none that would lock out the
/// administrator looking at the page).
fn row(base: &str, me: i32, account: &user::Model) -> String {
    let name = escape(&account.username);
    let status = if !account.is_active {
        "Deactivated"
    } else if admin::awaiting_password(account) {
        "Invited"
    } else {
        "Active"
    };
    let role = if account.is_superuser {
        "Site administrator"
    } else {
        "Member"
    };
    let button = |action: &str, label: &str, class: &str| {
        format!(
            r#"<button type="submit" name="action" value="{action}" class="{class}">{label}<span class="visually-hidden"> {name}</span></button>"#
        )
    };
    let mut buttons = String::new();
    if account.id == me {
        buttons.push_str(r#"<span class="hint">You</span>"#);
    } else {
        if account.is_active {
            buttons.push_str(&button("password-link", "Password link", ""));
        }
        buttons.push_str(&if account.is_superuser {
            button("revoke", "Remove administrator", "")
        } else {
            button("grant", "Make administrator", "")
        });
        buttons.push_str(&if account.is_active {
            button("deactivate", "Deactivate", "danger")
        } else {
            button("reactivate", "Reactivate", "")
        });
    }
    let action = escape(&format!("{base}{PATH}/{}", account.id));
    format!(
        r#"<tr class="{state}"><th scope="row">{name}</th><td>{email}</td><td>{status}</td><td>{role}</td><td>{joined}</td><td><form method="post" action="{action}" class="row-actions">{buttons}</form></td></tr>"#,
        state = if account.is_active {
            "active"
        } else {
            "inactive"
        },
        email = escape(&account.email),
        joined = account.date_joined.date_naive(),
    )
}
