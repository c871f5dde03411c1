//! "Move to…": moving a card without dragging it, from the card's "Move to…" button or `m`.
//! A native modal `<dialog>` (the browser keeps the focus inside, closes it on Esc and gives
//! the focus back to what opened it) lists where the card can go: another column (to its
//! end), another place in its own column, another sprint that has not ended, or the backlog.
//! Its content is markup written each time it opens (see [`crate::markup`]), and one handler
//! on its host serves all its buttons: the whole menu costs the bundle little more than its
//! words.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use super::{
    actions,
    card::refocus,
    store::{BoardStore, Column},
};
use crate::{
    api::Api,
    components::preferences::FILTERED,
    dates,
    markup::{escape, marked},
    model::{Sprint, TaskStatus},
};

/// The empty dialog, in place on the board; [`open`] fills it.
pub const DIALOG: &str =
    r#"<dialog id="move-to" class="dialog move-menu" aria-labelledby="move-to-title"></dialog>"#;

fn dialog() -> Option<web_sys::HtmlDialogElement> {
    document().get_element_by_id("move-to")?.dyn_into().ok()
}

/// Where task `id` is: its column, the column's task ids in order, and its index there. While
/// the filter hides the cards it leaves out, places are counted among the cards shown, as
/// the person sees them ("Up one" passes the card above, not a hidden one).
fn whereabouts(store: BoardStore, id: i32) -> Option<(Column, Vec<i32>, usize)> {
    let column = store.column_of(id)?;
    let hiding = FILTERED.current() == "hide";
    let ids: Vec<i32> = store
        .column_cards(column)
        .into_iter()
        .filter(|card| !(hiding && card.outside_filter))
        .map(|card| card.id)
        .collect();
    let here = ids.iter().position(|other| *other == id)?;
    Some((column, ids, here))
}

