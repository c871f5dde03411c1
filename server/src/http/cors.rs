//! CORS for pages of other origins that use the API with the visitor's session: the
//! client-side build hosted apart from the server (`CORS_ALLOWED_ORIGINS`). Only those origins,
//! only what the app calls, always with credentials; every other answer says nothing to other origins.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header, request::Parts};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;

/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The layer for the configured origins, or `None` when there are none (the usual case: no
/// answer carries CORS headers and no request pays for looking).
///
/// It runs inside the front door (`access::guard`), so a preflight is held to the same hosts
/// and networks as the request it announces, and sees paths with `BASE_PATH` taken off.
pub fn layer(config: &Config) -> Option<CorsLayer> {
    if config.cors_allowed_origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = config
        .cors_allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    let origin_may_ask = move |origin: &HeaderValue, request: &Parts| {
        is_shared(request.uri.path()) && allowed.iter().any(|allowed| allowed == origin)
    };
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(origin_may_ask))
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::ACCEPT,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::AUTHORIZATION,
                HeaderName::from_static("x-csrftoken"),
            ])
            // What a client reads besides the body: versions, created objects' addresses and
            // how long to wait after 429.
            .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER])
            .max_age(PREFLIGHT_MAX_AGE),
    )
}

/// What the app calls on the server: the REST API (`/api` and below) and `/preferences`
/// (display choices, remembered for the server's own pages). Nothing else is shared with
/// other origins.
fn is_shared(path: &str) -> bool {
    path == "/preferences"
        || path
            .strip_prefix("/api")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_app_calls_is_shared() {
        assert!(is_shared("/api"));
        assert!(is_shared("/api/tasks"));
        assert!(is_shared("/preferences"));
        assert!(!is_shared("/apix"));
        assert!(!is_shared("/admin/import"));
        assert!(!is_shared("/"));
    }
}
