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

use crate::http::{
    account, administration, origin::RequestOrigin, password_links, state::AppState,
};

/// The app's pages (`app::routing::Page`), rendered on the server and hydrated in the browser.
pub const PAGES: [&str; 4] = ["/", "/login", "/my-tasks", "/sprint/{id}"];

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
        .route_layer(middleware::from_fn(with_original_uri))
        .route_layer(middleware::from_fn(titled_by_heading))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::http::setup::first_run_first,
        ));
    router
        .nest_service(&format!("/{}", options.site_pkg_dir), bundle)
        .merge(pages)
        .route("/preferences", post(choose_preferences))
        .route(
            "/setup",
            get(crate::http::setup::page).post(crate::http::setup::submit),
        )
        .route(
            "/admin/accounts",
            get(administration::page).post(administration::invite),
        )
        .route("/admin/accounts/{id}", post(administration::act))
        .route(
            crate::http::import_page::PATH,
            get(crate::http::import_page::page)
                .post(crate::http::import_page::submit)
                .layer(crate::http::import_page::body_limit()),
        )
        .route(
            "/projects/{id}/trello",
            post(crate::http::import_page::trello_upload)
                .layer(crate::http::import_page::body_limit()),
        )
        .route(
            "/projects/{id}/trello/confirm",
            post(crate::http::import_page::trello_confirm)
                .layer(crate::http::import_page::body_limit()),
        )
        .route(
            "/projects",
            get(crate::http::projects::list_page).post(crate::http::projects::start),
        )
        .route(
            "/projects/{id}",
            get(crate::http::projects::settings_page).post(crate::http::projects::act),
        )
        .route("/projects/{id}/open", post(crate::http::projects::open))
        .route(
            "/sprints/new",
            get(crate::http::sprint_pages::new_sprint)
                .post(crate::http::sprint_pages::create_sprint),
        )
        .route(
            "/sprints/{id}/report",
            get(crate::http::sprint_pages::report),
        )
        .route(
            "/sprints/{id}/settings",
            get(crate::http::sprint_pages::settings).post(crate::http::sprint_pages::save_settings),
        )
        .route(
            "/sprints/{id}/complete",
            get(crate::http::sprint_pages::complete_page).post(crate::http::sprint_pages::complete),
        )
        .route("/account", get(account::page))
        .route("/account/profile", post(account::profile))
        .route("/account/password", post(account::password))
        .route("/account/sessions", post(account::sign_out_others))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}", post(account::revoke_token))
        .route(
            "/password/{key}",
            get(password_links::page).post(password_links::submit),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(render_context, app::shell))
}

/// Gives a rendered page its own title, from its main heading (`app::page_title`). The shell's
/// `<head>` is written before the page's data has loaded, so the title is put in once the
/// whole page is there (pages are rendered whole, not streamed).
async fn titled_by_heading(request: axum::extract::Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let page = String::from_utf8_lossy(&bytes);
    let Some(titled) = with_title_from_heading(&page) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(titled))
}

/// `page` with the shell's plain `<title>` replaced by its first `<h1>`'s text; `None` when it
/// has no heading. The heading's text is already escaped markup, as a title's must be.
fn with_title_from_heading(page: &str) -> Option<String> {
    let plain = format!("<title>{}</title>", app::SITE_NAME);
    let at = page.find(&plain)?;
    let heading_start = page.find("<h1")?;
    let text_start = heading_start + page[heading_start..].find('>')? + 1;
    let text_end = text_start + page[text_start..].find("</h1>")?;
    // The heading's own text, without the markers hydration leaves in it (`<!>`, `<!--…-->`).
    let mut heading = String::new();
    let mut rest = &page[text_start..text_end];
    while let Some(open) = rest.find('<') {
        heading.push_str(&rest[..open]);
        rest = rest[open..].split_once('>').map_or("", |(_, after)| after);
    }
    heading.push_str(rest);
    let title = format!("<title>{}</title>", app::page_title(&heading));
    Some(format!(
        "{}{title}{}",
        &page[..at],
        &page[at + plain.len()..]
    ))
}

/// `POST /preferences?theme=dark` (or `density=dense`, `filtered=fade`, several at once):
/// remembers display preferences for a year, a cookie each (the app sends this in the
/// background when someone chooses, having already applied it to the page). Preferences and
/// nothing else: an unknown value means the default; a request naming no known preference is
/// refused.
async fn choose_preferences(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    use app::components::preferences::ALL;
    let query = query.unwrap_or_default();
    let mut response = Response::builder().status(axum::http::StatusCode::NO_CONTENT);
    let mut chosen = 0;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(preference) = ALL.iter().find(|preference| preference.name == name) {
            let cookie = format!(
                "{}={}; Path={}/; Max-Age=31536000; SameSite=Lax",
                preference.cookie(),
                preference.known(&value),
                state.config.base_path
            );
            response = response.header(header::SET_COOKIE, cookie);
            chosen += 1;
        }
    }
    if chosen == 0 {
        let known: Vec<&str> = ALL.iter().map(|preference| preference.name).collect();
        let message = format!("Name a preference to remember: {}.", known.join(", "));
        return axum::response::IntoResponse::into_response(
            crate::http::error::AppError::BadRequest(message),
        );
    }
    response
        .body(Body::empty())
        .expect("cookies are a response")
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

#[cfg(test)]
mod tests {
    use super::with_title_from_heading;

    #[test]
    fn a_page_is_titled_by_its_main_heading() {
        let page = r#"<html><head><title>Scrum Board</title></head><body><a class="title">Scrum Board</a><h1 id="sprint-title"><!>Release &amp; polish<!----></h1><h1>Other</h1></body></html>"#;
        let titled = with_title_from_heading(page).unwrap();
        assert!(
            titled.contains("<title>Release &amp; polish — Scrum Board</title>"),
            "{titled}"
        );
        assert!(
            titled.ends_with("<!>Release &amp; polish<!----></h1><h1>Other</h1></body></html>")
        );
        let not_found =
            with_title_from_heading("<title>Scrum Board</title><h1>Sprint 9 not found.</h1>")
                .unwrap();
        assert!(not_found.starts_with("<title>Sprint 9 not found — Scrum Board</title>"));
        assert_eq!(
            with_title_from_heading("<title>Scrum Board</title><p>no heading</p>"),
            None
        );
    }
}
