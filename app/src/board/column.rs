//! One column of the board: a labelled `<section>` that lists its cards in order and takes
//! drops (on the column: to its end; on a card: in front of it).

use leptos::wasm_bindgen::JsCast;
use leptos::{ev, prelude::*};

use super::{
    actions,
    card::{CardGestures, TaskCard, card_under},
    store::{BoardStore, Column},
};
use crate::{
    api::use_api,
    components::form::Submission,
    model::{Task, TaskStatus},
};
use serde::Serialize;

/// The drag payload type the book used; it carries the task id.
pub const DRAG_TYPE: &str = "application/model";

#[component]
pub fn BoardColumn(column: Column) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let cards = Memo::new(move |_| store.column_cards(column));
    let over = RwSignal::new(false);
    // The section itself: with delegated events, `currentTarget` is the document.
    let section = NodeRef::<leptos::html::Section>::new();
    let heading = format!("column-{}", column.key);
    let labelled_by = heading.clone();
    let cards_do = CardGestures::new(store, api);

    let on_dragover = move |ev: ev::DragEvent| {
        ev.prevent_default();
        if let Some(transfer) = ev.data_transfer() {
            transfer.set_drop_effect("move");
        }
        if !over.get_untracked() {
            over.set(true);
        }
    };
    let on_dragleave = move |ev: ev::DragEvent| {
        // Only when the pointer leaves the column itself, not when it crosses its cards.
        let leaving = ev
            .related_target()
            .and_then(|to| to.dyn_into::<web_sys::Node>().ok())
            .zip(section.get_untracked())
            .is_none_or(|(to, me)| !me.contains(Some(&to)));
        if leaving {
            over.set(false);
        }
    };
    let on_drop = move |ev: ev::DragEvent| {
        ev.prevent_default();
        over.set(false);
        let Some(id) = ev
            .data_transfer()
            .and_then(|transfer| transfer.get_data(DRAG_TYPE).ok())
            .and_then(|text| text.parse::<i32>().ok())
        else {
            return;
        };
        let before = card_under(ev.target()).filter(|card| *card != id);
        if before.is_none()
            && store.column_of(id) == Some(column)
            && cards.with_untracked(|cards| cards.last().map(|card| card.id) == Some(id))
        {
            return; // dropped where it already is
        }
        actions::move_task(store, api, id, column, before);
    };

    view! {
        <section
            node_ref=section
            class="status"
            class:over=move || over.get()
            data-column=column.key
            aria-labelledby=labelled_by
            on:dragover=on_dragover
            on:dragleave=on_dragleave
            on:drop=on_drop
        >
            <h2 id=heading>{column.title}</h2>
            // Markup (see `count_html`): the count, points and limit in one drawing.
            <p class="count" inner_html=move || {
                let (shown, all, points) = cards.with(|cards| {
                    let points: u32 = cards.iter().filter_map(|card| card.points).map(|p| p.tenths()).sum();
                    (cards.iter().filter(|card| !card.outside_filter).count(), cards.len(), points)
                });
                let filtered = store.filter.with(|f| f.is_active());
                let limit = column
                    .sprint
                    .and_then(|_| store.sprint.with(|s| s.wip_limits.of(column.status)));
                count_html((shown, all, filtered), points, limit)
            }></p>
            // A sprint's columns take new tasks at the top, where a long column's end is out of
            // sight; the backlog keeps the book's button under its cards.
            {column.sprint.is_some().then(|| view! { <AddTask column /> })}
            // Not a list: its cards are buttons, and a list may hold only list items.
            <div
                class="list"
                on:dragstart=move |ev| cards_do.dragstart(ev)
                on:dragend=move |ev| cards_do.dragend(ev)
                on:keydown=move |ev| cards_do.keydown(ev)
                on:click=move |ev| cards_do.click(ev)
                on:focusin=move |ev| cards_do.focusin(ev)
                on:focusout=move |ev| cards_do.focusout(ev)
                on:pointerdown=move |ev| cards_do.pointerdown(ev)
                on:pointermove=move |ev| cards_do.pointermove(ev)
                on:pointerup=move |ev| cards_do.pointerup(ev)
                on:pointercancel=move |ev| cards_do.pointercancel(ev)
            >
                <For each=move || cards.get() key=Clone::clone let:card>
                    <TaskCard card />
                </For>
            </div>
            {column.sprint.is_none().then(|| view! { <AddTask column /> })}
        </section>
    }
}

