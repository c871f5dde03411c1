//! Export and import: one versioned JSON document with a site's (or one project's) projects,
//! members, sprints, tasks, labels, comments and change log, that another install loads.
//!
//! **Ids.** The document numbers each kind of object itself, 1, 2, … in the order of the
//! source's ids, and every reference in it (a task's sprint, a log entry's object, the ids
//! inside logged bodies and changes, a completed sprint's frozen report) uses those numbers.
//! An import inserts in that order, so the new ids keep it, and exporting again gives the same
//! document. Objects that the log mentions but that no longer exist (a deleted task) get
//! negative numbers, -1, -2, … in the order the log first names them, and on import negative
//! ids below any the log already holds: they can never name a live object, and their history
//! still reads (a burndown counts a task that was removed, then deleted).
//!
//! **What is left out:** password hashes, tokens, sessions and links (never exported); the
//! links inside logged bodies (they hold a host's address and are rebuilt from the ids); the
//! entries about accounts, which belong to no project.
//!
//! **The import's own record:** one entry per imported project in the site's log (no
//! project, so only site administrators read it: who brought it in, and when).
//!
//! **All or nothing:** an import is one transaction; the first problem found (a project key
//! already used here, a reference to an object the file does not hold, a malformed value)
//! refuses the whole file with a message naming it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::{
    accounts::users,
    db::entities::{
        change, comment, label, project, project_member, sprint, task, task_label, user,
    },
    log::{self, Actor, NewEntry},
    permissions::Role,
    store::Store,
};

/// What the document calls itself, and the version of its shape.
pub const FORMAT: &str = "scrum-board-export";
pub const VERSION: u32 = 1;

/// The whole document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub format: String,
    pub version: u32,
    /// Everyone the projects mention (members, assignees, comment authors), by username.
    pub users: Vec<UserDoc>,
    pub projects: Vec<ProjectDoc>,
    /// The projects' change log, oldest first.
    pub log: Vec<EntryDoc>,
}

