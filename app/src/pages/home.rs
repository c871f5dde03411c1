//! The home page, "Your Sprints".

use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="home" aria-labelledby="home-title">
            <h1 id="home-title">"Your Sprints"</h1>
            <p class="lead">
                "Plan sprints, keep a backlog and move tasks from Not Started to Completed, "
                "live with everyone on the sprint."
            </p>
        </section>
    }
}
