//! Bringing a Trello board in: its JSON export (Trello's board menu → Print, export and
//! share → Export as JSON) becomes tasks in a project's backlog.
//!
//! Each open list goes to the status the person chose for it (see [`suggested_status`] for
//! the first guess they confirm), or is left out; archived lists and cards are left out.
//! Cards keep their names, descriptions, due dates, labels (matched by name, or created with
//! the nearest colour of the palette) and comments; a card's first member who is also a
//! member of the project here (by username) is its assignee, and a comment is by its author
//! when they are a member here, otherwise by whoever imports, saying who wrote it on Trello.
//! One transaction, one logged change per label, task and comment.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde::Deserialize;
use serde_json::Value;

use super::transfer::ImportError;
use crate::domain::{
    db::entities::{comment, fold, label, project_member, task, task_label, user},
    log::{self, Actor},
    permissions::{self, Need},
    store::Store,
};

/// The parts of Trello's board export this reads (it holds much more).
#[derive(Debug, Deserialize)]
pub struct Board {
    pub name: String,
    #[serde(default)]
    pub lists: Vec<List>,
    #[serde(default)]
    pub cards: Vec<Card>,
    #[serde(default)]
    pub labels: Vec<TrelloLabel>,
    #[serde(default)]
    pub members: Vec<Member>,
    #[serde(default)]
    pub actions: Vec<TrelloAction>,
}

#[derive(Debug, Deserialize)]
pub struct List {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub pos: f64,
}

#[derive(Debug, Deserialize)]
pub struct Card {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub desc: String,
    #[serde(rename = "idList")]
    pub list: String,
    #[serde(default)]
    pub due: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub pos: f64,
    #[serde(default, rename = "idLabels")]
    pub labels: Vec<String>,
    #[serde(default, rename = "idMembers")]
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct TrelloLabel {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Member {
    pub id: String,
    pub username: String,
    #[serde(default, rename = "fullName")]
    pub full_name: String,
}

#[derive(Debug, Deserialize)]
pub struct TrelloAction {
    #[serde(rename = "type")]
    pub kind: String,
    pub date: DateTime<Utc>,
    #[serde(default, rename = "idMemberCreator")]
    pub creator: Option<String>,
    #[serde(default)]
    pub data: Value,
}

/// Reads an export, saying what is wrong with a file that is not one.
pub fn parse(text: &str) -> Result<Board, ImportError> {
    serde_json::from_str(text).map_err(|error| {
        ImportError::Invalid(format!("The file is not a Trello board export: {error}."))
    })
}

/// The first guess at where a list's cards go, from its name: a person confirms or changes it.
pub fn suggested_status(list: &str) -> i16 {
    let name = list.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| name.contains(word));
    if has(&["done", "complete", "finished", "shipped", "closed"]) {
        4
    } else if has(&["test", "review", "qa", "verif", "check"]) {
        3
    } else if has(&["doing", "progress", "develop", "working", "started", "wip"]) {
        2
    } else {
        1
    }
}

/// The board's open lists, in their order on the board.
pub fn open_lists(board: &Board) -> Vec<&List> {
    let mut lists: Vec<&List> = board.lists.iter().filter(|l| !l.closed).collect();
    lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    lists
}

/// The palette's nearest colour to a Trello label colour (`sky_dark` → teal).
fn palette_colour(trello: Option<&str>) -> &'static str {
    let base = trello.unwrap_or("").split('_').next().unwrap_or("");
    match base {
        "green" | "lime" => "green",
        "yellow" => "yellow",
        "orange" => "orange",
        "red" => "red",
        "purple" => "purple",
        "blue" => "blue",
        "sky" => "teal",
        "pink" => "pink",
        _ => "grey",
    }
}

/// What an import brought in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Brought {
    pub tasks: usize,
    pub labels_created: usize,
    pub comments: usize,
    /// Cards of lists left out, and archived cards.
    pub cards_left_out: usize,
}

/// The longest task name; longer card names are cut, ending with "…".
const NAME_LIMIT: usize = 100;

