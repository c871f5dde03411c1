//! The site header: the title and the navigation, which folds behind a menu button on phones.

use leptos::prelude::*;

#[component]
pub fn Header() -> impl IntoView {
    let menu_open = RwSignal::new(false);
    view! {
        <header class="site-header">
            <a class="title" href="/">
                "Scrum Board"
            </a>
            <button
                class="menu-toggle"
                type="button"
                aria-controls="site-nav"
                aria-expanded=move || menu_open.get().to_string()
                on:click=move |_| menu_open.update(|open| *open = !*open)
            >
                "Menu"
            </button>
            <nav id="site-nav" class="site-nav" class:open=move || menu_open.get()>
                <a href="/">"Your Sprints"</a>
                <a href=crate::api::api_url("/api/")>"API"</a>
            </nav>
        </header>
    }
}
