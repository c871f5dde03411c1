//! The Leptos side of the router: server-side rendered pages and the built site's static files.
//!
//! Pages fetch their data through the same REST API as the browser does; while rendering on
//! the server, that API is called in-process (no socket) with the visitor's own credentials, so
//! the first response already holds the data and the same JSON hydrates in the browser.

use axum::http::{HeaderMap, header, request::Parts};
use axum::{Router, body::Body, http::Request};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::{origin::RequestOrigin, state::AppState};

/// Adds every route of the Leptos app (rendered on the server, hydrated in the browser) and a
/// fallback that serves files from the site root or renders the app's "not found" page.
pub fn routes(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(app::App);
    let options = state.config.leptos.clone();
    let api = crate::api::router().with_state(state.clone());
    // The bundle, with the `.br`/`.gz` copies `server precompress` wrote, when the browser
    // accepts them (anything else is compressed on the fly by the router's layer).
    let bundle =
        ServeDir::new(std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir))
            .precompressed_br()
            .precompressed_gzip();
    router
        .nest_service(&format!("/{}", options.site_pkg_dir), bundle)
        .leptos_routes_with_context(
            state,
            routes,
            move || provide_context(in_process_api(api.clone())),
            move || app::shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
}

/// The visitor's request headers that the API needs to know who is asking.
const FORWARDED: [header::HeaderName; 3] = [header::COOKIE, header::AUTHORIZATION, header::HOST];

/// An API transport for this page render: requests go straight into the API router, carrying
/// the visitor's cookie and the origin the front door already resolved for them.
fn in_process_api(api: Router) -> app::api::ServerTransport {
    let parts = use_context::<Parts>();
    let mut headers = HeaderMap::new();
    let mut origin = None;
    if let Some(parts) = parts {
        for name in FORWARDED {
            if let Some(value) = parts.headers.get(&name) {
                headers.insert(name, value.clone());
            }
        }
        origin = parts.extensions.get::<RequestOrigin>().cloned();
    }
    app::api::ServerTransport(std::sync::Arc::new(move |method, path, body| {
        let api = api.clone();
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::from(body.clone().unwrap_or_default()))
            .expect("a method and a path make a request");
        request.headers_mut().extend(headers.clone());
        request.headers_mut().insert(
            header::ACCEPT,
            header::HeaderValue::from_static("application/json"),
        );
        if body.is_some() {
            request.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
        }
        if let Some(origin) = origin.clone() {
            request.extensions_mut().insert(origin);
        }
        Box::pin(async move {
            let Ok(response) = api.oneshot(request).await;
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), 8 << 20)
                .await
                .unwrap_or_default();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        })
    }))
}
