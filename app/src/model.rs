//! Types shared by the server and the browser: written with serde, read with
//! [`crate::json::Read`]; no database or DOM in sight.

use serde::{Deserialize, Serialize};

use crate::{
    json::{Json, Read},
    read_fields,
};

/// A task's workflow state. The numbers and labels are the book's API contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "i16", try_from = "i16")]
pub enum TaskStatus {
    NotStarted = 1,
    InProgress = 2,
    Testing = 3,
    Done = 4,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::NotStarted,
        TaskStatus::InProgress,
        TaskStatus::Testing,
        TaskStatus::Done,
    ];

    /// The API's `status_display` (the book's `get_status_display()`).
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "Not Started",
            TaskStatus::InProgress => "In Progress",
            TaskStatus::Testing => "Testing",
            TaskStatus::Done => "Done",
        }
    }

    /// The board's column title for a sprint task in this state.
    pub fn column_title(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "Not Started",
            TaskStatus::InProgress => "In Development",
            TaskStatus::Testing => "In Testing",
            TaskStatus::Done => "Completed",
        }
    }

    pub fn code(self) -> i16 {
        self as i16
    }
}

impl From<TaskStatus> for i16 {
    fn from(status: TaskStatus) -> Self {
        status.code()
    }
}

impl TryFrom<i16> for TaskStatus {
    type Error = String;

    fn try_from(code: i16) -> Result<Self, Self::Error> {
        TaskStatus::ALL
            .into_iter()
            .find(|status| status.code() == code)
            .ok_or_else(|| format!("{code} is not one of the available choices."))
    }
}

/// A sprint as the REST API represents it (the book's fields plus `version`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Sprint {
    pub id: i32,
    pub name: String,
    pub description: String,
    /// `YYYY-MM-DD`; unique across sprints.
    #[serde(with = "crate::dates::iso")]
    pub end: chrono::NaiveDate,
    /// Not read by the browser, which needs none of an object's links.
    #[cfg(not(feature = "browser"))]
    pub links: SprintLinks,
    /// Bumped on every write; send it back (or as `If-Match`) to detect lost updates.
    pub version: i32,
    /// How far along it is: only in lists asked for `?progress=true` (the home page's tiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<SprintProgress>,
    /// The project it belongs to (fixed at creation).
    pub project: i32,
}

/// A sprint's tasks, and how many of them are done, as of the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SprintProgress {
    pub tasks: u32,
    pub completed: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SprintLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub tasks: String,
    /// The sprint's live stream: a `ws(s)://` URL with a short-lived ticket, usable as-is.
    pub channel: String,
    /// Its project.
    #[serde(default)]
    pub project: String,
}

impl Sprint {
    /// The book's display string: the name, or "Sprint ending <end>".
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            format!("Sprint ending {}", self.end)
        } else {
            self.name.clone()
        }
    }
}

/// A task as the REST API represents it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Task {
    pub id: i32,
    pub name: String,
    pub description: String,
    /// The sprint's id; `None` means the backlog.
    pub sprint: Option<i32>,
    /// 1 Not Started, 2 In Progress, 3 Testing, 4 Done.
    #[cfg_attr(feature = "ssr", schema(value_type = i16, minimum = 1, maximum = 4))]
    pub status: TaskStatus,
    pub status_display: String,
    pub order: i16,
    /// The assignee's username.
    pub assigned: Option<String>,
    #[serde(default, with = "crate::dates::iso::option")]
    pub started: Option<chrono::NaiveDate>,
    #[serde(default, with = "crate::dates::iso::option")]
    pub due: Option<chrono::NaiveDate>,
    #[serde(default, with = "crate::dates::iso::option")]
    pub completed: Option<chrono::NaiveDate>,
    /// The ids of its labels, ascending. Clients that never send it (the book's) keep a
    /// task's labels on PUT and PATCH alike.
    #[serde(default)]
    pub labels: Vec<i32>,
    /// How many comments its thread holds (read-only).
    #[serde(default)]
    pub comment_count: u32,
    /// Not read by the browser, which needs none of an object's links.
    #[cfg(not(feature = "browser"))]
    pub links: TaskLinks,
    pub version: i32,
    /// The project it belongs to (fixed at creation; its sprint's, when it is in one). The
    /// browser works from its sprint's, and leaves this out of the bundle.
    #[cfg(not(feature = "browser"))]
    pub project: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub sprint: Option<String>,
    pub assigned: Option<String>,
    /// The task's comment thread.
    #[serde(default)]
    pub comments: String,
    /// Its project.
    #[serde(default)]
    pub project: String,
}

/// The colours a label may take, by name: the style sheet gives each a background and a text
/// colour that meet WCAG AA in every theme.
pub const LABEL_COLOURS: [&str; 9] = [
    "grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink",
];

/// A label as the REST API represents it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Label {
    pub id: i32,
    /// Unique ignoring case; at most 50 characters.
    pub name: String,
    /// One of [`LABEL_COLOURS`].
    pub colour: String,
    /// Not read by the browser, which needs none of an object's links.
    #[cfg(not(feature = "browser"))]
    pub links: SelfLink,
    pub version: i32,
    /// The project it belongs to; a task carries only its own project's labels. (Not read
    /// by the browser, as a task's.)
    #[cfg(not(feature = "browser"))]
    pub project: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SelfLink {
    #[serde(rename = "self")]
    pub self_: String,
}

