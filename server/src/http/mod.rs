//! The HTTP layer: shared state, the router, extractors (who is calling, from where), the REST
//! API, server-side rendering, the websocket endpoint, static assets and edge middleware.

pub mod access;
pub mod account;
pub mod administration;
pub mod api;
pub mod assets;
pub mod charts;
pub mod cors;
pub mod error;
pub mod extract;
pub mod forms;
pub mod headers;
pub mod health;
pub mod import_page;
pub mod metrics;
pub mod origin;
pub mod password_links;
pub mod projects;
pub mod router;
pub mod setup;
pub mod socket;
pub mod sprint_pages;
pub mod state;
pub mod trace;
pub mod web;
