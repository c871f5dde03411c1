//! The OpenAPI 3.1 document, generated from the handlers' annotations and the shared types
//! (`/api/openapi.json`), and a self-contained HTML reference rendered from it (`/api/docs`):
//! no script, no CDN, nothing to download.

use axum::{
    Json,
    response::{Html, IntoResponse, Response},
};
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{
        RefOr,
        path::{Operation, ParameterIn},
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use app::model::{
    Account, Burndown, BurndownDay, Comment, CommentLinks, HistoryEntry, HistoryLinks, Invitation,
    Label, Member, MemberLinks, MoveTask, NewToken, PasswordLink, Profile, Project, ProjectLinks,
    SelfLink, SessionInfo, SessionSummary, Sprint, SprintLinks, SprintReport, SprintState, Task,
    TaskLinks, TaskSet, TokenSummary, User, UserLinks, Velocity, VelocitySprint,
};

/// Fields accepted when writing a sprint (JSON or form). Read-only and unknown keys are ignored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SprintInput {
    /// At most 100 characters; default empty.
    name: Option<String>,
    description: Option<String>,
    /// `YYYY-MM-DD`, not in the past, unique in its project. Required on create and PUT.
    end: String,
    /// `YYYY-MM-DD`, on or before `end`. On create, default: the day after the project's
    /// previous sprint ends, or today. Left out of a PUT, it is kept.
    start: Option<String>,
    /// What the team means to achieve; at most 1,000 characters.
    goal: Option<String>,
    /// Work-in-progress limits by status number, `{"2": 3, "3": 2}` (1–999; null or 0: no
    /// limit). A form may send the same as JSON text. Left out of a PUT, they are kept.
    #[schema(value_type = Option<std::collections::BTreeMap<String, u32>>)]
    wip_limits: Option<String>,
    /// `true`: a task moved into a full column is refused (400) instead of allowed.
    wip_strict: Option<bool>,
    /// The project (on create; default: the caller's default project). Fixed afterwards.
    project: Option<i32>,
    /// Optional optimistic-concurrency check (as `If-Match`).
    version: Option<i32>,
}

/// Where a completed sprint's unfinished tasks go.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CompleteInput {
    /// `"backlog"`, or the id of another sprint of the project that is not completed.
    #[schema(value_type = String, example = "backlog")]
    carry_over: String,
    version: Option<i32>,
}

/// Fields accepted when writing a task (JSON or form). Read-only and unknown keys are ignored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TaskInput {
    /// Required, at most 100 characters.
    name: String,
    description: Option<String>,
    /// A sprint id; null or empty for the backlog.
    sprint: Option<i32>,
    /// 1 Not Started (default), 2 In Progress, 3 Testing, 4 Done.
    status: Option<i16>,
    order: Option<i16>,
    /// A username; null or empty to unassign.
    assigned: Option<String>,
    started: Option<String>,
    due: Option<String>,
    completed: Option<String>,
    /// Label ids (a form may send them separated by commas); null or empty clears them. Left
    /// out, the task keeps its labels (PUT included).
    labels: Option<Vec<i32>>,
    /// The project (on create; default: its sprint's, else the caller's default project).
    /// Fixed afterwards: a task never moves between projects.
    project: Option<i32>,
    /// Story points: a number from 0 to 1000 with at most one decimal; null or empty: not
    /// estimated. Left out, the task keeps its estimate (PUT included).
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 1000)]
    points: Option<String>,
    version: Option<i32>,
}

/// Fields accepted when writing a label (JSON or form).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LabelInput {
    /// Required on create and PUT; at most 50 characters; unique ignoring case.
    name: String,
    /// grey (default), red, orange, yellow, green, teal, blue, purple or pink.
    colour: Option<String>,
    /// The project (on create; default: the caller's default project).
    project: Option<i32>,
    version: Option<i32>,
}

/// The text of a comment (JSON or form).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CommentInput {
    /// Required, not blank, at most 10,000 characters: plain text with a safe subset of
    /// Markdown (emphasis, code, links, lists); HTML is shown as text.
    body: String,
    version: Option<i32>,
}

/// A username and password.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Credentials {
    username: String,
    password: String,
}

/// A new password for the caller, who gives the current one.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PasswordChange {
    old_password: String,
    new_password1: String,
    new_password2: String,
}

/// An invitation: the colleague's username, and optionally their email and site
/// administration.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InvitationInput {
    username: String,
    email: Option<String>,
    is_superuser: Option<bool>,
}

/// What an administrator changes on an account; at least one field.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccountChange {
    is_active: Option<bool>,
    is_superuser: Option<bool>,
}

/// A person's own names and email; send only what changes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProfileInput {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    /// One of your projects, where writes that name none go; null: the first you joined.
    default_project: Option<i32>,
}

/// A named personal token.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TokenInput {
    /// What will use it ("deploy script").
    name: String,
    /// 1–366; absent or null: until revoked (or `TOKEN_TTL`).
    expires_in_days: Option<i64>,
}

/// A new project, or what changes in one (send only what changes).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProjectInput {
    /// At most 100 characters; required on create.
    name: Option<String>,
    /// 2 to 10 letters and digits, starting with a letter; stored uppercase; unique. Made
    /// from the name when left out on create.
    key: Option<String>,
    description: Option<String>,
    /// `true` archives it (read-only, out of lists); `false` restores it.
    archived: Option<bool>,
    /// An IANA time zone (`Europe/Paris`; default `UTC`): where its days begin and end.
    time_zone: Option<String>,
    version: Option<i32>,
}

