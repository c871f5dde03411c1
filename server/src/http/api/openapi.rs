//! The OpenAPI 3.1 document, generated from the handlers' annotations and the shared types
//! (`/api/openapi.json`), and a self-contained HTML reference rendered from it (`/api/docs`):
//! no script, no CDN, nothing to download.

use axum::{
    Json,
    response::{Html, IntoResponse},
};
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{
        ContentBuilder, KnownFormat, ObjectBuilder, Ref, RefOr, Required, Response,
        ResponseBuilder, Schema, SchemaFormat, Type,
        path::{Operation, Parameter, ParameterBuilder, ParameterIn},
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
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
    /// `YYYY-MM-DD`, on or before `end`, at most ten years (3,653 days) before it. On create,
    /// default: the day after the project's previous sprint ends, or today (for an end more
    /// than ten years off, ten years before it). Left out of a PUT, it is kept.
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

/// The answers every operation shares, added to each from the facts of its declaration, so
/// that no operation can leave them out:
///
/// - every `{name}` in a path is a required path parameter: `id`s are integers from 1, other
///   names (usernames) strings; an operation with one answers 404 when nothing has that id;
/// - an operation that needs credentials (all but those declared with `security(())`) answers
///   401 without them, 429 while its caller's address is throttled for bad ones, and, when it
///   changes something, 403 when the caller's role does not allow it;
/// - a PATCH's body is optional and none of its fields is required (it sends only what
///   changes); a `version` is any whole number (one not current is answered 412); an empty
///   integer filter in a query is no filter;
/// - an operation with a request body answers 400 (`{"detail"}` or `{field: [messages]}`),
///   413 past its size limit and 415 for a body that is neither JSON nor a form; one with
///   query parameters answers 400 for bad ones, and 404 for a page past the last.
struct Conventions;

fn detail_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Detail")))
                    .build(),
            )
            .build(),
    )
}

fn bad_request_response() -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description("The request is malformed (`{\"detail\": ...}`) or a field is refused (`{\"field\": [\"message\"]}`)")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("BadRequest")))
                    .build(),
            )
            .build(),
    )
}

/// Adds `status` unless the operation documents it already; one documented without a body
/// gets the shared one.
fn ensure(operation: &mut Operation, status: &str, response: RefOr<Response>) {
    match operation.responses.responses.get_mut(status) {
        None => {
            operation
                .responses
                .responses
                .insert(status.to_owned(), response);
        }
        Some(RefOr::T(existing)) if existing.content.is_empty() => {
            if let RefOr::T(shared) = response {
                existing.content = shared.content;
            }
        }
        Some(_) => {}
    }
}

