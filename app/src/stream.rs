//! The sprint stream's frames, both directions, defined once: the server writes
//! [`ServerFrame`]s and reads [`ClientFrame`]s, the board the other way round. Every frame is
//! one JSON object in the book's shape (`model`, `id`, `action`, `body`) with the fields its
//! action needs:
//!
//! | action | from | fields |
//! |---|---|---|
//! | `hello` | server, first | `seq` (where the stream starts; resume with `since=<seq>`), `sprint`, `user` |
//! | `add`, `update`, `remove` | server | `model`, `id`, `body`, `version`, `seq` (the change-log entry); a move adds the column's `order` and each task's `versions` |
//! | `presence` | both | server: `users` on the board; board: the question "who is here?" |
//! | `resync` | server | nothing: what was missed is gone from the log, refetch |
//! | `dragstart`, `dragend`, `drop` | both | `model` (`task`), `id`; relayed by the server with the dragger's `user` |

use serde::{
    Deserialize, Deserializer, Serialize,
    de::{self, Visitor},
};

use crate::json::{Json, Read};

/// What a frame says happened. Written and read through its name (`into`, `try_from`): serde's
/// derived enum code matches each name as text, as bytes and as an index, which the bundle
/// pays for; one table of names is smaller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Action {
    Hello,
    Presence,
    Resync,
    Add,
    Update,
    Remove,
    Dragstart,
    Dragend,
    Drop,
}

impl Action {
    /// Every action, in the order of [`Action::NAMES`].
    const ALL: [Action; 9] = [
        Action::Hello,
        Action::Presence,
        Action::Resync,
        Action::Add,
        Action::Update,
        Action::Remove,
        Action::Dragstart,
        Action::Dragend,
        Action::Drop,
    ];
    /// The names on the wire, in declaration order.
    const NAMES: [&'static str; 9] = [
        "hello",
        "presence",
        "resync",
        "add",
        "update",
        "remove",
        "dragstart",
        "dragend",
        "drop",
    ];

    /// The drag gesture this action is, if it is one.
    pub fn gesture(self) -> Option<Gesture> {
        match self {
            Action::Dragstart => Some(Gesture::Dragstart),
            Action::Dragend => Some(Gesture::Dragend),
            Action::Drop => Some(Gesture::Drop),
            _ => None,
        }
    }
}

impl From<Action> for &'static str {
    fn from(action: Action) -> Self {
        Action::NAMES[action as usize]
    }
}

impl TryFrom<String> for Action {
    type Error = &'static str;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        let index = Action::NAMES.iter().position(|known| *known == name);
        index
            .map(|index| Action::ALL[index])
            .ok_or("an unknown action")
    }
}

/// The drag gestures, the only changes a board may send (the server relays them, stamped with
/// the sender; it never takes `add`/`update`/`remove` from a client).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gesture {
    Dragstart,
    Dragend,
    Drop,
}

impl From<Gesture> for Action {
    fn from(gesture: Gesture) -> Self {
        match gesture {
            Gesture::Dragstart => Action::Dragstart,
            Gesture::Dragend => Action::Dragend,
            Gesture::Drop => Action::Drop,
        }
    }
}

/// What a change is about. Users change too, but boards are not told. Labels go to every
/// board; a comment to its task's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Model {
    Task,
    Sprint,
    Label,
    Comment,
}

impl From<Model> for &'static str {
    fn from(model: Model) -> Self {
        match model {
            Model::Task => "task",
            Model::Sprint => "sprint",
            Model::Label => "label",
            Model::Comment => "comment",
        }
    }
}

impl TryFrom<String> for Model {
    type Error = &'static str;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        match name.as_str() {
            "task" => Ok(Model::Task),
            "sprint" => Ok(Model::Sprint),
            "label" => Ok(Model::Label),
            "comment" => Ok(Model::Comment),
            _ => Err("an unknown model"),
        }
    }
}

/// A frame the server sends. `B` is the body's type: the server writes a `serde_json::Value`
/// it already holds, the board reads a [`Json`] tree and reads it as a type once `model` says
/// which.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServerFrame<B> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Model>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i32>,
    pub action: Action,
    /// (A missing `Option` reads as `None` without `default`, which would ask `B: Default`.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<B>,
    /// The object's version (the body holds it too, so boards need not read it here).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// The change-log entry this frame reports (or, in `hello`, where the stream starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// In `hello`, the sprint (for people reading the stream; boards know theirs).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub sprint: Option<i32>,
    /// In `hello`, who the stream is for; in a relayed gesture, who is dragging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<String>>,
    /// A move's column, task ids in their new order; clients renumber the neighbours from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<i32>,
    /// The version of each task in `order` after the move.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<i32>,
}

impl<B> ServerFrame<B> {
    /// A frame with only its action; set the fields it carries on the result.
    pub fn new(action: Action) -> Self {
        ServerFrame {
            action,
            model: None,
            id: None,
            body: None,
            version: None,
            seq: None,
            sprint: None,
            user: None,
            users: None,
            order: Vec::new(),
            versions: Vec::new(),
        }
    }

