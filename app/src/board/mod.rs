//! The sprint board: the sprint's name, due date and description, and five columns — Backlog,
//! Not Started, In Development, In Testing, Completed — with every task of the sprint and the
//! backlog, kept live through the sprint's stream.

mod actions;
mod burndown;
pub(crate) mod card;
mod column;
mod comments;
mod detail;
pub(crate) mod filter;
#[cfg(any(test, all(feature = "browser", not(feature = "ssr"))))]
mod frames;
mod history;
mod keys;
mod labels;
#[cfg(all(feature = "browser", not(feature = "ssr")))]
mod live;
mod move_to;
mod packed;
pub mod store;

use leptos::prelude::*;

use crate::{
    api::{Api, ApiError, use_api},
    auth::{RequireLogin, use_auth},
    components::loading,
    dates,
    json::Wire,
    model::{Label, Sprint, SprintState, Task, User},
    routing::use_location,
};
use column::BoardColumn;
use detail::TaskDetail;
use store::{BoardStore, Link};

/// Everything a board shows, fetched in one go (on the server for the first page, which
/// carries it to the browser packed: [`packed`]).
#[derive(Clone, Debug, PartialEq)]
pub struct BoardData {
    pub sprint: Sprint,
    pub tasks: Vec<Task>,
    pub users: Vec<User>,
    pub labels: Vec<Label>,
    /// The burndown as the server draws it (markup: see [`burndown::Burndown`]).
    pub chart: String,
}

/// The sprint's tasks and its project's backlog.
async fn load_tasks(api: Api, sprint: &Sprint) -> Result<Vec<Task>, ApiError> {
    let mut tasks = api
        .get_all::<Task>(&format!("/api/tasks?sprint={}&page_size=100", sprint.id))
        .await?;
    tasks.extend(
        api.get_all::<Task>(&format!(
            "/api/tasks?backlog=True&page_size=100&project={}",
            sprint.project
        ))
        .await?,
    );
    Ok(tasks)
}

async fn load_board(api: Api, sprint: i32) -> Result<BoardData, ApiError> {
    let sprint = api.get::<Sprint>(&format!("/api/sprints/{sprint}")).await?;
    let tasks = load_tasks(api, &sprint).await?;
    // The people and labels of the sprint's project.
    let of_project = format!("?page_size=100&project={}", sprint.project);
    let users = api
        .get_all::<User>(&format!("/api/users{of_project}"))
        .await?;
    let labels = api
        .get_all::<Label>(&format!("/api/labels{of_project}"))
        .await?;
    // A board without its chart is still a board.
    let chart = api
        .get_text(&burndown::chart_path(sprint.id))
        .await
        .unwrap_or_default();
    Ok(BoardData {
        sprint,
        tasks,
        users,
        labels,
        chart,
    })
}

/// `/sprint/:id`, `id` as the URL has it.
#[component]
pub fn BoardPage(id: String) -> impl IntoView {
    let api = use_api();
    let shown_id = id.clone();
    let data = use_auth().page_resource(
        move || Some(id.clone()),
        move |id| async move {
            match id.parse::<i32>() {
                Ok(id) => load_board(api, id).await,
                // No number, no such sprint: the same page as for an id that does not exist.
                Err(_) => Err(ApiError {
                    status: 404,
                    body: String::new(),
                }),
            }
        },
    );
    view! {
        <RequireLogin>
            <BoardLoader id=shown_id.clone() data />
        </RequireLogin>
    }
}

#[component]
fn BoardLoader(
    /// The sprint's id as the URL has it, for "not found".
    id: String,
    data: Resource<Result<Option<BoardData>, ApiError>, Wire>,
) -> impl IntoView {
    let sprint_id = StoredValue::new(id);
    let sprint_id = move || sprint_id.get_value();
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(data)) => view! { <Board data /> }.into_any(),
                    // Signed in a moment ago: the board is on its way.
                    Ok(None) => loading().into_any(),
                    Err(error) if error.status == 404 => not_found(sprint_id()).into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.message()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn not_found(id: String) -> impl IntoView {
    let heading = format!("Sprint {id} not found.");
    crate::show_title(&heading);
    view! {
        <section class="not-found">
            <h1>{heading}</h1>
            <a href=crate::paths::href("/")>"Back to your sprints"</a>
        </section>
    }
}

