//! A task card and what can be done to it: dragged with a mouse (HTML5 drag and drop) or a
//! finger (pointer events), moved with the keyboard, opened; locked while someone else drags it.

use leptos::wasm_bindgen::JsCast;
use leptos::{ev, prelude::*};

use super::{
    actions,
    column::DRAG_TYPE,
    store::{BoardStore, CardFace, Column, Due, column_order},
};
use crate::{
    api::Api,
    dates,
    markup::{avatar, escape},
    stream::Gesture,
};

/// A card's element id is this and its task's id; it is also how an event finds its task.
const CARD_ID_PREFIX: &str = "task-";

/// The element id of task `id`'s card.
pub fn element_id(id: i32) -> String {
    format!("{CARD_ID_PREFIX}{id}")
}

/// One card, drawn from what it shows; the column replaces it when that changes.
///
/// A card is plain markup (see [`crate::markup`]), one element for the column to place: its
/// events are handled once per list by [`CardGestures`], since a board of a thousand cards
/// would otherwise hydrate eleven handlers on each of them, and markup costs the bundle far
/// less than the same elements as typed views.
#[component]
pub fn TaskCard(card: CardFace) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    // Redrawn while it had the keyboard (a live edit, a lock): take the focus back.
    if store.focused.get_value() == Some(card.id) {
        refocus(card.id);
    }
    // The server leaves out the "Move to…" button (see [`add_move_buttons`]).
    let with_move = cfg!(all(feature = "browser", not(feature = "ssr")));
    view! { <div class="card" inner_html=card_html(&card, with_move)></div> }
}

/// A card's "Move to…" button, beside the card, not inside it (a button holds no other
/// control). Bare, as it is repeated on every card: no class (it is the card's only button),
/// its icon from the style sheet, its card the element before it (which the menu's title
/// names).
const MOVE_BUTTON: &str = r#"<button aria-label="Move to…"></button>"#;

/// The "Move to…" buttons of the cards the server rendered, which come without them: they work
/// only with the app running, and two more elements on each of a thousand cards made the
/// first page slower to parse. Added once the board is live, in a task of their own.
#[cfg(all(feature = "browser", not(feature = "ssr")))]
pub fn add_move_buttons() {
    let Ok(cards) = document().query_selector_all(".card:not(:has(> button))") else {
        return;
    };
    for at in 0..cards.length() {
        if let Some(card) = cards
            .item(at)
            .and_then(|card| card.dyn_into::<web_sys::Element>().ok())
        {
            let _ = card.insert_adjacent_html("beforeend", MOVE_BUTTON);
        }
    }
}

