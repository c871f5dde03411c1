//! Integration tests: the real router against a real database file (and PostgreSQL when one
//! answers), driven over HTTP-shaped requests; the CLI tests run the real `server` binary.
//! One test binary, so the crate graph links once.

mod accounts;
mod api_auth;
mod api_comments;
mod api_concurrency;
mod api_docs;
mod api_labels;
mod api_move;
mod api_pagination;
mod api_sprints;
mod api_tasks;
mod api_users;
mod book_transcript;
mod change_log;
mod cli;
mod cross_origin;
mod durability;
mod foundation;
mod harness;
mod headers;
mod history;
mod live;
mod live_postgres;
mod log_secrets;
mod pages;
mod password_rehash;
mod projects;
mod relocation;
mod scrum;
mod setup;
mod source_rules;
mod tls;
mod transfer;
