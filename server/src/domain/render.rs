//! Entity models to the API's representations (the shared types in `app::model`), with the
//! absolute links built from the request.

use std::collections::HashMap;

use app::model::{
    Comment, CommentLinks, Label, SelfLink, Sprint, SprintLinks, Task, TaskLinks, TaskStatus, User,
    UserLinks,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    sea_query::{Alias, Expr, Query, UnionType},
};

use crate::{
    domain::accounts::ticket,
    domain::db::entities::{comment, label, sprint, task, task_label, user},
};

/// What a task's representation holds beyond its own row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskExtras {
    /// Its labels' ids, ascending.
    pub labels: Vec<i32>,
    pub comment_count: u32,
}

/// What links need: the base URLs to build them on, and who is asking (channel tickets).
pub struct Renderer<'a> {
    /// `http(s)://host` of the request, or `""` for root-relative links.
    http_base: String,
    /// `ws(s)://host`, or `""`.
    ws_base: String,
    pub secret: &'a [u8],
    /// The caller, for whom channel tickets are minted. `None` renders for broadcast: the
    /// channel link then carries no ticket (one person's ticket must never reach another).
    pub user_id: Option<i32>,
}

impl<'a> Renderer<'a> {
    /// Links for the client that made a request: absolute, on the origin it used
    /// (`http(s)://host` and `ws(s)://host`, under the base path).
    pub fn for_request(
        http_base: String,
        ws_base: String,
        secret: &'a [u8],
        user_id: Option<i32>,
    ) -> Self {
        Self {
            http_base,
            ws_base,
            secret,
            user_id,
        }
    }

    /// Links for a live broadcast, read by everyone on a board. Never built from the writer's
    /// `Host` header (a forged one would point every board at another site): `PUBLIC_URL` when
    /// configured, otherwise paths from the root that resolve against each reader's origin;
    /// either way under `base_path`.
    pub fn for_broadcast(public_url: Option<&str>, base_path: &str, secret: &'a [u8]) -> Self {
        let site = public_url.unwrap_or("").trim_end_matches('/');
        let http_base = format!("{site}{base_path}");
        let ws_base = if let Some(rest) = http_base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = http_base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            http_base.clone()
        };
        Self {
            http_base,
            ws_base,
            secret,
            user_id: None,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.http_base)
    }
}

impl Renderer<'_> {
    pub fn sprint(&self, model: sprint::Model) -> Sprint {
        let query = match self.user_id {
            Some(user_id) => format!(
                "channel={}",
                ticket::mint(
                    self.secret,
                    model.id,
                    user_id,
                    chrono::Utc::now().timestamp()
                )
            ),
            None => format!("sprint={}", model.id),
        };
        Sprint {
            links: SprintLinks {
                self_: self.url(&format!("/api/sprints/{}", model.id)),
                tasks: self.url(&format!("/api/tasks?sprint={}", model.id)),
                channel: format!("{}/socket?{query}", self.ws_base),
            },
            id: model.id,
            name: model.name,
            description: model.description,
            end: model.end,
            version: model.version,
        }
    }

    /// `assignee` is the username of `model.assigned_id`, and `extras` its labels and comment
    /// count, looked up by the caller.
    pub fn task(&self, model: task::Model, assignee: Option<String>, extras: TaskExtras) -> Task {
        let status = TaskStatus::try_from(model.status).unwrap_or(TaskStatus::NotStarted);
        Task {
            links: TaskLinks {
                self_: self.url(&format!("/api/tasks/{}", model.id)),
                sprint: model
                    .sprint_id
                    .map(|id| self.url(&format!("/api/sprints/{id}"))),
                assigned: assignee
                    .as_ref()
                    .map(|name| self.url(&format!("/api/users/{}", path_segment(name)))),
                comments: self.url(&format!("/api/tasks/{}/comments", model.id)),
            },
            id: model.id,
            name: model.name,
            description: model.description,
            sprint: model.sprint_id,
            status,
            status_display: status.label().to_owned(),
            order: model.order,
            assigned: assignee,
            started: model.started,
            due: model.due,
            completed: model.completed,
            labels: extras.labels,
            comment_count: extras.comment_count,
            version: model.version,
        }
    }

    /// Renders tasks, looking up all their assignees in one query and their labels and
    /// comment counts in another.
    pub async fn tasks(
        &self,
        db: &impl ConnectionTrait,
        models: Vec<task::Model>,
    ) -> Result<Vec<Task>, sea_orm::DbErr> {
        let ids: Vec<i32> = models.iter().filter_map(|t| t.assigned_id).collect();
        let names = usernames(db, ids).await?;
        let mut extras = task_extras(db, models.iter().map(|t| t.id).collect()).await?;
        Ok(models
            .into_iter()
            .map(|model| {
                let assignee = model.assigned_id.and_then(|id| names.get(&id).cloned());
                let extras = extras.remove(&model.id).unwrap_or_default();
                self.task(model, assignee, extras)
            })
            .collect())
    }

    pub async fn one_task(
        &self,
        db: &impl ConnectionTrait,
        model: task::Model,
    ) -> Result<Task, sea_orm::DbErr> {
        Ok(self
            .tasks(db, vec![model])
            .await?
            .pop()
            .expect("one task in, one out"))
    }

    pub fn user(&self, model: user::Model) -> User {
        User {
            full_name: model.full_name(),
            links: UserLinks {
                self_: self.url(&format!("/api/users/{}", path_segment(&model.username))),
                tasks: self.url(&format!(
                    "/api/tasks?assigned={}",
                    form_urlencoded::byte_serialize(model.username.as_bytes()).collect::<String>()
                )),
            },
            id: model.id,
            username: model.username,
            is_active: model.is_active,
        }
    }
}

