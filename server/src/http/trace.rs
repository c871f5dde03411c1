//! Request logging that records no secrets: the per-request span names the method, the path
//! and the query with every value redacted except plain numbers (`page=2`, `sprint=5`), so a
//! websocket ticket (`/socket?channel=<ticket>`) or any future secret in a query string never
//! reaches the logs. Headers (`Authorization`, `Cookie`) and bodies are never recorded.

use axum::http::{Request, Uri};
use tower_http::trace::MakeSpan;
use tracing::Span;

/// What a redacted query value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The span of each request, for `TraceLayer::make_span_with`: like tower-http's default
/// (DEBUG, `method`, `uri`, `version`), with the query redacted.
#[derive(Clone, Copy, Debug, Default)]
pub struct RedactedSpan;

impl<B> MakeSpan<B> for RedactedSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        tracing::debug_span!(
            "request",
            method = %request.method(),
            uri = %redacted_uri(request.uri()),
            version = ?request.version(),
        )
    }
}

/// `uri`'s path, and its query with every value that is not a plain number replaced by
/// [`REDACTED`] (the keys stay, so logs still say what was asked).
pub fn redacted_uri(uri: &Uri) -> String {
    // A password link's key is its path: the page's address itself is the secret.
    let path = match uri.path().split_once("/password/") {
        Some((before, _)) => format!("{before}/password/{REDACTED}"),
        None => uri.path().to_owned(),
    };
    let Some(query) = uri.query() else {
        return path;
    };
    let pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if value.is_empty() || value.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{key}={value}")
            }
            Some((key, _)) => format!("{key}={REDACTED}"),
            None => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(uri: &str) -> String {
        redacted_uri(&uri.parse().unwrap())
    }

    #[test]
    fn a_password_links_key_is_redacted() {
        assert_eq!(
            redacted("/password/0123456789abcdef?x=1"),
            "/password/[redacted]?x=1"
        );
        assert_eq!(
            redacted("/scrum/password/abc"),
            "/scrum/password/[redacted]"
        );
    }

    #[test]
    fn query_values_other_than_numbers_are_redacted() {
        assert_eq!(
            redacted("/socket?channel=5.7.1700000000.c2lnbmF0dXJl"),
            "/socket?channel=[redacted]"
        );
        assert_eq!(
            redacted("/socket?sprint=5&epoch=abc&since=17"),
            "/socket?sprint=5&epoch=[redacted]&since=17"
        );
        assert_eq!(
            redacted("/api/tasks?page=2&search=hunter2&backlog"),
            "/api/tasks?page=2&search=[redacted]&backlog"
        );
        assert_eq!(redacted("/api/sprints/"), "/api/sprints/");
    }

    /// The layer as `router.rs` should build it: the ticket of a socket request never reaches
    /// the log, from the span's creation to the response.
    #[tokio::test]
    async fn a_trace_layer_with_this_span_logs_no_ticket() {
        use std::sync::{Arc, Mutex};

        use axum::{Router, body::Body, routing::get};
        use tower::ServiceExt;
        use tower_http::trace::TraceLayer;
        use tracing_subscriber::{
            fmt::{self, MakeWriter},
            layer::SubscriberExt,
        };

        /// Collects everything the subscriber writes.
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl<'a> MakeWriter<'a> for Buffer {
            type Writer = Buffer;
            fn make_writer(&'a self) -> Buffer {
                self.clone()
            }
        }

        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(fmt::layer().with_writer(buffer.clone()).with_ansi(false));
        let _default = tracing::subscriber::set_default(subscriber);
        let app = Router::new()
            .route("/socket", get(|| async { "ok" }))
            .layer(TraceLayer::new_for_http().make_span_with(RedactedSpan));

        let request = Request::get("/socket?channel=1.2.1700000000.secret-ticket&since=4")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();

        assert_eq!(response.status(), 200);
        let logged = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(
            logged.contains("uri=/socket?channel=[redacted]&since=4")
                && logged.contains("finished processing request"),
            "{logged}"
        );
        assert!(!logged.contains("secret-ticket"), "{logged}");
    }
}
