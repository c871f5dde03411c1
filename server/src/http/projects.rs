//! `/projects` ("Your projects": open one, start one) and `/projects/{id}` (a project's
//! settings and members), written by the server alone (forms, no script), through the same
//! domain calls and rules as `/api/projects`. Opening a project makes it the person's default
//! project: the board shows it, and what they create without naming a project goes there.

use axum::{
    Form,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use crate::{
    domain::{
        accounts::users,
        log::Actor,
        permissions::Role,
        service::projects::{self, ProjectFields},
    },
    http::{
        error::AppError,
        extract::{CurrentUser, MaybeUser},
        forms::{self, Problems, escape},
        state::AppState,
    },
};

const PATH: &str = "/projects";

#[derive(Debug, Default, Deserialize)]
pub struct ProjectForm {
    /// What the form does on a project's page: `details`, `archive`, `restore`, `add`,
    /// `role`, `remove`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    role: String,
}

/// `GET /projects` (`?archived=1` lists archived ones too).
pub async fn list_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(&state, PATH));
    };
    let archived = query.as_deref().is_some_and(|q| q.contains("archived=1"));
    render_list(
        &state,
        &headers,
        &caller,
        archived,
        None,
        Problems::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /projects`: starts a project, owned by the person.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Form(form): Form<ProjectForm>,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(&state, PATH));
    };
    let fields = ProjectFields {
        name: Some(form.name.clone()),
        key: (!form.key.trim().is_empty()).then(|| form.key.clone()),
        ..ProjectFields::default()
    };
    match projects::create(&state.store, &Actor::person(&caller.user), fields).await {
        Ok(created) => Ok(forms::see_other(&state, &format!("{PATH}/{}", created.id))),
        Err(error) => {
            let problems = forms::refusal(error, &["name", "key"])?;
            render_list(
                &state,
                &headers,
                &caller,
                false,
                None,
                problems,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// `POST /projects/{id}/open`: makes it the person's current (default) project, and on to
/// its board.
pub async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(&state, PATH));
    };
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let changes = users::Profile {
        default_project: Some(Some(id)),
        ..users::Profile::default()
    };
    match crate::http::api::me::save_profile(&state, &caller.user, changes).await {
        Ok(_) => Ok(forms::see_other(&state, "/")),
        Err(AppError::Validation(_)) => {
            let problems = vec![("open", users::NOT_YOUR_PROJECT.to_owned())];
            render_list(
                &state,
                &headers,
                &caller,
                false,
                None,
                problems,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

pub(crate) fn nav(
    state: &AppState,
    user: &crate::domain::db::entities::user::Model,
    here: &str,
) -> String {
    let base = &state.config.base_path;
    let link = |path: &str, label: &str| {
        let current = if path == here {
            r#" aria-current="page""#
        } else {
            ""
        };
        format!(
            r#"<a href="{}"{current}>{label}</a>"#,
            escape(&format!("{base}{path}"))
        )
    };
    let mut nav = link("/", "Board");
    nav.push_str(&link(PATH, "Projects"));
    if user.is_superuser {
        nav.push_str(&link("/admin/accounts", "Accounts"));
    }
    nav.push_str(&link("/account", "Your account"));
    nav
}

async fn render_list(
    state: &AppState,
    headers: &HeaderMap,
    caller: &CurrentUser,
    archived: bool,
    notice: Option<&str>,
    problems: Problems,
    status: StatusCode,
) -> Result<Response, AppError> {
    let base = &state.config.base_path;
    let actor = Actor::person(&caller.user);
    let mine = projects::list(&state.db, &actor, archived).await?;
    let current = projects::current(&state.db, &actor)
        .await?
        .map(|(p, _)| p.id);
    let rows: String = mine
        .iter()
        .map(|(project, role)| {
            let open = if current == Some(project.id) {
                r#"<span class="badge">Open now</span>"#.to_owned()
            } else if project.archived {
                r#"<span class="badge">Archived</span>"#.to_owned()
            } else {
                format!(
                    r#"<form method="post" action="{}" class="row-actions"><button type="submit">Open board<span class="visually-hidden"> of {}</span></button></form>"#,
                    escape(&format!("{base}{PATH}/{}/open", project.id)),
                    escape(&project.name)
                )
            };
            format!(
                r#"<tr><th scope="row"><a href="{href}">{name}</a></th><td><code>{key}</code></td><td>{role}</td><td>{open}</td></tr>"#,
                href = escape(&format!("{base}{PATH}/{}", project.id)),
                name = escape(&project.name),
                key = escape(&project.key),
                role = role_name(*role),
            )
        })
        .collect();
    let table = if rows.is_empty() {
        r#"<p class="hint">You are in no project yet: start one below, or ask a project's owner to add you.</p>"#.to_owned()
    } else {
        format!(
            r#"<table class="accounts"><thead><tr><th scope="col">Project</th><th scope="col">Key</th><th scope="col">Your role</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    let archived_link = if archived {
        format!(
            r#"<p><a href="{}">Hide archived projects</a></p>"#,
            escape(&format!("{base}{PATH}"))
        )
    } else {
        format!(
            r#"<p><a href="{}">Show archived projects too</a></p>"#,
            escape(&format!("{base}{PATH}?archived=1"))
        )
    };
    let problem = |field: &str| forms::problem(&problems, field);
    let described = |field: &str| forms::described(&problems, field);
    let main = format!(
        r#"<section class="administration projects"><h1>Your projects</h1>{notice}<div class="panel">{table}{archived_link}</div>
<form class="panel invite" method="post" action="{start}"><h2>Start a project</h2><p class="hint">You will be its owner: you choose who joins, and with which role.</p><div class="fields"><div><label for="id_name">Name</label><input id="id_name" name="name" maxlength="100" required{name_described}>{name_problem}</div><div><label for="id_key">Key <span class="hint">(optional)</span></label><input id="id_key" name="key" maxlength="10" pattern="[A-Za-z][A-Za-z0-9]{{1,9}}" aria-describedby="id_key_hint"{key_described}><span class="hint" id="id_key_hint">2 to 10 letters and digits, such as WEB; made from the name if left empty.</span>{key_problem}</div><button type="submit" class="primary">Start project</button></div></form></section>"#,
        notice = forms::notice_of(notice, &problems),
        start = escape(&format!("{base}{PATH}")),
        name_described = described("name"),
        name_problem = problem("name"),
        key_described = described("key"),
        key_problem = problem("key"),
    );
    Ok(forms::page(
        state,
        headers,
        "Your projects",
        &nav(state, &caller.user, PATH),
        &main,
        status,
    ))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Member => "Member",
        Role::Viewer => "Viewer (read-only)",
    }
}

/// `GET /projects/{id}`: the project's settings and members.
pub async fn settings_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(&state, &format!("{PATH}/{id}")));
    };
    render_settings(
        &state,
        &headers,
        &caller,
        id,
        None,
        Problems::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /projects/{id}`: one of the settings page's forms (`action` says which).
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
    Form(form): Form<ProjectForm>,
) -> Result<Response, AppError> {
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(&state, &format!("{PATH}/{id}")));
    };
    let actor = Actor::person(&caller.user);
    let store = &state.store;
    let user = form.user.trim();
    let outcome: Result<String, Problems> = match form.action.as_str() {
        "details" => {
            let fields = ProjectFields {
                name: Some(form.name.clone()),
                key: Some(form.key.clone()),
                description: Some(form.description.clone()),
                archived: None,
                time_zone: Some(form.time_zone.clone()),
            };
            match projects::update(store, &actor, id, fields, None).await {
                Ok(_) => Ok("The project's details are saved.".into()),
                Err(error) => Err(forms::refusal(
                    error,
                    &["name", "key", "description", "time_zone"],
                )?),
            }
        }
        "archive" | "restore" => {
            let archive = form.action == "archive";
            let fields = ProjectFields {
                archived: Some(archive),
                ..ProjectFields::default()
            };
            match projects::update(store, &actor, id, fields, None).await {
                Ok(_) if archive => Ok(
                    "The project is archived: it is read-only and out of the lists until restored."
                        .into(),
                ),
                Ok(_) => Ok("The project is restored.".into()),
                Err(error) => Err(forms::refusal(error, &[])?),
            }
        }
        "add" => match projects::add_member(store, &actor, id, user, &form.role).await {
            Ok((_, person)) => Ok(format!(
                "{} joins as {}.",
                person.username,
                form.role.to_lowercase()
            )),
            Err(error) => Err(forms::refusal(error, &["user", "role"])?),
        },
        "role" => match projects::change_role(store, &actor, id, user, &form.role).await {
            Ok((_, person)) => Ok(format!(
                "{} is now {}.",
                person.username,
                form.role.to_lowercase()
            )),
            Err(error) => Err(forms::refusal(error, &[])?),
        },
        "remove" => match projects::remove_member(store, &actor, id, user).await {
            Ok(()) if Some(user) == actor.username.as_deref() => {
                return Ok(forms::see_other(&state, PATH));
            }
            Ok(()) => Ok(format!("{user} is no longer a member.")),
            Err(error) => Err(forms::refusal(error, &[])?),
        },
        _ => {
            return Err(AppError::BadRequest(
                "Choose one of the page's buttons.".into(),
            ));
        }
    };
    let (notice, problems, status) = match outcome {
        Ok(text) => (Some(text), Problems::new(), StatusCode::OK),
        Err(problems) => (None, problems, StatusCode::BAD_REQUEST),
    };
    render_settings(
        &state,
        &headers,
        &caller,
        id,
        notice.as_deref(),
        problems,
        status,
    )
    .await
}