/// A comment as the REST API represents it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: i32,
    /// The task's id.
    pub task: i32,
    /// The author's username.
    pub author: String,
    /// The text as written: plain, with a safe subset of Markdown.
    pub body: String,
    /// The text rendered to HTML by the server: emphasis, code, links (http, https, mailto)
    /// and lists; anything else written as HTML arrives as text. Safe to insert as it is.
    pub html: String,
    /// The people it mentions (`@username` of an existing account), in order of appearance.
    pub mentions: Vec<String>,
    /// ISO 8601, UTC.
    pub created: String,
    /// When its text last changed (ISO 8601, UTC); `null` while it is as first written.
    pub edited: Option<String>,
    /// Not read by the browser, which needs none of an object's links.
    #[cfg(not(feature = "browser"))]
    pub links: CommentLinks,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommentLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub task: String,
    pub author: String,
}

/// A user as the REST API represents it: never a password or its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i32,
    pub username: String,
    pub full_name: String,
    pub is_active: bool,
    /// Not read by the browser, which needs none of an object's links.
    #[cfg(not(feature = "browser"))]
    pub links: UserLinks,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub tasks: String,
}

/// One page of a list (DRF's envelope); `next`/`previous` are absolute URLs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// The body of `POST /api/tasks/{id}/move`: where a dragged card lands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MoveTask {
    #[cfg_attr(feature = "ssr", schema(value_type = i16, minimum = 1, maximum = 4))]
    pub status: TaskStatus,
    /// Target sprint; `None` is the backlog.
    pub sprint: Option<i32>,
    /// The task it is dropped in front of; `None` puts it at the end of the column.
    pub before: Option<i32>,
    /// Optional optimistic-concurrency check, as `If-Match` would do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// What `GET /api/session` and `POST /api/session` answer for a signed-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub user: User,
    /// Send as `X-CSRFToken` on writes when the `Origin` header cannot be relied on.
    pub csrf_token: String,
    /// The project the board opens on (the person's default project, an id as a sprint's
    /// `project` is); `null` when they are in none.
    #[serde(default)]
    pub project: Option<i32>,
    /// Its name, or "Projects" when there is none: what the header's link to "Your projects"
    /// says.
    #[serde(default)]
    pub project_name: String,
    /// Nothing on its board may be changed by this person: they are a viewer there, or the
    /// project is archived.
    #[serde(default)]
    pub read_only: bool,
}

/// One of a person's browser sessions, as `GET /api/me/sessions` lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionSummary {
    /// Names the session without revealing it: the start of its stored digest, never the
    /// cookie.
    pub id: String,
    /// ISO 8601, UTC: when it was signed in.
    pub created: String,
    /// ISO 8601, UTC: when it ends unless signed out before.
    pub expires: String,
    /// Whether it is the session this request came with.
    pub current: bool,
}

/// The signed-in person's own account (`GET/PATCH /api/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Profile {
    pub id: i32,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub email: String,
    /// Where writes that name no project go (the book's clients never name one); `null`: the
    /// first project joined.
    pub default_project: Option<i32>,
    pub is_superuser: bool,
    /// ISO 8601, UTC.
    pub date_joined: String,
}

/// One of a person's API tokens, as `GET /api/me/tokens` lists them (never the key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenSummary {
    /// Names the token without revealing it: the start of its stored digest.
    pub id: String,
    /// What its owner called it; empty for tokens from `POST /api/token/`.
    pub name: String,
    /// ISO 8601, UTC.
    pub created: String,
    /// ISO 8601, UTC; `None`: until revoked.
    pub expires: Option<String>,
    /// Whether this request came with it.
    pub current: bool,
}

/// `POST /api/me/tokens`: the new token, with its key shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewToken {
    #[serde(flatten)]
    pub token: TokenSummary,
    /// Send as `Authorization: Token <key>`. Not shown again.
    pub key: String,
}

/// An account as site administrators see it (`/api/admin/users`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: i32,
    pub username: String,
    pub email: String,
    pub full_name: String,
    /// A deactivated account cannot sign in, and its sessions and tokens are gone.
    pub is_active: bool,
    /// A site administrator manages accounts.
    pub is_superuser: bool,
    /// Invited, and the invitation's link not used yet: no password is set.
    pub awaiting_password: bool,
    /// ISO 8601, UTC.
    pub date_joined: String,
}

/// A one-time link to set a password, shown once to whoever made it, to hand over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordLink {
    /// Absolute; works once.
    pub url: String,
    /// ISO 8601, UTC: when it stops working.
    pub expires: String,
}

