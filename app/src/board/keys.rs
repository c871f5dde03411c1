//! The board's keyboard shortcuts, and the sheet that lists them (`?`). Single keys, as on
//! most boards and mail clients: they act on the card that has the focus, and never while a
//! text field, a dialog or a modifier key has them.

use leptos::prelude::*;

use super::store::BoardStore;
use crate::api::Api;

/// The "Keyboard shortcuts" button and the sheet it opens: a native modal `<dialog>`, which
/// keeps the focus inside, closes on Esc or its "Close" (a `method="dialog"` form) and gives
/// the focus back by itself, so the sheet needs no code in the bundle, only this constant
/// markup (nothing in it comes from data, so nothing goes through `crate::markup::escape`).
const SHEET: &str = r#"<button type="button" id="shortcuts-open" class="shortcuts-toggle" commandfor="shortcuts" command="show-modal" aria-keyshortcuts="?">Keyboard shortcuts</button><dialog id="shortcuts" class="dialog shortcuts" aria-labelledby="shortcuts-title"><h2 id="shortcuts-title">Keyboard shortcuts</h2><dl><dt><kbd>/</kbd></dt><dd>Filter tasks</dd><dt><kbd>j</kbd> <kbd>k</kbd></dt><dd>Next or previous card</dd><dt><kbd>Enter</kbd> <kbd>e</kbd></dt><dd>Open the card</dd><dt><kbd>←</kbd> <kbd>→</kbd></dt><dd>Move the card to the previous or next column</dd><dt><kbd>↑</kbd> <kbd>↓</kbd></dt><dd>Move the card up or down its column</dd><dt><kbd>m</kbd></dt><dd>Move the card to another column, place or sprint</dd><dt><kbd>n</kbd></dt><dd>New task, in the card's column (or the backlog)</dd><dt><kbd>Ctrl</kbd> <kbd>Z</kbd></dt><dd>Undo your last change here (with <kbd>Shift</kbd>: redo)</dd><dt><kbd>?</kbd></dt><dd>Show these shortcuts</dd><dt><kbd>Esc</kbd></dt><dd>Close a dialog</dd></dl><form method="dialog" class="actions"><button>Close</button></form></dialog>"#;

/// The "Keyboard shortcuts" button and its sheet, in place, with the (empty) "Move to…"
/// dialog, whose buttons are handled here.
pub fn sheet(store: BoardStore, api: Api) -> impl IntoView {
    view! {
        <span
            class="shortcuts-host"
            inner_html=[SHEET, super::move_to::DIALOG].concat()
            on:click=move |ev| super::move_to::chosen(store, api, &ev)
        ></span>
    }
}

/// A key pressed anywhere on the board's page (`window`'s `keydown`).
#[cfg(all(feature = "browser", not(feature = "ssr")))]
pub fn pressed(store: BoardStore, api: Api, ev: &web_sys::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let dialog_open = store.editing.get_untracked().is_some()
        || document()
            .query_selector("dialog[open]")
            .ok()
            .flatten()
            .is_some();
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || dialog_open || super::typing(ev) {
        return;
    }
    let focused = store.focused.get_value();
    let focus = |selector: &str| {
        if let Some(element) = html_element(selector) {
            let _ = element.focus();
        }
    };
    let click = |selector: &str| {
        if let Some(element) = html_element(selector) {
            element.click();
        }
    };
    match ev.key().as_str() {
        "/" => focus("#filter-text"),
        "?" => click("#shortcuts-open"),
        key @ ("j" | "k") => {
            // Cards in reading order: down each column, then the next column; not those the
            // filter leaves out.
            let Ok(cards) = document().query_selector_all(".task-item:not(.outside)") else {
                return;
            };
            let count = cards.length();
            let here = focused.and_then(|id| {
                let id = super::card::element_id(id);
                (0..count).find(|&i| {
                    cards
                        .item(i)
                        .and_then(|card| card.dyn_into::<web_sys::Element>().ok())
                        .is_some_and(|card| card.id() == id)
                })
            });
            let next = match (here, key) {
                (None, _) => Some(0),
                (Some(at), "j") => Some(at + 1),
                (Some(at), _) => at.checked_sub(1),
            };
            if let Some(card) = next
                .and_then(|at| cards.item(at))
                .and_then(|card| card.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = card.focus();
            }
        }
        "e" if focused.is_some() => store.editing.set(focused),
        "m" => match focused {
            Some(id) => super::move_to::open(store, api, id),
            None => return,
        },
        "n" => {
            // The column's "Add Task" (if its form is open already, nothing to click), then
            // its name field.
            let column = focused
                .and_then(|id| store.column_of(id))
                .map_or("unassigned", |column| column.key);
            let section = format!("[data-column=\"{column}\"]");
            click(&format!("{section} button.add"));
            // The form's `autofocus` is not enough: the card keeps the focus it had.
            request_animation_frame(move || {
                if let Some(field) = html_element(&format!("{section} form input")) {
                    let _ = field.focus();
                }
            });
        }
        _ => return,
    }
    ev.prevent_default();
}

/// The first element of the page that `selector` finds.
#[cfg(all(feature = "browser", not(feature = "ssr")))]
fn html_element(selector: &str) -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    document()
        .query_selector(selector)
        .ok()
        .flatten()?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()
}
