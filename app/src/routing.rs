//! Which page a URL shows, and moving between pages in the browser without reloading.
//!
//! The app has four pages and no nested routes, so it matches paths itself rather than
//! carrying a general router into the wasm bundle: the server renders whatever page the
//! requested path names, and in the browser same-site link clicks and the back/forward buttons
//! swap the page in place (History API).

use leptos::prelude::*;

/// A page of the app, as named by a path under the base path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/`: "Your Sprints".
    Home,
    /// `/login` (with `?next=` for where to go afterwards).
    Login,
    /// `/my-tasks`: what is assigned to me.
    MyTasks,
    /// `/sprint/{id}`: a board; the id as written in the URL, checked by the board.
    Sprint(String),
    /// Anything else.
    NotFound,
}

impl Page {
    /// The page an app path (no base path, query allowed) names.
    pub fn of(path: &str) -> Page {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        match path {
            "/" | "" => Page::Home,
            "/login" => Page::Login,
            "/my-tasks" => Page::MyTasks,
            _ => match path.strip_prefix("/sprint/") {
                Some(id) if !id.is_empty() && !id.contains('/') => Page::Sprint(id.to_owned()),
                _ => Page::NotFound,
            },
        }
    }

    /// Pages whose data only the server fetches: the browser loads them whole rather than
    /// swapping them in, and hydrates what the server wrote (their fetching code stays out of
    /// the bundle).
    /// The client-side build has no server pages: it fills "My tasks" in itself.
    pub fn loads_whole(&self) -> bool {
        match self {
            Page::NotFound => true,
            Page::MyTasks => !cfg!(feature = "csr"),
            _ => false,
        }
    }
}

/// `path` without the base path, if it lies under it (`/scrum/login` → `/login` under `/scrum`).
fn within_base<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    match path.strip_prefix(base) {
        Some("") => Some("/"),
        Some(rest) if rest.starts_with('/') || rest.starts_with('?') => Some(rest),
        _ => None,
    }
}

/// Where the app is: the current app path (query included). Provided once by `App`.
#[derive(Clone, Copy)]
pub struct Location {
    path: RwSignal<String>,
    page: Memo<Page>,
}

impl Location {
    /// The location of this render: the request's path on the server, the address bar in the
    /// browser, where link clicks and history moves are from now on handled in place.
    pub fn provide() -> Self {
        let path = RwSignal::new(initial_path());
        let location = Location {
            path,
            page: Memo::new(move |_| Page::of(&path.read())),
        };
        #[cfg(all(feature = "browser", not(feature = "ssr")))]
        browser::follow_links_and_history(location);
        provide_context(location);
        location
    }

    /// The page to show now.
    pub fn page(&self) -> Page {
        self.page.get()
    }

    /// Goes to an app path (`/sprint/3`), as following a link to it would. Going to where the
    /// app already is adds no history entry.
    pub fn navigate(&self, to: &str) {
        self.go(to, true);
    }

    /// Like [`Location::navigate`], but in place of the current history entry (for a filter
    /// being typed, one entry per key would make Back useless).
    pub fn replace(&self, to: &str) {
        self.go(to, false);
    }

    /// The current app path, query included (tracked).
    pub fn path(&self) -> String {
        self.path.get()
    }

    fn go(&self, to: &str, new_entry: bool) {
        if self.path.with_untracked(|path| path == to) {
            return;
        }
        // Not one of the app's pages (the server's own, like `/admin/accounts`), or one the
        // server alone fills in: the browser loads it from the server.
        #[cfg(all(feature = "browser", not(feature = "ssr")))]
        if Page::of(to).loads_whole() {
            let _ = window().location().assign(&crate::api::server_url(to));
            return;
        }
        #[cfg(all(feature = "browser", not(feature = "ssr")))]
        if new_entry {
            browser::push(to);
        } else {
            browser::replace(to);
        }
        #[cfg(not(all(feature = "browser", not(feature = "ssr"))))]
        let _ = new_entry;
        self.path.set(to.to_owned());
    }
}

pub fn use_location() -> Location {
    expect_context::<Location>()
}

fn initial_path() -> String {
    let base = crate::paths::base();
    #[cfg(feature = "ssr")]
    let requested = use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .uri
                .path_and_query()
                .map(|path| path.as_str().to_owned())
        })
        .unwrap_or_else(|| "/".to_owned());
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    let requested = browser::address_bar();
    #[cfg(not(any(feature = "ssr", feature = "browser")))]
    let requested = "/".to_owned();
    within_base(&requested, &base)
        .unwrap_or(&requested)
        .to_owned()
}

