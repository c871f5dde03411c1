//! Reusable pieces of the page.

pub mod header;