/// A person to add to a project, with their role.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MemberInput {
    /// Their username.
    user: String,
    /// `owner`, `member` or `viewer`.
    role: String,
}

/// A member's new role.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RoleInput {
    /// `owner`, `member` or `viewer`.
    role: String,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token <key>` from POST /api/token/",
            ))),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "scrum_session",
                "Browser session from POST /api/session; writes need a same-origin Origin or X-CSRFToken",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Scrum Board API",
        description = "The REST API of the Lightweight Django Scrum board, with versions, atomic moves and revocable tokens. Every path also answers with a trailing slash."
    ),
    paths(
        super::api_root,
        super::sprints::list, super::sprints::create, super::sprints::retrieve,
        super::sprints::replace, super::sprints::patch, super::sprints::remove,
        super::sprints::complete, super::sprints::reopen,
        super::reports::report, super::reports::burndown, super::reports::velocity,
        super::tasks::list, super::tasks::create, super::tasks::retrieve,
        super::tasks::replace, super::tasks::patch, super::tasks::remove, super::tasks::move_task,
        super::users::list, super::users::retrieve,
        super::labels::list, super::labels::create, super::labels::retrieve,
        super::labels::replace, super::labels::patch, super::labels::remove,
        super::comments::list, super::comments::create, super::comments::retrieve,
        super::comments::replace, super::comments::patch, super::comments::remove,
        super::history::everything, super::history::one, super::history::of_task,
        super::history::of_sprint, super::history::undo_entry,
        super::auth::obtain_token, super::auth::revoke_token,
        super::auth::current_session, super::auth::login, super::auth::logout,
        super::auth::change_password, super::auth::my_sessions, super::auth::sign_out_everywhere,
        super::admin::list, super::admin::retrieve, super::admin::invite, super::admin::update,
        super::admin::password_link,
        super::me::profile, super::me::update_profile, super::me::list_tokens,
        super::me::create_token, super::me::revoke_token,
        super::projects::list, super::projects::create, super::projects::retrieve,
        super::projects::update, super::projects::members, super::projects::add_member,
        super::projects::change_role, super::projects::remove_member,
        super::transfer::export, super::transfer::import,
    ),
    components(schemas(
        Sprint, SprintLinks, Task, TaskLinks, User, UserLinks, MoveTask, SessionInfo,
        SprintInput, TaskInput, Credentials, PasswordChange, SessionSummary, HistoryEntry,
        HistoryLinks,
        Label, SelfLink, LabelInput, Comment, CommentLinks, CommentInput,
        Account, Invitation, PasswordLink, InvitationInput, AccountChange, Profile,
        ProfileInput, TokenSummary, NewToken, TokenInput, Project, ProjectLinks, Member,
        MemberLinks, ProjectInput, MemberInput, RoleInput, CompleteInput, SprintState,
        SprintReport, TaskSet, Burndown, BurndownDay, Velocity, VelocitySprint,
    )),
    modifiers(&Security),
    security(("token" = []), ("basic" = []), ("session" = [])),
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn document() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn operation_html(method: &str, path: &str, operation: &Operation) -> String {
    let mut html = format!(
        "<section class=\"op\"><h3><code class=\"method\">{}</code> <code>{}</code></h3>",
        method.to_uppercase(),
        escape(path)
    );
    if let Some(text) = operation
        .description
        .as_ref()
        .or(operation.summary.as_ref())
    {
        html.push_str(&format!("<p>{}</p>", escape(text)));
    }
    if let Some(parameters) = &operation.parameters
        && !parameters.is_empty()
    {
        html.push_str("<table><tr><th>parameter</th><th>in</th><th>meaning</th></tr>");
        for parameter in parameters {
            let location = match parameter.parameter_in {
                ParameterIn::Query => "query",
                ParameterIn::Path => "path",
                ParameterIn::Header => "header",
                ParameterIn::Cookie => "cookie",
            };
            html.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{location}</td><td>{}</td></tr>",
                escape(&parameter.name),
                escape(parameter.description.as_deref().unwrap_or(""))
            ));
        }
        html.push_str("</table>");
    }
    html.push_str("<ul>");
    for (status, response) in &operation.responses.responses {
        let description = match response {
            RefOr::T(response) => response.description.clone(),
            RefOr::Ref(reference) => reference.ref_location.clone(),
        };
        html.push_str(&format!(
            "<li><strong>{}</strong> {}</li>",
            escape(status),
            escape(&description)
        ));
    }
    html.push_str("</ul></section>");
    html
}

/// `GET /api/docs`: every operation of the document, as plain HTML.
pub async fn docs_page() -> Html<String> {
    let document = ApiDoc::openapi();
    let mut body = String::new();
    for (path, item) in &document.paths.paths {
        let operations = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                body.push_str(&operation_html(method, path, operation));
            }
        }
    }
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Scrum Board API</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
         .op{{border-top:1px solid #ccc;padding:.5rem 0}} code.method{{font-weight:bold}}\
         table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}}\
         @media (prefers-color-scheme: dark){{body{{background:#121316;color:#e8eaed}}a{{color:#8ab4f8}}}}\
         </style></head><body><h1>Scrum Board API</h1><p>{}</p>\
         <p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI {}).</p>{body}</body></html>",
        escape(document.info.description.as_deref().unwrap_or("")),
        match document.openapi {
            utoipa::openapi::OpenApiVersion::Version31 => "3.1",
        }
    ))
}