async fn render_settings(
    state: &AppState,
    headers: &HeaderMap,
    caller: &CurrentUser,
    id: i32,
    notice: Option<&str>,
    problems: Problems,
    status: StatusCode,
) -> Result<Response, AppError> {
    let base = &state.config.base_path;
    let actor = Actor::person(&caller.user);
    let (model, role) = projects::find(&state.db, &actor, id)
        .await
        .map_err(crate::http::api::read_error)?;
    let members = projects::members(&state.db, &actor, id)
        .await
        .map_err(crate::http::api::read_error)?;
    let owner = role == Role::Owner;
    let action = escape(&format!("{base}{PATH}/{id}"));
    let problem = |field: &str| forms::problem(&problems, field);
    let described = |field: &str| forms::described(&problems, field);
    let role_options = |chosen: &str| -> String {
        Role::ALL
            .iter()
            .map(|role| {
                format!(
                    r#"<option value="{value}"{selected}>{label}</option>"#,
                    value = role.as_str(),
                    selected = if role.as_str() == chosen {
                        " selected"
                    } else {
                        ""
                    },
                    label = role_name(*role),
                )
            })
            .collect()
    };
    let rows: String = members
        .iter()
        .map(|(member, person)| {
            let name = if person.full_name().is_empty() {
                escape(&person.username)
            } else {
                format!(
                    "{} <span class=\"hint\">({})</span>",
                    escape(&person.full_name()),
                    escape(&person.username)
                )
            };
            let you = person.id == caller.user.id;
            let role_cell = if owner {
                format!(
                    r#"<form method="post" action="{action}" class="row-actions"><input type="hidden" name="action" value="role"><input type="hidden" name="user" value="{username}"><label class="visually-hidden" for="role-{id}">Role of {username}</label><select id="role-{id}" name="role">{options}</select><button type="submit">Change<span class="visually-hidden"> the role of {username}</span></button></form>"#,
                    username = escape(&person.username),
                    id = person.id,
                    options = role_options(&member.role),
                )
            } else {
                role_name(Role::parse(&member.role).unwrap_or(Role::Viewer)).to_owned()
            };
            let remove = if owner || you {
                format!(
                    r#"<form method="post" action="{action}" class="row-actions"><input type="hidden" name="action" value="remove"><input type="hidden" name="user" value="{username}"><button type="submit" class="danger">{label}<span class="visually-hidden"> {username}</span></button></form>"#,
                    username = escape(&person.username),
                    label = if you { "Leave" } else { "Remove" },
                )
            } else {
                String::new()
            };
            format!(
                r#"<tr><th scope="row">{name}{you}</th><td>{role_cell}</td><td>{remove}</td></tr>"#,
                you = if you { " — <strong>you</strong>" } else { "" },
            )
        })
        .collect();
    let details = if owner {
        format!(
            r#"<form class="panel stacked" method="post" action="{action}"><h2>Details</h2><input type="hidden" name="action" value="details"><label for="id_name">Name</label><input id="id_name" name="name" maxlength="100" required value="{name}"{name_described}>{name_problem}<label for="id_key">Key</label><input id="id_key" name="key" maxlength="10" required value="{key}"{key_described}>{key_problem}<label for="id_description">Description</label><textarea id="id_description" name="description" rows="3"{description_described}>{description}</textarea>{description_problem}<label for="id_time_zone">Time zone</label><input id="id_time_zone" name="time_zone" maxlength="64" required value="{time_zone}" aria-describedby="time_zone-hint"{time_zone_described}><span class="hint" id="time_zone-hint">Where the project's days begin and end, for its burndowns: a name like Europe/Paris, or UTC.</span>{time_zone_problem}<div class="actions"><button type="submit" class="primary">Save details</button></div></form>"#,
            name = escape(&model.name),
            key = escape(&model.key),
            description = escape(&model.description),
            name_described = described("name"),
            name_problem = problem("name"),
            key_described = described("key"),
            key_problem = problem("key"),
            description_described = described("description"),
            description_problem = problem("description"),
            time_zone = escape(&model.time_zone),
            time_zone_described = described("time_zone"),
            time_zone_problem = problem("time_zone"),
        )
    } else {
        format!(
            r#"<div class="panel"><h2>Details</h2><p>Key <code>{key}</code>. Time zone: {time_zone}. Your role: {role}.</p><p>{description}</p></div>"#,
            key = escape(&model.key),
            time_zone = escape(&model.time_zone),
            role = role_name(role),
            description = escape(&model.description),
        )
    };
    let add = if owner {
        format!(
            r#"<form class="invite" method="post" action="{action}"><input type="hidden" name="action" value="add"><div class="fields"><div><label for="id_user">Username</label><input id="id_user" name="user" maxlength="150" required{user_described}>{user_problem}</div><div><label for="id_role">Role</label><select id="id_role" name="role">{options}</select></div><button type="submit" class="primary">Add member</button></div></form><p class="hint">Owners change settings and members; members work on the board; viewers watch it live but change nothing. Someone without an account yet is invited by a site administrator first.</p>"#,
            user_described = described("user"),
            user_problem = problem("user"),
            options = role_options("member"),
        )
    } else {
        String::new()
    };
    let archive = if owner {
        let (verb, label, hint) = if model.archived {
            (
                "restore",
                "Restore project",
                "It is archived: read-only, and out of the lists.",
            )
        } else {
            (
                "archive",
                "Archive project",
                "Archiving makes it read-only and takes it out of the lists; it can be restored.",
            )
        };
        format!(
            r#"<form class="panel" method="post" action="{action}"><h2>Archive</h2><input type="hidden" name="action" value="{verb}"><p class="hint">{hint}</p><p><button type="submit">{label}</button></p></form>"#
        )
    } else {
        String::new()
    };
    // Its data, to keep or to move to another install (owners: it lists members' emails).
    let export = if owner {
        format!(
            r#"<div class="panel"><h2>Export</h2><p class="hint">Everything in this project — members, sprints, tasks, labels, comments and history — as one JSON file another install imports.</p><p><a class="button" href="{}" download>Download export</a></p></div>"#,
            escape(&format!(
                "{}/api/export?project={id}",
                state.config.base_path
            ))
        )
    } else {
        String::new()
    };
    // Cards from Trello, into this project's backlog (the service says no to viewers).
    let trello = if model.archived {
        String::new()
    } else {
        format!(
            r#"<form class="panel invite" method="post" action="{}" enctype="multipart/form-data"><h2>Import from Trello</h2><p class="hint" id="trello-hint">A board's JSON export (on Trello: board menu → Print, export and share → Export as JSON). Next you choose where each list goes.</p><div class="fields"><div><label for="id_trello">Trello export</label><input id="id_trello" name="file" type="file" accept="application/json,.json" required aria-describedby="trello-hint"></div><button type="submit">Read the board</button></div></form>"#,
            escape(&format!("{}/projects/{id}/trello", state.config.base_path))
        )
    };
    let heading = format!("{} — project settings", model.name);
    let archived_note = if model.archived {
        r#"<p class="hint">This project is archived.</p>"#
    } else {
        ""
    };
    let velocity = crate::domain::service::reports::velocity(&state.db, id, 7).await?;
    let main = format!(
        r#"<section class="administration projects"><h1>{heading}</h1>{archived_note}{notice}<div class="panel">{chart}</div>{details}<div class="panel"><h2>Members</h2><table class="accounts"><thead><tr><th scope="col">Person</th><th scope="col">Role</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>{rows}</tbody></table>{add}</div>{trello}{export}{archive}</section>"#,
        heading = escape(&heading),
        notice = forms::notice_of(notice, &problems),
        chart = crate::http::charts::velocity(&velocity),
    );
    Ok(forms::page(
        state,
        headers,
        &heading,
        &nav(state, &caller.user, PATH),
        &main,
        status,
    ))
}