impl Renderer<'_> {
    pub fn label(&self, model: label::Model) -> Label {
        Label {
            links: SelfLink {
                self_: self.url(&format!("/api/labels/{}", model.id)),
            },
            id: model.id,
            name: model.name,
            colour: model.colour,
            version: model.version,
        }
    }

    /// `author` is the username of `model.author_id`.
    pub fn comment(&self, model: comment::Model, author: String) -> Comment {
        let people: Vec<String> = model
            .mentions
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let rendered = super::markdown::render(&model.body, &people);
        Comment {
            links: CommentLinks {
                self_: self.url(&format!("/api/comments/{}", model.id)),
                task: self.url(&format!("/api/tasks/{}", model.task_id)),
                author: self.url(&format!("/api/users/{}", path_segment(&author))),
            },
            id: model.id,
            task: model.task_id,
            author,
            html: rendered.html,
            mentions: rendered.mentions,
            body: model.body,
            created: timestamp(model.created),
            edited: model.edited.map(timestamp),
            version: model.version,
        }
    }
}

/// A time as the API writes it: ISO 8601 in UTC, to the microsecond.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The labels and comment counts of `ids`, in one round trip (a union of the two lookups).
pub async fn task_extras(
    db: &impl ConnectionTrait,
    mut ids: Vec<i32>,
) -> Result<HashMap<i32, TaskExtras>, sea_orm::DbErr> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    #[derive(FromQueryResult)]
    struct Row {
        task_id: i32,
        kind: i32,
        value: i64,
    }
    let mut labels = Query::select()
        .column(task_label::Column::TaskId)
        .expr_as(Expr::val(0), Alias::new("kind"))
        .expr_as(Expr::col(task_label::Column::LabelId), Alias::new("value"))
        .from(task_label::Entity)
        .and_where(task_label::Column::TaskId.is_in(ids.clone()))
        .to_owned();
    let counts = Query::select()
        .column(comment::Column::TaskId)
        .expr_as(Expr::val(1), Alias::new("kind"))
        .expr_as(Expr::col(comment::Column::Id).count(), Alias::new("value"))
        .from(comment::Entity)
        .and_where(comment::Column::TaskId.is_in(ids))
        .group_by_col(comment::Column::TaskId)
        .to_owned();
    // (On PostgreSQL the union's `value` is a bigint: the count's type wins over the id's.)
    let statement = labels.union(UnionType::All, counts).to_owned();
    let rows = Row::find_by_statement(db.get_database_backend().build(&statement))
        .all(db)
        .await?;
    let mut extras: HashMap<i32, TaskExtras> = HashMap::new();
    for row in rows {
        let entry = extras.entry(row.task_id).or_default();
        if row.kind == 0 {
            entry.labels.push(row.value as i32);
        } else {
            entry.comment_count = u32::try_from(row.value).unwrap_or(u32::MAX);
        }
    }
    for entry in extras.values_mut() {
        entry.labels.sort_unstable();
    }
    Ok(extras)
}

/// Percent-encodes a username for a URL path (letters beyond ASCII, and anything reserved).
fn path_segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@+".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

async fn usernames(
    db: &impl ConnectionTrait,
    mut ids: Vec<i32>,
) -> Result<HashMap<i32, String>, sea_orm::DbErr> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.id, user.username))
        .collect())
}
