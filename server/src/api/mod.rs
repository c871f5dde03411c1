//! The REST API under `/api/`: the book's resources, links and error shapes.

pub mod links;

use axum::{Json, Router, routing::MethodRouter, routing::get};
use serde_json::{Value, json};

use crate::state::AppState;
use links::BaseUrl;

/// The API's routes (full paths). Every path answers with and without its trailing slash.
pub fn router() -> Router<AppState> {
    let router = Router::new();
    route_both(router, "/api", get(api_root))
}

/// Registers `path` and `path/`: the book's chapter 4 clients use trailing slashes, chapter 6
/// clients do not, and both must work unchanged.
fn route_both(
    router: Router<AppState>,
    path: &str,
    handler: MethodRouter<AppState>,
) -> Router<AppState> {
    router
        .route(path, handler.clone())
        .route(&format!("{path}/"), handler)
}

/// `GET /api/`: the entry point a client discovers every collection from (no auth needed).
async fn api_root(base: BaseUrl) -> Json<Value> {
    Json(json!({
        "sprints": base.url("/api/sprints"),
        "tasks": base.url("/api/tasks"),
        "users": base.url("/api/users"),
    }))
}
