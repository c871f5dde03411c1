//! What every modal dialog does with the keyboard: it takes the focus when it opens, keeps Tab
//! and Shift+Tab inside, closes on Esc, and hands the focus back to where it was (the card or
//! button that opened it) when it closes.

use leptos::{ev, html, prelude::*};

/// What can take the focus inside a dialog.
#[cfg(all(feature = "browser", not(feature = "ssr")))]
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), \
    select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/// Call when the dialog's view is built, with the element it renders into and how it closes;
/// put the returned handler on the dialog's `keydown`.
pub fn modal(
    node: NodeRef<html::Div>,
    close: impl Fn() + Copy + 'static,
) -> impl Fn(ev::KeyboardEvent) + Copy {
    #[cfg(not(all(feature = "browser", not(feature = "ssr"))))]
    let _ = node;
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    {
        use send_wrapper::SendWrapper;
        // Whatever has the focus now opened the dialog. A card may be redrawn while the dialog
        // is open, so its id is kept too, to find its new element.
        let opener = document().active_element();
        let opener_id = opener
            .as_ref()
            .map(|element| element.id())
            .unwrap_or_default();
        let opener = SendWrapper::new(opener);
        request_animation_frame(move || {
            if let Some(first) = node
                .get_untracked()
                .and_then(|dialog| focusables(&dialog).into_iter().next())
            {
                let _ = first.focus();
            }
        });
        on_cleanup(move || {
            let back = opener
                .take()
                .filter(|element| element.is_connected())
                .or_else(|| {
                    (!opener_id.is_empty())
                        .then(|| document().get_element_by_id(&opener_id))
                        .flatten()
                });
            if let Some(element) =
                back.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = element.focus();
            }
        });
    }
    move |ev: ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            close();
        }
        "Tab" =>
        {
            #[cfg(all(feature = "browser", not(feature = "ssr")))]
            if let Some(dialog) = node.get_untracked() {
                let inside = focusables(&dialog);
                let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
                    return;
                };
                let active = document().active_element();
                let at = |element: &web_sys::HtmlElement| {
                    active
                        .as_ref()
                        .is_some_and(|a| a == element.as_ref() as &web_sys::Element)
                };
                let wrap_to = if ev.shift_key() && (at(first) || active.is_none()) {
                    Some(last)
                } else if !ev.shift_key() && at(last) {
                    Some(first)
                } else {
                    None
                };
                if let Some(target) = wrap_to {
                    ev.prevent_default();
                    let _ = target.focus();
                }
            }
        }
        _ => {}
    }
}

/// The dialog's focusable elements that are shown, in tab order (document order).
#[cfg(all(feature = "browser", not(feature = "ssr")))]
fn focusables(dialog: &web_sys::HtmlDivElement) -> Vec<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    let Ok(found) = dialog.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|i| found.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        // Hidden ones (a tab's form while the other tab shows) have no layout box.
        .filter(|element| element.offset_parent().is_some())
        .collect()
}