/// Opens the menu for task `id` (not while someone else is dragging it); the sprints it can
/// go to arrive a moment later.
pub fn open(store: BoardStore, api: Api, id: i32) {
    if store.locks.with_untracked(|locks| locks.contains_key(&id)) {
        return;
    }
    let (Some(dialog), Some((column, ids, here))) = (dialog(), whereabouts(store, id)) else {
        return;
    };
    let name = store
        .tasks
        .with_untracked(|tasks| tasks.get(&id).map(|task| task.name.clone()))
        .unwrap_or_default();
    let button = |choice: &str, text: &str, off: bool| {
        let off = if off { " disabled" } else { "" };
        format!(r#"<button type="button" data-move="{choice}"{off}>{text}</button>"#)
    };
    let last = ids.len() - 1;
    let title = column.title;
    let mut html = format!(
        r#"<h2 id="move-to-title">Move “{}”</h2><p class="hint">Now in {title}, {} of {}.</p><h3 id="move-columns">To the end of</h3><div class="choices" role="group" aria-labelledby="move-columns">"#,
        escape(&name),
        here + 1,
        ids.len()
    );
    for other in store.columns() {
        html += &button(other.key, other.title, other == column);
    }
    html += &format!(
        r#"</div><h3 id="move-places">Within {title}</h3><div class="choices" role="group" aria-labelledby="move-places">"#
    );
    html += &button("top", "To the top", here == 0);
    html += &button("up", "Up one", here == 0);
    html += &button("down", "Down one", here == last);
    html += &button("bottom", "To the bottom", here == last);
    html += r#"</div><h3 id="move-sprints-title">To another sprint</h3><div class="choices" id="move-sprints" role="group" aria-labelledby="move-sprints-title"><p class="hint">Loading…</p></div><form method="dialog" class="actions"><button>Cancel</button></form>"#;
    dialog.set_inner_html(&html);
    let _ = dialog.set_attribute("data-task", &id.to_string());
    let _ = dialog.show_modal();

    let board = store.sprint_id();
    let path = format!(
        "/api/sprints?end_min={}&ordering=end&page_size=100&project={}",
        dates::today(),
        store.project
    );
    leptos::task::spawn_local(async move {
        let html = match api.get_all::<Sprint>(&path).await {
            Ok(sprints) => {
                let choices: String = sprints
                    .iter()
                    // A completed sprint takes no task until it is reopened.
                    .filter(|sprint| {
                        sprint.id != board && sprint.state != crate::model::SprintState::Completed
                    })
                    .map(|sprint| {
                        let text = format!(
                            "{} <span class=\"hint\">due {}</span>",
                            escape(&sprint.display_name()),
                            dates::display(sprint.end)
                        );
                        button(&sprint.id.to_string(), &text, false)
                    })
                    .collect();
                if choices.is_empty() {
                    r#"<p class="hint">No other sprint is open.</p>"#.to_owned()
                } else {
                    choices
                }
            }
            Err(error) => format!(r#"<p class="error">{}</p>"#, escape(&error.message())),
        };
        if let Some(list) = document().get_element_by_id("move-sprints") {
            list.set_inner_html(&html);
        }
    });
}

/// A choice made in the menu (a click on its host): the card moves, and keeps the keyboard
/// where it lands; one that left the board hands it to its neighbour.
pub fn chosen(store: BoardStore, api: Api, ev: &web_sys::Event) {
    let (Some(choice), Some(dialog)) = (marked(ev, "data-move"), dialog()) else {
        return;
    };
    let choice = choice.get_attribute("data-move").unwrap_or_default();
    let Some(id) = dialog
        .get_attribute("data-task")
        .and_then(|id| id.parse().ok())
    else {
        return;
    };
    dialog.close();
    let Some((column, ids, here)) = whereabouts(store, id) else {
        return;
    };
    let Some((target, before)) = destination(&choice, column, store.columns(), &ids, here) else {
        return;
    };
    actions::move_task(store, api, id, target, before);
    if target.sprint.is_none() || target.sprint == Some(store.sprint_id()) {
        refocus(id);
    } else if let Some(neighbour) = ids.get(here + 1).or(here.checked_sub(1).map(|i| &ids[i])) {
        refocus(*neighbour);
    }
}

/// Where a menu choice sends the task at index `here` of `column` (whose ids, in order, are
/// `ids`): the target column and the task to go in front of (`None`: the end), as a drop
/// would (the arrow keys' up and down are "up" and "down"). `columns` are the board's; a
/// number is another sprint's id.
pub(super) fn destination(
    choice: &str,
    column: Column,
    columns: [Column; 5],
    ids: &[i32],
    here: usize,
) -> Option<(Column, Option<i32>)> {
    Some(match choice {
        "top" => (column, ids.first().copied()),
        "up" => (column, Some(ids[here.checked_sub(1)?])),
        // In front of the card after the next one, or to the end.
        "down" if here + 1 < ids.len() => (column, ids.get(here + 2).copied()),
        "bottom" => (column, None),
        key => match columns.into_iter().find(|c| c.key == key) {
            Some(other) => (other, None),
            // Another sprint: to the end of the same column there (from the backlog, its
            // first). The board's columns name none of that sprint's, hence the title.
            None => (
                Column {
                    key: "",
                    title: "another sprint",
                    sprint: Some(key.parse().ok()?),
                    status: column
                        .sprint
                        .map_or(TaskStatus::NotStarted, |_| column.status),
                },
                None,
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_choice_names_a_column_and_a_place_as_a_drop_would() {
        let columns = Column::all(7);
        let [backlog, todo, _, _, done] = columns;
        let ids = [10, 11, 12, 13];
        let to = |choice, here| destination(choice, todo, columns, &ids, here);
        assert_eq!(to("top", 2), Some((todo, Some(10))));
        assert_eq!(to("up", 2), Some((todo, Some(11))));
        assert_eq!(to("up", 0), None, "nothing above the first");
        assert_eq!(to("down", 1), Some((todo, Some(13))));
        assert_eq!(
            to("down", 2),
            Some((todo, None)),
            "down from last but one: the end"
        );
        assert_eq!(to("down", 3), None, "nothing below the last");
        assert_eq!(to("bottom", 0), Some((todo, None)));
        assert_eq!(to("done", 1), Some((done, None)));
        assert_eq!(to("unassigned", 1), Some((backlog, None)));
        assert_eq!(to("nonsense", 1), None);
    }

    #[test]
    fn another_sprint_keeps_the_column_and_the_backlog_starts_it_not_started() {
        let columns = Column::all(7);
        let [backlog, _, active, _, _] = columns;
        let (target, before) = destination("9", active, columns, &[1], 0).unwrap();
        assert_eq!(
            (target.sprint, target.status, before),
            (Some(9), TaskStatus::InProgress, None)
        );
        let (target, _) = destination("9", backlog, columns, &[1], 0).unwrap();
        assert_eq!(
            (target.sprint, target.status),
            (Some(9), TaskStatus::NotStarted)
        );
    }
}
