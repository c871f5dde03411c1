//! Integration tests: the real router against a real database file (and PostgreSQL when one
//! answers), driven over HTTP-shaped requests; the CLI tests run the real `server` binary.
//! One test binary, so the crate graph links once.

mod cli;
mod foundation;
mod harness;