fn task_name(name: &str) -> String {
    let name = name.trim();
    if name.chars().count() <= NAME_LIMIT {
        name.to_owned()
    } else {
        let cut: String = name.chars().take(NAME_LIMIT - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Brings `board` into `project`'s backlog as `actor`, each open list's cards to the status
/// `columns` gives it (`None`: left out). Every open list must be in `columns`: the mapping
/// is the person's decision, never a silent default.
pub async fn import(
    store: &Store,
    actor: &Actor,
    project: i32,
    board: &Board,
    columns: &HashMap<String, Option<i16>>,
) -> Result<Brought, super::WriteError<()>> {
    use super::WriteError;
    let invalid = |message: String| {
        WriteError::Invalid(crate::domain::errors::FieldErrors::single(
            "columns", message,
        ))
    };
    for list in open_lists(board) {
        match columns.get(&list.id) {
            None => {
                return Err(invalid(format!(
                    "Say where the list \u{201c}{}\u{201d} goes: a status, or null to leave it out.",
                    list.name
                )));
            }
            Some(Some(status)) if !(1..=4).contains(status) => {
                return Err(invalid(format!(
                    "{status} is not a status: use 1 to 4, or null to leave the list out."
                )));
            }
            Some(_) => {}
        }
    }
    let _gate = store.write_gate().await;
    let txn = store.db.begin().await?;
    permissions::require(&txn, actor, project, Need::Write)
        .await?
        .map_err(WriteError::from)?;
    let today = store.today();
    let mut entries = Vec::new();
    let mut brought = Brought::default();

    // People: Trello members who are members here, by username.
    let here: HashMap<String, i32> = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project))
        .find_also_related(user::Entity)
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|(_, person)| person.map(|p| (p.username, p.id)))
        .collect();
    let trello_people: HashMap<&str, &Member> =
        board.members.iter().map(|m| (m.id.as_str(), m)).collect();
    let person_here = |trello_id: &str| {
        trello_people
            .get(trello_id)
            .and_then(|member| here.get(&member.username).map(|id| (*id, member)))
    };

    let cards: Vec<(&Card, i16)> = {
        let mut cards = Vec::new();
        for list in open_lists(board) {
            let Some(Some(status)) = columns.get(&list.id) else {
                continue;
            };
            let mut in_list: Vec<&Card> = board
                .cards
                .iter()
                .filter(|c| c.list == list.id && !c.closed)
                .collect();
            in_list.sort_by(|a, b| a.pos.total_cmp(&b.pos));
            cards.extend(in_list.into_iter().map(|card| (card, *status)));
        }
        cards
    };
    brought.cards_left_out = board.cards.len() - cards.len();

    // Labels the imported cards carry: this project's of the same name, or new ones.
    let mut label_ids: HashMap<&str, i32> = HashMap::new();
    for trello_label in &board.labels {
        if !cards
            .iter()
            .any(|(card, _)| card.labels.contains(&trello_label.id))
        {
            continue;
        }
        let colour = palette_colour(trello_label.color.as_deref());
        let name = match trello_label.name.trim() {
            "" => {
                let mut chars = colour.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            }
            name => name.chars().take(50).collect(),
        };
        let existing = label::Entity::find()
            .filter(label::Column::ProjectId.eq(project))
            .filter(label::Column::NameKey.eq(fold(&name)))
            .one(&txn)
            .await?;
        let id = match existing {
            Some(existing) => existing.id,
            None => {
                let created = label::ActiveModel {
                    name: Set(name),
                    colour: Set(colour.to_owned()),
                    version: Set(1),
                    project_id: Set(project),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                let body = super::labels::logged_body(store, &created);
                entries.push(super::labels::entry(
                    log::Action::Create,
                    &created,
                    None,
                    &body,
                ));
                brought.labels_created += 1;
                created.id
            }
        };
        label_ids.insert(trello_label.id.as_str(), id);
    }

    // Cards, each at the end of its status's backlog column, in the board's order.
    let mut next_order: HashMap<i16, i16> = HashMap::new();
    let mut task_of_card: HashMap<&str, i32> = HashMap::new();
    for (card, status) in &cards {
        let order = match next_order.get(status) {
            Some(order) => *order,
            None => {
                let already = task::Entity::find()
                    .filter(task::Column::ProjectId.eq(project))
                    .filter(task::Column::SprintId.is_null())
                    .filter(task::Column::Status.eq(*status))
                    .count(&txn)
                    .await?;
                i16::try_from(already).unwrap_or(i16::MAX)
            }
        };
        next_order.insert(*status, order.saturating_add(1));
        let mut labels: Vec<i32> = card
            .labels
            .iter()
            .filter_map(|id| label_ids.get(id.as_str()).copied())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        let assigned = card.members.iter().find_map(|id| person_here(id));
        let created = task::ActiveModel {
            name: Set(task_name(&card.name)),
            description: Set(card.desc.clone()),
            sprint_id: Set(None),
            status: Set(*status),
            order: Set(order),
            assigned_id: Set(assigned.map(|(id, _)| id)),
            started: Set(None),
            due: Set(card.due.map(|due| due.date_naive())),
            completed: Set((*status == 4).then_some(today)),
            version: Set(1),
            labels: Set(task::labels_text(&labels)),
            comment_count: Set(0),
            project_id: Set(project),
            points_tenths: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if !labels.is_empty() {
            task_label::Entity::insert_many(labels.iter().map(|label| task_label::ActiveModel {
                task_id: Set(created.id),
                label_id: Set(*label),
            }))
            .exec(&txn)
            .await?;
        }
        let saved = super::tasks::Saved {
            task: created,
            assignee: assigned.map(|(_, member)| member.username.clone()),
        };
        let body = super::tasks::logged_body(store, &saved);
        entries.push(super::tasks::entry(
            log::Action::Create,
            &saved.task,
            None,
            None,
            &body,
        ));
        task_of_card.insert(card.id.as_str(), saved.task.id);
        brought.tasks += 1;
    }

    // Comments, oldest first (Trello lists actions newest first).
    let mut comments: Vec<&TrelloAction> = board
        .actions
        .iter()
        .filter(|action| action.kind == "commentCard")
        .collect();
    comments.sort_by_key(|action| action.date);
    let importer = actor.id.zip(actor.username.clone());
    for action in comments {
        let card = action.data.pointer("/card/id").and_then(Value::as_str);
        let text = action
            .data
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("");
        let (Some(task_id), false) = (
            card.and_then(|id| task_of_card.get(id)),
            text.trim().is_empty(),
        ) else {
            continue;
        };
        let author = action.creator.as_deref().and_then(&person_here);
        let (author_id, author_name, body) = match (author, &importer) {
            (Some((id, member)), _) => (id, member.username.clone(), text.to_owned()),
            (None, Some((id, name))) => {
                let who = action
                    .creator
                    .as_deref()
                    .and_then(|id| trello_people.get(id))
                    .map_or("Someone", |member| {
                        if member.full_name.is_empty() {
                            member.username.as_str()
                        } else {
                            member.full_name.as_str()
                        }
                    });
                (*id, name.clone(), format!("**{who}** (on Trello): {text}"))
            }
            // The command line imports no comments of people who are not members here.
            (None, None) => continue,
        };
        let mentions = super::comments::mentioned(&txn, &body).await?;
        let created = comment::ActiveModel {
            task_id: Set(*task_id),
            author_id: Set(author_id),
            body: Set(body),
            mentions: Set(mentions),
            created: Set(action.date),
            edited: Set(None),
            version: Set(1),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        task::Entity::update_many()
            .col_expr(
                task::Column::CommentCount,
                sea_orm::sea_query::Expr::col(task::Column::CommentCount).add(1),
            )
            .filter(task::Column::Id.eq(*task_id))
            .exec(&txn)
            .await?;
        let saved = super::comments::Saved {
            comment: created,
            author: author_name,
        };
        let body = super::comments::logged_body(store, &saved);
        let place = super::comments::Place {
            sprint: None,
            project,
        };
        entries.push(super::comments::entry(
            log::Action::Create,
            &saved,
            place,
            None,
            &body,
        ));
        brought.comments += 1;
    }
    store.commit(txn, actor, entries).await?;
    Ok(brought)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_suggest_their_status() {
        assert_eq!(suggested_status("To Do"), 1);
        assert_eq!(suggested_status("Backlog"), 1);
        assert_eq!(suggested_status("Doing"), 2);
        assert_eq!(suggested_status("In Progress"), 2);
        assert_eq!(suggested_status("Code review"), 3);
        assert_eq!(suggested_status("QA"), 3);
        assert_eq!(suggested_status("Done ✔"), 4);
    }

    #[test]
    fn trello_colours_find_their_nearest_in_the_palette() {
        assert_eq!(palette_colour(Some("sky_dark")), "teal");
        assert_eq!(palette_colour(Some("lime")), "green");
        assert_eq!(palette_colour(Some("black")), "grey");
        assert_eq!(palette_colour(None), "grey");
    }

    #[test]
    fn long_card_names_are_cut_to_a_task_name() {
        let long = "x".repeat(150);
        let name = task_name(&long);
        assert_eq!(name.chars().count(), 100);
        assert!(name.ends_with('…'));
        assert_eq!(task_name("  Short  "), "Short");
    }
}
