//! The one error type that handlers return, and how each case maps to an HTTP answer.
//!
//! Client errors use DRF's body shapes, which the book's clients parse: `{"detail": "…"}` for
//! request-level problems and `{"field": ["message"]}` / `{"non_field_errors": [...]}` for
//! validation. Server faults are logged with their cause and answered with a generic body, so
//! internals never leak.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

pub type AppResult<T, E = AppError> = Result<T, E>;

pub use crate::domain::errors::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// 404 with a specific message, e.g. DRF's "Invalid page.".
    #[error("not found: {0}")]
    NotFoundWith(&'static str),
    #[error("payload too large")]
    PayloadTooLarge,
    /// A request-level problem (bad query parameter, malformed body): `{"detail": …}`.
    #[error("{0}")]
    BadRequest(String),
    #[error("validation failed: {0:?}")]
    Validation(FieldErrors),
    /// 401 with `WWW-Authenticate: Token` (never `Basic`: browsers would pop up a dialog).
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request cannot apply to the object as it is now (an undo after someone's change).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("method {0} not allowed")]
    MethodNotAllowed(String),
    /// A stale `If-Match`/`version`: the body is the current representation.
    #[error("precondition failed")]
    PreconditionFailed(Value),
    #[error("unsupported media type {0}")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 426 with `Sec-WebSocket-Version`: a websocket handshake in a version other than 13
    /// (RFC 6455 §4.2.2).
    #[error("websocket version not supported")]
    WebSocketVersion,
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn detail(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({ "detail": text.into() }))).into_response()
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => detail(StatusCode::NOT_FOUND, "Not found."),
            AppError::NotFoundWith(message) => detail(StatusCode::NOT_FOUND, message),
            AppError::PayloadTooLarge => {
                detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large.")
            }
            AppError::BadRequest(message) => detail(StatusCode::BAD_REQUEST, message),
            AppError::Validation(errors) => (StatusCode::BAD_REQUEST, Json(errors)).into_response(),
            AppError::Unauthorized(message) => {
                let mut response = detail(StatusCode::UNAUTHORIZED, message);
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
                response
            }
            AppError::Forbidden(message) => detail(StatusCode::FORBIDDEN, message),
            AppError::Conflict(message) => detail(StatusCode::CONFLICT, message),
            AppError::MethodNotAllowed(method) => detail(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("Method \"{method}\" not allowed."),
            ),
            AppError::PreconditionFailed(current) => {
                (StatusCode::PRECONDITION_FAILED, Json(current)).into_response()
            }
            AppError::UnsupportedMediaType(media_type) => detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Unsupported media type \"{media_type}\" in request."),
            ),
            AppError::TooManyRequests { retry_after_secs } => {
                let mut response = detail(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Request was throttled. Expected available in {retry_after_secs} seconds."
                    ),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                response
            }
            AppError::WebSocketVersion => {
                let mut response = detail(
                    StatusCode::UPGRADE_REQUIRED,
                    "This server speaks websocket version 13 only.",
                );
                response.headers_mut().insert(
                    header::SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static("13"),
                );
                response
            }
            AppError::Unavailable(what) => {
                tracing::warn!("{what} is unavailable");
                detail(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("{what} is unavailable."),
                )
            }
            error @ (AppError::Db(_) | AppError::Internal(_)) => {
                tracing::error!(error = ?error, "request failed");
                detail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "A server error occurred.",
                )
            }
        }
    }
}

/// The answer to a handler that panicked: the same generic 500 as any internal error, so a
/// bug never shows its message (which may hold data) to the client; the message is logged.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    AppError::Internal(anyhow::anyhow!("a handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> (StatusCode, String) {
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_panicking_handler_gets_the_generic_500_not_its_message() {
        use tower::ServiceExt;

        async fn boom() -> &'static str {
            panic!("password=hunter2 in a bug")
        }
        let app = axum::Router::new()
            .route("/boom", axum::routing::get(boom))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_response,
            ));
        let response = app
            .oneshot(
                axum::http::Request::get("/boom")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let (status, text) = body_of(response).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(text, r#"{"detail":"A server error occurred."}"#);
    }

    #[tokio::test]
    async fn database_errors_are_answered_without_their_cause() {
        let error = AppError::Db(sea_orm::DbErr::Custom(
            "password=hunter2 at 10.1.2.3".into(),
        ));
        let (status, text) = body_of(error.into_response()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(text, r#"{"detail":"A server error occurred."}"#);
    }

    #[tokio::test]
    async fn validation_errors_use_drfs_shape() {
        let mut errors = FieldErrors::default();
        errors.add("end", "End date cannot be in the past.");
        let (status, text) = body_of(AppError::Validation(errors).into_response()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(text, r#"{"end":["End date cannot be in the past."]}"#);
    }

    #[tokio::test]
    async fn unauthorized_challenges_with_token_not_basic() {
        let response = AppError::Unauthorized("Invalid token").into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Token");
    }
}
