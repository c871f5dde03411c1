//! The one function that assembles the application, used by `main` and by every test.

use axum::{Router, routing::get};
use tower_http::trace::TraceLayer;

use crate::{api, health, live, state::AppState, web};

/// Builds the whole application: `/healthz`, the REST API under `/api/`, the live stream at
/// `/socket`, and the Leptos site.
///
/// Leptos server functions, if any are added, must use a prefix outside `/api/` (e.g.
/// `#[server(prefix = "/rpc")]`): the REST API owns `/api/`.
pub fn build_router(state: AppState) -> Router {
    let router = Router::new()
        .route("/healthz", get(health::healthz))
        // The book's websocket path; sprints' `links.channel` point here.
        .route("/socket", get(live::socket::socket))
        .merge(api::router());
    web::routes(router, &state)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