/// A project as the API represents it (`/api/projects`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: i32,
    pub name: String,
    /// Short and uppercase ("WEB"): 2 to 10 letters and digits, starting with a letter.
    pub key: String,
    pub description: String,
    /// Read-only, and left out of lists that do not name it.
    pub archived: bool,
    /// ISO 8601, UTC.
    pub created: String,
    /// The caller's role in it: `owner`, `member` or `viewer` (site administrators who are
    /// not members act as owners: `owner`).
    pub role: String,
    pub links: ProjectLinks,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProjectLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub members: String,
    /// Its sprints (`/api/sprints?project=<id>`), and its tasks likewise.
    pub sprints: String,
    pub tasks: String,
}

/// A person's membership of a project (`/api/projects/{id}/members`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Member {
    /// Their username.
    pub user: String,
    pub full_name: String,
    /// `owner`, `member` or `viewer`.
    pub role: String,
    /// ISO 8601, UTC.
    pub joined: String,
    pub links: MemberLinks,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub user: String,
}

/// `POST /api/admin/users`: the invited account and the link to hand its person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub account: Account,
    pub password_link: PasswordLink,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_travel_as_the_books_numbers() {
        assert_eq!(serde_json::to_string(&TaskStatus::Testing).unwrap(), "3");
        assert_eq!(
            serde_json::from_str::<TaskStatus>("4").unwrap(),
            TaskStatus::Done
        );
        assert!(serde_json::from_str::<TaskStatus>("5").is_err());
        assert_eq!(TaskStatus::InProgress.label(), "In Progress");
        assert_eq!(TaskStatus::InProgress.column_title(), "In Development");
    }
}

/// One change-log entry as the history endpoints show it: who changed what, when, how.
/// (`at` stays text: the browser shows a few of them, and chrono's general-purpose reader
/// would cost the bundle more than they need.)
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// The order in which changes became visible (a frame's `seq`).
    pub id: u64,
    /// ISO 8601, UTC: `2026-12-05T08:00:00.123456Z`.
    pub at: String,
    /// Who made it (`null`: the server's command line).
    pub actor: Option<String>,
    /// `task`, `sprint`, `user`, `label` or `comment`.
    pub model: String,
    /// The object's id.
    pub object: i32,
    /// `create`, `update`, `delete` or `move`.
    pub action: String,
    /// `{field: [before, after]}` in the REST field names and values (status as its number,
    /// sprint as its id, assigned as a username): only the fields that changed.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub changes: FieldChanges,
    pub links: HistoryLinks,
}

/// The fields a change touched, each with its value before and after, in the log's order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldChanges(pub Vec<(String, [Json<'static>; 2])>);

impl FieldChanges {
    /// `[before, after]` of `field`, if the change touched it.
    pub fn get(&self, field: &str) -> Option<&[Json<'static>; 2]> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, pair)| pair)
    }
}

impl Serialize for FieldChanges {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, pair)| (name, pair)))
    }
}

impl Read for FieldChanges {
    fn read(json: &Json) -> Option<Self> {
        let pairs = json
            .fields()
            .iter()
            .filter_map(|(name, pair)| match pair.items() {
                [before, after] => Some((
                    name.to_string(),
                    [before.clone().into_owned(), after.clone().into_owned()],
                )),
                _ => None,
            });
        Some(FieldChanges(pairs.collect()))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryLinks {
    #[serde(rename = "self")]
    pub self_: String,
    /// The object changed (gone if it was deleted since).
    pub object: String,
    /// `POST` here to take the change back: only on the caller's own recent changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<String>,
}

impl Read for TaskStatus {
    fn read(json: &Json) -> Option<Self> {
        TaskStatus::try_from(i16::read(json)?).ok()
    }
}

read_fields!(Sprint {
    id,
    name,
    description,
    end,
    #[cfg(not(feature = "browser"))]
    links,
    version,
    progress,
    project
});
read_fields!(SprintProgress { tasks, completed });
read_fields!(SprintLinks {
    self_ = "self",
    tasks,
    channel,
    project
});
read_fields!(Task {
    id,
    name,
    description,
    sprint,
    status,
    status_display,
    order,
    assigned,
    started,
    due,
    completed,
    labels,
    comment_count,
    #[cfg(not(feature = "browser"))]
    links,
    version,
    #[cfg(not(feature = "browser"))]
    project,
});
read_fields!(TaskLinks {
    self_ = "self",
    sprint,
    assigned,
    comments,
    project
});
read_fields!(Label {
    id,
    name,
    colour,
    #[cfg(not(feature = "browser"))]
    links,
    version,
    #[cfg(not(feature = "browser"))]
    project
});
read_fields!(SelfLink { self_ = "self" });
read_fields!(Comment {
    id,
    task,
    author,
    body,
    html,
    mentions,
    created,
    edited,
    #[cfg(not(feature = "browser"))]
    links,
    version
});
read_fields!(CommentLinks { self_ = "self", task, author });
read_fields!(User {
    id,
    username,
    full_name,
    is_active,
    #[cfg(not(feature = "browser"))]
    links
});
read_fields!(UserLinks { self_ = "self", tasks });
read_fields!(SessionInfo {
    user,
    csrf_token,
    project,
    project_name,
    read_only
});
read_fields!(HistoryEntry {
    id,
    at,
    actor,
    model,
    object,
    action,
    changes,
    links
});
read_fields!(HistoryLinks { self_ = "self", object, undo });
