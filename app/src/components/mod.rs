//! Pieces shared by several pages.

pub mod dialog;
pub mod form;
pub mod header;
pub mod preferences;

use leptos::prelude::*;

/// "Loading…", where data is on its way: every page's suspense fallback, and a page signed
/// into a moment ago.
pub fn loading() -> impl IntoView {
    view! { <p class="loading">"Loading…"</p> }
}
