//! The Scrum board server: REST API, live stream, server-side rendering, auth and configuration.
//!
//! `main.rs` is only the CLI; everything it runs lives here so that integration tests build the
//! very same router (`router::build_router`) against their own database.

pub mod access;
pub mod api;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod deploy;
pub mod error;
pub mod headers;
pub mod health;
pub mod https_redirect;
pub mod live;
pub mod origin;
pub mod router;
pub mod service;
pub mod state;
pub mod tls;
pub mod trace;
pub mod users;
pub mod web;

pub use config::Config;
pub use router::build_router;
pub use state::AppState;
