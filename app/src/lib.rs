//! The Scrum board's user interface: Leptos components and routes, rendered on the server
//! (feature `ssr`) and hydrated in the browser (feature `hydrate`), plus the plain serde types
//! that server and browser share.

pub mod api;
pub mod components;
pub mod model;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

use components::header::Header;
use pages::{home::HomePage, not_found::NotFound};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options=options.clone() />
                <leptos_meta::HashedStylesheet options id="leptos" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: header plus the routed page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Set only in the browser, once hydration has run: end-to-end tests (and curious people)
    // can tell a live page from a dead server-rendered one.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title text="Scrum Board" />
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().to_string()>
                <Header />
                <main id="content">
                    <Routes fallback=NotFound>
                        <Route path=StaticSegment("") view=HomePage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
