//! Markup written as text, for the few views built in the browser alone from data (a comment
//! thread, suggestion lists, a card's chips): one string set as `innerHTML` costs the bundle a
//! fraction of what the same elements cost as typed views, each of which is its own build,
//! hydrate and diff code. Everything taken from data goes through [`escape`].

/// Markup made from fetched data, as a page resource: written where the data was fetched (on
/// the server for the first response, which carries it in the page as it is), from data that
/// went through `markup::escape`.
pub type FetchedMarkup =
    leptos::prelude::Resource<Result<Option<String>, crate::api::ApiError>, crate::json::Wire>;

/// Shows [`FetchedMarkup`] once it is in: "Loading…" meanwhile (nothing when `quiet`), the
/// error if the fetch failed. Every such page part is this one view, so the bundle carries
/// its loading and drawing once.
#[leptos::component]
pub fn Fetched(markup: FetchedMarkup, #[prop(optional)] quiet: bool) -> impl leptos::IntoView {
    use crate::components::loading;
    use leptos::prelude::*;
    let placeholder = move || (!quiet).then(loading);
    view! {
        <Transition fallback=placeholder>
            {move || Suspend::new(async move {
                match markup.await {
                    Ok(Some(markup)) => view! { <div inner_html=markup></div> }.into_any(),
                    // Not asked for, or signed in a moment ago (it is on its way).
                    Ok(None) => placeholder().into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.message()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The element marked with the attribute `name` (`data-label`, say) that an event in written
/// markup landed on, the target itself or an ancestor: how one handler serves every button of
/// a list written as markup.
pub fn marked(ev: &web_sys::Event, name: &str) -> Option<web_sys::Element> {
    use leptos::wasm_bindgen::JsCast;
    ev.target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest(&format!("[{name}]"))
        .ok()?
}

/// `text` safe inside an element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One `<option>` of a list written as markup.
pub fn option(value: &str, text: &str, selected: bool) -> String {
    let selected = if selected { " selected" } else { "" };
    format!(
        r#"<option value="{}"{selected}>{}</option>"#,
        escape(value),
        escape(text)
    )
}

/// A person as initials on a colour derived from their username, `name` on hover; `label` is
/// what a screen reader says for it (none: the name is written beside it).
pub fn avatar(username: &str, name: &str, label: Option<&str>) -> String {
    let shown = if name.is_empty() { username } else { name };
    let initials: String = shown
        .split_ascii_whitespace()
        .take(2)
        .filter_map(|word| word.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let hue = username.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) % 8;
    let speech = match label {
        Some(label) => format!(r#"role="img" aria-label="{}""#, escape(label)),
        None => r#"aria-hidden="true""#.to_owned(),
    };
    format!(
        r#"<span class="avatar" data-hue="{hue}" title="{}" {speech}>{}</span>"#,
        escape(shown),
        escape(&initials)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_become_markup() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        let shown = avatar(
            "eve",
            "Eve <img src=x onerror=alert(1)>",
            Some("Assigned to \"Eve\""),
        );
        assert!(!shown.contains("<img"), "{shown}");
        assert!(
            shown.contains(r#"aria-label="Assigned to &quot;Eve&quot;""#),
            "{shown}"
        );
        assert!(
            shown.ends_with(">E&lt;</span>"),
            "initials of the first two words: {shown}"
        );
    }

    #[test]
    fn avatars_show_initials_on_a_colour_of_their_own() {
        assert!(avatar("alice", "Alice Liddell", None).contains(">AL</span>"));
        assert!(avatar("bob", "", None).contains(">B</span>"));
        assert!(avatar("bob", "", None).contains(r#"aria-hidden="true""#));
        let hue = |user: &str| avatar(user, "", None).split('"').nth(3).unwrap().to_owned();
        assert_eq!(hue("alice"), hue("alice"));
        assert!((0..8).map(|n| n.to_string()).any(|h| h == hue("alice")));
    }
}
