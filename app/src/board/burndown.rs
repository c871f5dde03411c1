//! The board's burndown, which the server draws (see the server's `http::charts`): markup, as
//! [`crate::markup::Fetched`] shows, that comes with the board's data and is fetched again as
//! the sprint's figures change, here or live.

use leptos::prelude::*;

use super::store::BoardStore;
use crate::{api::use_api, model::TaskStatus};

/// The sprint's tasks (not the backlog's): `[done, done points, all, all points]`, points in
/// tenths.
pub fn counted(store: BoardStore) -> [u32; 4] {
    let sprint = store.sprint_id();
    store.tasks.with(|tasks| {
        let mut counts = [0; 4];
        for task in tasks.values().filter(|t| t.sprint == Some(sprint)) {
            let points = task.points.map_or(0, |p| p.0);
            let done = u32::from(task.status == TaskStatus::Done);
            counts[0] += done;
            counts[1] += done * points;
            counts[2] += 1;
            counts[3] += points;
        }
        counts
    })
}

/// Where the board fetches its chart: the burndown as markup.
pub fn chart_path(sprint: i32) -> String {
    format!("/api/sprints/{sprint}/burndown?format=html")
}

/// The sprint's burndown as the server draws it (`chart`, with the board's data), fetched
/// again once the changes the live stream reports settle (this person's own too: the stream
/// echoes them once they are committed, so the drawing never shows a move still on its way).
/// Only the newest fetch is drawn. A signal rather than a resource: the first drawing comes with the
/// board.
#[component]
pub fn Burndown(
    chart: String,
    /// While set (the sprint's deletion is being confirmed or made), nothing is fetched: the
    /// sprint may be gone by then.
    paused: RwSignal<bool>,
) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    // Hydrating, the board's data comes without the chart, which the page shows already.
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    let chart = if chart.is_empty() {
        document()
            .query_selector(".chart-body")
            .ok()
            .flatten()
            .map(|drawn| drawn.inner_html())
            .unwrap_or_default()
    } else {
        chart
    };
    let chart = RwSignal::new(chart);
    Effect::new(move |previous: Option<u32>| {
        let changes = store.activity.get();
        if previous.is_some() {
            // A burst of changes is drawn once; a board left meanwhile (its sprint deleted,
            // say) asks for nothing.
            let settled = move || {
                if chart.is_disposed()
                    || paused.try_get_untracked() != Some(false)
                    || store.activity.try_get_untracked() != Some(changes)
                {
                    return;
                }
                let path = chart_path(store.sprint_id());
                leptos::task::spawn_local(async move {
                    if let Ok(drawn) = api.get_text(&path).await
                        && store.activity.try_get_untracked() == Some(changes)
                    {
                        chart.try_set(drawn);
                    }
                });
            };
            set_timeout(settled, std::time::Duration::from_millis(250));
        }
        changes
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
            <div class="chart-body" inner_html=move || chart.get()></div>
        </section>
    }
}
