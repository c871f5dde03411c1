//! A task's details, edited in place: name, description, due date, assignee, delete. (Its
//! column and place change on the board: dragging, arrow keys, or the card's "Move to…".)
//! Saves send the `version` they started from; if someone saved in between, the person sees
//! what changed and chooses to reload theirs or overwrite.

use leptos::{ev, prelude::*};
use serde::Serialize;

use super::store::BoardStore;
use crate::{
    api::use_api,
    components::form::Submission,
    markup::{escape, option},
    model::Task,
};

/// A `PATCH /api/tasks/{id}` body: only the fields present are changed; `Some(None)` clears an
/// optional one (sent as `null`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct TaskPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<Option<String>>,
    version: i32,
}

/// An input's text as an optional field: empty means none.
fn nonempty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// The fields this form edits, as strings the inputs hold.
#[derive(Clone, Debug, Default, PartialEq)]
struct Draft {
    name: String,
    description: String,
    due: String,
    assigned: String,
    /// As typed: "3", "0.5" (the server checks it).
    points: String,
}

impl Draft {
    fn of(task: &Task) -> Self {
        Draft {
            name: task.name.clone(),
            description: task.description.clone(),
            due: task.due.map(|d| d.to_string()).unwrap_or_default(),
            assigned: task.assigned.clone().unwrap_or_default(),
            points: task.points.map(|p| p.to_string()).unwrap_or_default(),
        }
    }

    /// The PATCH body: what differs from `base`, plus the version it was based on.
    fn changes(&self, base: &Draft, version: i32) -> TaskPatch {
        let changed = |mine: &String, theirs: &String| (mine != theirs).then(|| mine.clone());
        TaskPatch {
            name: changed(&self.name, &base.name),
            description: changed(&self.description, &base.description),
            due: changed(&self.due, &base.due).map(nonempty),
            assigned: changed(&self.assigned, &base.assigned).map(nonempty),
            points: changed(&self.points, &base.points).map(nonempty),
            version,
        }
    }

    /// The PATCH body that makes the task exactly this draft.
    fn everything(&self, version: i32) -> TaskPatch {
        TaskPatch {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            due: Some(nonempty(self.due.clone())),
            assigned: Some(nonempty(self.assigned.clone())),
            points: Some(nonempty(self.points.clone())),
            version,
        }
    }

    /// "Name", "Due", … where `theirs` differs from `base`, with their value.
    fn differences(base: &Draft, theirs: &Draft) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let shown = |text: &str| {
            if text.is_empty() {
                "(empty)".to_owned()
            } else {
                text.to_owned()
            }
        };
        if base.name != theirs.name {
            out.push(("Name", shown(&theirs.name)));
        }
        if base.description != theirs.description {
            out.push(("Description", shown(&theirs.description)));
        }
        if base.due != theirs.due {
            out.push(("Due", shown(&theirs.due)));
        }
        if base.assigned != theirs.assigned {
            out.push(("Assigned To", shown(&theirs.assigned)));
        }
        out
    }
}

/// The task's points as a text field offering the usual planning-poker scale (free entry
/// too): markup, as a typed input with a list and a datalist would bring the bundle their
/// own element and attribute code. Drawn from the version being edited; typing is followed
/// by the form's `input` handler.
fn points_field(task: &Task) -> String {
    let value = task.points.map(|p| p.to_string()).unwrap_or_default();
    format!(
        r#"<label for="detail-points">Story points</label><input id="detail-points" type="text" inputmode="decimal" list="points-scale" autocomplete="off" value="{}"><datalist id="points-scale"><option value="0"><option value="0.5"><option value="1"><option value="2"><option value="3"><option value="5"><option value="8"><option value="13"><option value="20"><option value="40"><option value="100"></datalist>"#,
        escape(&value)
    )
}

