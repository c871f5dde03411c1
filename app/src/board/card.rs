//! A task card: draggable with a mouse (HTML5 drag and drop), with a finger (pointer events),
//! and movable with the keyboard; locked while someone else drags it.

use leptos::wasm_bindgen::JsCast;
use leptos::{ev, prelude::*};

use super::{
    actions,
    column::{DRAG_TYPE, card_under},
    store::{BoardStore, CardFace, Column, column_order},
};
use crate::{api::use_api, dates};

/// One card, drawn from what it shows; the column replaces it when that changes.
#[component]
pub fn TaskCard(card: CardFace) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let id = card.id;
    let locked = card.locked_by.is_some();
    // The card's own element: with delegated events, `currentTarget` is the document.
    let element = NodeRef::<leptos::html::Li>::new();
    // Dragging is shown by a class set on the element itself: a signal per card would cost a
    // reactive node for each of a thousand cards, for a state only one card is ever in.
    let set_dragging = move |on: bool| {
        if let Some(element) = element.get_untracked() {
            let _ = element.class_list().toggle_with_force("dragging", on);
        }
    };
    let is_dragging = move || {
        element
            .get_untracked()
            .is_some_and(|element| element.class_list().contains("dragging"))
    };
    // Redrawn while it had the keyboard (a live edit, a lock): take the focus back.
    if store.focused.get_value() == Some(id) {
        refocus(id);
    }

    let on_dragstart = move |ev: ev::DragEvent| {
        if locked {
            ev.prevent_default();
            return;
        }
        if let Some(transfer) = ev.data_transfer() {
            transfer.set_effect_allowed("move");
            let _ = transfer.set_data(DRAG_TYPE, &id.to_string());
            let _ = transfer.set_data("text/plain", &id.to_string());
        }
        set_dragging(true);
        actions::send_gesture(store, id, "dragstart");
    };
    let on_dragend = move |_: ev::DragEvent| {
        set_dragging(false);
        actions::send_gesture(store, id, "dragend");
    };

    // Keyboard: Enter/Space opens; arrows move between columns and within the column.
    let on_keydown = move |ev: ev::KeyboardEvent| {
        if ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let Some(column) = store.column_of(id) else {
            return;
        };
        let columns = store.columns();
        let index = columns.iter().position(|c| *c == column).unwrap_or(0);
        let ids = store
            .tasks
            .with_untracked(|tasks| column_order(tasks, column));
        let here = ids.iter().position(|other| *other == id).unwrap_or(0);
        let target: Option<(Column, Option<i32>)> = match ev.key().as_str() {
            "Enter" | " " => {
                ev.prevent_default();
                store.editing.set(Some(id));
                None
            }
            "ArrowLeft" if index > 0 => Some((columns[index - 1], None)),
            "ArrowRight" if index + 1 < columns.len() => Some((columns[index + 1], None)),
            "ArrowUp" if here > 0 => Some((column, Some(ids[here - 1]))),
            // In front of the card after the next one, or to the end.
            "ArrowDown" if here + 1 < ids.len() => Some((column, ids.get(here + 2).copied())),
            _ => None,
        };
        if let Some((target, before)) = target {
            ev.prevent_default();
            actions::move_task(store, api, id, target, before);
            refocus(id);
        }
    };

    // Touch and pen: HTML5 drag and drop does not work with a finger, so follow the pointer
    // and drop where it is lifted.
    let start = StoredValue::new(None::<(i32, i32)>);
    // A finger drag ends with a click on the card; that click must not open the details.
    let swallow_click = StoredValue::new(false);
    let on_pointerdown = move |ev: ev::PointerEvent| {
        // A new press: whatever click was owed to the last finger drag has passed.
        swallow_click.set_value(false);
        if ev.pointer_type() == "mouse" || locked {
            return;
        }
        if let Some(element) = element.get_untracked().map(web_sys::HtmlElement::from) {
            let _ = element.set_pointer_capture(ev.pointer_id());
        }
        start.set_value(Some((ev.client_x(), ev.client_y())));
    };
    let on_pointermove = move |ev: ev::PointerEvent| {
        let Some((x0, y0)) = start.get_value() else {
            return;
        };
        let (dx, dy) = (ev.client_x() - x0, ev.client_y() - y0);
        if !is_dragging() && dx.abs() + dy.abs() > 8 {
            set_dragging(true);
            actions::send_gesture(store, id, "dragstart");
        }
        if is_dragging()
            && let Some(element) = element.get_untracked().map(web_sys::HtmlElement::from)
        {
            let _ = element
                .style()
                .set_property("transform", &format!("translate({dx}px, {dy}px)"));
        }
    };
    let on_pointerup = move |ev: ev::PointerEvent| {
        let Some(_) = start.get_value() else { return };
        start.set_value(None);
        let Some(element) = element.get_untracked().map(web_sys::HtmlElement::from) else {
            return;
        };
        let _ = element.style().remove_property("transform");
        if !is_dragging() {
            return;
        }
        set_dragging(false);
        swallow_click.set_value(true);
        actions::send_gesture(store, id, "dragend");
        // What is under the finger, with the card itself out of the way.
        let _ = element.style().set_property("visibility", "hidden");
        let under = document().element_from_point(ev.client_x() as f32, ev.client_y() as f32);
        let _ = element.style().remove_property("visibility");
        let Some(under) = under else { return };
        let Some(section) = under.closest("[data-column]").ok().flatten() else {
            return;
        };
        let key = section.get_attribute("data-column").unwrap_or_default();
        let Some(column) = store.columns().into_iter().find(|c| c.key == key) else {
            return;
        };
        let before = card_under(Some(under.into())).filter(|card| *card != id);
        actions::move_task(store, api, id, column, before);
    };
    let on_pointercancel = move |_: ev::PointerEvent| {
        // Only a finger drag of ours; a mouse's pointer is cancelled when HTML5 drag starts.
        if start.get_value().is_none() {
            return;
        }
        start.set_value(None);
        if let Some(element) = element.get_untracked().map(web_sys::HtmlElement::from) {
            let _ = element.style().remove_property("transform");
        }
        if is_dragging() {
            set_dragging(false);
            actions::send_gesture(store, id, "dragend");
        }
    };

    let CardFace {
        name,
        assigned,
        due,
        locked_by,
        ..
    } = card;
    let label = name.clone();
    view! {
        <li
            node_ref=element
            class=if locked { "task-item locked" } else { "task-item" }
            id=format!("task-{id}")
            data-task-id=id
            tabindex="0"
            role="button"
            aria-label=label
            aria-describedby="card-help"
            aria-disabled=locked.to_string()
            draggable=if locked { "false" } else { "true" }
            on:dragstart=on_dragstart
            on:dragend=on_dragend
            on:keydown=on_keydown
            on:click=move |_| {
                if !std::mem::take(&mut *swallow_click.write_value()) {
                    store.editing.set(Some(id));
                }
            }
            on:focusin=move |_| store.focused.set_value(Some(id))
            on:focusout=move |_| {
                if store.focused.get_value() == Some(id) {
                    store.focused.set_value(None);
                }
            }
            on:pointerdown=on_pointerdown
            on:pointermove=on_pointermove
            on:pointerup=on_pointerup
            on:pointercancel=on_pointercancel
        >
            <span class="task-name">{name}</span>
            {assigned.map(|who| view! { <span class="assigned">{who}</span> })}
            {due.map(|due| view! { <span class="due">"Due " {dates::display(due)}</span> })}
            {locked_by.map(|who| view! { <span class="lock">{format!("{who} is moving this")}</span> })}
        </li>
    }
}

/// Keeps the keyboard on a card that moved (its element may have been re-created).
fn refocus(id: i32) {
    request_animation_frame(move || {
        if let Some(element) = document()
            .get_element_by_id(&format!("task-{id}"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
}
