//! The one error type that handlers return, and how each case maps to an HTTP answer.
//!
//! Client errors carry a stable message in DRF's shape (`{"detail": ...}`); server faults are
//! logged with their cause and answered with a generic body, so internals never leak.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

pub type AppResult<T, E = AppError> = Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, detail) = match &self {
            AppError::NotFound => (StatusCode::NOT_FOUND, "Not found.".to_owned()),
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, message.clone()),
            AppError::Unavailable(what) => {
                tracing::warn!(error = %self, "unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("{what} is unavailable."),
                )
            }
            AppError::Db(_) | AppError::Internal(_) => {
                tracing::error!(error = ?self, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "A server error occurred.".to_owned(),
                )
            }
        };
        (status, Json(json!({ "detail": detail }))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn database_errors_are_answered_without_their_cause() {
        let error = AppError::Db(sea_orm::DbErr::Custom(
            "password=hunter2 at 10.1.2.3".into(),
        ));
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("A server error occurred."), "{text}");
    }
}
