//! Pieces shared by several pages.

pub mod form;
pub mod header;
pub mod sprint_form;
