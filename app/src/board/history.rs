//! What happened on the board, as people read it: a change-log entry as a sentence ("alice
//! moved this from In Development to In Testing · 3 min ago"), the History tab of the task
//! dialog, the sprint's activity panel, and undo/redo of this person's own changes (the toast
//! after a move, edit or delete; Ctrl/⌘+Z and Ctrl/⌘+Shift+Z).

use leptos::prelude::*;

use super::store::BoardStore;
use crate::{
    api::{Api, use_api},
    json::{Json, Read},
    model::{HistoryEntry, Task, TaskStatus},
};

/// A changed value as a number (`None` for null or anything else).
fn number(value: &Json) -> Option<i64> {
    i64::read(value)
}

/// A changed value as text (`None` for null or anything else).
fn text(value: &Json) -> Option<String> {
    String::read(value)
}

/// The column a status and sprint put a task in.
fn column_of(status: Option<i64>, in_sprint: bool) -> &'static str {
    if !in_sprint {
        return "the Backlog";
    }
    status
        .and_then(TaskStatus::of_code)
        .map_or("another column", TaskStatus::column_title)
}

/// What the entry did, after the actor's name. `subject` is how the object is named: "this"
/// in its own dialog, its name in the sprint's activity.
pub fn what(entry: &HistoryEntry, subject: &str) -> String {
    let changes = &entry.changes;
    match entry.action.as_str() {
        "create" => format!("created {subject}"),
        "delete" => format!("deleted {subject}"),
        _ => {
            let mut parts = Vec::new();
            let (status, sprint) = (changes.get("status"), changes.get("sprint"));
            if status.is_some() || sprint.is_some() {
                // A side the entry does not name kept its value: an unchanged status with a
                // changed sprint can only be Not Started (the backlog holds nothing else), and
                // an unchanged sprint under a changed status is a sprint, not the backlog.
                let side = |i: usize| {
                    column_of(
                        status.map_or(Some(1), |pair| number(&pair[i])),
                        sprint.is_none_or(|pair| !pair[i].is_null()),
                    )
                };
                let (from, to) = (side(0), side(1));
                if from == to {
                    parts.push(format!("moved {subject} to another sprint"));
                } else {
                    parts.push(format!("moved {subject} from {from} to {to}"));
                }
            } else if changes.get("order").is_some() && entry.action == "move" {
                parts.push(format!("reordered {subject}"));
            }
            if let Some([_, after]) = changes.get("name") {
                let name = text(after).unwrap_or_default();
                parts.push(format!("renamed {subject} to “{name}”"));
            }
            if changes.get("description").is_some() {
                parts.push("changed the description".to_owned());
            }
            if let Some([_, after]) = changes.get("assigned") {
                parts.push(match text(after) {
                    Some(who) => format!("assigned {subject} to {who}"),
                    None => format!("unassigned {subject}"),
                });
            }
            if let Some([_, after]) = changes.get("due") {
                parts.push(match text(after) {
                    Some(day) => format!("set the due date to {day}"),
                    None => "cleared the due date".to_owned(),
                });
            }
            if let Some([_, after]) = changes.get("points") {
                parts.push(match crate::model::Points::read(after) {
                    Some(points) => format!("estimated {subject} at {points} points"),
                    None => format!("cleared the estimate of {subject}"),
                });
            }
            if let Some([before, after]) = changes.get("state") {
                let completed = |side: &Json| text(side).as_deref() == Some("completed");
                if completed(after) {
                    parts.push("completed the sprint".to_owned());
                } else if completed(before) {
                    parts.push("reopened the sprint".to_owned());
                }
            }
            if let Some([_, after]) = changes.get("end") {
                let day = text(after).unwrap_or_default();
                parts.push(format!("set the end date to {day}"));
            }
            if parts.is_empty() {
                parts.push(format!("changed {subject}"));
            }
            parts.join(", ")
        }
    }
}

/// "alice moved this from In Development to In Testing".
pub fn sentence(entry: &HistoryEntry, subject: &str) -> String {
    let who = entry
        .actor
        .as_deref()
        .unwrap_or("The server's command line");
    format!("{who} {}", what(entry, subject))
}

