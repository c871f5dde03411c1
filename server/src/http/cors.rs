//! CORS for pages of other origins that use the API with the visitor's session: the
//! client-side build hosted apart from the server (`CORS_ALLOWED_ORIGINS`). Only those origins,
//! only what the app calls, always with credentials; every other answer says nothing to other
//! origins.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{config::Config, http::access};

/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS answers for the configured origins (tower-http's, which writes the headers).
#[derive(Clone)]
pub struct Policy(CorsLayer);

/// The policy for the configured origins, or `None` when there are none (the usual case: no
/// answer carries CORS headers and no request pays for looking).
pub fn policy(config: &Config) -> Option<Policy> {
    if config.cors_allowed_origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = config
        .cors_allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    Some(Policy(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
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
    ))
}

/// Middleware (inside the front door, so a preflight is held to the same hosts and networks
/// as the request it announces, and sees paths with `BASE_PATH` taken off): requests from a
/// page (`Origin`) for a shared path go through the policy; all others pass it by.
///
/// The scoping is ours because tower-http's `Cors` answers every `OPTIONS` itself (405 with
/// `Allow` is the answer elsewhere) and says `Allow-Credentials` on every response it sees.
pub async fn apply(State(policy): State<Policy>, request: Request, next: Next) -> Response {
    if !request.headers().contains_key(header::ORIGIN) || !is_shared(request.uri().path()) {
        return next.run(request).await;
    }
    // The rest of the stack as a service the policy wraps; it is called at most once.
    let mut next = Some(next);
    let rest = tower::service_fn(move |request: Request| {
        let next = next.take();
        async move {
            Ok::<_, Infallible>(match next {
                Some(next) => next.run(request).await,
                None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            })
        }
    });
    match policy.0.layer(rest).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// What the app calls on the server: the REST API (`/api` and below) and `/preferences`
/// (display choices, remembered for the server's own pages), but not the administration's
/// API, which stays with the server's own pages (and `ADMIN_ALLOWED_NETS`).
fn is_shared(path: &str) -> bool {
    (access::is_under(path, "/api") || path == "/preferences") && !access::is_administration(path)
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
        assert!(!is_shared("/api/admin/users"));
        assert!(!is_shared("/"));
    }
}
