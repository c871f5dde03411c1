//! The Leptos side of the router: server-side rendered pages and the built site's static files.
//!
//! Pages fetch their data through the same REST API as the browser does; while rendering on
//! the server, that API is called in-process (no socket) with the visitor's own credentials, so
//! the first response already holds the data and the same JSON hydrates in the browser.

use app::paths::BasePath;
use axum::http::{HeaderMap, header, request::Parts};
use axum::routing::{get, post};
use axum::{
    Router,
    body::Body,
    extract::OriginalUri,
    http::Request,
    middleware::{self, Next},
    response::Response,
};
use leptos::prelude::{provide_context, use_context};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::{http::origin::RequestOrigin, http::state::AppState};

/// The app's pages (`app::routing::Page`), rendered on the server and hydrated in the browser.
pub const PAGES: [&str; 3] = ["/", "/login", "/sprint/{id}"];

/// Adds every page of the Leptos app (rendered on the server, hydrated in the browser) and a
/// fallback that serves files from the site root or renders the app's "not found" page.
///
/// Under a `BASE_PATH` the front door (`access::guard`) has already taken the prefix off the
/// request's URI, so the routes here are the app's own (`/sprint/{id}`); the app, which knows
/// the prefix, is handed the full original URI again to tell its page from.
pub fn routes(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    // Rendering runs the app's reactive tasks on tokio. Set once per process; a second router
    // (tests build many) finds it already set, which is fine.
    let _ = any_spawner::Executor::init_tokio();
    let options = state.config.leptos.clone();
    let api = crate::http::api::router().with_state(state.clone());
    let base_path = state.config.base_path.clone();
    let assets = state.assets.clone();
    let render_context = move || {
        provide_context(BasePath(base_path.clone()));
        provide_context((*assets).clone());
        provide_context(in_process_api(api.clone(), base_path.clone()));
    };
    // The bundle, with the `.br`/`.gz` copies `server precompress` wrote, when the browser
    // accepts them (anything else is compressed on the fly by the router's layer).
    let bundle =
        ServeDir::new(std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir))
            .precompressed_br()
            .precompressed_gzip();
    // Each page waits for its data before answering, so the first response is the whole page.
    let render = leptos_axum::render_app_async_with_context(render_context.clone(), {
        let options = options.clone();
        move || app::shell(options.clone())
    });
    let pages = PAGES
        .into_iter()
        .fold(Router::new(), |pages, path| {
            let render = render.clone();
            pages.route(path, get(move |request: Request<Body>| render(request)))
        })
        .route_layer(middleware::from_fn(with_original_uri));
    router
        .nest_service(&format!("/{}", options.site_pkg_dir), bundle)
        .merge(pages)
        .route("/theme", post(choose_theme))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(render_context, app::shell))
}

/// `POST /theme?theme=dark`: remembers the "Theme" choice for a year (the app sends it in the
/// background when someone chooses, having already set it on the page). A display preference
/// and nothing else: an unknown value means "system".
async fn choose_theme(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    use app::components::theme;
    let query = query.unwrap_or_default();
    let sent = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "theme")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let cookie = format!(
        "{}={}; Path={}/; Max-Age=31536000; SameSite=Lax",
        theme::COOKIE,
        theme::known(&sent),
        state.config.base_path
    );
    Response::builder()
        .status(axum::http::StatusCode::NO_CONTENT)
        .header(header::SET_COOKIE, cookie)
        .body(Body::empty())
        .expect("a cookie is a response")
}

/// Puts back the URI the client asked for (with its `BASE_PATH`), which the app matches.
async fn with_original_uri(mut request: axum::extract::Request, next: Next) -> Response {
    if let Some(OriginalUri(original)) = request.extensions().get::<OriginalUri>().cloned() {
        *request.uri_mut() = original;
    }
    next.run(request).await
}

/// The visitor's request headers that the API needs to know who is asking.
const FORWARDED: [header::HeaderName; 3] = [header::COOKIE, header::AUTHORIZATION, header::HOST];

/// An API transport for this page render: requests go straight into the API router, carrying
/// the visitor's cookie and the origin the front door already resolved for them.
fn in_process_api(api: Router, base_path: String) -> app::api::ServerTransport {
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
        // The app names API paths under the base path, as the browser must; the API router
        // itself knows them from the root.
        let path = match path.strip_prefix(base_path.as_str()) {
            Some(rest) if rest.starts_with('/') => rest.to_owned(),
            _ => path,
        };
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
