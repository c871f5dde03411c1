//! The site header: the title, the "Theme" control, who is signed in (a link to "Your
//! account", where site administrators also find "Accounts"), the current project (a link to
//! "Your projects", where another is opened), "Your Sprints", "My tasks" and "Logout". The navigation folds behind a menu button on phones.

use leptos::prelude::*;

use crate::{
    api::use_api,
    auth::use_auth,
    routing::{Page, use_location},
};

#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    let api = use_api();
    let location = use_location();
    let menu_open = RwSignal::new(false);
    let logout = move |_| {
        leptos::task::spawn_local(async move {
            // Ends the session on the server, not only in this browser.
            let _ = api.delete("/api/session").await;
            api.set_csrf(None);
            auth.refresh();
            location.navigate("/");
        });
    };
    let logout = StoredValue::new(logout);

    view! {
        <header class="site-header">
            <a href=crate::paths::href("/") class="title">
                {crate::SITE_NAME}
            </a>
            {crate::components::preferences::THEME.picker()}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    auth.session.await.map(|info| {
                        let name = if info.user.full_name.is_empty() {
                            info.user.username.clone()
                        } else {
                            info.user.full_name.clone()
                        };
                        view! {
                            <button
                                class="menu-toggle"
                                type="button"
                                aria-controls="site-nav"
                                aria-expanded=move || menu_open.get().to_string()
                                on:click=move |_| menu_open.update(|open| *open = !*open)
                            >
                                "Menu"
                            </button>
                            <nav id="site-nav" class="site-nav" class:open=move || menu_open.get() aria-label="Main">
                                <a class="who" href=crate::api::server_url("/account") title="Your account">
                                    "Signed in as "<strong>{name}</strong>
                                </a>
                                // The current project, and the way to another.
                                <a class="project" href=crate::api::server_url("/projects")>
                                    {info.project_name}
                                </a>
                                <a
                                    href=crate::paths::href("/")
                                    aria-current=move || (location.page() == Page::Home).then_some("page")
                                >
                                    "Your Sprints"
                                </a>
                                <a
                                    href=crate::paths::href("/my-tasks")
                                    aria-current=move || (location.page() == Page::MyTasks).then_some("page")
                                >
                                    "My tasks"
                                </a>
                                <button type="button" class="link-button" on:click=move |ev| logout.read_value()(ev)>
                                    "Logout"
                                </button>
                            </nav>
                        }
                    })
                })}
            </Transition>
        </header>
    }
}