/// A card's markup: the card itself, a button named by what it shows (name, labels, due date,
/// comments, assignee, lock, as a sighted person reads it: a shorter name would hide what is
/// on the card from a screen reader), and `with_move`, its [`MOVE_BUTTON`] (disabled while
/// someone else drags the card).
fn card_html(card: &CardFace, with_move: bool) -> String {
    let id = card.id;
    let mut class = "task-item".to_owned();
    if card.outside_filter {
        class += " outside";
    }
    let mut body = format!(r#"<span class="task-name">{}</span>"#, escape(&card.name));
    let meta = meta_html(card);
    if !meta.is_empty() {
        body += &format!(r#"<span class="card-meta">{meta}</span>"#);
    }
    // Someone else is dragging it: it cannot be picked up or moved until they let go.
    let (state, disabled) = match &card.locked_by {
        Some(who) => {
            class += " locked";
            body += &format!(
                r#"<span class="lock">{} is moving this</span>"#,
                escape(who)
            );
            (r#"aria-disabled="true" draggable="false""#, " disabled")
        }
        None => (r#"draggable="true""#, ""),
    };
    let mut html = format!(
        r#"<div class="{class}" id="{CARD_ID_PREFIX}{id}" tabindex="0" role="button" aria-describedby="card-help" {state}>{body}</div>"#
    );
    if with_move {
        html += &MOVE_BUTTON.replace("<button", &format!("<button{disabled}"));
    }
    html
}

/// "3 pts", "1 pt", "0.5 pts".
pub fn points_text(points: crate::model::Points) -> String {
    let unit = if points.tenths() == 10 { "pt" } else { "pts" };
    format!("{points} {unit}")
}

/// What a card shows under its name, as markup (see [`crate::markup`]): labels, the due date
/// (overdue and due within two days stand out, in words and colour), the comment count and
/// the assignee. Empty when there is none of these.
fn meta_html(card: &CardFace) -> String {
    let CardFace {
        assigned,
        due,
        labels,
        comments,
        points,
        ..
    } = card;
    let (due, comments) = (*due, *comments);
    let mut out = String::new();
    if let Some(points) = points {
        out += &format!(r#"<span class="points">{}</span>"#, points_text(*points));
    }
    for (name, colour) in labels {
        out += &format!(
            r#"<span class="label-chip" data-colour="{}">{}</span>"#,
            escape(colour),
            escape(name)
        );
    }
    if let Some(due) = due {
        out += &due_chip(due);
    }
    if comments > 0 {
        let plural = if comments == 1 { "" } else { "s" };
        out += &format!(
            r#"<span class="comment-count"><svg aria-hidden="true" viewBox="0 0 16 16"><path d="M2 3h12v8H6l-3 3v-3H2z"/></svg>{comments} comment{plural}</span>"#
        );
    }
    if let Some((full_name, username)) = assigned {
        let shown = if full_name.is_empty() {
            username
        } else {
            full_name
        };
        out += &avatar(username, full_name, Some(&format!("Assigned to {shown}")));
    }
    out
}

/// A due date as a chip (see [`meta_html`]).
pub fn due_chip(due: Due) -> String {
    let day = dates::display(due.date);
    let (class, text) = match due.in_days {
        Some(..0) => ("chip due overdue", format!("Overdue: due {day}")),
        Some(0) => ("chip due soon", "Due today".to_owned()),
        Some(1) => ("chip due soon", "Due tomorrow".to_owned()),
        Some(2) => ("chip due soon", "Due in 2 days".to_owned()),
        _ => ("chip due", format!("Due {day}")),
    };
    format!(r#"<span class="{class}" title="{day}">{text}</span>"#)
}

/// The card an event happened on (its `<li>`, its task id, whether someone else holds it).
struct CardTarget {
    element: web_sys::HtmlElement,
    id: i32,
    locked: bool,
}

/// The task id of the card at or around an event's target (its "Move to…" button included),
/// if any: where a drop lands.
pub fn card_under(target: Option<web_sys::EventTarget>) -> Option<i32> {
    let element = target?.dyn_into::<web_sys::Element>().ok()?;
    let card = element.closest(".card").ok()??.first_element_child()?;
    CardTarget::under(Some(card.into())).map(|card| card.id)
}

impl CardTarget {
    fn of(ev: &web_sys::Event) -> Option<CardTarget> {
        Self::under(ev.target())
    }

    fn under(target: Option<web_sys::EventTarget>) -> Option<CardTarget> {
        let element = target?.dyn_into::<web_sys::Element>().ok()?;
        let card = element.closest(".task-item").ok()??;
        let id = card.id().strip_prefix(CARD_ID_PREFIX)?.parse().ok()?;
        let locked = card.class_list().contains("locked");
        Some(CardTarget {
            element: card.dyn_into().ok()?,
            id,
            locked,
        })
    }

    fn dragging(&self) -> bool {
        self.element.class_list().contains("dragging")
    }

    /// Dragging is shown by a class on the element itself: a signal per card would cost a
    /// reactive node for each of a thousand cards, for a state only one card is ever in.
    fn set_dragging(&self, on: bool) {
        let _ = self.element.class_list().toggle_with_force("dragging", on);
    }
}

/// A finger (or pen) pressed on a card: where it started.
#[derive(Clone, Copy)]
struct Press {
    id: i32,
    x: i32,
    y: i32,
}

/// What the cards of one list do: drag with a mouse (HTML5), with a finger (pointer events),
/// move with the keyboard, open on click. Attached to the list, found by the event's card.
#[derive(Clone, Copy)]
pub struct CardGestures {
    store: BoardStore,
    api: Api,
    press: StoredValue<Option<Press>>,
    /// A finger drag ends with a click on the card; that click must not open the details.
    swallow_click: StoredValue<bool>,
}

impl CardGestures {
    pub fn new(store: BoardStore, api: Api) -> Self {
        CardGestures {
            store,
            api,
            press: StoredValue::new(None),
            swallow_click: StoredValue::new(false),
        }
    }

    pub fn dragstart(self, ev: ev::DragEvent) {
        let Some(card) = CardTarget::of(&ev) else {
            return;
        };
        if card.locked {
            ev.prevent_default();
            return;
        }
        if let Some(transfer) = ev.data_transfer() {
            transfer.set_effect_allowed("move");
            let _ = transfer.set_data(DRAG_TYPE, &card.id.to_string());
            let _ = transfer.set_data("text/plain", &card.id.to_string());
        }
        card.set_dragging(true);
        actions::send_gesture(self.store, card.id, Gesture::Dragstart);
    }

    pub fn dragend(self, ev: ev::DragEvent) {
        if let Some(card) = CardTarget::of(&ev) {
            card.set_dragging(false);
            actions::send_gesture(self.store, card.id, Gesture::Dragend);
        }
    }

    /// Enter/Space opens; arrows move between columns and within the column.
    pub fn keydown(self, ev: ev::KeyboardEvent) {
        if ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let Some(card) = CardTarget::of(&ev) else {
            return;
        };
        let (store, id) = (self.store, card.id);
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
            "ArrowUp" => super::move_to::destination("up", column, columns, &ids, here),
            "ArrowDown" => super::move_to::destination("down", column, columns, &ids, here),
            _ => None,
        };
        if let Some((target, before)) = target {
            ev.prevent_default();
            actions::move_task(store, self.api, id, target, before);
            refocus(id);
        }
    }

    pub fn click(self, ev: ev::MouseEvent) {
        if std::mem::take(&mut *self.swallow_click.write_value()) {
            return;
        }
        let move_to = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest(".card > button").ok().flatten());
        if let Some(button) = move_to {
            let card = button.previous_element_sibling().map(Into::into);
            if let Some(card) = CardTarget::under(card) {
                super::move_to::open(self.store, self.api, card.id);
            }
        } else if let Some(card) = CardTarget::of(&ev) {
            self.store.editing.set(Some(card.id));
        }
    }

    pub fn focusin(self, ev: ev::FocusEvent) {
        if let Some(card) = CardTarget::of(&ev) {
            self.store.focused.set_value(Some(card.id));
        }
    }

    pub fn focusout(self, ev: ev::FocusEvent) {
        if let Some(card) = CardTarget::of(&ev)
            && self.store.focused.get_value() == Some(card.id)
        {
            self.store.focused.set_value(None);
        }
    }

    /// Touch and pen: HTML5 drag and drop does not work with a finger, so follow the pointer
    /// and drop where it is lifted.
    pub fn pointerdown(self, ev: ev::PointerEvent) {
        // A new press: whatever click was owed to the last finger drag has passed.
        self.swallow_click.set_value(false);
        if ev.pointer_type() == "mouse" {
            return;
        }
        let Some(card) = CardTarget::of(&ev).filter(|card| !card.locked) else {
            return;
        };
        let _ = card.element.set_pointer_capture(ev.pointer_id());
        self.press.set_value(Some(Press {
            id: card.id,
            x: ev.client_x(),
            y: ev.client_y(),
        }));
    }

    pub fn pointermove(self, ev: ev::PointerEvent) {
        let Some(press) = self.press.get_value() else {
            return;
        };
        let Some(card) = CardTarget::of(&ev).filter(|card| card.id == press.id) else {
            return;
        };
        let (dx, dy) = (ev.client_x() - press.x, ev.client_y() - press.y);
        if !card.dragging() && dx.abs() + dy.abs() > 8 {
            card.set_dragging(true);
            actions::send_gesture(self.store, card.id, Gesture::Dragstart);
        }
        if card.dragging() {
            let _ = card
                .element
                .style()
                .set_property("transform", &format!("translate({dx}px, {dy}px)"));
        }
    }

    pub fn pointerup(self, ev: ev::PointerEvent) {
        let Some(press) = self.press.get_value() else {
            return;
        };
        self.press.set_value(None);
        let Some(card) = CardTarget::of(&ev).filter(|card| card.id == press.id) else {
            return;
        };
        let element = &card.element;
        let _ = element.style().remove_property("transform");
        if !card.dragging() {
            return;
        }
        card.set_dragging(false);
        self.swallow_click.set_value(true);
        actions::send_gesture(self.store, card.id, Gesture::Dragend);
        // What is under the finger, with the card itself out of the way.
        let _ = element.style().set_property("visibility", "hidden");
        let under = document().element_from_point(ev.client_x() as f32, ev.client_y() as f32);
        let _ = element.style().remove_property("visibility");
        let Some(under) = under else { return };
        let Some(section) = under.closest("[data-column]").ok().flatten() else {
            return;
        };
        let key = section.get_attribute("data-column").unwrap_or_default();
        let Some(column) = self.store.columns().into_iter().find(|c| c.key == key) else {
            return;
        };
        let before = card_under(Some(under.into())).filter(|other| *other != card.id);
        actions::move_task(self.store, self.api, card.id, column, before);
    }

    pub fn pointercancel(self, ev: ev::PointerEvent) {
        // Only a finger drag of ours; a mouse's pointer is cancelled when HTML5 drag starts.
        if self.press.get_value().is_none() {
            return;
        }
        self.press.set_value(None);
        if let Some(card) = CardTarget::of(&ev) {
            let _ = card.element.style().remove_property("transform");
            if card.dragging() {
                card.set_dragging(false);
                actions::send_gesture(self.store, card.id, Gesture::Dragend);
            }
        }
    }
}

/// Keeps the keyboard on a card that moved (its element may have been re-created).
pub fn refocus(id: i32) {
    request_animation_frame(move || {
        if let Some(element) = document()
            .get_element_by_id(&element_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(name: &str) -> CardFace {
        CardFace {
            id: 42,
            name: name.to_owned(),
            assigned: None,
            due: None,
            labels: Vec::new(),
            comments: 0,
            points: None,
            locked_by: None,
            outside_filter: false,
        }
    }

    #[test]
    fn a_card_is_a_draggable_button_with_its_move_to_button_beside_it() {
        let card = r#"<div class="task-item" id="task-42" tabindex="0" role="button" aria-describedby="card-help" draggable="true"><span class="task-name">Fix &lt;b&gt;login&lt;/b&gt;</span></div>"#;
        assert_eq!(card_html(&face("Fix <b>login</b>"), false), card);
        assert_eq!(
            card_html(&face("Fix <b>login</b>"), true),
            format!(r#"{card}<button aria-label="Move to…"></button>"#)
        );
    }

    #[test]
    fn a_card_someone_is_dragging_cannot_be_picked_up_or_moved() {
        let html = card_html(
            &CardFace {
                locked_by: Some("<bob>".into()),
                ..face("Fix login")
            },
            true,
        );
        assert!(
            html.starts_with(r#"<div class="task-item locked" id="task-42""#),
            "{html}"
        );
        assert!(
            html.contains(r#"aria-disabled="true" draggable="false""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="lock">&lt;bob&gt; is moving this</span>"#),
            "{html}"
        );
        assert!(
            html.ends_with(r#"</span></div><button disabled aria-label="Move to…"></button>"#),
            "{html}"
        );
    }

    #[test]
    fn a_card_the_filter_leaves_out_is_marked_for_the_style_sheet() {
        let html = card_html(
            &CardFace {
                outside_filter: true,
                comments: 2,
                ..face("Fix login")
            },
            false,
        );
        assert!(
            html.starts_with(r#"<div class="task-item outside""#),
            "{html}"
        );
        assert!(html.contains(">2 comments</span></span>"), "{html}");
    }
}
