//! What a person does to tasks on the board, each applied at once on screen and then sent to
//! the server, whose answer (or refusal) settles it.

use leptos::prelude::*;

use super::store::{BoardStore, Column, apply_move, column_order, roll_back};
use crate::{
    api::Api,
    model::{MoveTask, Task},
    stream::{ClientFrame, Gesture},
};

/// Moves a task to `target`, in front of `before` or at the end; one `POST …/move`. The card
/// moves immediately; a refusal puts everything back and says why.
pub fn move_task(store: BoardStore, api: Api, id: i32, target: Column, before: Option<i32>) {
    let snapshot = store.tasks.get_untracked();
    let Some(name) = snapshot.get(&id).map(|task| task.name.clone()) else {
        return;
    };
    let mut moved = false;
    store
        .tasks
        .update(|tasks| moved = apply_move(tasks, id, target, before));
    if !moved {
        return;
    }
    store.notice.set(None);
    let column = store
        .tasks
        .with_untracked(|tasks| column_order(tasks, target));
    let count = column.len();
    if target
        .sprint
        .is_some_and(|sprint| sprint != store.sprint_id())
    {
        // It leaves this board: no place here to tell.
        store
            .announcement
            .set(format!("{name} moved to {}.", target.title));
    } else if let Some(position) = column.iter().position(|other| *other == id) {
        store.announcement.set(format!(
            "{name} moved to {}, position {} of {count}.",
            target.title,
            position + 1
        ));
    }
    send_gesture(store, id, Gesture::Drop);
    let body = MoveTask {
        status: target.status,
        sprint: target.sprint,
        before,
        version: None,
    };
    leptos::task::spawn_local(async move {
        match api
            .post::<_, Task>(&format!("/api/tasks/{id}/move"), &body)
            .await
        {
            Ok(task) => {
                store.upsert(task);
                let what = format!("Moved “{name}” to {}", target.title);
                super::history::offer_undo(store, api, id, what);
            }
            Err(refused) => {
                store.tasks.update(|tasks| roll_back(tasks, &snapshot));
                let message = format!("“{name}” could not be moved: {}", refused.message());
                store.announcement.set(message.clone());
                store.notice.set(Some(message));
            }
        }
    });
}

/// Tells the others on the board about a drag (they see the card locked with our name).
pub fn send_gesture(store: BoardStore, id: i32, gesture: Gesture) {
    if let Some(send) = store.outbox.get_value() {
        send.run(ClientFrame::gesture(gesture, id).to_text());
    }
}