#[component]
fn Board(data: BoardData) -> impl IntoView {
    let api = use_api();
    let store = BoardStore::new(data.sprint, data.tasks, data.users, data.labels);
    let chart = data.chart;
    provide_context(store);
    let me = use_auth().session.get_untracked().flatten();
    // A viewer's board shows everything and changes nothing (the server refuses anyway).
    let read_only = me
        .as_ref()
        .is_some_and(|info| info.read_only && info.project == Some(store.project));
    store
        .me
        .set_value(me.map(|info| info.user.username).unwrap_or_default());
    // The filter is the address's query: set before the first render (the server renders the
    // board filtered), then followed through typing, links and back/forward.
    let location = use_location();
    store
        .filter
        .set(filter::Filter::of_path(&untrack(|| location.path())));
    Effect::new(move |_| {
        let now = filter::Filter::of_path(&location.path());
        if store.filter.with_untracked(|held| *held != now) {
            store.filter.set(now);
        }
    });

    // The live stream exists only in the browser; the server renders the board as of now.
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    {
        let connection = live::connect(store);
        on_cleanup(move || connection.close());
    }
    // The server's cards get their "Move to…" buttons once the board is live.
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    set_timeout(card::add_move_buttons, std::time::Duration::ZERO);
    // Single-key shortcuts (`/`, `?`, j/k, e, m, n) from anywhere on the page.
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    {
        let keys = window_event_listener(leptos::ev::keydown, move |ev| {
            keys::pressed(store, api, &ev)
        });
        on_cleanup(move || keys.remove());
    }
    // `resync` (or a stream that could not resume): fetch the board again, in place.
    Effect::new(move |previous: Option<u32>| {
        let generation = store.reload.get();
        if previous.is_some() {
            let id = store.sprint_id();
            store.refetching();
            leptos::task::spawn_local(async move {
                let fetched = match api.get::<Sprint>(&format!("/api/sprints/{id}")).await {
                    Ok(sprint) => load_tasks(api, &sprint)
                        .await
                        .ok()
                        .map(|tasks| (sprint, tasks)),
                    Err(_) => None,
                };
                store.refetched(fetched);
            });
        }
        generation
    });

    // Ctrl/⌘+Z undoes this person's last change here, Ctrl/⌘+Shift+Z redoes it; in a text
    // field they stay the field's own.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("z") && !typing(&ev) {
            ev.prevent_default();
            history::undo_last(store, api, ev.shift_key());
        }
    };
    let show_activity = RwSignal::new(false);
    let [backlog, todo, active, testing, done] = store.columns();
    view! {
        <article
            // A static class: a `class:` toggle costs the bundle its own machinery.
            class=if read_only { "board read-only" } else { "board" }
            aria-labelledby="sprint-title"
            data-link=move || store.link.get().as_str()
            on:keydown=on_keydown
        >
            <SprintHeader chart />
            <button
                type="button"
                class="activity-toggle"
                aria-expanded=move || show_activity.get().to_string()
                on:click=move |_| show_activity.update(|shown| *shown = !*shown)
            >
                "Activity"
            </button>
            {keys::sheet(store, api)}
            {move || show_activity.get().then(|| view! { <history::ActivityPanel /> })}
            {move || match store.link.get() {
                Link::Lost { retry_in } => Some(view! {
                    <p class="banner offline" role="status">
                        {format!("Connection lost — changes by others are not shown. Reconnecting in {retry_in} s…")}
                    </p>
                }),
                _ => None,
            }}
            {move || store.notice.get().map(|text| {
                message("banner refused", "alert", text, "Dismiss", Box::new(move || store.notice.set(None)))
            })}
            {move || store.toast.get().map(|text| {
                message("toast", "status", text, "Undo", Box::new(move || history::undo_last(store, api, false)))
            })}
            <p class="visually-hidden" aria-live="polite">{move || store.announcement.get()}</p>
            <p id="card-help" class="visually-hidden">
                "Enter opens the task. Arrow keys left and right move it to the previous or next column, up and down within the column. M chooses where to move it."
            </p>
            <filter::FilterBar />
            <div class="tasks">
                // The five columns written out: a list of views would bring the bundle the
                // whole machinery for lists that change, which these never do.
                <BoardColumn column=backlog />
                <BoardColumn column=todo />
                <BoardColumn column=active />
                <BoardColumn column=testing />
                <BoardColumn column=done />
            </div>
            {move || store.editing.get().map(|id| view! { <TaskDetail id /> })}


        </article>
    }
}

/// Whether a key went to a text field (whose keys are its own: `/`, Ctrl/⌘+Z).
fn typing(ev: &web_sys::Event) -> bool {
    use leptos::wasm_bindgen::JsCast;
    ev.target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        })
}

