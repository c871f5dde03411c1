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

    /// The status numbered `code`, if there is one (without [`TryFrom`]'s message, which the
    /// browser never shows).
    pub fn of_code(code: i64) -> Option<TaskStatus> {
        TaskStatus::ALL
            .into_iter()
            .find(|status| i64::from(status.code()) == code)
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
    /// `YYYY-MM-DD`: its first day, on or before `end`.
    #[serde(with = "crate::dates::iso")]
    pub start: chrono::NaiveDate,
    /// What the team means to achieve in it.
    pub goal: String,
    /// `planned` (before `start`), `active`, or `completed` (closed; read-only until reopened).
    pub state: SprintState,
    /// Work-in-progress limits by status number: `{"2": 3, "3": 2}`.
    #[cfg_attr(feature = "ssr", schema(value_type = std::collections::BTreeMap<String, u32>))]
    pub wip_limits: WipLimits,
    /// A move past a limit is refused (400) rather than allowed with a warning.
    pub wip_strict: bool,
    /// ISO 8601, UTC: when it was completed; `null` until then.
    #[cfg(not(feature = "browser"))]
    pub completed_at: Option<String>,
}

/// Where a sprint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SprintState {
    Planned,
    Active,
    Completed,
}

impl SprintState {
    pub fn as_str(self) -> &'static str {
        match self {
            SprintState::Planned => "planned",
            SprintState::Active => "active",
            SprintState::Completed => "completed",
        }
    }
}

impl Read for SprintState {
    fn read(json: &Json) -> Option<Self> {
        match json.as_str()? {
            "planned" => Some(SprintState::Planned),
            "active" => Some(SprintState::Active),
            "completed" => Some(SprintState::Completed),
            _ => None,
        }
    }
}

/// A sprint's work-in-progress limits: `(status, most tasks)`, by status, each status once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WipLimits(pub Vec<(TaskStatus, u16)>);

impl WipLimits {
    /// The limit of `status`'s column, if it has one.
    pub fn of(&self, status: TaskStatus) -> Option<u16> {
        self.0.iter().find(|(s, _)| *s == status).map(|(_, n)| *n)
    }

    /// What a column over (or at, when `at_limit`) its limit says: "In Testing is at its limit
    /// of 2 tasks."
    pub fn message(status: TaskStatus, limit: u16, at_limit: bool) -> String {
        let title = status.column_title();
        let state = if at_limit { "at" } else { "over" };
        let tasks = if limit == 1 { "task" } else { "tasks" };
        format!("{title} is {state} its limit of {limit} {tasks}.")
    }
}

impl Serialize for WipLimits {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0
                .iter()
                .map(|(status, limit)| (status.code().to_string(), limit)),
        )
    }
}

impl<'de> Deserialize<'de> for WipLimits {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<String, u16>::deserialize(deserializer)?;
        let mut limits = Vec::new();
        for (key, limit) in map {
            let status = key
                .parse::<i16>()
                .ok()
                .and_then(|code| TaskStatus::try_from(code).ok())
                .ok_or_else(|| serde::de::Error::custom(format!("{key} is not a status")))?;
            limits.push((status, limit));
        }
        Ok(WipLimits(limits))
    }
}

impl Read for WipLimits {
    fn read(json: &Json) -> Option<Self> {
        let limits = json.fields().iter().filter_map(|(key, limit)| {
            let status = TaskStatus::of_code(key.parse().ok()?)?;
            Some((status, u16::read(limit)?))
        });
        Some(WipLimits(limits.collect()))
    }
}

/// An estimate in story points, kept in tenths so sums are exact: at most one decimal, from 0
/// to [`Points::MAX`]. Written as a JSON number (`3`, `0.5`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(pub u32);

impl Points {
    /// 1,000 points, in tenths.
    pub const MAX: Points = Points(10_000);

    pub fn tenths(self) -> u32 {
        self.0
    }