#[component]
pub fn TaskDetail(id: i32) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let Some(opened) = store.tasks.with_untracked(|tasks| tasks.get(&id).cloned()) else {
        return ().into_any();
    };
    // What this person started editing from; a save is checked against its version.
    let base = RwSignal::new(opened.clone());
    let draft = RwSignal::new(Draft::of(&opened));
    let conflict = RwSignal::new(None::<Task>);
    // Saves are not queued behind one another (a conflict's Overwrite follows a refused save),
    // so only the refusal part of a `Submission` is used here.
    let form = Submission::new();
    let error = form.error;
    let saved = RwSignal::new(false);
    let confirming_delete = RwSignal::new(false);
    let show_history = RwSignal::new(false);
    let users = store.users.get_value();
    let live = Memo::new(move |_| store.tasks.with(|tasks| tasks.get(&id).cloned()));
    let dirty = move || draft.with(|d| *d != Draft::of(&base.read()));

    // The server's answer to a save becomes what this person edits from.
    let accept = move |task: Task| {
        let what = format!("Saved “{}”", task.name);
        super::history::offer_undo(store, api, task.id, what);
        conflict.set(None);
        draft.set(Draft::of(&task));
        base.set(task.clone());
        store.upsert(task);
        saved.set(true);
    };
    let save = move |version: i32| {
        let body = draft.with_untracked(|d| d.changes(&Draft::of(&base.read_untracked()), version));
        error.set(None);
        saved.set(false);
        leptos::task::spawn_local(async move {
            match api
                .patch::<_, Task>(&format!("/api/tasks/{id}"), &body)
                .await
            {
                Ok(task) => accept(task),
                Err(refused) if refused.status == 412 => {
                    match crate::json::from_str::<Task>(&refused.body) {
                        Some(current) => {
                            store.upsert(current.clone());
                            conflict.set(Some(current));
                        }
                        None => error.set(Some(refused)),
                    }
                }
                Err(refused) => error.set(Some(refused)),
            }
        });
    };
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        save(base.read_untracked().version);
    };
    let reload = move |_| {
        if let Some(current) = conflict.get_untracked() {
            draft.set(Draft::of(&current));
            base.set(current);
        }
        conflict.set(None);
    };
    let overwrite = move |_| {
        if let Some(current) = conflict.get_untracked() {
            // Mine wins: every field of the form is sent, checked against their version.
            base.set(current.clone());
            let mine = draft.get_untracked();
            let body = mine.everything(current.version);
            conflict.set(None);
            error.set(None);
            leptos::task::spawn_local(async move {
                match api
                    .patch::<_, Task>(&format!("/api/tasks/{id}"), &body)
                    .await
                {
                    Ok(task) => accept(task),
                    Err(refused) => error.set(Some(refused)),
                }
            });
        }
    };
    let delete = move |_| {
        leptos::task::spawn_local(async move {
            match api.delete(&format!("/api/tasks/{id}")).await {
                Ok(()) => {
                    let name = base.with_untracked(|task| task.name.clone());
                    store.remove(id);
                    super::history::offer_undo(store, api, id, format!("Deleted “{name}”"));
                }
                Err(refused) => error.set(Some(refused)),
            }
        });
    };
    let close = move || store.editing.set(None);
    let field_error = move |name: &'static str| form.field_error(name);
    let form_error = form.banner(&["name", "description", "due", "assigned", "points"]);
    let dialog = NodeRef::new();
    let on_keydown = crate::components::dialog::modal(dialog, close);
    // A label toggled here is saved at once: the form then edits from that version.
    let labels_saved = move |task: Task| {
        base.set(task.clone());
        store.upsert(task);
    };

    view! {
        <div class="task-detail-backdrop" on:click=move |_| close()></div>
        <div
            class="task-detail"
            role="dialog"
            aria-modal="true"
            aria-labelledby="task-detail-title"
            node_ref=dialog
            on:keydown=on_keydown
        >
            <h2 id="task-detail-title">"Task details"</h2>
            <div class="tabs" role="tablist" aria-label="Task">
                <button type="button" role="tab" id="tab-details" aria-selected=move || (!show_history.get()).to_string() on:click=move |_| show_history.set(false)>"Details"</button>
                <button type="button" role="tab" id="tab-history" aria-selected=move || show_history.get().to_string() on:click=move |_| show_history.set(true)>"History"</button>
            </div>
            {move || show_history.get().then(|| view! {
                <div role="tabpanel" aria-labelledby="tab-history"><super::history::TaskHistory id /></div>
            })}
            {move || live.with(Option::is_none).then(|| view! {
                <p class="error" role="alert">"This task was deleted."</p>
            })}
            {move || conflict.get().map(|current| {
                let changes: String = Draft::differences(&Draft::of(&base.get()), &Draft::of(&current))
                    .into_iter()
                    .map(|(field, value)| format!("<li><strong>{field}: </strong>{}</li>", escape(&value)))
                    .collect();
                view! {
                    <div class="conflict" role="alert">
                        <p>"Someone else saved this task while you were editing it. Their version:"</p>
                        <ul inner_html=changes></ul>
                        <button type="button" on:click=reload>"Reload"</button>
                        <button type="button" on:click=overwrite>"Overwrite"</button>
                    </div>
                }
            })}
            <form
                class="stacked"
                on:submit=on_submit
                on:input=move |ev| {
                    if crate::markup::marked(&ev, "list").is_some() {
                        draft.update(|d| d.points = event_target_value(&ev));
                    }
                }
                hidden=move || show_history.get()
            >
                {move || form_error().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                <label for="detail-name">"Name"</label>
                <input
                    id="detail-name"
                    type="text"
                    maxlength="100"
                    required
                    prop:value=move || draft.with(|d| d.name.clone())
                    on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev))
                />
                <span class="error">{field_error("name")}</span>
                <label for="detail-description">"Description"</label>
                <textarea
                    id="detail-description"
                    rows="4"
                    prop:value=move || draft.with(|d| d.description.clone())
                    on:input=move |ev| draft.update(|d| d.description = event_target_value(&ev))
                ></textarea>
                <span class="error">{field_error("description")}</span>
                <label for="detail-due">"Due"</label>
                <input
                    id="detail-due"
                    type="date"
                    prop:value=move || draft.with(|d| d.due.clone())
                    on:input=move |ev| draft.update(|d| d.due = event_target_value(&ev))
                />
                <span class="error">{field_error("due")}</span>
                <label for="detail-assigned">"Assigned To"</label>
                // Options written as markup (see `markup::option`), `selected` on the one
                // chosen: the options must exist before a value can pick one of them.
                <select
                    id="detail-assigned"
                    on:change=move |ev| draft.update(|d| d.assigned = event_target_value(&ev))
                    inner_html=move || {
                        let chosen = draft.with(|d| d.assigned.clone());
                        let mut options = option("", "Nobody", chosen.is_empty());
                        for user in &users {
                            let label = if user.full_name.is_empty() {
                                user.username.clone()
                            } else {
                                format!("{} ({})", user.full_name, user.username)
                            };
                            options += &option(&user.username, &label, user.username == chosen);
                        }
                        options
                    }
                ></select>
                <span class="error">{field_error("assigned")}</span>
                // Markup (see `points_field`), followed by the form's own input handler.
                <div class="points-field" inner_html=move || base.with(points_field)></div>
                <span class="error">{field_error("points")}</span>
                {move || saved.get().then(|| view! { <p class="saved" role="status">"Saved."</p> })}
                <div class="actions">
                    <button type="submit" disabled=move || !dirty()>"Save"</button>
                    <button type="button" class="cancel" on:click=move |_| close()>"Close"</button>
                    <button type="button" class="danger" on:click=move |_| confirming_delete.set(true)>"Delete"</button>
                </div>
            </form>
            {move || confirming_delete.get().then(|| view! {
                <div class="confirm" role="alertdialog" aria-labelledby="confirm-task-delete">
                    <p id="confirm-task-delete">"Delete this task for everyone?"</p>
                    <button type="button" class="danger" on:click=delete>"Delete task"</button>
                    <button type="button" on:click=move |_| confirming_delete.set(false)>"Keep it"</button>
                </div>
            })}
            <div class="task-extras" hidden=move || show_history.get()>
                <super::labels::TaskLabels task=id on_saved=labels_saved />
                <super::comments::CommentThread task=id />
            </div>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str, due: &str, assigned: &str) -> Draft {
        Draft {
            name: name.into(),
            description: "Same".into(),
            due: due.into(),
            assigned: assigned.into(),
            points: String::new(),
        }
    }

    #[test]
    fn a_save_sends_only_what_changed_and_clears_emptied_fields_with_null() {
        let base = draft("Old", "2026-12-01", "alice");
        let mine = draft("New", "", "alice");
        assert_eq!(
            serde_json::to_string(&mine.changes(&base, 7)).unwrap(),
            r#"{"name":"New","due":null,"version":7}"#
        );
        assert_eq!(
            serde_json::to_string(&base.changes(&base, 3)).unwrap(),
            r#"{"version":3}"#
        );
    }

    #[test]
    fn an_overwrite_sends_every_field() {
        assert_eq!(
            serde_json::to_string(&draft("Mine", "", "bob").everything(9)).unwrap(),
            r#"{"name":"Mine","description":"Same","due":null,"assigned":"bob","points":null,"version":9}"#
        );
    }
}
