//! The Scrum board's user interface: Leptos components and routes, rendered on the server
//! (feature `ssr`) and hydrated in the browser (feature `hydrate`), plus the plain serde types
//! that server and browser share.
#![recursion_limit = "256"]

pub mod api;
pub mod assets;
pub mod auth;
pub mod board;
pub mod build_id;
pub mod components;
pub mod dates;
pub mod json;
pub mod markup;
pub mod model;
pub mod pages;
pub mod paths;
pub mod placement;
pub mod routing;
pub mod stream;

use leptos::prelude::*;

use api::Api;
use auth::{Auth, LoginPage};
use board::BoardPage;
use components::header::Header;
use pages::{home::HomePage, my_tasks::MyTasksPage, not_found::NotFound};
use routing::{Location, Page};

/// The site's name: the header's title, and the end of every page's title.
pub const SITE_NAME: &str = "Scrum Board";

/// A page's title: what its main heading says, then the site's name ("Sprint 12 — Scrum
/// Board"), so tabs and history tell pages apart. The server writes it from the heading it
/// rendered; in the browser each page shows its own as it changes ([`show_title`]).
pub fn page_title(heading: &str) -> String {
    let heading = heading.trim().trim_end_matches('.');
    if heading.is_empty() {
        SITE_NAME.to_owned()
    } else {
        format!("{heading} — {SITE_NAME}")
    }
}

/// Puts the page whose main heading is `heading` in the browser tab's title.
pub fn show_title(heading: &str) {
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    document().set_title(&page_title(heading));
    #[cfg(not(all(feature = "browser", not(feature = "ssr"))))]
    let _ = heading;
}

/// The Content-Security-Policy of every page: scripts only from this origin (or the asset
/// origin, when the bundle comes from a CDN) or carrying this response's nonce (the hydration
/// bootstrap and the serialized data), WebAssembly compiled without allowing `eval`, and
/// nothing inline otherwise.
pub fn content_security_policy(nonce: &str, asset_origin: Option<&str>) -> String {
    let assets = asset_origin
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{assets} 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'{assets}; img-src 'self'{assets} data:; connect-src 'self'{assets}; \
         font-src 'self'{assets}; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let assets = use_context::<assets::Assets>().unwrap_or_default();
        let policy = content_security_policy(&nonce.to_string(), assets.foreign_origin());
        if let Ok(policy) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    // Only the server renders the shell: the remembered display preferences, painted from the
    // first byte.
    use components::preferences::{DENSITY, FILTERED, THEME};
    view! {
        <!DOCTYPE html>
        <html
            lang="en"
            data-base=paths::base()
            data-theme=THEME.current()
            data-density=DENSITY.current()
            data-filtered=FILTERED.current()
        >
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                // Replaced by the page's own title once the page is rendered (the server's
                // `titled_by_heading`, which looks for exactly this text).
                <title>"Scrum Board"</title>
                <AutoReload options=options.clone() />
                <assets::Bundle output_name=options.output_name.to_string() />
                <link rel="icon" href=paths::href("/favicon.svg") type="image/svg+xml" />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: header plus the page the location names. Every page is rendered on the
/// server with its data, so the first response already shows the board.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Api::new());
    let location = Location::provide();
    Auth::provide();
    // Set only in the browser, once hydration has run: end-to-end tests (and curious people)
    // can tell a live page from a dead server-rendered one.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <div class="app" data-hydrated=move || hydrated.get().to_string()>
            <a class="skip-link" href="#content">"Skip to content"</a>
            <Header />
            <main id="content">
                {move || match location.page() {
                    Page::Home => view! { <HomePage /> }.into_any(),
                    Page::Login => view! { <LoginPage /> }.into_any(),
                    Page::MyTasks => view! { <MyTasksPage /> }.into_any(),
                    Page::Sprint(id) => view! { <BoardPage id /> }.into_any(),
                    Page::NotFound => view! { <NotFound /> }.into_any(),
                }}
            </main>
        </div>
    }
}