fn path_parameter(name: &str) -> Parameter {
    let schema = if name == "id" {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .build()
    } else {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(150))
            .build()
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(if name == "id" {
            "The object's id"
        } else {
            "A username"
        }))
        .schema(Some(schema))
        .build()
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.insert(
            "Detail".into(),
            RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .property("detail", ObjectBuilder::new().schema_type(Type::String))
                    .required("detail")
                    .description(Some(
                        "Why the request was refused, in words a person can act on",
                    ))
                    .build(),
            )),
        );
        components.schemas.insert(
            "FieldErrors".into(),
            RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .additional_properties(Some(
                        utoipa::openapi::schema::ArrayBuilder::new()
                            .items(ObjectBuilder::new().schema_type(Type::String)),
                    ))
                    .description(Some(
                        "The refused fields, each with its messages (DRF's shape)",
                    ))
                    .build(),
            )),
        );
        components.schemas.insert(
            "BadRequest".into(),
            RefOr::T(Schema::AnyOf(
                utoipa::openapi::schema::AnyOfBuilder::new()
                    .item(Ref::from_schema_name("Detail"))
                    .item(Ref::from_schema_name("FieldErrors"))
                    .build(),
            )),
        );
        // A version in a request is compared, never stored: any value may be sent (one that
        // is not a current version is answered 412, or 400 when it is not a number).
        for schema in components.schemas.values_mut() {
            if let RefOr::T(Schema::Object(object)) = schema
                && let Some(version) = object.properties.get_mut("version")
                && object.required.iter().all(|name| name != "version")
            {
                *version = RefOr::T(Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
                        .description(Some(
                            "The version you last read (optional): a write to a newer one is refused with 412",
                        ))
                        .build(),
                ));
            }
        }
        // What the request bodies' fields accept, as the server reads them (DRF's way): text
        // also as a number, a boolean or null; a yes/no also as `"true"`/`"false"` or 1/0.
        let bodies: Vec<String> = openapi
            .paths
            .paths
            .values()
            .flat_map(|item| [&item.post, &item.put, &item.patch])
            .flatten()
            .filter_map(|operation| operation.request_body.as_ref())
            .flat_map(|body| body.content.values())
            .filter_map(|content| match &content.schema {
                Some(RefOr::Ref(reference)) => Some(
                    reference
                        .ref_location
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                ),
                _ => None,
            })
            .collect();
        for name in bodies {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) {
                for property in object.properties.values_mut() {
                    widen(property);
                }
            }
        }
        // A PATCH sends only what changes: its body is the input's fields, none required.
        let mut partial = Vec::new();
        for item in openapi.paths.paths.values_mut() {
            let Some(body) = item.patch.as_mut().and_then(|p| p.request_body.as_mut()) else {
                continue;
            };
            body.required = Some(Required::False);
            for content in body.content.values_mut() {
                if let Some(RefOr::Ref(reference)) = &content.schema {
                    let name = reference
                        .ref_location
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    let patch_name = format!("{name}Patch");
                    content.schema = Some(RefOr::Ref(Ref::from_schema_name(&patch_name)));
                    partial.push((name, patch_name));
                }
            }
        }
        for (name, patch_name) in partial {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(&name) {
                let mut object = object.clone();
                object.required.clear();
                components
                    .schemas
                    .insert(patch_name, RefOr::T(Schema::Object(object)));
            }
        }
        link_created_objects(openapi);
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names: Vec<String> = path
                .split('/')
                .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                .map(str::to_owned)
                .collect();
            let operations = [
                (false, &mut item.get),
                (true, &mut item.post),
                (true, &mut item.put),
                (true, &mut item.patch),
                (true, &mut item.delete),
            ];
            for (writes, operation) in operations {
                let Some(operation) = operation else { continue };
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    let declared = parameters
                        .iter_mut()
                        .find(|p| p.name == *name && p.parameter_in == ParameterIn::Path);
                    match declared {
                        Some(parameter) if parameter.schema.is_none() => {
                            parameter.schema = path_parameter(name).schema;
                        }
                        Some(_) => {}
                        None => parameters.push(path_parameter(name)),
                    }
                }
                // An empty filter is no filter (as DRF's): `?sprint=` lists everything.
                for parameter in parameters.iter_mut() {
                    let filter = matches!(
                        &parameter.schema,
                        Some(RefOr::T(Schema::Object(object)))
                            if [Type::Integer, Type::Boolean].into_iter().any(|kind| {
                                object.schema_type == kind.clone().into()
                                    || object.schema_type
                                        == utoipa::openapi::schema::SchemaType::from_iter([
                                            kind,
                                            Type::Null,
                                        ])
                            })
                    );
                    if parameter.parameter_in == ParameterIn::Query && filter {
                        let number = parameter.schema.take().expect("matched above");
                        parameter.schema = Some(RefOr::T(Schema::AnyOf(
                            utoipa::openapi::schema::AnyOfBuilder::new()
                                .item(number)
                                .item(
                                    ObjectBuilder::new()
                                        .schema_type(Type::String)
                                        .max_length(Some(0)),
                                )
                                .build(),
                        )));
                    }
                }
                let has_query = parameters
                    .iter()
                    .any(|p| p.parameter_in == ParameterIn::Query);
                let pages = parameters.iter().any(|p| p.name == "page");
                let public = operation.security.as_ref().is_some_and(|all| {
                    all.iter().any(|one| *one == SecurityRequirement::default())
                });
                if !names.is_empty() || pages {
                    ensure(
                        operation,
                        "404",
                        detail_response(
                            "Nothing has that id among what you may see, or the page is past the last",
                        ),
                    );
                }
                if !public {
                    ensure(
                        operation,
                        "401",
                        detail_response(
                            "No credentials, or they are not valid (`WWW-Authenticate: Token`)",
                        ),
                    );
                    ensure(
                        operation,
                        "429",
                        detail_response(
                            "Too many failed sign-ins from this address: try again later",
                        ),
                    );
                    if writes {
                        ensure(
                            operation,
                            "403",
                            detail_response(
                                "Your role does not allow it, or the project is archived",
                            ),
                        );
                    }
                }
                if operation.request_body.is_some() {
                    ensure(operation, "400", bad_request_response());
                    ensure(
                        operation,
                        "413",
                        detail_response("The body is larger than this operation reads"),
                    );
                    ensure(
                        operation,
                        "415",
                        detail_response("The body is neither JSON nor a form"),
                    );
                } else if has_query {
                    ensure(operation, "400", bad_request_response());
                }
            }
        }
    }
}

