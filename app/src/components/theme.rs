//! The "Theme" control: System, Light, Dark or High contrast. The style sheet keys every theme
//! on `<html data-theme>`, which the server writes from the remembered choice (a cookie), so
//! every page is painted in it from the first byte; choosing sets it at once and remembers it
//! with `POST /theme` in the background.

use leptos::prelude::*;

/// The cookie that remembers the choice.
pub const COOKIE: &str = "scrum_theme";

/// The themes as stored and as `data-theme` names them (the control's options, in order).
pub const THEMES: [&str; 4] = ["system", "light", "dark", "contrast"];

/// A stored value as a theme; anything unknown is "system".
pub fn known(value: &str) -> &'static str {
    THEMES
        .iter()
        .find(|name| **name == value)
        .map_or("system", |name| name)
}

/// The theme a `Cookie` header chose.
pub fn from_cookie_header(header: &str) -> &'static str {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map_or("system", |(_, value)| known(value.trim()))
}

/// The theme the request's cookie remembers (for `<html data-theme>`).
#[cfg(feature = "ssr")]
pub fn current() -> &'static str {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::COOKIE)
                .and_then(|value| value.to_str().ok())
                .map(from_cookie_header)
        })
        .unwrap_or("system")
}

/// The options, the remembered one selected: written by the server only. Hydration leaves
/// attributes as the server wrote them, so the browser's copy is the options alone, which
/// costs its bundle nothing per option.
#[cfg(feature = "ssr")]
fn options() -> impl IntoView {
    let current = current();
    view! {
        <option value="system" selected=current == "system">"System"</option>
        <option value="light" selected=current == "light">"Light"</option>
        <option value="dark" selected=current == "dark">"Dark"</option>
        <option value="contrast" selected=current == "contrast">"High contrast"</option>
    }
}

#[cfg(not(feature = "ssr"))]
fn options() -> impl IntoView {
    view! {
        <option value="system">"System"</option>
        <option value="light">"Light"</option>
        <option value="dark">"Dark"</option>
        <option value="contrast">"High contrast"</option>
    }
}

/// The control, for the header.
pub fn picker() -> impl IntoView {
    let api = crate::api::use_api();
    let remember = move |ev: leptos::ev::Event| {
        let theme = event_target_value(&ev);
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("data-theme", &theme);
        }
        let mut path = crate::paths::href("/theme?theme=");
        path.push_str(&theme);
        let sent = api.effect("POST", &path);
        leptos::task::spawn_local(async move {
            // Only a preference: if it is lost, the page keeps the theme until the next load.
            let _ = sent.await;
        });
    };
    view! {
        <div class="theme-picker">
            <label for="theme">"Theme"</label>
            <select id="theme" name="theme" on:change=remember>
                {options()}
            </select>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_names_the_theme_and_anything_else_is_system() {
        assert_eq!(from_cookie_header("a=1; scrum_theme=dark; b=2"), "dark");
        assert_eq!(from_cookie_header("scrum_theme=contrast"), "contrast");
        assert_eq!(from_cookie_header("scrum_theme=purple"), "system");
        assert_eq!(from_cookie_header("other=dark"), "system");
    }
}