/// An account, without its password or tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDoc {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectDoc {
    pub id: i32,
    pub key: String,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub created: DateTime<Utc>,
    pub time_zone: String,
    pub version: i32,
    pub members: Vec<MemberDoc>,
    pub labels: Vec<LabelDoc>,
    pub sprints: Vec<SprintDoc>,
    pub tasks: Vec<TaskDoc>,
    pub comments: Vec<CommentDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberDoc {
    pub user: String,
    /// `owner`, `member` or `viewer`.
    pub role: String,
    pub joined: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelDoc {
    pub id: i32,
    pub name: String,
    pub colour: String,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SprintDoc {
    pub id: i32,
    pub name: String,
    pub description: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub goal: String,
    /// As stored: `"2:3,3:2"` (status:limit), `""` for none.
    pub wip_limits: String,
    pub wip_strict: bool,
    pub completed_at: Option<DateTime<Utc>>,
    /// A completed sprint's frozen report and burndown.
    pub summary: Option<Value>,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskDoc {
    pub id: i32,
    /// `None`: the backlog.
    pub sprint: Option<i32>,
    pub name: String,
    pub description: String,
    /// 1 Not Started, 2 In Progress, 3 Testing, 4 Done.
    pub status: i16,
    pub order: i16,
    /// A username.
    pub assigned: Option<String>,
    pub started: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub completed: Option<NaiveDate>,
    /// Tenths of a point (`25` is 2.5 points).
    pub points_tenths: Option<i32>,
    pub labels: Vec<i32>,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentDoc {
    pub id: i32,
    pub task: i32,
    pub author: String,
    pub body: String,
    pub created: DateTime<Utc>,
    pub edited: Option<DateTime<Utc>>,
    pub version: i32,
}

/// A change-log entry (see [`log::Entry`]), its ids the document's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryDoc {
    pub at: DateTime<Utc>,
    /// The username of who made it; `None`: the server's command line.
    pub actor: Option<String>,
    pub model: log::Model,
    /// The object's id; for a membership, the member's username.
    pub object: Value,
    pub action: log::Action,
    pub changes: Value,
    pub body: Value,
    pub version: i32,
    pub sprints: Vec<i32>,
    pub backlog: bool,
    pub column: Option<Vec<(i32, i32)>>,
    pub project: Option<i32>,
}

/// The kinds of object whose ids the document renumbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Project,
    Sprint,
    Task,
    Label,
    Comment,
}

impl Kind {
    fn of(model: log::Model) -> Option<Kind> {
        match model {
            log::Model::Project => Some(Kind::Project),
            log::Model::Sprint => Some(Kind::Sprint),
            log::Model::Task => Some(Kind::Task),
            log::Model::Label => Some(Kind::Label),
            log::Model::Comment => Some(Kind::Comment),
            log::Model::User | log::Model::Member => None,
        }
    }

    /// Which kind a field of a logged body, a change or a frozen report names.
    fn of_field(field: &str) -> Option<Kind> {
        match field {
            "sprint" => Some(Kind::Sprint),
            "project" => Some(Kind::Project),
            "task" | "tasks" => Some(Kind::Task),
            "labels" => Some(Kind::Label),
            _ => None,
        }
    }
}

/// One renumbering: ids the objects had → ids they get. Used both ways (export: the site's
/// ids → the document's; import: the document's → the new install's), so the two cannot
/// disagree.
struct Renumbering {
    known: HashMap<Kind, HashMap<i32, i32>>,
    /// The next number for an object the log names but nobody holds (counting down).
    next_ghost: i32,
}

impl Renumbering {
    fn new(first_ghost: i32) -> Self {
        Self {
            known: HashMap::new(),
            next_ghost: first_ghost,
        }
    }

    fn add(&mut self, kind: Kind, from: i32, to: i32) {
        self.known.entry(kind).or_default().insert(from, to);
    }

    fn get(&self, kind: Kind, id: i32) -> Option<i32> {
        self.known.get(&kind)?.get(&id).copied()
    }

    /// The next number for an object nobody holds.
    fn ghost(&mut self) -> i32 {
        let ghost = self.next_ghost;
        self.next_ghost -= 1;
        ghost
    }

    /// The new id of `id`, giving an object nobody holds the next ghost number.
    fn id(&mut self, kind: Kind, id: i32) -> i32 {
        if let Some(new) = self.get(kind, id) {
            return new;
        }
        let ghost = self.ghost();
        self.add(kind, id, ghost);
        ghost
    }

    /// Renumbers every id in `value` (a number, or arrays of them, nulls kept) as `kind`.
    fn ids_in(&mut self, kind: Kind, value: &mut Value) {
        match value {
            Value::Number(number) => {
                if let Some(id) = number.as_i64().and_then(|id| i32::try_from(id).ok()) {
                    *value = Value::from(self.id(kind, id));
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.ids_in(kind, item)),
            _ => {}
        }
    }

    /// Renumbers a logged body, a change set or a frozen report: `id` as `own`, the fields
    /// that name objects as theirs, nested objects likewise; drops `links`.
    fn json(&mut self, own: Option<Kind>, value: &mut Value) {
        let Value::Object(fields) = value else { return };
        fields.remove("links");
        for (field, inner) in fields.iter_mut() {
            let kind = if field == "id" {
                own
            } else {
                Kind::of_field(field)
            };
            match kind {
                Some(kind) => self.ids_in(kind, inner),
                None if inner.is_object() => self.json(None, inner),
                None => {}
            }
        }
    }

    /// Renumbers an entry's ids (everything but its object, which depends on its model).
    fn entry(&mut self, kind: Option<Kind>, entry: &mut EntryDoc) {
        self.json(kind, &mut entry.body);
        self.json(None, &mut entry.changes);
        for sprint in &mut entry.sprints {
            *sprint = self.id(Kind::Sprint, *sprint);
        }
        entry.sprints.sort_unstable();
        if let Some(column) = &mut entry.column {
            for (task, _) in column.iter_mut() {
                *task = self.id(Kind::Task, *task);
            }
        }
        entry.project = entry.project.map(|id| self.id(Kind::Project, id));
    }
}

/// What to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Everything,
    Project(i32),
}

/// The document of `scope`, read in one transaction, so it is one consistent moment.
pub async fn export(store: &Store, scope: Scope) -> Result<Document, DbErr> {
    let txn = store.db.begin().await?;
    let document = export_in(&txn, scope).await?;
    txn.commit().await?;
    Ok(document)
}

async fn export_in(db: &impl ConnectionTrait, scope: Scope) -> Result<Document, DbErr> {
    let mut projects = project::Entity::find().order_by_asc(project::Column::Id);
    if let Scope::Project(id) = scope {
        projects = projects.filter(project::Column::Id.eq(id));
    }
    let projects = projects.all(db).await?;
    let ids: Vec<i32> = projects.iter().map(|p| p.id).collect();

    let members = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.is_in(ids.clone()))
        .all(db)
        .await?;
    let labels = label::Entity::find()
        .filter(label::Column::ProjectId.is_in(ids.clone()))
        .order_by_asc(label::Column::Id)
        .all(db)
        .await?;
    let sprints = sprint::Entity::find()
        .filter(sprint::Column::ProjectId.is_in(ids.clone()))
        .order_by_asc(sprint::Column::Id)
        .all(db)
        .await?;
    let tasks = task::Entity::find()
        .filter(task::Column::ProjectId.is_in(ids.clone()))
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?;
    let task_ids: Vec<i32> = tasks.iter().map(|t| t.id).collect();
    let comments = comment::Entity::find()
        .filter(comment::Column::TaskId.is_in(task_ids))
        .order_by_asc(comment::Column::Id)
        .all(db)
        .await?;
    let entries = change::Entity::find()
        .filter(change::Column::ProjectId.is_in(ids.clone()))
        .order_by_asc(change::Column::Id)
        .all(db)
        .await?;

    // Everyone the projects mention.
    let mentioned: BTreeSet<i32> = members
        .iter()
        .map(|m| m.user_id)
        .chain(tasks.iter().filter_map(|t| t.assigned_id))
        .chain(comments.iter().map(|c| c.author_id))
        .collect();
    let people = user::Entity::find()
        .filter(user::Column::Id.is_in(mentioned))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    let username: HashMap<i32, String> =
        people.iter().map(|p| (p.id, p.username.clone())).collect();
    let name_of = |id: i32| username.get(&id).cloned().unwrap_or_default();

    let mut numbers = Renumbering::new(-1);
    for (kind, ids) in [
        (
            Kind::Project,
            projects.iter().map(|p| p.id).collect::<Vec<_>>(),
        ),
        (Kind::Label, labels.iter().map(|l| l.id).collect()),
        (Kind::Sprint, sprints.iter().map(|s| s.id).collect()),
        (Kind::Task, tasks.iter().map(|t| t.id).collect()),
        (Kind::Comment, comments.iter().map(|c| c.id).collect()),
    ] {
        for (index, id) in ids.into_iter().enumerate() {
            numbers.add(kind, id, i32::try_from(index + 1).unwrap_or(i32::MAX));
        }
    }

    // The log first: it decides the order in which gone objects are numbered.
    let mut log = Vec::with_capacity(entries.len());
    for row in entries {
        let entry = log::read(row)?;
        let kind = Kind::of(entry.model);
        let object = match kind {
            Some(kind) => Value::from(numbers.id(kind, entry.object)),
            // A membership's object is the person: named by username, as in its body.
            None => entry.body.get("user").cloned().unwrap_or(Value::Null),
        };
        let mut doc = EntryDoc {
            at: entry.at,
            actor: entry.actor.username,
            model: entry.model,
            object,
            action: entry.action,
            changes: serde_json::to_value(&entry.changes).expect("changes serialize"),
            body: entry.body,
            version: entry.version,
            sprints: entry.sprints,
            backlog: entry.backlog,
            column: entry.column,
            project: entry.project,
        };
        numbers.entry(kind, &mut doc);
        log.push(doc);
    }

    let mut documents = Vec::with_capacity(projects.len());
    for model in projects {
        let project_id = model.id;
        let mut members: Vec<MemberDoc> = members
            .iter()
            .filter(|m| m.project_id == project_id)
            .map(|m| MemberDoc {
                user: name_of(m.user_id),
                role: m.role.clone(),
                joined: m.joined,
            })
            .collect();
        members.sort_by(|a, b| a.user.cmp(&b.user));
        let project_tasks: Vec<&task::Model> = tasks
            .iter()
            .filter(|t| t.project_id == project_id)
            .collect();
        let in_project: BTreeSet<i32> = project_tasks.iter().map(|t| t.id).collect();
        documents.push(ProjectDoc {
            id: numbers.id(Kind::Project, project_id),
            key: model.key,
            name: model.name,
            description: model.description,
            archived: model.archived,
            created: model.created,
            time_zone: model.time_zone,
            version: model.version,
            members,
            labels: labels
                .iter()
                .filter(|l| l.project_id == project_id)
                .map(|l| LabelDoc {
                    id: numbers.id(Kind::Label, l.id),
                    name: l.name.clone(),
                    colour: l.colour.clone(),
                    version: l.version,
                })
                .collect(),
            sprints: sprints
                .iter()
                .filter(|s| s.project_id == project_id)
                .map(|s| {
                    let mut summary = s
                        .summary
                        .as_deref()
                        .and_then(|text| serde_json::from_str::<Value>(text).ok());
                    if let Some(summary) = &mut summary {
                        numbers.json(None, summary);
                    }
                    SprintDoc {
                        id: numbers.id(Kind::Sprint, s.id),
                        name: s.name.clone(),
                        description: s.description.clone(),
                        start: s.start,
                        end: s.end,
                        goal: s.goal.clone(),
                        wip_limits: s.wip_limits.clone(),
                        wip_strict: s.wip_strict,
                        completed_at: s.completed_at,
                        summary,
                        version: s.version,
                    }
                })
                .collect(),
            tasks: project_tasks
                .iter()
                .map(|t| TaskDoc {
                    id: numbers.id(Kind::Task, t.id),
                    sprint: t.sprint_id.map(|id| numbers.id(Kind::Sprint, id)),
                    name: t.name.clone(),
                    description: t.description.clone(),
                    status: t.status,
                    order: t.order,
                    assigned: t.assigned_id.map(name_of),
                    started: t.started,
                    due: t.due,
                    completed: t.completed,
                    points_tenths: t.points_tenths,
                    labels: task::label_ids(&t.labels)
                        .into_iter()
                        .map(|id| numbers.id(Kind::Label, id))
                        .collect(),
                    version: t.version,
                })
                .collect(),
            comments: comments
                .iter()
                .filter(|c| in_project.contains(&c.task_id))
                .map(|c| CommentDoc {
                    id: numbers.id(Kind::Comment, c.id),
                    task: numbers.id(Kind::Task, c.task_id),
                    author: name_of(c.author_id),
                    body: c.body.clone(),
                    created: c.created,
                    edited: c.edited,
                    version: c.version,
                })
                .collect(),
        });
    }

    Ok(Document {
        format: FORMAT.to_owned(),
        version: VERSION,
        users: people
            .into_iter()
            .map(|p| UserDoc {
                username: p.username,
                email: p.email,
                first_name: p.first_name,
                last_name: p.last_name,
                active: p.is_active,
            })
            .collect(),
        projects: documents,
        log,
    })
}

/// Why an import was refused: the first problem found, in words a person can act on.
#[derive(Debug)]
pub enum ImportError {
    Invalid(String),
    Db(DbErr),
}

impl From<DbErr> for ImportError {
    fn from(error: DbErr) -> Self {
        ImportError::Db(error)
    }
}

fn invalid<T>(message: String) -> Result<T, ImportError> {
    Err(ImportError::Invalid(message))
}

/// What an import added.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Imported {
    /// The new projects' ids and keys.
    pub projects: Vec<(i32, String)>,
    /// Accounts created for people this install did not know (no usable password: an
    /// administrator sends each a password link).
    pub accounts_created: Vec<String>,
    pub tasks: usize,
    pub entries: usize,
}

