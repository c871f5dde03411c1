//! The home page, "Your Sprints": current sprints as tiles, past ones on request, and
//! "Add Sprint".

use chrono::Duration;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

use crate::{
    api::use_api, auth::RequireLogin, components::sprint_form::SprintForm, dates, model::Sprint,
};

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <RequireLogin>
            <SprintList />
        </RequireLogin>
    }
}

#[component]
fn SprintList() -> impl IntoView {
    let api = use_api();
    let navigate = use_navigate();
    let adding = RwSignal::new(false);
    let show_past = RwSignal::new(false);
    // As the book: sprints that ended at most a week ago, soonest first — but all of them.
    let current = Resource::new(
        || (),
        move |_| async move {
            let since = dates::today() - Duration::days(7);
            api.get_all::<Sprint>(&format!(
                "/api/sprints?end_min={since}&ordering=end&page_size=100"
            ))
            .await
        },
    );
    let past = Resource::new(
        move || show_past.get(),
        move |show| async move {
            if !show {
                return Ok(Vec::new());
            }
            let before = dates::today() - Duration::days(8);
            api.get_all::<Sprint>(&format!(
                "/api/sprints?end_max={before}&ordering=-end&page_size=100"
            ))
            .await
        },
    );
    let on_saved = Callback::new(move |sprint: Sprint| {
        navigate(&format!("/sprint/{}", sprint.id), Default::default());
    });

    view! {
        <section class="home" aria-labelledby="home-title">
            <h1 id="home-title">"Your Sprints"</h1>
            <Show
                when=move || adding.get()
                fallback=move || view! {
                    <button class="add" type="button" on:click=move |_| adding.set(true)>"Add Sprint"</button>
                }
            >
                <SprintForm on_saved on_cancel=move |_| adding.set(false) />
            </Show>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(sprints) if sprints.is_empty() => view! {
                            <p class="empty">"No current sprints. Add one to start planning."</p>
                        }.into_any(),
                        Ok(sprints) => view! { <SprintTiles sprints label="Current sprints" /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.message()}</p> }.into_any(),
                    }
                })}
            </Transition>
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
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match past.await {
                            Ok(sprints) if sprints.is_empty() && show_past.get_untracked() => view! {
                                <p class="empty">"No past sprints."</p>
                            }.into_any(),
                            Ok(sprints) => view! { <SprintTiles sprints label="Past sprints" /> }.into_any(),
                            Err(error) => view! { <p class="error" role="alert">{error.message()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </section>
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
                            <A href=crate::paths::href(&format!("/sprint/{}", sprint.id)) attr:class="sprint">
                                <span class="sprint-name">{sprint.name.clone()}</span>
                                <span class="due">"DUE BY " {sprint.end.to_string()}</span>
                            </A>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
