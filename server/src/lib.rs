//! The Scrum board server: REST API, live stream, server-side rendering, auth and configuration.
//!
//! Layers, each using only those below it: `startup` (CLI, deploy checks, TLS) → `http`
//! (state, router, REST, SSR, websocket) → `live` (hub and bus) → `domain` (entities, rules,
//! services, accounts) → `config`. `main.rs` is only the CLI; everything it runs lives here so
//! that integration tests build the very same router (`http::router::build_router`) against
//! their own database.

pub mod config;
pub mod domain;
pub mod http;
pub mod live;
pub mod startup;

pub use config::Config;
pub use http::{router::build_router, state::AppState};
