//! The page for unknown paths; on the server it also sets the 404 status.

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    crate::show_title("Page not found");
    view! {
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>
                <a href=crate::paths::href("/")>"Back to your sprints"</a>
            </p>
        </section>
    }
}
