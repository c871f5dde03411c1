//! Closing a sprint from its board: "Complete sprint" opens a dialog that counts what is done
//! and what will move, and lets the person choose where unfinished work goes (the backlog or
//! another open sprint); a completed sprint offers "Reopen sprint" instead. And the burndown,
//! which the server draws (see the server's `http::charts`) and the board fetches again as
//! the sprint's figures change.

use leptos::prelude::*;
use serde::Serialize;

use super::store::BoardStore;
use crate::{
    api::use_api,
    markup::option,
    model::{Points, Sprint, SprintState, TaskStatus},
};

#[derive(Serialize)]
struct CompleteBody {
    /// `"backlog"`, or a sprint's id as text (which the API reads as the number).
    carry_over: String,
}

/// `(tasks, points)` of the sprint's tasks that `done` says.
fn counted(store: BoardStore, done: bool) -> (u32, Points) {
    let sprint = store.sprint_id();
    store.tasks.with(|tasks| {
        tasks
            .values()
            .filter(|t| t.sprint == Some(sprint) && (t.status == TaskStatus::Done) == done)
            .fold((0, Points(0)), |(n, points), t| {
                (n + 1, Points(points.0 + t.points.map_or(0, |p| p.0)))
            })
    })
}

fn tasks_text(n: u32) -> String {
    format!("{n} task{}", if n == 1 { "" } else { "s" })
}

#[component]
pub fn CompleteSprint() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let open = RwSignal::new(false);
    let targets = RwSignal::new(String::new());
    let chosen = RwSignal::new("backlog".to_owned());
    let error = RwSignal::new(None::<String>);
    let completed = move || store.sprint.with(|s| s.state == SprintState::Completed);

    let show = move |_| {
        error.set(None);
        chosen.set("backlog".to_owned());
        targets.set(option("backlog", "The backlog", true));
        open.set(true);
        let (project, id) = (store.project, store.sprint_id());
        let today = crate::dates::today();
        leptos::task::spawn_local(async move {
            let Ok(sprints) = api
                .get_all::<Sprint>(&format!("/api/sprints?project={project}&page_size=100"))
                .await
            else {
                return;
            };
            let mut options = option("backlog", "The backlog", true);
            for sprint in sprints
                .iter()
                .filter(|s| s.id != id && s.state != SprintState::Completed && s.end >= today)
            {
                options += &option(&sprint.id.to_string(), &sprint.display_name(), false);
            }
            targets.set(options);
        });
    };
    let finish = move |result: Result<Option<Sprint>, crate::api::ApiError>| match result {
        Ok(Some(sprint)) => {
            store.sprint.set(sprint);
            open.set(false);
        }
        Ok(None) => open.set(false),
        Err(refused) => error.set(Some(refused.message())),
    };
    let complete = move |_| {
        let body = CompleteBody {
            carry_over: chosen.get_untracked(),
        };
        let path = format!("/api/sprints/{}/complete", store.sprint_id());
        leptos::task::spawn_local(async move {
            finish(api.post::<_, Sprint>(&path, &body).await.map(Some));
        });
    };
    let reopen = move |_| {
        let path = format!("/api/sprints/{}/reopen", store.sprint_id());
        error.set(None);
        leptos::task::spawn_local(async move { finish(api.post_empty::<Sprint>(&path).await) });
    };

    view! {
        {move || if completed() {
            view! { <button type="button" class="write reopen" on:click=reopen>"Reopen sprint"</button> }.into_any()
        } else {
            view! { <button type="button" class="write" on:click=show>"Complete sprint"</button> }.into_any()
        }}
        {move || (error.get().is_some() && !open.get()).then(|| view! {
            <p class="error" role="alert">{error.get()}</p>
        })}
        {move || open.get().then(|| {
            let (done, done_points) = counted(store, true);
            let (left, left_points) = counted(store, false);
            view! {
                <div class="confirm complete-sprint" role="dialog" aria-labelledby="complete-title" aria-describedby="complete-counts">
                    <h2 id="complete-title">"Complete sprint"</h2>
                    <p id="complete-counts">{format!(
                        "Done, staying in the sprint: {} ({done_points} points). Not done, to move: {} ({left_points} points).",
                        tasks_text(done),
                        tasks_text(left),
                    )}</p>
                    <label for="carry-over">"Move unfinished tasks to"</label>
                    <select
                        id="carry-over"
                        inner_html=move || targets.get()
                        on:change=move |ev| chosen.set(event_target_value(&ev))
                    ></select>
                    {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                    <div class="actions">
                        <button type="button" class="primary" on:click=complete>"Complete sprint"</button>
                        <button type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </div>
            }
        })}
    }
}

/// Where the board fetches its chart: the burndown as markup.
pub fn chart_path(sprint: i32) -> String {
    format!("/api/sprints/{sprint}/burndown?format=html")
}

/// The sprint's burndown as the server draws it (`chart`, with the board's data), fetched
/// again whenever the sprint's figures (its tasks, how many are done, their points) change
/// here or live. A signal rather than a resource: the first drawing comes with the board.
#[component]
pub fn Burndown(chart: String) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let chart = RwSignal::new(chart);
    Effect::new(move |previous: Option<(u32, u32, u32, u32, bool)>| {
        let (done, done_points) = counted(store, true);
        let (left, left_points) = counted(store, false);
        let completed = store.sprint.with(|s| s.state == SprintState::Completed);
        let figures = (done, done_points.0, left, left_points.0, completed);
        if previous.is_some_and(|previous| previous != figures) {
            let path = chart_path(store.sprint_id());
            leptos::task::spawn_local(async move {
                if let Ok(drawn) = api.get_text(&path).await {
                    chart.set(drawn);
                }
            });
        }
        figures
    });
    view! {
        <section class="burndown-panel" aria-label="Burndown">
            // Outside the chart, which is redrawn as cards move: the choice stays.
            <div class="chart-switch" role="radiogroup" aria-label="Chart">
                <input type="radio" name="board-chart" id="board-chart-down" class="show-down" checked />
                <label for="board-chart-down">"Burndown"</label>
                <input type="radio" name="board-chart" id="board-chart-up" class="show-up" />
                <label for="board-chart-up">"Burn-up"</label>
            </div>
            <div inner_html=move || chart.get()></div>
        </section>
    }
}
