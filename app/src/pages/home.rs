//! The home page, "Your Sprints": current sprints as tiles, past ones on request, and
//! "Add Sprint".

use chrono::Duration;
use leptos::prelude::*;

use crate::{
    api::{ApiError, use_api},
    auth::{RequireLogin, use_auth},
    components::{loading, sprint_form::SprintForm},
    dates,
    json::Wire,
    model::Sprint,
    routing::use_location,
};

#[component]
pub fn HomePage() -> impl IntoView {
    let show_past = RwSignal::new(false);
    let current = sprints(Era::Current, Signal::stored(true));
    let past = sprints(Era::Past, show_past.into());
    view! {
        <RequireLogin>
            <SprintList current past show_past />
        </RequireLogin>
    }
}

/// One list of sprints, every page of it, fetched while `shown` and someone is signed in.
fn sprints(era: Era, shown: Signal<bool>) -> SprintsResource {
    let api = use_api();
    use_auth().page_resource(
        move || shown.get().then_some(()),
        move |()| async move { api.get_all::<Sprint>(&era.query()).await },
    )
}

type SprintsResource = Resource<Result<Option<Vec<Sprint>>, ApiError>, Wire>;

#[component]
fn SprintList(
    current: SprintsResource,
    past: SprintsResource,
    show_past: RwSignal<bool>,
) -> impl IntoView {
    let location = use_location();
    let adding = RwSignal::new(false);
    let on_saved = Callback::new(move |sprint: Sprint| {
        location.navigate(&format!("/sprint/{}", sprint.id));
    });

    view! {
        <section class="home" aria-labelledby="home-title">
            <h1 id="home-title">"Your Sprints"</h1>
            {move || if adding.get() {
                view! { <SprintForm on_saved on_cancel=move |_| adding.set(false) /> }.into_any()
            } else {
                view! {
                    <button class="add" type="button" on:click=move |_| adding.set(true)>"Add Sprint"</button>
                }.into_any()
            }}
            <Sprints era=Era::Current sprints=current />
            <h2 class="past-title">
                <button
                    type="button"
                    class="link-button"
                    aria-expanded=move || show_past.get().to_string()
                    aria-controls="past-sprints"
                    on:click=move |_| show_past.update(|show| *show = !*show)
                >
                    {move || if show_past.get() { "Hide past sprints" } else { "Show past sprints" }}
                </button>
            </h2>
            <div id="past-sprints">
                <Sprints era=Era::Past sprints=past />
            </div>
        </section>
    }
}

/// Which of the home page's two lists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Era {
    /// As the book: sprints that ended at most a week ago, soonest first — but all of them.
    Current,
    /// Everything older, latest first.
    Past,
}

impl Era {
    fn query(self) -> String {
        match self {
            Era::Current => {
                let since = dates::today() - Duration::days(7);
                format!("/api/sprints?end_min={since}&ordering=end&page_size=100")
            }
            Era::Past => {
                let before = dates::today() - Duration::days(8);
                format!("/api/sprints?end_max={before}&ordering=-end&page_size=100")
            }
        }
    }

    fn label(self) -> &'static str {
        match self {
            Era::Current => "Current sprints",
            Era::Past => "Past sprints",
        }
    }

    fn none_text(self) -> &'static str {
        match self {
            Era::Current => "No current sprints. Add one to start planning.",
            Era::Past => "No past sprints.",
        }
    }
}

/// One list of sprints, as [`sprints`] fetched it. Both lists are this one component, so the
/// bundle carries one copy of a list's loading and drawing, not two.
#[component]
fn Sprints(era: Era, sprints: SprintsResource) -> impl IntoView {
    // Past sprints, hidden until asked for, show nothing while they load.
    let placeholder = move || (era == Era::Current).then(loading);
    view! {
        <Transition fallback=placeholder>
            {move || Suspend::new(async move {
                match sprints.await {
                    // Not asked for, or signed in a moment ago (the list is on its way).
                    Ok(None) => placeholder().into_any(),
                    Ok(Some(sprints)) if sprints.is_empty() => {
                        view! { <p class="empty">{era.none_text()}</p> }.into_any()
                    }
                    Ok(Some(sprints)) => view! { <SprintTiles sprints label=era.label() /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.message()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SprintTiles(sprints: Vec<Sprint>, label: &'static str) -> impl IntoView {
    view! {
        <ul class="sprints" aria-label=label>
            {sprints
                .into_iter()
                .map(|sprint| {
                    view! {
                        <li>
                            <a href=crate::paths::href(&format!("/sprint/{}", sprint.id)) class="sprint">
                                <span class="sprint-name">{sprint.name.clone()}</span>
                                <span class="due">"DUE BY " {sprint.end.to_string()}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