/// Links from each create to what may be done with the object it made (the `id` of its 201
/// body), so clients and tools can follow them: a task to its edits, move, history and
/// comments, a comment to its edits, a sprint to its report.
fn link_created_objects(openapi: &mut utoipa::openapi::OpenApi) {
    // Where each collection's objects live (a task's comments are `/api/comments/{id}`).
    let home = |collection: &str| match collection {
        "/api/tasks/{id}/comments" => "/api/comments/{id}".to_owned(),
        other => format!("{other}/{{id}}"),
    };
    let paths: Vec<(String, Vec<&'static str>)> = openapi
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods = [
                ("get", item.get.is_some()),
                ("put", item.put.is_some()),
                ("patch", item.patch.is_some()),
                ("delete", item.delete.is_some()),
                ("post", item.post.is_some()),
            ]
            .into_iter()
            .filter_map(|(method, present)| present.then_some(method))
            .collect();
            (path.clone(), methods)
        })
        .collect();
    for (collection, item) in openapi.paths.paths.iter_mut() {
        let Some(create) = item.post.as_mut() else {
            continue;
        };
        let Some(RefOr::T(created)) = create.responses.responses.get_mut("201") else {
            continue;
        };
        let object = home(collection);
        for (path, methods) in &paths {
            let only_id = path.matches('{').count() == 1;
            if !only_id || (*path != object && !path.starts_with(&format!("{object}/"))) {
                continue;
            }
            for method in methods {
                let pointer = path.replace('~', "~0").replace('/', "~1");
                let name = format!("{method} {path}");
                created.links.insert(
                    name,
                    RefOr::T(
                        utoipa::openapi::link::LinkBuilder::new()
                            .operation_ref(format!("#/paths/{pointer}/{method}"))
                            .parameter("id", "$response.body#/id")
                            .build(),
                    ),
                );
            }
        }
    }
}

/// A request field's schema as the server reads it: text also from a number, a boolean or
/// null; a yes/no also from `"true"`/`"false"`/`"1"`/`"0"` or 1/0; a version, anything (it is
/// compared, never stored: one that is not a current version is answered 412 or 400).
fn widen(property: &mut RefOr<Schema>) {
    use utoipa::openapi::schema::SchemaType;
    let RefOr::T(Schema::Object(object)) = property else {
        return;
    };
    let is = |kind: Type| {
        object.schema_type == kind.clone().into()
            || object.schema_type == SchemaType::from_iter([kind, Type::Null])
    };
    if is(Type::String) && object.enum_values.is_none() {
        object.schema_type =
            SchemaType::from_iter([Type::String, Type::Number, Type::Boolean, Type::Null]);
    } else if is(Type::Boolean) {
        let alternatives = utoipa::openapi::schema::AnyOfBuilder::new()
            .item(object.clone())
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["true", "false", "True", "False", "1", "0"])),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .enum_values(Some([0, 1])),
            )
            .build();
        *property = RefOr::T(Schema::AnyOf(alternatives));
    }
}

/// The methods `path` (a route as the router writes it, without its trailing slash) answers,
/// as the document lists them, `HEAD` with `GET`.
pub fn methods_of(path: &str) -> Vec<&'static str> {
    static METHODS: std::sync::OnceLock<std::collections::HashMap<String, Vec<&'static str>>> =
        std::sync::OnceLock::new();
    let table = METHODS.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                if item.get.is_some() {
                    methods.extend(["GET", "HEAD"]);
                }
                for (method, operation) in [
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ] {
                    if operation.is_some() {
                        methods.push(method);
                    }
                }
                (path.trim_end_matches('/').to_owned(), methods)
            })
            .collect()
    });
    table
        .get(path)
        .cloned()
        // The document itself and its HTML page are read-only.
        .unwrap_or_else(|| vec!["GET", "HEAD"])
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
        super::transfer::export, super::transfer::import, super::transfer::import_trello,
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
    modifiers(&Security, &Conventions),
    security(("token" = []), ("basic" = []), ("session" = [])),
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn document() -> axum::response::Response {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(|| {
        let mut document =
            serde_json::to_value(ApiDoc::openapi()).expect("the document serializes");
        spell_links(&mut document);
        document
    }))
    .into_response()
}

/// utoipa 5.5 writes a link's `operationRef` as `operation_ref` (its `Link` lacks the camel-case
/// renaming its other types have), which no OpenAPI tool reads: respelled here.
fn spell_links(document: &mut serde_json::Value) {
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let responses = paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses")?.as_object_mut())
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(|l| l.as_object_mut()) else {
            continue;
        };
        for link in links.values_mut().filter_map(|l| l.as_object_mut()) {
            if let Some(reference) = link.remove("operation_ref") {
                link.insert("operationRef".into(), reference);
            }
        }
    }
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
