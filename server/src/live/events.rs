//! What travels on a sprint's stream. Change frames are change-log entries in the book's
//! shape — `{"model", "id", "action", "body"}` — plus `seq` (the entry's id, for resume) and
//! the object's `version`. Client frames are only drag gestures and presence requests.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::log::{Action, Entry, Model};

/// The frame a board receives for a change-log entry: the book's `model`, `id`, `action`
/// (`add`, `update`, `remove`) and `body`, plus the object's `version`, the entry's id as
/// `seq` (resume with `since=<seq>`), and for a move the column's new `order` (task ids) with
/// each one's `versions` after it, from which clients renumber the neighbours themselves.
#[derive(Serialize)]
struct ChangeFrame<'a> {
    model: Model,
    id: i32,
    action: &'static str,
    body: &'a Value,
    version: i32,
    seq: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<Vec<i32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    versions: Option<Vec<i32>>,
}

/// The frame for `entry`, or `None` for what boards do not show (users).
pub fn change_frame(entry: &Entry) -> Option<String> {
    if entry.model == Model::User {
        return None;
    }
    let action = match entry.action {
        Action::Create => "add",
        Action::Update | Action::Move => "update",
        Action::Delete => "remove",
    };
    Some(
        serde_json::to_string(&ChangeFrame {
            model: entry.model,
            id: entry.object,
            action,
            body: &entry.body,
            version: entry.version,
            seq: entry.id,
            order: entry
                .column
                .as_ref()
                .map(|column| column.iter().map(|(id, _)| *id).collect()),
            versions: entry
                .column
                .as_ref()
                .map(|column| column.iter().map(|(_, version)| *version).collect()),
        })
        .expect("change frames serialize"),
    )
}

/// Drag gestures the server relays (stamped with the sender), the only client frames besides
/// `presence`. Anything else is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gesture {
    Dragstart,
    Dragend,
    Drop,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ClientFrame {
    Gesture {
        task: i32,
        gesture: Gesture,
    },
    /// "Who is here?": answered with a `presence` frame to the asker.
    Presence,
}

impl ClientFrame {
    /// Parses a client text frame; `None` for anything not on the whitelist (including
    /// attempts to send `add`/`update`/`remove`, which only the server may originate).
    pub fn parse(text: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct Raw {
            model: Option<String>,
            id: Option<Value>,
            action: String,
        }
        let raw: Raw = serde_json::from_str(text).ok()?;
        if raw.action == "presence" {
            return Some(ClientFrame::Presence);
        }
        let gesture = match raw.action.as_str() {
            "dragstart" => Gesture::Dragstart,
            "dragend" => Gesture::Dragend,
            "drop" => Gesture::Drop,
            _ => return None,
        };
        if raw.model.as_deref() != Some("task") {
            return None;
        }
        let task = match raw.id? {
            Value::Number(n) => i32::try_from(n.as_i64()?).ok()?,
            Value::String(s) => s.parse().ok()?,
            _ => return None,
        };
        Some(ClientFrame::Gesture { task, gesture })
    }
}

/// A relayed gesture: `{"model": "task", "id": 7, "action": "dragstart", "user": "alice"}`.
#[derive(Serialize)]
pub struct GestureFrame<'a> {
    pub model: &'static str,
    pub id: i32,
    pub action: Gesture,
    pub user: &'a str,
}

/// `{"action": "presence", "users": ["alice", "bob"]}`: who is on the sprint.
#[derive(Serialize)]
pub struct PresenceFrame<'a> {
    pub action: &'static str,
    pub users: &'a [String],
}

/// `{"action": "hello", "seq": N}`: sent first; `seq` is where the stream starts (where the
/// log stood, or the `since` it resumes from). Keep the last `seq` seen to resume with
/// `&since=…` after a reconnect, on any instance.
#[derive(Serialize)]
pub struct HelloFrame<'a> {
    pub action: &'static str,
    pub seq: i64,
    pub sprint: i32,
    pub user: &'a str,
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

/// `{"action": "resync"}`: what was missed is no longer in the log; refetch the board.
pub const RESYNC_FRAME: &str = r#"{"action":"resync"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gestures_and_presence_are_accepted_from_clients() {
        assert_eq!(
            ClientFrame::parse(r#"{"model":"task","id":7,"action":"dragstart"}"#),
            Some(ClientFrame::Gesture {
                task: 7,
                gesture: Gesture::Dragstart
            })
        );
        assert_eq!(
            ClientFrame::parse(r#"{"model":"task","id":"7","action":"drop"}"#),
            Some(ClientFrame::Gesture {
                task: 7,
                gesture: Gesture::Drop
            })
        );
        assert_eq!(
            ClientFrame::parse(r#"{"action":"presence"}"#),
            Some(ClientFrame::Presence)
        );
        for forged in [
            r#"{"model":"task","id":7,"action":"update","body":{"name":"pwned"}}"#,
            r#"{"model":"task","id":7,"action":"remove"}"#,
            r#"{"model":"sprint","id":7,"action":"dragstart"}"#,
            r#"{"model":"task","action":"dragstart"}"#,
            "not json",
        ] {
            assert_eq!(ClientFrame::parse(forged), None, "{forged}");
        }
    }
}
