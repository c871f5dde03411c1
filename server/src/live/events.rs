//! What travels on a sprint's stream, in the frame types `app::stream` defines for both
//! sides: change frames are change-log entries in the book's shape plus `seq` (the entry's id,
//! for resume) and the object's `version`; the only frames taken from clients are drag
//! gestures and presence requests.

use app::stream::{Action, ClientFrame, Gesture, Model as StreamModel, ServerFrame};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::log::{self, Entry};

/// The frame for `entry` (the book's `add`, `update`, `remove`; a move adds the column's
/// `order` and `versions`), or `None` for what boards do not show (users).
pub fn change_frame(entry: &Entry) -> Option<String> {
    let model = match entry.model {
        log::Model::Task => StreamModel::Task,
        log::Model::Sprint => StreamModel::Sprint,
        log::Model::Label => StreamModel::Label,
        log::Model::Comment => StreamModel::Comment,
        // Accounts, projects and memberships are not on a board: boards hear of them only
        // as their connections' standing (see the hub).
        log::Model::User | log::Model::Project | log::Model::Member => return None,
    };
    let action = match entry.action {
        log::Action::Create => Action::Add,
        log::Action::Update | log::Action::Move => Action::Update,
        log::Action::Delete => Action::Remove,
    };
    let (order, versions) = entry.column.iter().flatten().copied().unzip();
    Some(
        ServerFrame::<&Value> {
            model: Some(model),
            id: Some(entry.object),
            body: Some(&entry.body),
            version: Some(entry.version),
            seq: u64::try_from(entry.id).ok(),
            order,
            versions,
            ..ServerFrame::new(action)
        }
        .to_text(),
    )
}

/// What a board may send, once read and checked against the whitelist.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A drag gesture (`dragstart`, `dragend`, `drop`) on a task, relayed stamped with the
    /// sender.
    Gesture { task: i32, gesture: Gesture },
    /// "Who is here?": answered with a `presence` frame to the asker.
    Presence,
}

impl Incoming {
    /// Parses a client text frame; `None` for anything not on the whitelist (including
    /// attempts to send `add`/`update`/`remove`, which only the server may originate).
    pub fn parse(text: &str) -> Option<Self> {
        let frame = ClientFrame::read(text)?;
        match frame.action {
            Action::Presence => Some(Incoming::Presence),
            action => match (action.gesture(), frame.model) {
                (Some(gesture), Some(StreamModel::Task)) => Some(Incoming::Gesture {
                    task: frame.id?,
                    gesture,
                }),
                _ => None,
            },
        }
    }
}

/// `{"action": "presence", "users": ["alice", "bob"]}`: who is on the sprint.
pub fn presence_frame(users: Vec<String>) -> String {
    ServerFrame::<()> {
        users: Some(users),
        ..ServerFrame::new(Action::Presence)
    }
    .to_text()
}

/// A relayed gesture: `{"model": "task", "id": 7, "action": "dragstart", "user": "alice"}`.
pub fn gesture_frame(task: i32, gesture: Gesture, user: &str) -> String {
    ServerFrame::<()>::gesture(gesture, task, user).to_text()
}

/// `{"action": "hello", "seq": N, …}`: sent first; `seq` is where the stream starts (where the
/// log stood, or the `since` it resumes from). Keep the last `seq` seen to resume with
/// `&since=…` after a reconnect, on any instance.
pub fn hello_frame(seq: i64, sprint: i32, user: &str) -> String {
    ServerFrame::<()> {
        seq: u64::try_from(seq).ok(),
        sprint: Some(sprint),
        user: Some(user.to_owned()),
        ..ServerFrame::new(Action::Hello)
    }
    .to_text()
}

/// `{"action": "resync"}`: what was missed is no longer in the log; refetch the board.
pub fn resync_frame() -> String {
    ServerFrame::<()>::new(Action::Resync).to_text()
}

/// What instances tell each other over the PostgreSQL bus besides "the log reached N":
/// gestures and presence, ephemeral but needed by people connected to other instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BusMessage {
    /// A gesture relayed on `instance`, for the boards of `sprint` on the others.
    Gesture {
        instance: String,
        sprint: i32,
        task: i32,
        gesture: Gesture,
        user: String,
    },
    /// Who is on `sprint` through `instance` (sent on every change and refreshed regularly;
    /// an empty list means nobody any more).
    Presence {
        instance: String,
        sprint: i32,
        users: Vec<String>,
    },
    /// `instance` just opened a board of `sprint`: others answer with their `Presence`.
    PresenceQuery { instance: String, sprint: i32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gestures_and_presence_are_accepted_from_clients() {
        assert_eq!(
            Incoming::parse(r#"{"model":"task","id":7,"action":"dragstart"}"#),
            Some(Incoming::Gesture {
                task: 7,
                gesture: Gesture::Dragstart
            })
        );
        assert_eq!(
            Incoming::parse(r#"{"model":"task","id":"7","action":"drop"}"#),
            Some(Incoming::Gesture {
                task: 7,
                gesture: Gesture::Drop
            })
        );
        assert_eq!(
            Incoming::parse(r#"{"action":"presence"}"#),
            Some(Incoming::Presence)
        );
        for forged in [
            r#"{"model":"task","id":7,"action":"update","body":{"name":"pwned"}}"#,
            r#"{"model":"task","id":7,"action":"remove"}"#,
            r#"{"model":"sprint","id":7,"action":"dragstart"}"#,
            r#"{"model":"task","action":"dragstart"}"#,
            "not json",
        ] {
            assert_eq!(Incoming::parse(forged), None, "{forged}");
        }
    }
}
