//! The sprint form: "Sprint Name", "End Date", "Description", for creating and for editing.

use leptos::prelude::*;
use serde::Serialize;

use crate::{api::use_api, components::form::Submission, model::Sprint};

#[derive(Serialize)]
struct SprintInput {
    name: String,
    /// Empty means "not given" so the API answers "This field is required." by the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<String>,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i32>,
}

/// Creates a sprint (`initial` = None) or edits one; `on_saved` gets the stored sprint.
#[component]
pub fn SprintForm(
    #[prop(optional)] initial: Option<Sprint>,
    #[prop(into)] on_saved: Callback<Sprint>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    let api = use_api();
    let editing = initial.clone();
    let name = RwSignal::new(initial.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    let end = RwSignal::new(
        initial
            .as_ref()
            .map(|s| s.end.to_string())
            .unwrap_or_default(),
    );
    let description = RwSignal::new(
        initial
            .as_ref()
            .map(|s| s.description.clone())
            .unwrap_or_default(),
    );
    let form = Submission::new();
    let editing = StoredValue::new(editing);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let end = end.get_untracked();
        let existing = editing.get_value();
        let input = SprintInput {
            name: name.get_untracked(),
            end: (!end.is_empty()).then_some(end),
            description: description.get_untracked(),
            version: existing.as_ref().map(|s| s.version),
        };
        form.send(
            async move {
                match &existing {
                    Some(sprint) => {
                        api.patch::<_, Sprint>(&format!("/api/sprints/{}", sprint.id), &input)
                            .await
                    }
                    None => api.post::<_, Sprint>("/api/sprints", &input).await,
                }
            },
            move |sprint| on_saved.run(sprint),
        );
    };
    let field_error = move |name: &'static str| form.field_error(name);
    let form_error = move || {
        form.error.get().and_then(|e| {
            let stale = e.status == 412;
            e.unless_about(&["name", "end", "description"])
                .map(|message| {
                    if stale {
                        "Someone else changed this sprint meanwhile; cancel and try again."
                            .to_owned()
                    } else {
                        message
                    }
                })
        })
    };
    let is_edit = editing.with_value(Option::is_some);
    let title = if is_edit { "Edit Sprint" } else { "Add Sprint" };

    view! {
        <form class="sprint-form stacked" method="post" aria-label=title on:submit=submit>
            {move || form_error().map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <label for="id_name">"Sprint Name"</label>
            <input
                id="id_name"
                type="text"
                name="name"
                maxlength="100"
                required
                aria-describedby="id_name_error"
                prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <span class="error" id="id_name_error">{field_error("name")}</span>
            <label for="id_end">"End Date"</label>
            <input
                id="id_end"
                type="date"
                name="end"
                aria-describedby="id_end_error"
                prop:value=end
                on:input=move |ev| end.set(event_target_value(&ev))
            />
            <span class="error" id="id_end_error">{field_error("end")}</span>
            <label for="id_description">"Description"</label>
            <textarea
                id="id_description"
                name="description"
                rows="3"
                aria-describedby="id_description_error"
                prop:value=description
                on:input=move |ev| description.set(event_target_value(&ev))
            ></textarea>
            <span class="error" id="id_description_error">{field_error("description")}</span>
            <div class="actions">
                <button type="button" class="cancel" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="submit" disabled=move || form.pending.get()>{if is_edit { "Save" } else { "Create" }}</button>
            </div>
        </form>
    }
}