    /// Reads `"3"`, `"0.5"`, `"2.0"`; refuses with the API's message. Decimal text is read
    /// digit by digit (no float parsing).
    pub fn parse(text: &str) -> Result<Points, &'static str> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if let Some(rest) = text.strip_prefix('-')
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        {
            return Err(Points::NEGATIVE);
        }
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(Points::NOT_A_NUMBER);
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > 1 {
            return Err(Points::TOO_PRECISE);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 5 {
            return Err(Points::TOO_LARGE);
        }
        let tenths = whole.parse::<u32>().unwrap_or(0) * 10 + fraction.parse::<u32>().unwrap_or(0);
        if tenths > Points::MAX.0 {
            return Err(Points::TOO_LARGE);
        }
        Ok(Points(tenths))
    }

    pub const NOT_A_NUMBER: &'static str = "A valid number is required.";
    pub const NEGATIVE: &'static str = "Ensure this value is greater than or equal to 0.";
    pub const TOO_LARGE: &'static str = "Ensure this value is less than or equal to 1000.";
    pub const TOO_PRECISE: &'static str = "Ensure that there are no more than 1 decimal places.";
}

/// `3`, `2.5`: as the API reads it, and as cards and totals show it.
impl std::fmt::Display for Points {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0 / 10, self.0 % 10) {
            (whole, 0) => write!(f, "{whole}"),
            (whole, tenth) => write!(f, "{whole}.{tenth}"),
        }
    }
}

impl Serialize for Points {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(10) {
            serializer.serialize_u32(self.0 / 10)
        } else {
            serializer.serialize_f64(f64::from(self.0) / 10.0)
        }
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        Points::parse(&number.to_string()).map_err(serde::de::Error::custom)
    }
}

impl Read for Points {
    /// The API writes points as `3` or `0.5`: whole points, and at most one tenth.
    fn read(json: &Json) -> Option<Self> {
        let Json::Number(number) = json else {
            return None;
        };
        let (whole, tenth) = number.split_once('.').unwrap_or((number, "0"));
        let tenth = tenth
            .bytes()
            .next()
            .map_or(0, |digit| u32::from(digit.wrapping_sub(b'0')));
        let whole = u32::try_from(whole.parse::<i64>().ok()?).ok()?;
        Some(Points(whole * 10 + tenth.min(9)))
    }
}

/// A set of tasks in a sprint report, and their points.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskSet {
    /// Task ids, ascending.
    pub tasks: Vec<i32>,
    /// Their estimates added up (unestimated tasks count 0).
    #[cfg_attr(feature = "ssr", schema(value_type = f64))]
    pub points: Points,
}

/// `GET /api/sprints/{id}/report`: what the sprint set out to do and what came of it, from the
/// change log. A task is `committed` when it was in the sprint at the end of its first day (the
/// planning day), `added` when it joined later, `removed` when it left before the end;
/// `completed` and `carried_over` are the tasks in it at its end, done or not. Each set's
/// points are its tasks' estimates at that moment. Frozen when the sprint is completed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SprintReport {
    pub sprint: i32,
    pub committed: TaskSet,
    pub added: TaskSet,
    pub removed: TaskSet,
    pub completed: TaskSet,
    pub carried_over: TaskSet,
    /// Completed points over committed plus added points, from 0 to 1 (0 when nothing was
    /// estimated).
    pub completion: f64,
    /// ISO 8601, UTC: the moment the figures are as of (the completion, once completed).
    pub as_of: String,
}

/// One day of a burndown: the figures at the end of that day (`null` for days still ahead).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BurndownDay {
    #[serde(with = "crate::dates::iso")]
    pub date: chrono::NaiveDate,
    /// Whether it is a working day (the ideal line falls only on those).
    pub working: bool,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub remaining_points: Option<Points>,
    pub remaining_tasks: Option<u32>,
    /// Every task's points in the sprint (the burn-up's top line).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub scope_points: Option<Points>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub completed_points: Option<Points>,
    /// The straight line from the scope at the start to zero at the end, falling only on
    /// working days (two decimals).
    pub ideal_points: f64,
}

