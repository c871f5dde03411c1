//! Labels in the task dialog: the board's labels as toggles (a task may have several), each
//! saved at once, and a new label made in place with a name and a colour from the palette.

use leptos::{ev, prelude::*};
use serde::Serialize;

use super::store::BoardStore;
use crate::{
    api::use_api,
    components::form::Submission,
    markup::{escape, marked, option},
    model::{LABEL_COLOURS, Label, Task},
};

#[derive(Serialize)]
struct LabelsPatch {
    labels: Vec<i32>,
    version: i32,
}

#[derive(Serialize)]
struct NewLabel {
    name: String,
    colour: String,
    project: i32,
}

/// The task's labels; `on_saved` receives the task after each change (the dialog edits from
/// its new version).
#[component]
pub fn TaskLabels(task: i32, #[prop(into)] on_saved: Callback<Task>) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    // What the task holds now: its labels and the version to save against.
    let held = move || {
        store
            .tasks
            .with(|tasks| tasks.get(&task).map(|t| (t.labels.clone(), t.version)))
    };
    let error = RwSignal::new(None::<String>);
    let set = move |label: i32, on: bool| {
        let Some((mut labels, version)) = untrack(held) else {
            return;
        };
        labels.retain(|l| *l != label);
        if on {
            labels.push(label);
        }
        error.set(None);
        leptos::task::spawn_local(async move {
            let body = LabelsPatch { labels, version };
            match api
                .patch::<_, Task>(&format!("/api/tasks/{task}"), &body)
                .await
            {
                Ok(saved) => on_saved.run(saved),
                Err(refused) => error.set(Some(refused.message())),
            }
        });
    };
    let name = RwSignal::new(String::new());
    let colour = RwSignal::new(LABEL_COLOURS[6].to_owned());
    let form = Submission::new();
    let create = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewLabel {
            name: name.get_untracked(),
            colour: colour.get_untracked(),
            project: store.project,
        };
        form.send(
            async move { api.post::<_, Label>("/api/labels", &body).await },
            move |label| {
                name.set(String::new());
                let id = label.id;
                store.upsert_label(label);
                set(id, true);
            },
        );
    };
    view! {
        <fieldset class="labels">
            <legend>"Labels"</legend>
            // The toggles as markup, one click handler for all (see `crate::markup`).
            <div
                class="chips"
                on:click=move |ev: ev::MouseEvent| {
                    if let Some(toggle) = marked(&ev, "data-label") {
                        let on = toggle.get_attribute("aria-pressed").as_deref() == Some("true");
                        if let Some(id) = toggle.get_attribute("data-label").and_then(|id| id.parse().ok()) {
                            set(id, !on);
                        }
                    }
                }
                inner_html=move || {
                    let held = held().map(|(labels, _)| labels).unwrap_or_default();
                    store.labels.with(|labels| {
                        labels
                            .iter()
                            .map(|label| format!(
                                r#"<button type="button" class="label-chip toggle" data-label="{}" data-colour="{}" aria-pressed="{}">{}</button>"#,
                                label.id,
                                escape(&label.colour),
                                held.contains(&label.id),
                                escape(&label.name),
                            ))
                            .collect::<String>()
                    })
                }
            >
            </div>
            {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <form class="new-label" on:submit=create>
                <label for="new-label-name">"New label"</label>
                <input
                    id="new-label-name"
                    type="text"
                    maxlength="50"
                    required
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <label for="new-label-colour">"Colour"</label>
                <select
                    id="new-label-colour"
                    on:change=move |ev| colour.set(event_target_value(&ev))
                    inner_html=LABEL_COLOURS.map(|c| option(c, c, c == "blue")).concat()
                ></select>
                <button type="submit" disabled=move || form.pending.get()>"Add label"</button>
                <span class="error">{form.field_error("name")}</span>
            </form>
        </fieldset>
    }
}