/// "just now", "3 min ago", "2 h ago", "4 days ago", for `seconds` since.
pub fn ago(seconds: i64) -> String {
    match seconds {
        ..=44 => "just now".to_owned(),
        45..=3_599 => format!("{} min ago", (seconds + 30) / 60),
        3_600..=86_399 => format!("{} h ago", seconds / 3_600),
        86_400..=172_799 => "yesterday".to_owned(),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

/// Seconds since `at` (ISO 8601), by this browser's clock (`None` on the server, which
/// never renders a history or a comment thread).
fn age(at: &str) -> Option<i64> {
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    {
        let then = js_sys::Date::parse(at);
        (!then.is_nan()).then(|| ((js_sys::Date::now() - then) / 1000.0) as i64)
    }
    #[cfg(not(all(feature = "browser", not(feature = "ssr"))))]
    {
        let _ = at;
        None
    }
}

/// "3 min ago" for a time in ISO 8601 (empty where the clock is unknown).
pub fn since(at: &str) -> String {
    age(at).map(ago).unwrap_or_default()
}

/// A history page fetched from `path` whenever `refresh` changes, as a list of sentences:
/// the one list both the task dialog and the activity panel show.
#[component]
fn HistoryList(
    /// Where the entries come from (a history endpoint, newest first); read reactively, so
    /// the list is fetched again whenever what it reads changes.
    path: Box<dyn Fn() -> String + Send + Sync>,
    /// The list's accessible name.
    label: &'static str,
    /// How an entry names its object.
    name_of: fn(&HistoryEntry, BoardStore) -> String,
    /// Announce new entries to screen readers.
    live: bool,
) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    // Read into sentences as they arrive, written as list items (see `markup::escape`): the
    // list holds text, not entries.
    let lines = RwSignal::new(String::new());
    Effect::new(move |_| {
        let path = path();
        leptos::task::spawn_local(async move {
            match api.get_page::<HistoryEntry>(&path).await {
                Ok(page) => lines.set(
                    page.iter()
                        .map(|entry| {
                            let line = sentence(entry, &name_of(entry, store));
                            let line = match age(&entry.at) {
                                Some(seconds) => format!("{line} · {}", ago(seconds)),
                                None => line,
                            };
                            format!("<li>{}</li>", crate::markup::escape(&line))
                        })
                        .collect(),
                ),
                Err(refused) => store.notice.set(Some(refused.message())),
            }
        });
    });
    view! {
        <ol class="history" aria-label=label aria-live=live.then_some("polite") inner_html=lines></ol>
    }
}

/// The task dialog's History tab: newest first, refetched whenever the task changes.
#[component]
pub fn TaskHistory(id: i32) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let path = Box::new(move || {
        // Tracks the task's version: every change to it refetches.
        store.tasks.with(|tasks| tasks.get(&id).map(|t| t.version));
        format!("/api/tasks/{id}/history?page_size=50")
    });
    view! { <HistoryList path label="History of this task" name_of=|_, _| "this".to_owned() live=false /> }
}

/// The sprint's activity: its changes and those of its tasks, newest first, updated live.
#[component]
pub fn ActivityPanel() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let path = Box::new(move || {
        store.activity.track();
        format!("/api/sprints/{}/history?page_size=30", store.sprint_id())
    });
    let name_of = |entry: &HistoryEntry, store: BoardStore| {
        let known = store
            .tasks
            .with_untracked(|tasks| tasks.get(&entry.object).map(|t| t.name.clone()));
        match (entry.model.as_str(), known) {
            ("sprint", _) => "the sprint".to_owned(),
            (_, Some(name)) => format!("“{name}”"),
            _ => "a task".to_owned(),
        }
    };
    view! {
        <aside class="activity" aria-labelledby="activity-title">
            <h2 id="activity-title">"Activity"</h2>
            <HistoryList path label="Recent changes on this sprint" name_of live=true />
        </aside>
    }
}

/// The newest entry of a task's history, if the caller may undo it (their own, recent).
async fn own_newest(api: Api, task: i32) -> Option<HistoryEntry> {
    let page = api
        .get_page::<HistoryEntry>(&format!("/api/tasks/{task}/history?page_size=1"))
        .await
        .ok()?;
    page.into_iter()
        .next()
        .filter(|entry| entry.links.undo.is_some())
}

/// After this person's own change to `task`: offers "Undo" in a toast saying `what`, and
/// remembers the change for Ctrl/⌘+Z.
pub fn offer_undo(store: BoardStore, api: Api, task: i32, what: String) {
    leptos::task::spawn_local(async move {
        if let Some(entry) = own_newest(api, task).await {
            let id = entry.id;
            store.undo.update_value(|undo| {
                undo.done.push(id);
                undo.redo.clear();
            });
            store.toast.set(Some(what));
            // The toast goes after a while, unless a newer change has its own toast by then
            // (the same words for another change must not be cut short); Ctrl/⌘+Z still
            // undoes the change.
            #[cfg(all(feature = "browser", not(feature = "ssr")))]
            set_timeout(
                move || {
                    if store.undo.with_value(|undo| undo.done.last() == Some(&id)) {
                        store.toast.set(None);
                    }
                },
                std::time::Duration::from_secs(10),
            );
        }
    });
}