/// `GET /api/sprints/{id}/burndown`: one entry per day from start to end.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Burndown {
    pub sprint: i32,
    pub days: Vec<BurndownDay>,
}

/// A completed sprint's place in the velocity chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VelocitySprint {
    pub id: i32,
    pub name: String,
    #[serde(with = "crate::dates::iso")]
    pub end: chrono::NaiveDate,
    #[cfg_attr(feature = "ssr", schema(value_type = f64))]
    pub completed_points: Points,
    #[cfg_attr(feature = "ssr", schema(value_type = f64))]
    pub committed_points: Points,
}

/// `GET /api/velocity`: the project's last completed sprints, oldest first, with their average
/// and a forecast for the next sprint (`[low, high]`: the average less and plus one standard
/// deviation; `null` with no completed sprint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Velocity {
    pub project: i32,
    pub sprints: Vec<VelocitySprint>,
    pub average: Option<f64>,
    pub forecast: Option<[f64; 2]>,
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
    /// Its estimate in story points (`null`: not estimated): at most one decimal, 0 to 1000.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>, minimum = 0, maximum = 1000, multiple_of = 0.1))]
    pub points: Option<Points>,
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
    /// The IANA time zone its days are counted in (`Europe/Paris`; default `UTC`): where a
    /// burndown's days begin and end.
    pub time_zone: String,
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

    #[test]
    fn points_take_at_most_one_decimal_and_travel_as_numbers() {
        assert_eq!(Points::parse("3"), Ok(Points(30)));
        assert_eq!(Points::parse(" 0.5 "), Ok(Points(5)));
        assert_eq!(Points::parse(".5"), Ok(Points(5)));
        assert_eq!(Points::parse("2.50"), Ok(Points(25)));
        assert_eq!(Points::parse("1000"), Ok(Points::MAX));
        assert_eq!(Points::parse("1000.1"), Err(Points::TOO_LARGE));
        assert_eq!(Points::parse("99999999999"), Err(Points::TOO_LARGE));
        assert_eq!(Points::parse("1.25"), Err(Points::TOO_PRECISE));
        assert_eq!(Points::parse("-2"), Err(Points::NEGATIVE));
        assert_eq!(Points::parse("two"), Err(Points::NOT_A_NUMBER));
        assert_eq!(Points::parse(""), Err(Points::NOT_A_NUMBER));
        assert_eq!(Points::parse("1e3"), Err(Points::NOT_A_NUMBER));
        assert_eq!(serde_json::to_string(&Points(30)).unwrap(), "3");
        assert_eq!(serde_json::to_string(&Points(5)).unwrap(), "0.5");
        assert_eq!(Points(105).to_string(), "10.5");
        assert_eq!(crate::json::from_str::<Points>("0.5"), Some(Points(5)));
    }

    #[test]
    fn limits_travel_by_status_number_and_say_when_a_column_is_full() {
        let limits: WipLimits = serde_json::from_str(r#"{"3": 2, "2": 4}"#).unwrap();
        assert_eq!(limits.of(TaskStatus::Testing), Some(2));
        assert_eq!(limits.of(TaskStatus::Done), None);
        let read = crate::json::from_str::<WipLimits>(r#"{"3": 2, "2": 4}"#).unwrap();
        assert_eq!(read.of(TaskStatus::InProgress), Some(4));
        assert_eq!(read.of(TaskStatus::Testing), limits.of(TaskStatus::Testing));
        assert_eq!(
            WipLimits::message(TaskStatus::Testing, 2, true),
            "In Testing is at its limit of 2 tasks."
        );
        assert_eq!(
            WipLimits::message(TaskStatus::InProgress, 1, false),
            "In Development is over its limit of 1 task."
        );
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
        TaskStatus::of_code(i64::read(json)?)
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
    project,
    start,
    goal,
    state,
    wip_limits,
    wip_strict,
    #[cfg(not(feature = "browser"))]
    completed_at,
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
    points,
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