/// The query parameter `name` of the address bar, decoded (browser only: the server never
/// needs one).
pub fn query_param(name: &str) -> Option<String> {
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    {
        let search = window().location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search)
            .ok()?
            .get(name)
    }
    #[cfg(not(all(feature = "browser", not(feature = "ssr"))))]
    {
        let _ = name;
        None
    }
}

#[cfg(all(feature = "browser", not(feature = "ssr")))]
mod browser {
    use leptos::{ev, prelude::*};
    use wasm_bindgen::JsCast;

    use super::{Location, within_base};

    /// The address bar's path and query (`/scrum/sprint/3?x=1`), base path included.
    pub fn address_bar() -> String {
        let address = window().location();
        address.pathname().unwrap_or_default() + &address.search().unwrap_or_default()
    }

    /// Adds `to` (an app path) to the session history and starts the new page at the top.
    pub fn push(to: &str) {
        let url = crate::paths::href(to);
        if let Ok(history) = window().history() {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
        window().scroll_to_with_x_and_y(0.0, 0.0);
    }

    /// Puts `to` (an app path) in place of the current history entry.
    pub fn replace(to: &str) {
        let url = crate::paths::href(to);
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }

    pub fn follow_links_and_history(location: Location) {
        // One listener for the whole document: links rendered later are covered too.
        let clicks = window_event_listener(ev::click, move |event| {
            if let Some(to) = in_app_target(&event) {
                event.prevent_default();
                location.navigate(&to);
            }
        });
        let history = window_event_listener(ev::popstate, move |_| {
            if let Some(path) = within_base(&address_bar(), &crate::paths::base()) {
                location.path.set(path.to_owned());
            }
        });
        on_cleanup(move || {
            clicks.remove();
            history.remove();
        });
    }

    /// The app path a click should open in place, or `None` when the browser should handle it:
    /// modified or non-primary clicks, links to other sites, downloads, other targets, and
    /// jumps within the page.
    fn in_app_target(event: &web_sys::MouseEvent) -> Option<String> {
        if event.default_prevented()
            || event.button() != 0
            || event.meta_key()
            || event.ctrl_key()
            || event.shift_key()
            || event.alt_key()
        {
            return None;
        }
        let link = event
            .target()?
            .dyn_into::<web_sys::Element>()
            .ok()?
            .closest("a[href]")
            .ok()??
            .dyn_into::<web_sys::HtmlAnchorElement>()
            .ok()?;
        let own_target = matches!(link.target().as_str(), "" | "_self");
        if !own_target || link.has_attribute("download") {
            return None;
        }
        let here = window().location();
        if link.origin() != here.origin().ok()? {
            return None;
        }
        let same_document =
            link.pathname() == here.pathname().ok()? && link.search() == here.search().ok()?;
        if same_document && !link.hash().is_empty() {
            return None;
        }
        let path = link.pathname() + &link.search();
        within_base(&path, &crate::paths::base()).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_pages() {
        assert_eq!(Page::of("/"), Page::Home);
        assert_eq!(Page::of("/?past=1"), Page::Home);
        assert_eq!(Page::of("/login?next=/sprint/3"), Page::Login);
        assert_eq!(Page::of("/sprint/3"), Page::Sprint("3".to_owned()));
        assert_eq!(Page::of("/sprint/abc"), Page::Sprint("abc".to_owned()));
        assert_eq!(Page::of("/sprint/"), Page::NotFound);
        assert_eq!(Page::of("/sprint/3/tasks"), Page::NotFound);
        assert_eq!(Page::of("/login/x"), Page::NotFound);
        assert_eq!(Page::of("/my-tasks"), Page::MyTasks);
        // Filled in by the server alone: loaded whole, like the server's own pages.
        assert!(Page::MyTasks.loads_whole() && Page::of("/projects").loads_whole());
        assert!(!Page::Home.loads_whole());
        assert_eq!(Page::of("/nowhere"), Page::NotFound);
    }

    #[test]
    fn only_paths_under_the_base_belong_to_the_app() {
        assert_eq!(within_base("/scrum/login", "/scrum"), Some("/login"));
        assert_eq!(within_base("/scrum", "/scrum"), Some("/"));
        assert_eq!(within_base("/scrum?x=1", "/scrum"), Some("?x=1"));
        assert_eq!(within_base("/scrumboard", "/scrum"), None);
        assert_eq!(within_base("/other", "/scrum"), None);
        assert_eq!(within_base("/sprint/3", ""), Some("/sprint/3"));
    }
}