/// This person's own changes on this board, for Ctrl/⌘+Z and Ctrl/⌘+Shift+Z.
#[derive(Debug, Default)]
pub struct UndoStack {
    /// Entries that Ctrl/⌘+Z takes back, newest last.
    pub done: Vec<u64>,
    /// The entries of undos, that Ctrl/⌘+Shift+Z takes back in turn (a redo).
    pub redo: Vec<u64>,
}

/// Takes entry `id` back; on success the undo's own entry goes on the other stack. Tells the
/// person what happened (or why it could not).
pub fn take_back(store: BoardStore, api: Api, id: u64, redoing: bool) {
    leptos::task::spawn_local(async move {
        store.toast.set(None);
        match api
            .post_empty::<Task>(&format!("/api/history/{id}/undo"))
            .await
        {
            Ok(task) => {
                let object = match &task {
                    Some(task) => {
                        store.upsert(task.clone());
                        Some(task.id)
                    }
                    None => None,
                };
                let word = if redoing { "Redone." } else { "Undone." };
                store.announcement.set(word.to_owned());
                if let Some(task) = object
                    && let Some(entry) = own_newest(api, task).await
                {
                    store.undo.update_value(|undo| {
                        if redoing {
                            undo.done.push(entry.id);
                        } else {
                            undo.redo.push(entry.id);
                        }
                    });
                }
            }
            Err(refused) => {
                let message = format!("Could not undo: {}", refused.message());
                store.announcement.set(message.clone());
                store.notice.set(Some(message));
            }
        }
    });
}

/// Ctrl/⌘+Z (`redo` false) or Ctrl/⌘+Shift+Z (`redo` true) on the board.
pub fn undo_last(store: BoardStore, api: Api, redo: bool) {
    let next = store.undo.try_update_value(|undo| {
        if redo {
            undo.redo.pop()
        } else {
            undo.done.pop()
        }
    });
    if let Some(Some(id)) = next {
        take_back(store, api, id, redo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HistoryLinks;
    use serde_json::json;

    fn entry(action: &str, changes: serde_json::Value) -> HistoryEntry {
        HistoryEntry {
            id: 1,
            at: "2026-12-05T08:00:00Z".into(),
            actor: Some("alice".into()),
            model: "task".into(),
            object: 7,
            action: action.into(),
            changes: crate::json::from_str(&changes.to_string()).unwrap(),
            links: HistoryLinks::default(),
        }
    }

    #[test]
    fn entries_read_as_sentences() {
        assert_eq!(
            sentence(
                &entry("move", json!({"status": [2, 3], "order": [0, 1]})),
                "this"
            ),
            "alice moved this from In Development to In Testing"
        );
        assert_eq!(
            sentence(
                &entry("move", json!({"sprint": [3, null], "status": [2, 1]})),
                "“Docs”"
            ),
            "alice moved “Docs” from In Development to the Backlog"
        );
        assert_eq!(
            sentence(
                &entry(
                    "update",
                    json!({"name": ["a", "b"], "assigned": [null, "bob"]})
                ),
                "this"
            ),
            "alice renamed this to “b”, assigned this to bob"
        );
        assert_eq!(
            sentence(&entry("create", json!({})), "“Docs”"),
            "alice created “Docs”"
        );
        assert_eq!(
            sentence(
                &entry("update", json!({"due": ["2026-12-01", null]})),
                "this"
            ),
            "alice cleared the due date"
        );
        assert_eq!(
            sentence(&entry("update", json!({"points": [null, 0.5]})), "this"),
            "alice estimated this at 0.5 points"
        );
        assert_eq!(
            sentence(
                &entry("update", json!({"state": ["active", "completed"]})),
                "“Sprint 4”"
            ),
            "alice completed the sprint"
        );
        assert_eq!(
            sentence(
                &entry("update", json!({"state": ["completed", "active"]})),
                "“Sprint 4”"
            ),
            "alice reopened the sprint"
        );
        let mut by_cli = entry("delete", json!({}));
        by_cli.actor = None;
        assert_eq!(
            sentence(&by_cli, "this"),
            "The server's command line deleted this"
        );
    }

    #[test]
    fn times_read_as_people_say_them() {
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(170), "3 min ago");
        assert_eq!(ago(7_300), "2 h ago");
        assert_eq!(ago(90_000), "yesterday");
        assert_eq!(ago(400_000), "4 days ago");
    }
}
