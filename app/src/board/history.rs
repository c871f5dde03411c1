//! What happened on the board, as people read it: a change-log entry as a sentence ("alice
//! moved this from In Development to In Testing · 3 min ago"), the History tab of the task
//! dialog, the sprint's activity panel, and undo/redo of this person's own changes (the toast
//! after a move, edit or delete; Ctrl/⌘+Z and Ctrl/⌘+Shift+Z).

use leptos::prelude::*;
use serde_json::{Value, json};

use super::store::BoardStore;
use crate::{
    api::{Api, use_api},
    model::{HistoryEntry, Page, Task, TaskStatus},
};

fn column_of(status: &Value, sprint: &Value) -> &'static str {
    if sprint.is_null() {
        return "the Backlog";
    }
    status
        .as_i64()
        .and_then(|n| i16::try_from(n).ok())
        .and_then(|n| TaskStatus::try_from(n).ok())
        .map_or("another column", TaskStatus::column_title)
}

fn text(value: &Value) -> String {
    value.as_str().map(str::to_owned).unwrap_or_default()
}

/// What the entry did, after the actor's name. `subject` is how the object is named: "this"
/// in its own dialog, its name in the sprint's activity.
pub fn what(entry: &HistoryEntry, subject: &str) -> String {
    let change = |field: &str| entry.changes.get(field);
    match entry.action.as_str() {
        "create" => format!("created {subject}"),
        "delete" => format!("deleted {subject}"),
        _ => {
            let mut parts = Vec::new();
            let (status, sprint) = (change("status"), change("sprint"));
            if status.is_some() || sprint.is_some() {
                // A side the entry does not name kept its value: an unchanged status with a
                // changed sprint can only be Not Started (the backlog holds nothing else), and
                // an unchanged sprint under a changed status is a sprint, not the backlog.
                let side = |change: Option<&[Value; 2]>, i: usize, kept: Value| {
                    change.map_or(kept, |pair| pair[i].clone())
                };
                let from = column_of(&side(status, 0, json!(1)), &side(sprint, 0, json!(true)));
                let to = column_of(&side(status, 1, json!(1)), &side(sprint, 1, json!(true)));
                if from == to {
                    parts.push(format!("moved {subject} to another sprint"));
                } else {
                    parts.push(format!("moved {subject} from {from} to {to}"));
                }
            } else if change("order").is_some() && entry.action == "move" {
                parts.push(format!("reordered {subject}"));
            }
            if let Some([_, after]) = change("name") {
                parts.push(format!("renamed {subject} to “{}”", text(after)));
            }
            if change("description").is_some() {
                parts.push("changed the description".to_owned());
            }
            if let Some([_, after]) = change("assigned") {
                parts.push(match after.as_str() {
                    Some(who) => format!("assigned {subject} to {who}"),
                    None => format!("unassigned {subject}"),
                });
            }
            if let Some([_, after]) = change("due") {
                parts.push(match after.as_str() {
                    Some(day) => format!("set the due date to {day}"),
                    None => "cleared the due date".to_owned(),
                });
            }
            if let Some([_, after]) = change("end") {
                parts.push(format!("set the end date to {}", text(after)));
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

/// Seconds since `entry` was made, by this browser's clock.
fn age(entry: &HistoryEntry) -> i64 {
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    let now = (js_sys::Date::now() / 1000.0) as i64;
    #[cfg(not(all(feature = "browser", not(feature = "ssr"))))]
    let now = chrono::Utc::now().timestamp();
    now - entry.at.timestamp()
}

/// The entries as a list of sentences with their time.
fn entries_view(
    entries: Vec<HistoryEntry>,
    name_of: impl Fn(&HistoryEntry) -> String,
) -> impl IntoView {
    entries
        .into_iter()
        .map(|entry| {
            let line = sentence(&entry, &name_of(&entry));
            let when = ago(age(&entry));
            let iso = entry.at.to_rfc3339();
            view! {
                <li>
                    <span class="what">{line}</span>
                    " · "
                    <time datetime=iso>{when}</time>
                </li>
            }
        })
        .collect_view()
}

/// The task dialog's History tab: newest first, refetched whenever the task changes.
#[component]
pub fn TaskHistory(id: i32) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let version = Memo::new(move |_| store.tasks.with(|tasks| tasks.get(&id).map(|t| t.version)));
    let entries = LocalResource::new(move || {
        version.track();
        async move {
            api.get::<Page<HistoryEntry>>(&format!("/api/tasks/{id}/history?page_size=50"))
                .await
        }
    });
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || entries.get().map(|answer| match answer {
                Ok(page) => view! {
                    <ol class="history" aria-label="History of this task">
                        {entries_view(page.results, |_| "this".to_owned())}
                    </ol>
                }.into_any(),
                Err(error) => view! { <p class="error" role="alert">{error.message()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// The sprint's activity: its changes and those of its tasks, newest first, updated live.
#[component]
pub fn ActivityPanel() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let entries = LocalResource::new(move || {
        store.activity.track();
        let sprint = store.sprint_id();
        async move {
            api.get::<Page<HistoryEntry>>(&format!("/api/sprints/{sprint}/history?page_size=30"))
                .await
        }
    });
    let name_of = move |entry: &HistoryEntry| {
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
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || entries.get().map(|answer| match answer {
                    Ok(page) => view! {
                        <ol class="history" aria-live="polite" aria-label="Recent changes on this sprint">
                            {entries_view(page.results, name_of)}
                        </ol>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.message()}</p> }.into_any(),
                })}
            </Suspense>
        </aside>
    }
}

/// The newest entry of a task's history, if the caller may undo it (their own, recent).
async fn own_newest(api: Api, task: i32) -> Option<HistoryEntry> {
    let page = api
        .get::<Page<HistoryEntry>>(&format!("/api/tasks/{task}/history?page_size=1"))
        .await
        .ok()?;
    page.results
        .into_iter()
        .next()
        .filter(|entry| entry.links.undo.is_some())
}

/// After this person's own change to `task`: offers "Undo" in a toast saying `what`, and
/// remembers the change for Ctrl/⌘+Z.
pub fn offer_undo(store: BoardStore, api: Api, task: i32, what: String) {
    leptos::task::spawn_local(async move {
        if let Some(entry) = own_newest(api, task).await {
            store.undo.update_value(|undo| {
                undo.done.push(entry.id);
                undo.redo.clear();
            });
            store.toast.set(Some(Toast {
                text: what,
                entry: entry.id,
            }));
            // The toast goes after a while; Ctrl/⌘+Z still undoes the change.
            #[cfg(all(feature = "browser", not(feature = "ssr")))]
            set_timeout(
                move || {
                    if store.toast.with_untracked(|t| t.as_ref().map(|t| t.entry)) == Some(entry.id)
                    {
                        store.toast.set(None);
                    }
                },
                std::time::Duration::from_secs(10),
            );
        }
    });
}

/// The toast after a person's own change.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub text: String,
    /// The entry its Undo takes back.
    pub entry: i64,
}

/// This person's own changes on this board, for Ctrl/⌘+Z and Ctrl/⌘+Shift+Z.
#[derive(Debug, Default)]
pub struct UndoStack {
    /// Entries that Ctrl/⌘+Z takes back, newest last.
    pub done: Vec<i64>,
    /// The entries of undos, that Ctrl/⌘+Shift+Z takes back in turn (a redo).
    pub redo: Vec<i64>,
}

/// Takes entry `id` back; on success the undo's own entry goes on the other stack. Tells the
/// person what happened (or why it could not).
pub fn take_back(store: BoardStore, api: Api, id: i64, redoing: bool) {
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
#[cfg(all(feature = "browser", not(feature = "ssr")))]
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

/// The toast: what was done, and its Undo.
#[component]
pub fn UndoToast() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    move || {
        store.toast.get().map(|toast| {
            let entry = toast.entry;
            view! {
                <div class="toast" role="status">
                    <span>{toast.text}</span>
                    <button
                        type="button"
                        class="link-button"
                        on:click=move |_| {
                            store.undo.update_value(|undo| undo.done.retain(|id| *id != entry));
                            take_back(store, api, entry, false);
                        }
                    >
                        "Undo"
                    </button>
                    <button type="button" class="link-button" aria-label="Dismiss" on:click=move |_| store.toast.set(None)>"×"</button>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HistoryLinks;

    fn entry(action: &str, changes: Value) -> HistoryEntry {
        HistoryEntry {
            id: 1,
            at: chrono::Utc::now(),
            actor: Some("alice".into()),
            model: "task".into(),
            object: 7,
            action: action.into(),
            changes: serde_json::from_value(changes).unwrap(),
            links: HistoryLinks {
                self_: String::new(),
                object: String::new(),
                undo: None,
            },
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
