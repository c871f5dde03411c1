//! The sprint form: "Sprint Name", "Start Date", "End Date", "Goal", "Description" and the
//! columns' work-in-progress limits, for creating and for editing.

use leptos::prelude::*;
use serde::Serialize;

use crate::{
    api::use_api,
    components::form::Submission,
    model::{Sprint, TaskStatus},
};

/// The columns a limit may be set on (a Completed column has no work in progress).
const LIMITED: [TaskStatus; 3] = [
    TaskStatus::NotStarted,
    TaskStatus::InProgress,
    TaskStatus::Testing,
];

/// The limits as typed, by [`LIMITED`] column, as the JSON text the API also takes from
/// forms: `{"1":0,"2":3,…}` (0: none). Written by hand: a serde map would bring the bundle
/// its own serializer for three numbers.
fn limits_json(limits: &[String; 3]) -> String {
    let pairs: Vec<String> = LIMITED
        .iter()
        .zip(limits)
        .map(|(status, limit)| {
            let limit: u16 = limit.trim().parse().unwrap_or(0);
            format!("\"{}\":{limit}", status.code())
        })
        .collect();
    format!("{{{}}}", pairs.join(","))
}

#[derive(Serialize)]
struct SprintInput {
    name: String,
    /// Empty means "not given" so the API answers "This field is required." by the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<String>,
    /// Empty: the server's default (the day after the previous sprint, or today).
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<String>,
    goal: String,
    /// JSON text (see [`limits_json`]).
    wip_limits: String,
    wip_strict: bool,
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
    let start = RwSignal::new(
        initial
            .as_ref()
            .map(|s| s.start.to_string())
            .unwrap_or_default(),
    );
    let goal = RwSignal::new(initial.as_ref().map(|s| s.goal.clone()).unwrap_or_default());
    let limits = RwSignal::new(LIMITED.map(|status| {
        initial
            .as_ref()
            .and_then(|s| s.wip_limits.of(status))
            .map(|n| n.to_string())
            .unwrap_or_default()
    }));
    let strict = RwSignal::new(initial.as_ref().is_some_and(|s| s.wip_strict));
    let form = Submission::new();
    let editing = StoredValue::new(editing);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let end = end.get_untracked();
        let existing = editing.get_value();
        let start = start.get_untracked();
        let input = SprintInput {
            name: name.get_untracked(),
            end: (!end.is_empty()).then_some(end),
            start: (!start.is_empty()).then_some(start),
            goal: goal.get_untracked(),
            wip_limits: limits_json(&limits.get_untracked()),
            wip_strict: strict.get_untracked(),
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
            e.unless_about(&["name", "start", "end", "goal", "wip_limits", "description"])
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
            <label for="id_start">"Start Date"</label>
            <input
                id="id_start"
                type="date"
                name="start"
                aria-describedby="id_start_error"
                prop:value=start
                on:input=move |ev| start.set(event_target_value(&ev))
            />
            <span class="error" id="id_start_error">{field_error("start")}</span>
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
            <label for="id_goal">"Goal"</label>
            <input
                id="id_goal"
                type="text"
                name="goal"
                maxlength="1000"
                aria-describedby="id_goal_error"
                prop:value=goal
                on:input=move |ev| goal.set(event_target_value(&ev))
            />
            <span class="error" id="id_goal_error">{field_error("goal")}</span>
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
            <fieldset class="wip-limits" aria-describedby="id_wip_error">
                <legend>"Work-in-progress limits"</legend>
                {limit_field(limits, 0)}
                {limit_field(limits, 1)}
                {limit_field(limits, 2)}
                <label class="check">
                    <input type="checkbox" prop:checked=strict on:change=move |ev| strict.set(event_target_checked(&ev)) />
                    "Refuse moves past a limit (otherwise the board warns)"
                </label>
                <span class="error" id="id_wip_error">{field_error("wip_limits")}</span>
            </fieldset>
            <div class="actions">
                <button type="button" class="cancel" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="submit" disabled=move || form.pending.get()>{if is_edit { "Save" } else { "Create" }}</button>
            </div>
        </form>
    }
}

/// One column's limit: a number, or empty for none.
fn limit_field(limits: RwSignal<[String; 3]>, index: usize) -> impl IntoView {
    let id = format!("id_wip_{index}");
    view! {
        <label for=id.clone()>{LIMITED[index].column_title()}</label>
        <input
            id=id
            type="number"
            min="1"
            max="999"
            inputmode="numeric"
            prop:value=move || limits.with(|all| all[index].clone())
            on:input=move |ev| limits.update(|all| all[index] = event_target_value(&ev))
        />
    }
}