/// A line of text with one action: the refusal banner and the undo toast (one view for both,
/// so the bundle carries its code once).
fn message(
    class: &'static str,
    role: &'static str,
    text: String,
    action: &'static str,
    act: Box<dyn Fn() + Send + Sync>,
) -> impl IntoView {
    view! {
        <p class=class role=role>
            {text}
            <button type="button" class="link-button" on:click=move |_| act()>{action}</button>
        </p>
    }
}

/// What a sprint's state is called on its board.
fn state_name(state: SprintState) -> &'static str {
    match state {
        SprintState::Planned => "Planned",
        SprintState::Active => "Active",
        SprintState::Completed => "Completed",
    }
}

/// What the header says of the sprint under its name, as markup (one drawing rather than a
/// typed view per line): its state and dates, its goal, and how much is done, then its own
/// links (settings, completing or reopening it, its report: pages the server writes; its and
/// the backlog's tasks as CSV files).
fn sprint_html(sprint: &Sprint, store: BoardStore) -> String {
    use crate::markup::escape;
    let [done, done_points, all_tasks, all_points] = burndown::counted(store);
    let (done_points, all) = (
        crate::model::Points(done_points),
        crate::model::Points(all_points),
    );
    let goal = if sprint.goal.is_empty() {
        String::new()
    } else {
        format!(r#"<p class="goal">Goal: {}</p>"#, escape(&sprint.goal))
    };
    // The server's own pages and downloads, wherever the app itself is hosted.
    let page = |what: &str| {
        escape(&crate::api::server_url(&format!(
            "/sprints/{}/{what}",
            sprint.id
        )))
    };
    // A completed sprint changes only once reopened.
    let (edit, complete) = if sprint.state == SprintState::Completed {
        (String::new(), "Reopen sprint")
    } else {
        let edit = format!(
            r#"<a class="write button" href="{}">Edit Sprint</a>"#,
            page("settings")
        );
        (edit, "Complete sprint")
    };
    format!(
        r#"<p class="due-date" data-state="{}">{} · Starts {} · Due {}</p>{goal}<p class="totals">{done} of {} tasks done · {done_points} of {}</p><p class="sprint-links">{edit}<a class="write button" href="{}">{complete}</a><a class="button" href="{}">Sprint report</a><a class="button" href="{}" download>Sprint CSV</a><a class="button" href="{}" download>Backlog CSV</a></p>"#,
        sprint.state.as_str(),
        state_name(sprint.state),
        dates::display(sprint.start),
        dates::display(sprint.end),
        all_tasks,
        card::points_text(all),
        page("complete"),
        page("report"),
        // Spreadsheets of its tasks and of the project's backlog, from the API.
        escape(&crate::api::server_url(&format!(
            "/api/tasks?format=csv&sprint={}",
            sprint.id
        ))),
        escape(&crate::api::server_url(&format!(
            "/api/tasks?format=csv&backlog=True&project={}",
            sprint.project
        ))),
    )
}

/// Name, dates, state, goal, description, totals, who else is here, and the sprint's own
/// actions.
#[component]
fn SprintHeader(
    /// The burndown as the server drew it (see [`burndown::Burndown`]), shown beside.
    chart: String,
) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let location = use_location();
    let confirming = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let delete = move |_| {
        let id = store.sprint_id();
        leptos::task::spawn_local(async move {
            match api.delete(&format!("/api/sprints/{id}")).await {
                Ok(()) => location.navigate("/"),
                Err(error) => delete_error.set(Some(error.message())),
            }
        });
    };
    let delete = StoredValue::new(delete);

    view! {
        <header class="board-header">
            <div class="sprint-info">
            <h1 id="sprint-title">{move || {
                let name = store.sprint.with(Sprint::display_name);
                crate::show_title(&name);
                name
            }}</h1>
            <div class="sprint-meta" inner_html=move || store.sprint.with(|s| sprint_html(s, store))></div>
            <p class="description">{move || store.sprint.with(|s| s.description.clone())}</p>
            <div class="sprint-actions">
                <button type="button" class="write" on:click=move |_| confirming.set(true)>"Delete Sprint"</button>
            </div>
            {move || confirming.get().then(|| view! {
                <div class="confirm" role="alertdialog" aria-labelledby="confirm-delete-text">
                    <p id="confirm-delete-text">"Delete this sprint? Its tasks go back to the backlog."</p>
                    {move || delete_error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                    <button type="button" class="danger" on:click=move |ev| delete.read_value()(ev)>"Delete"</button>
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            })}
            <p class="presence" aria-label="On this board">
                {move || {
                    let people = store.presence.get();
                    (!people.is_empty()).then(|| format!("On this board: {}", people.join(", ")))
                }}
            </p>
            </div>
            <burndown::Burndown chart paused=confirming />
        </header>
    }
}
