//! `GET /healthz`: answers 200 only when the database answers too (for load balancers).

use axum::{Json, extract::State};
use serde_json::{Value, json};

use crate::{http::error::AppError, http::state::AppState};

pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    state.db.ping().await.map_err(|error| {
        tracing::warn!(%error, "health check: database did not answer");
        AppError::Unavailable("The database")
    })?;
    Ok(Json(json!({ "status": "ok", "database": "ok" })))
}
