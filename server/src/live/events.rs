//! What travels on a sprint's stream. Server frames keep the book's shape —
//! `{"model", "id", "action", "body"}` — plus `seq` (per-sprint sequence, for resume) and the
//! object's `version`. Client frames are only drag gestures and presence requests.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a change must be seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Topic {
    /// Boards of this sprint.
    Sprint(i32),
    /// Every open board (each board shows the backlog).
    Backlog,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Task,
    Sprint,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Add,
    Update,
    Remove,
}

/// A committed change of record, published after its transaction commits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub model: Model,
    pub id: i32,
    pub action: Action,
    /// The REST representation (also for `remove`: the last state, so clients know where it was).
    pub body: Value,
    pub version: i32,
    pub topics: Vec<Topic>,
}

/// The frame a subscriber receives for a change.
#[derive(Serialize)]
pub struct ChangeFrame<'a> {
    pub model: Model,
    pub id: i32,
    pub action: Action,
    pub body: &'a Value,
    pub version: i32,
    pub seq: u64,
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

/// `{"action": "hello", "epoch": "...", "seq": N}`: sent first; keep `epoch` and the last `seq`
/// to resume with `?epoch=…&since=…` after a reconnect.
#[derive(Serialize)]
pub struct HelloFrame<'a> {
    pub action: &'static str,
    pub epoch: &'a str,
    pub seq: u64,
    pub sprint: i32,
    pub user: &'a str,
}

/// What instances tell each other over the PostgreSQL bus. Changes are the record; gestures
/// and presence are ephemeral but must still reach people connected to other instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BusMessage {
    Change(Change),
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
    PresenceQuery {
        instance: String,
        sprint: i32,
    },
}

/// `{"action": "resync"}`: events were missed; refetch the board.
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
