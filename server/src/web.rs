//! The Leptos side of the router: server-side rendered pages and the built site's static files.

use axum::Router;
use leptos_axum::{LeptosRoutes, generate_route_list};

use crate::state::AppState;

/// Adds every route of the Leptos app (rendered on the server, hydrated in the browser) and a
/// fallback that serves files from the site root or renders the app's "not found" page.
pub fn routes(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(app::App);
    let options = state.config.leptos.clone();
    router
        .leptos_routes(state, routes, move || app::shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
}
