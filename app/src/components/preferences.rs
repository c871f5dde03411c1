//! Display preferences: the "Theme" (System, Light, Dark, High contrast), how roomy "Cards"
//! are (Comfortable, Dense) and what happens to "Filtered cards" (Hide, Fade). The style sheet
//! keys each on an attribute of `<html>` (`data-theme`, …), which the server writes from the
//! remembered choice (a cookie of its own), so every page is painted in it from the first
//! byte; choosing sets it at once and remembers it with `POST /preferences` in the background.

use leptos::prelude::*;

/// One preference: its name (of the control, the `<html>` attribute `data-<name>` and the
/// cookie `scrum_<name>`), the control's label, and its choices, the default first.
#[derive(Debug)]
pub struct Preference {
    pub name: &'static str,
    pub label: &'static str,
    /// Each choice's value and words.
    pub choices: &'static [(&'static str, &'static str)],
}

pub const THEME: Preference = Preference {
    name: "theme",
    label: "Theme",
    choices: &[
        ("system", "System"),
        ("light", "Light"),
        ("dark", "Dark"),
        ("contrast", "High contrast"),
    ],
};

pub const DENSITY: Preference = Preference {
    name: "density",
    label: "Cards",
    choices: &[("comfortable", "Comfortable"), ("dense", "Dense")],
};

pub const FILTERED: Preference = Preference {
    name: "filtered",
    label: "Filtered cards",
    choices: &[("hide", "Hide"), ("fade", "Fade")],
};

pub const ALL: [&Preference; 3] = [&THEME, &DENSITY, &FILTERED];

impl Preference {
    /// The cookie that remembers the choice.
    pub fn cookie(&self) -> String {
        format!("scrum_{}", self.name)
    }

    /// A stored value as a choice; anything unknown is the default.
    pub fn known(&self, value: &str) -> &'static str {
        self.choices
            .iter()
            .find(|(known, _)| *known == value)
            .unwrap_or(&self.choices[0])
            .0
    }

    /// The choice a `Cookie` header remembers.
    pub fn from_cookie_header(&self, header: &str) -> &'static str {
        let cookie = self.cookie();
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == cookie)
            .map_or(self.choices[0].0, |(_, value)| self.known(value.trim()))
    }

    /// The choice in force: on the server, the request's cookie; in the browser, the page's
    /// `<html>`, which the server wrote and every later choice updates.
    pub fn current(&self) -> &'static str {
        #[cfg(feature = "ssr")]
        {
            use_context::<http::request::Parts>()
                .and_then(|parts| {
                    let header = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
                    Some(self.from_cookie_header(header))
                })
                .unwrap_or(self.choices[0].0)
        }
        #[cfg(not(feature = "ssr"))]
        {
            self.known(
                &document()
                    .document_element()
                    .and_then(|html| html.get_attribute(&format!("data-{}", self.name)))
                    .unwrap_or_default(),
            )
        }
    }

    /// The control: a labelled select, its options as markup (see [`crate::markup`]), the
    /// current one selected.
    pub fn picker(&'static self) -> impl IntoView {
        let current = self.current();
        let options: String = self
            .choices
            .iter()
            .map(|(value, text)| crate::markup::option(value, text, *value == current))
            .collect();
        let api = crate::api::use_api();
        let remember = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            if let Some(html) = document().document_element() {
                let _ = html.set_attribute(&format!("data-{}", self.name), &value);
            }
            #[cfg(feature = "csr")]
            remember_here(self, &value);
            let path = crate::paths::href(&format!("/preferences?{}={value}", self.name));
            let sent = api.effect("POST", &path);
            leptos::task::spawn_local(async move {
                // Only a preference: if it is lost, the page keeps it until the next load.
                let _ = sent.await;
            });
        };
        view! {
            <div class="preference">
                <label for=self.name>{self.label}</label>
                <select id=self.name name=self.name on:change=remember inner_html=options></select>
            </div>
        }
    }
}

/// The client-side build has no server to write `<html data-…>` from the cookies: it keeps
/// each choice in the browser's storage too, and [`restore_remembered`] puts them back.
#[cfg(feature = "csr")]
fn remember_here(preference: &Preference, value: &str) {
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item(&preference.cookie(), value);
    }
}

/// Before the client-side build starts: the choices this browser made, on `<html>`.
#[cfg(feature = "csr")]
pub fn restore_remembered() {
    let (Ok(Some(storage)), Some(html)) = (window().local_storage(), document().document_element())
    else {
        return;
    };
    for preference in ALL {
        if let Ok(Some(value)) = storage.get_item(&preference.cookie()) {
            let _ = html.set_attribute(
                &format!("data-{}", preference.name),
                preference.known(&value),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_names_a_choice_and_anything_else_is_the_default() {
        assert_eq!(
            THEME.from_cookie_header("a=1; scrum_theme=dark; b=2"),
            "dark"
        );
        assert_eq!(THEME.from_cookie_header("scrum_theme=contrast"), "contrast");
        assert_eq!(THEME.from_cookie_header("scrum_theme=purple"), "system");
        assert_eq!(THEME.from_cookie_header("other=dark"), "system");
        assert_eq!(
            DENSITY.from_cookie_header("scrum_theme=dark; scrum_density=dense"),
            "dense"
        );
        assert_eq!(FILTERED.from_cookie_header("scrum_theme=fade"), "hide");
    }
}