    /// A gesture relayed to the others on the board, with who is dragging.
    pub fn gesture(gesture: Gesture, task: i32, user: &str) -> Self {
        ServerFrame {
            model: Some(Model::Task),
            id: Some(task),
            user: Some(user.to_owned()),
            ..ServerFrame::new(gesture.into())
        }
    }
}

impl<B: Serialize> ServerFrame<B> {
    /// The frame as the text that travels.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("stream frames serialize")
    }
}

impl<'a> ServerFrame<Json<'a>> {
    /// Reads a text frame, its body left as a tree; `None` for anything that is not one
    /// (malformed JSON, an unknown action or model).
    pub fn read(text: &'a str) -> Option<Self> {
        let Json::Object(mut fields) = Json::parse(text)? else {
            return None;
        };
        let body = fields
            .iter()
            .position(|(name, _)| name == "body")
            .map(|at| fields.swap_remove(at).1)
            .filter(|body| !body.is_null());
        let frame = Json::Object(fields);
        Some(ServerFrame {
            model: frame.field("model")?,
            id: frame.field("id")?,
            action: frame.field("action")?,
            body,
            version: None,
            seq: frame.field("seq")?,
            sprint: None,
            user: frame.field("user")?,
            users: frame.field("users")?,
            order: frame.field("order")?,
            versions: frame.field("versions")?,
        })
    }
}

impl Read for Action {
    fn read(json: &Json) -> Option<Self> {
        let name = json.as_str()?;
        let index = Action::NAMES.iter().position(|known| *known == name)?;
        Some(Action::ALL[index])
    }
}

impl Read for Model {
    fn read(json: &Json) -> Option<Self> {
        Model::try_from(json.as_str()?.to_owned()).ok()
    }
}

/// A frame a board sends: a drag gesture on a task (`model` and `id` set), or `presence`
/// ("who is here?"). Anything else is dropped by the server, which never takes
/// `add`/`update`/`remove` from a client. A type of its own, apart from [`ServerFrame`], so
/// the bundle carries only this small writer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientFrame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Model>,
    /// Numbers on the wire, though a client may send the id as a string (the book's did).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "number_or_text"
    )]
    pub id: Option<i32>,
    pub action: Action,
}

impl ClientFrame {
    /// A drag gesture on `task`.
    pub fn gesture(gesture: Gesture, task: i32) -> Self {
        ClientFrame {
            model: Some(Model::Task),
            id: Some(task),
            action: gesture.into(),
        }
    }

    /// The frame as the text that travels.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("stream frames serialize")
    }

    /// Reads a text frame; `None` for anything that is not one.
    pub fn read(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// `7`, `"7"` or `null`. A visitor rather than an untagged enum: serde's untagged enums
/// buffer the value first, which costs the bundle more than this does.
fn number_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i32>, D::Error> {
    struct Id;
    impl Visitor<'_> for Id {
        type Value = Option<i32>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an id")
        }
        fn visit_i64<E: de::Error>(self, id: i64) -> Result<Self::Value, E> {
            i32::try_from(id).map(Some).map_err(E::custom)
        }
        fn visit_u64<E: de::Error>(self, id: u64) -> Result<Self::Value, E> {
            i32::try_from(id).map(Some).map_err(E::custom)
        }
        fn visit_str<E: de::Error>(self, id: &str) -> Result<Self::Value, E> {
            id.parse().map(Some).map_err(E::custom)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(Id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_only_the_fields_their_action_needs() {
        let mut hello = ServerFrame::<()>::new(Action::Hello);
        hello.seq = Some(41);
        hello.sprint = Some(3);
        hello.user = Some("bob".into());
        assert_eq!(
            hello.to_text(),
            r#"{"action":"hello","seq":41,"sprint":3,"user":"bob"}"#
        );
        assert_eq!(
            ServerFrame::<()>::gesture(Gesture::Drop, 7, "alice").to_text(),
            r#"{"model":"task","id":7,"action":"drop","user":"alice"}"#
        );
        assert_eq!(
            ServerFrame::<()>::new(Action::Resync).to_text(),
            r#"{"action":"resync"}"#
        );
    }

    #[test]
    fn every_action_reads_back_from_its_name() {
        for action in Action::ALL {
            let text = serde_json::to_string(&action).unwrap();
            assert_eq!(
                serde_json::from_str::<Action>(&text).unwrap(),
                action,
                "{text}"
            );
        }
        assert_eq!(
            serde_json::to_string(&Action::Dragstart).unwrap(),
            r#""dragstart""#
        );
    }

    #[test]
    fn ids_are_read_as_numbers_or_numeric_text() {
        for text in [
            r#"{"model":"task","id":7,"action":"dragstart"}"#,
            r#"{"model":"task","id":"7","action":"dragstart"}"#,
        ] {
            let frame = ClientFrame::read(text).expect(text);
            assert_eq!(
                (frame.action, frame.model, frame.id),
                (Action::Dragstart, Some(Model::Task), Some(7))
            );
        }
        for text in [
            r#"{"model":"task","id":"seven","action":"dragstart"}"#,
            r#"{"model":"task","id":7,"action":"explode"}"#,
            r#"{"model":"user","id":7,"action":"update"}"#,
            r#"{"id":7}"#,
            "not json",
        ] {
            assert!(ClientFrame::read(text).is_none(), "{text}");
        }
    }
}
