//! The one function that assembles the application, used by `main` and by every test.

use axum::{Router, http::StatusCode, middleware, routing::get};
use tower_http::{
    catch_panic::CatchPanicLayer, compression::CompressionLayer, timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::http::{access, api, cors, health, metrics, socket, state::AppState, web};

/// Builds the whole application: `/healthz`, `/metrics`, the REST API under `/api/`, the live
/// stream at `/socket`, and the Leptos site, all under `BASE_PATH` when one is set.
///
/// Leptos server functions, if any are added, must use a prefix outside `/api/` (e.g.
/// `#[server(prefix = "/rpc")]`): the REST API owns `/api/`.
pub fn build_router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        // The book's websocket path; sprints' `links.channel` point here.
        .route("/socket", get(socket::socket))
        .route("/metrics", get(metrics::scrape))
        .merge(api::router());
    let site = web::routes(routes, &state)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state.clone());
    // The site sits behind a router of its own so that the front door runs before routing:
    // it takes `BASE_PATH` off the URI, and the site's routes are written from the root.
    let mut door = Router::new()
        .fallback_service(site)
        // A bug that panics answers the generic 500 (inside the front door, so it still
        // carries the security headers) instead of dropping the connection.
        .layer(CatchPanicLayer::custom(crate::http::error::panic_response))
        // A request that takes `REQUEST_TIMEOUT` is stuck: answer 408 and free its resources. Inside
        // the front door, so the 408 still carries the security headers.
        // (An upgraded websocket is no longer a request and is not affected.)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ));
    // Pages of the configured other origins may use the API and read its answers, a 500 or
    // 408 included. Preflights are answered here, past the front door's checks of host and
    // network, before any handler.
    if let Some(policy) = cors::policy(&state.config) {
        door = door.layer(middleware::from_fn_with_state(policy, cors::apply));
    }
    door
        // Unknown hosts and unlisted networks are refused before any handler runs; every
        // answer leaves with the security and cache headers.
        .layer(middleware::from_fn_with_state(state.clone(), access::guard))
        // gzip or brotli for whoever asks (API JSON, pages, the bundle); websocket upgrades
        // and tiny bodies are left alone by the layer itself.
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(crate::http::trace::RedactedSpan))
}
