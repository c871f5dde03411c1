//! One module per routed page.

pub mod home;
pub mod my_tasks;
pub mod not_found;