#[derive(Serialize)]
struct NewTask {
    name: String,
    description: String,
    /// Both left out in the backlog, so that a backlog task is created exactly as the book's.
    #[serde(skip_serializing_if = "Option::is_none")]
    sprint: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<TaskStatus>,
    /// The board's project (its backlog's, when there is no sprint).
    project: i32,
}

/// "Add Task": a task created in `column` (in the backlog, as the book), at its end.
#[component]
fn AddTask(column: Column) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let form = Submission::new();
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewTask {
            name: name.get_untracked(),
            description: description.get_untracked(),
            sprint: column.sprint,
            status: column.sprint.map(|_| column.status),
            project: store.project,
        };
        form.send(
            async move { api.post::<_, Task>("/api/tasks", &input).await },
            move |task| {
                store.upsert(task);
                name.set(String::new());
                description.set(String::new());
                open.set(false);
            },
        );
    };
    let field_error = move |name: &'static str| form.field_error(name);
    let form_error = form.banner(&["name", "description"]);
    // Field ids of their own per column, since several forms may be open at once; the backlog
    // keeps the book's. (Written out: ids built at run time cost the bundle more.)
    let (name_id, error_id, description_id, form_label) = match column.key {
        "todo" => (
            "id_task_name_todo",
            "id_task_name_error_todo",
            "id_task_description_todo",
            "Add Task to Not Started",
        ),
        "active" => (
            "id_task_name_active",
            "id_task_name_error_active",
            "id_task_description_active",
            "Add Task to In Development",
        ),
        "testing" => (
            "id_task_name_testing",
            "id_task_name_error_testing",
            "id_task_description_testing",
            "Add Task to In Testing",
        ),
        "done" => (
            "id_task_name_done",
            "id_task_name_error_done",
            "id_task_description_done",
            "Add Task to Completed",
        ),
        _ => (
            "id_task_name",
            "id_task_name_error",
            "id_task_description",
            "Add Task",
        ),
    };
    view! {
        {move || if !open.get() {
            view! { <button class="add" type="button" on:click=move |_| open.set(true)>"Add Task"</button> }.into_any()
        } else {
            view! {
                <form class="add-task stacked" method="post" aria-label=form_label on:submit=submit>
                    {move || form_error().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                    <label for=name_id>"Task Name"</label>
                    <input
                        id=name_id
                        type="text"
                        name="name"
                        maxlength="100"
                        required
                        autofocus
                        aria-describedby=error_id
                        prop:value=name
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <span class="error" id=error_id>{field_error("name")}</span>
                    <label for=description_id>"Description"</label>
                    <textarea
                        id=description_id
                        name="description"
                        rows="2"
                        prop:value=description
                        on:input=move |ev| description.set(event_target_value(&ev))
                    ></textarea>
                    <div class="actions">
                        <button type="submit" class="create" disabled=move || form.pending.get()>"Create"</button>
                        <button type="button" class="cancel" on:click=move |_| { form.error.set(None); open.set(false) }>"Cancel"</button>
                    </div>
                </form>
            }.into_any()
        }}
    }
}

/// A column's count as markup: "3 tasks", "2 of 5 tasks" while filtered, its points when any
/// are estimated ("· 8 pts"), and its work-in-progress limit, which past it says so in words
/// and colour ("Over its limit of 2 tasks."). Numbers and fixed words only, so
/// nothing needs [`crate::markup::escape`].
fn count_html(
    (shown, all, filtered): (usize, usize, bool),
    points: u32,
    limit: Option<u16>,
) -> String {
    let mut html = if filtered {
        let plural = if all == 1 { "" } else { "s" };
        format!("{shown} of {all} task{plural}")
    } else if shown == 1 {
        "1 task".to_owned()
    } else {
        format!("{shown} tasks")
    };
    if points > 0 {
        html += &format!(
            " · {}",
            super::card::points_text(crate::model::Points(points))
        );
    }
    if let Some(limit) = limit {
        // The column's title is right above: "Over its limit of 2 tasks."
        html += &if all > usize::from(limit) {
            let plural = if limit == 1 { "" } else { "s" };
            format!(r#"<span class="wip over">Over its limit of {limit} task{plural}.</span>"#)
        } else {
            format!(r#"<span class="wip">Limit: {limit}</span>"#)
        };
    }
    html
}