/// Reads a document, saying what is wrong with one that is not.
pub fn parse(text: &str) -> Result<Document, ImportError> {
    let document: Document = serde_json::from_str(text).map_err(|error| {
        ImportError::Invalid(format!("The file is not an export of this board: {error}."))
    })?;
    if document.format != FORMAT {
        return invalid(format!(
            "The file's format is \"{}\", not \"{FORMAT}\".",
            document.format
        ));
    }
    if document.version != VERSION {
        return invalid(format!(
            "The file is version {} of the export; this server reads version {VERSION}.",
            document.version
        ));
    }
    Ok(document)
}

/// Loads `document` into this install, in one transaction, as `actor` (who is recorded as
/// having created the accounts it adds). Existing accounts are matched by username and left
/// as they are.
pub async fn import(
    store: &Store,
    actor: &Actor,
    document: Document,
) -> Result<Imported, ImportError> {
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    let mut imported = Imported::default();
    let mut stamped = Vec::new();

    // People: matched by username, created when missing.
    let mut people: HashMap<String, i32> = HashMap::new();
    for person in &document.users {
        if let Some(existing) = user::Entity::find()
            .filter(user::Column::Username.eq(person.username.as_str()))
            .one(&txn)
            .await?
        {
            people.insert(existing.username, existing.id);
            continue;
        }
        if let Err(message) = users::validate_username(&person.username) {
            return invalid(format!("User \"{}\": {message}", person.username));
        }
        let created = user::ActiveModel {
            username: Set(person.username.clone()),
            email: Set(person.email.clone()),
            first_name: Set(person.first_name.clone()),
            last_name: Set(person.last_name.clone()),
            password_hash: Set(format!(
                "{}{}",
                users::UNUSABLE,
                crate::domain::accounts::secrets::random_hex(20)
            )),
            is_active: Set(person.active),
            is_superuser: Set(false),
            date_joined: Set(store.clock.now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let body = users::body_of(store, &created);
        let changes = log::diff(None, Some(&body), &["username", "is_active"]);
        stamped.push((
            actor.clone(),
            store.clock.now(),
            users::account_entry(&created, log::Action::Create, changes, body),
        ));
        imported.accounts_created.push(created.username.clone());
        people.insert(created.username, created.id);
    }
    let person = |name: &str, what: &str| -> Result<i32, ImportError> {
        people.get(name).copied().ok_or_else(|| {
            ImportError::Invalid(format!(
                "{what} names the user \"{name}\", who is not in the file's users."
            ))
        })
    };

    // Ids the log names for objects nobody holds go below every id the log holds already.
    let lowest = lowest_logged_id(&txn).await?;
    let mut numbers = Renumbering::new(lowest.min(0) - 1);

    let mut arrivals = Vec::new();
    for project_doc in &document.projects {
        let key = crate::domain::service::projects::checked_key(&project_doc.key)
            .or_else(|rule| invalid(format!("Project key \"{}\": {rule}", project_doc.key)))?;
        if project::Entity::find()
            .filter(project::Column::Key.eq(key.as_str()))
            .one(&txn)
            .await?
            .is_some()
        {
            return invalid(format!(
                "A project with the key {key} already exists here: rename one of them (its \
                 settings page) and import again."
            ));
        }
        if crate::domain::zone::Zone::named(&project_doc.time_zone).is_none() {
            return invalid(format!(
                "Project {key}: \"{}\" is not a time zone.",
                project_doc.time_zone
            ));
        }
        let created = project::ActiveModel {
            name: Set(project_doc.name.clone()),
            key: Set(key.clone()),
            description: Set(project_doc.description.clone()),
            archived: Set(project_doc.archived),
            created: Set(project_doc.created),
            version: Set(project_doc.version),
            time_zone: Set(project_doc.time_zone.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        numbers.add(Kind::Project, project_doc.id, created.id);
        imported.projects.push((created.id, key.clone()));
        arrivals.push(arrival(store, &created));

        for member in &project_doc.members {
            if Role::parse(&member.role).is_none() {
                return invalid(format!(
                    "Project {key}: \"{}\" is not a role (owner, member or viewer).",
                    member.role
                ));
            }
            project_member::ActiveModel {
                project_id: Set(created.id),
                user_id: Set(person(&member.user, &format!("Project {key}'s members"))?),
                role: Set(member.role.clone()),
                joined: Set(member.joined),
            }
            .insert(&txn)
            .await?;
        }
        for label_doc in &project_doc.labels {
            if !app::model::LABEL_COLOURS.contains(&label_doc.colour.as_str()) {
                return invalid(format!(
                    "Label \"{}\": \"{}\" is not one of the palette's colours.",
                    label_doc.name, label_doc.colour
                ));
            }
            let new = label::ActiveModel {
                name: Set(label_doc.name.clone()),
                colour: Set(label_doc.colour.clone()),
                version: Set(label_doc.version),
                project_id: Set(created.id),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            numbers.add(Kind::Label, label_doc.id, new.id);
        }
        for sprint_doc in &project_doc.sprints {
            if sprint_doc.start > sprint_doc.end {
                return invalid(format!(
                    "Sprint \"{}\" starts after it ends.",
                    sprint_doc.name
                ));
            }
            let new = sprint::ActiveModel {
                name: Set(sprint_doc.name.clone()),
                description: Set(sprint_doc.description.clone()),
                end: Set(sprint_doc.end),
                version: Set(sprint_doc.version),
                project_id: Set(created.id),
                start: Set(sprint_doc.start),
                goal: Set(sprint_doc.goal.clone()),
                wip_limits: Set(sprint_doc.wip_limits.clone()),
                wip_strict: Set(sprint_doc.wip_strict),
                completed_at: Set(sprint_doc.completed_at),
                // Written below, once every task has its new id.
                summary: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(|error| {
                unique_or(error, || {
                    format!(
                        "Project {key} has two sprints ending on {}.",
                        sprint_doc.end
                    )
                })
            })?;
            numbers.add(Kind::Sprint, sprint_doc.id, new.id);
        }
        for task_doc in &project_doc.tasks {
            let what = format!("Task \"{}\"", task_doc.name);
            let sprint_id = match task_doc.sprint {
                None => None,
                Some(id) => Some(numbers.get(Kind::Sprint, id).ok_or_else(|| {
                    ImportError::Invalid(format!(
                        "{what} is in sprint {id}, which project {key} does not hold."
                    ))
                })?),
            };
            if !(1..=4).contains(&task_doc.status) {
                return invalid(format!("{what}: status {} is not 1 to 4.", task_doc.status));
            }
            let mut label_ids = Vec::with_capacity(task_doc.labels.len());
            for id in &task_doc.labels {
                label_ids.push(numbers.get(Kind::Label, *id).ok_or_else(|| {
                    ImportError::Invalid(format!(
                        "{what} has label {id}, which project {key} does not hold."
                    ))
                })?);
            }
            label_ids.sort_unstable();
            let assigned_id = match &task_doc.assigned {
                Some(name) => Some(person(name, &what)?),
                None => None,
            };
            let comment_count = project_doc
                .comments
                .iter()
                .filter(|c| c.task == task_doc.id)
                .count();
            let new = task::ActiveModel {
                name: Set(task_doc.name.clone()),
                description: Set(task_doc.description.clone()),
                sprint_id: Set(sprint_id),
                status: Set(task_doc.status),
                order: Set(task_doc.order),
                assigned_id: Set(assigned_id),
                started: Set(task_doc.started),
                due: Set(task_doc.due),
                completed: Set(task_doc.completed),
                version: Set(task_doc.version),
                labels: Set(task::labels_text(&label_ids)),
                comment_count: Set(i32::try_from(comment_count).unwrap_or(i32::MAX)),
                project_id: Set(created.id),
                points_tenths: Set(task_doc.points_tenths),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            if !label_ids.is_empty() {
                task_label::Entity::insert_many(label_ids.iter().map(|label| {
                    task_label::ActiveModel {
                        task_id: Set(new.id),
                        label_id: Set(*label),
                    }
                }))
                .exec(&txn)
                .await?;
            }
            numbers.add(Kind::Task, task_doc.id, new.id);
            imported.tasks += 1;
        }
        for comment_doc in &project_doc.comments {
            let task_id = numbers.get(Kind::Task, comment_doc.task).ok_or_else(|| {
                ImportError::Invalid(format!(
                    "Comment {} is on task {}, which project {key} does not hold.",
                    comment_doc.id, comment_doc.task
                ))
            })?;
            let mentions = super::comments::mentioned(&txn, &comment_doc.body).await?;
            let new = comment::ActiveModel {
                task_id: Set(task_id),
                author_id: Set(person(
                    &comment_doc.author,
                    &format!("Comment {}", comment_doc.id),
                )?),
                body: Set(comment_doc.body.clone()),
                mentions: Set(mentions),
                created: Set(comment_doc.created),
                edited: Set(comment_doc.edited),
                version: Set(comment_doc.version),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            numbers.add(Kind::Comment, comment_doc.id, new.id);
        }
    }
    // Frozen reports name tasks: written now that every task has its new id.
    for project_doc in &document.projects {
        for sprint_doc in &project_doc.sprints {
            let Some(summary) = &sprint_doc.summary else {
                continue;
            };
            let mut summary = summary.clone();
            numbers.json(None, &mut summary);
            let id = numbers
                .get(Kind::Sprint, sprint_doc.id)
                .expect("every sprint was inserted above");
            sprint::Entity::update_many()
                .col_expr(
                    sprint::Column::Summary,
                    sea_orm::sea_query::Expr::value(summary.to_string()),
                )
                .filter(sprint::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
    }

    let mut gone_people: HashMap<String, i32> = HashMap::new();
    for (index, entry) in document.log.into_iter().enumerate() {
        let mut entry = entry;
        let kind = Kind::of(entry.model);
        let object = match kind {
            Some(kind) => entry
                .object
                .as_i64()
                .and_then(|id| i32::try_from(id).ok())
                .map(|id| numbers.id(kind, id)),
            None => entry
                .object
                .as_str()
                .and_then(|name| people.get(name).copied()),
        };
        let object = match (object, &entry.object) {
            (Some(object), _) => object,
            // A membership of someone the file does not list (an account deleted since).
            (None, Value::String(name)) if kind.is_none() => *gone_people
                .entry(name.clone())
                .or_insert_with(|| numbers.ghost()),
            (None, _) => return invalid(format!("Log entry {} has no object id.", index + 1)),
        };
        numbers.entry(kind, &mut entry);
        let changes: log::Changes = serde_json::from_value(entry.changes).map_err(|error| {
            ImportError::Invalid(format!("Log entry {}'s changes: {error}.", index + 1))
        })?;
        if entry.sprints.len() > 2 {
            return invalid(format!(
                "Log entry {} touches more than two sprints.",
                index + 1
            ));
        }
        let author = Actor {
            id: entry
                .actor
                .as_deref()
                .and_then(|name| people.get(name).copied()),
            username: entry.actor,
            ..Actor::default()
        };
        stamped.push((
            author,
            entry.at,
            NewEntry {
                model: entry.model,
                object,
                action: entry.action,
                changes,
                body: entry.body,
                version: entry.version,
                sprints: entry.sprints,
                backlog: entry.backlog,
                column: entry.column,
                project: entry.project,
            },
        ));
        imported.entries += 1;
    }
    let now = store.clock.now();
    stamped.extend(
        arrivals
            .into_iter()
            .map(|entry| (actor.clone(), now, entry)),
    );
    store.commit_stamped(txn, stamped).await?;
    Ok(imported)
}

/// The site's record of a project's arrival: who imported it and when, in no project's log
/// (site administrators read it), so the project's own history stays as it was exported.
fn arrival(store: &Store, model: &project::Model) -> NewEntry {
    let body = super::projects::body_of(store, model);
    NewEntry {
        model: log::Model::Project,
        object: model.id,
        action: log::Action::Create,
        changes: log::diff(None, Some(&body), &["name", "key"]),
        body,
        version: model.version,
        sprints: Vec::new(),
        backlog: false,
        column: None,
        project: None,
    }
}

/// A unique-key violation as `message`, any other error as it is.
fn unique_or(error: DbErr, message: impl FnOnce() -> String) -> ImportError {
    if crate::domain::service::is_unique_violation(&error) {
        ImportError::Invalid(message())
    } else {
        ImportError::Db(error)
    }
}

/// The lowest object or sprint id the log holds (0 when none is below 1).
async fn lowest_logged_id(db: &impl ConnectionTrait) -> Result<i32, DbErr> {
    let mut lowest = 0;
    for column in [
        change::Column::ObjectId,
        change::Column::SprintId,
        change::Column::OtherSprintId,
        change::Column::ProjectId,
    ] {
        let min: Option<Option<i32>> = change::Entity::find()
            .select_only()
            .column_as(column.min(), "lowest")
            .into_tuple()
            .one(db)
            .await?;
        lowest = lowest.min(min.flatten().unwrap_or(0));
    }
    Ok(lowest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_renumbered_by_what_their_fields_name_and_lose_their_links() {
        let mut numbers = Renumbering::new(-1);
        numbers.add(Kind::Task, 40, 1);
        numbers.add(Kind::Sprint, 7, 2);
        numbers.add(Kind::Label, 9, 3);
        numbers.add(Kind::Project, 5, 1);
        let mut body = json!({
            "id": 40, "sprint": 7, "project": 5, "labels": [9], "order": 3,
            "links": {"self": "https://board.example/api/tasks/40"}
        });
        numbers.json(Some(Kind::Task), &mut body);
        assert_eq!(
            body,
            json!({"id": 1, "sprint": 2, "project": 1, "labels": [3], "order": 3})
        );
        let mut changes = json!({"sprint": [7, null], "labels": [[9], []], "status": [1, 2]});
        numbers.json(None, &mut changes);
        assert_eq!(
            changes,
            json!({"sprint": [2, null], "labels": [[3], []], "status": [1, 2]})
        );
    }

    #[test]
    fn objects_nobody_holds_get_negative_numbers_in_the_order_they_are_met() {
        let mut numbers = Renumbering::new(-1);
        numbers.add(Kind::Task, 40, 1);
        let mut report = json!({"sprint": 3, "removed": {"tasks": [41, 40, 42, 41]}});
        numbers.json(None, &mut report);
        // Fields are met in name order ("removed" before "sprint").
        assert_eq!(
            report,
            json!({"sprint": -3, "removed": {"tasks": [-1, 1, -2, -1]}})
        );
    }

    #[test]
    fn a_file_of_another_kind_is_refused_with_the_reason() {
        let Err(ImportError::Invalid(message)) = parse(r#"{"format": "trello"}"#) else {
            panic!("refused")
        };
        assert!(
            message.starts_with("The file is not an export of this board"),
            "{message}"
        );
        let Err(ImportError::Invalid(message)) =
            parse(r#"{"format": "other", "version": 1, "users": [], "projects": [], "log": []}"#)
        else {
            panic!("refused")
        };
        assert_eq!(
            message,
            "The file's format is \"other\", not \"scrum-board-export\"."
        );
    }
}
