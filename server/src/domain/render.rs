//! Entity models to the API's representations (the shared types in `app::model`), with the
//! absolute links built from the request.

use std::collections::HashMap;

use app::model::{
    Comment, CommentLinks, Label, Member, MemberLinks, Project, ProjectLinks, SelfLink, Sprint,
    SprintLinks, Task, TaskLinks, TaskStatus, User, UserLinks,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{
    domain::accounts::ticket,
    domain::db::entities::{comment, label, project, project_member, sprint, task, user},
    domain::permissions::Role,
};

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
    /// The day a sprint's `state` is judged on.
    pub today: chrono::NaiveDate,
}

impl<'a> Renderer<'a> {
    /// Links for the client that made a request: absolute, on the origin it used
    /// (`http(s)://host` and `ws(s)://host`, under the base path).
    pub fn for_request(
        http_base: String,
        ws_base: String,
        secret: &'a [u8],
        user_id: Option<i32>,
        today: chrono::NaiveDate,
    ) -> Self {
        Self {
            http_base,
            ws_base,
            secret,
            user_id,
            today,
        }
    }

    /// Links for a live broadcast, read by everyone on a board. Never built from the writer's
    /// `Host` header (a forged one would point every board at another site): `PUBLIC_URL` when
    /// configured, otherwise paths from the root that resolve against each reader's origin;
    /// either way under `base_path`.
    pub fn for_broadcast(
        public_url: Option<&str>,
        base_path: &str,
        secret: &'a [u8],
        today: chrono::NaiveDate,
    ) -> Self {
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
            today,
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
        let state = crate::domain::service::sprints::state(&model, self.today);
        Sprint {
            state,
            wip_limits: crate::domain::service::sprints::wip_limits(&model.wip_limits),
            wip_strict: model.wip_strict,
            completed_at: model.completed_at.map(timestamp),
            start: model.start,
            goal: model.goal,
            links: SprintLinks {
                self_: self.url(&format!("/api/sprints/{}", model.id)),
                tasks: self.url(&format!("/api/tasks?sprint={}", model.id)),
                channel: format!("{}/socket?{query}", self.ws_base),
                project: self.url(&format!("/api/projects/{}", model.project_id)),
            },
            id: model.id,
            name: model.name,
            description: model.description,
            end: model.end,
            version: model.version,
            progress: None,
            project: model.project_id,
        }
    }

    /// `assignee` is the username of `model.assigned_id`, looked up by the caller.
    pub fn task(&self, model: task::Model, assignee: Option<String>) -> Task {
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
                project: self.url(&format!("/api/projects/{}", model.project_id)),
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
            labels: task::label_ids(&model.labels),
            comment_count: u32::try_from(model.comment_count).unwrap_or_default(),
            version: model.version,
            project: model.project_id,
            points: model
                .points_tenths
                .and_then(|tenths| u32::try_from(tenths).ok())
                .map(app::model::Points),
        }
    }

    /// Renders tasks, looking up all their assignees in one query.
    pub async fn tasks(
        &self,
        db: &impl ConnectionTrait,
        models: Vec<task::Model>,
    ) -> Result<Vec<Task>, sea_orm::DbErr> {
        let ids: Vec<i32> = models.iter().filter_map(|t| t.assigned_id).collect();
        let names = usernames(db, ids).await?;
        Ok(models
            .into_iter()
            .map(|model| {
                let assignee = model.assigned_id.and_then(|id| names.get(&id).cloned());
                self.task(model, assignee)
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
            project: model.project_id,
        }
    }

    /// `role`: the caller's role in it.
    pub fn project(&self, model: project::Model, role: Role) -> Project {
        Project {
            links: ProjectLinks {
                self_: self.url(&format!("/api/projects/{}", model.id)),
                members: self.url(&format!("/api/projects/{}/members", model.id)),
                sprints: self.url(&format!("/api/sprints?project={}", model.id)),
                tasks: self.url(&format!("/api/tasks?project={}", model.id)),
            },
            id: model.id,
            name: model.name,
            key: model.key,
            description: model.description,
            archived: model.archived,
            created: timestamp(model.created),
            role: role.as_str().to_owned(),
            version: model.version,
            time_zone: model.time_zone,
        }
    }

    /// `user` is the member's account.
    pub fn member(&self, member: &project_member::Model, user: &user::Model) -> Member {
        let role = Role::parse(&member.role).unwrap_or(Role::Viewer);
        Member {
            links: MemberLinks {
                self_: self.url(&format!(
                    "/api/projects/{}/members/{}",
                    member.project_id,
                    path_segment(&user.username)
                )),
                user: self.url(&format!("/api/users/{}", path_segment(&user.username))),
            },
            user: user.username.clone(),
            full_name: user.full_name(),
            role: role.as_str().to_owned(),
            joined: timestamp(member.joined),
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
