//! What the sprint's stream says, read into events the board applies: the server's frames
//! ([`crate::stream`]: `hello`, `presence`, `resync`, relayed drags and `add`/`update`/`remove`
//! of tasks and sprints) become [`Event`]s, and anything else is ignored. Kept apart from the
//! socket so the protocol is tested without a browser.

use super::store::Change;
use crate::{
    json::Read,
    model::{Label, Sprint, Task},
    stream::{Action, Model, ServerFrame},
};

/// One frame's meaning for the board.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq)]
pub enum Event {
    /// Sent first: where the change log stood, to resume from after a reconnect.
    Hello { seq: u64 },
    /// Who has the board open.
    Presence(Vec<String>),
    /// Events were missed and cannot be replayed: refetch the board.
    Resync,
    /// Someone else started dragging this task.
    Locked { task: i32, by: String },
    /// Their drag ended.
    Unlocked { task: i32 },
    /// A change of record, with its sequence number (if any) to resume from.
    Change { seq: Option<u64>, change: Change },
}

/// The event a text frame carries, or `None` for one the board has no use for (unknown
/// actions, malformed JSON, a change whose body does not read as its model).
pub fn read(text: &str) -> Option<Event> {
    let frame = ServerFrame::read(text)?;
    let body = frame.body.unwrap_or(crate::json::Json::Null);
    let seq = frame.seq;
    let event = match (frame.action, frame.model) {
        (Action::Hello, _) => Event::Hello {
            seq: seq.unwrap_or(0),
        },
        (Action::Presence, _) => Event::Presence(frame.users.unwrap_or_default()),
        (Action::Resync, _) => Event::Resync,
        (Action::Dragstart, Some(Model::Task)) => Event::Locked {
            task: frame.id?,
            by: frame.user?,
        },
        (Action::Dragend | Action::Drop, Some(Model::Task)) => Event::Unlocked { task: frame.id? },
        (Action::Remove, Some(Model::Task)) => Event::Change {
            seq,
            change: Change::TaskRemoved(frame.id?),
        },
        (Action::Add | Action::Update, Some(Model::Task)) => {
            let task = Task::read(&body)?;
            let change = if !frame.order.is_empty() && frame.order.len() == frame.versions.len() {
                let column = frame.order.into_iter().zip(frame.versions).collect();
                Change::TaskMoved(Box::new(task), column)
            } else {
                Change::Task(task)
            };
            Event::Change { seq, change }
        }
        (Action::Remove, Some(Model::Sprint)) => Event::Change {
            seq,
            change: Change::SprintRemoved,
        },
        (Action::Add | Action::Update, Some(Model::Sprint)) => Event::Change {
            seq,
            change: Change::Sprint(Sprint::read(&body)?),
        },
        (Action::Add | Action::Update, Some(Model::Label)) => Event::Change {
            seq,
            change: Change::Label(Label::read(&body)?),
        },
        (Action::Remove, Some(Model::Label)) => Event::Change {
            seq,
            change: Change::LabelRemoved(frame.id?),
        },
        // The body is the comment, whichever the action: it names the task.
        (action, Some(Model::Comment)) => Event::Change {
            seq,
            change: Change::Comment {
                task: body.field("task")?,
                delta: match action {
                    Action::Add => 1,
                    Action::Remove => -1,
                    _ => 0,
                },
            },
        },
        _ => return None,
    };
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskStatus;

    const TASK: &str = r#"{"id":7,"name":"Write \"docs\"","description":"","sprint":3,"status":2,
        "status_display":"In Progress","order":1,"assigned":"alice","started":"2026-11-20",
        "due":null,"completed":null,"labels":[2],"comment_count":1,"links":{"self":"/api/tasks/7",
        "sprint":"/api/sprints/3","assigned":"/api/users/alice","comments":"/api/tasks/7/comments","project":"/api/projects/1"},
        "version":4,"project":1}"#;

    #[test]
    fn stream_bookkeeping_frames_are_read() {
        assert_eq!(
            read(r#"{"action":"hello","seq":41,"sprint":3,"user":"bob"}"#),
            Some(Event::Hello { seq: 41 })
        );
        assert_eq!(
            read(r#"{"action":"presence","users":["alice","bob"]}"#),
            Some(Event::Presence(vec!["alice".into(), "bob".into()]))
        );
        assert_eq!(read(r#"{"action":"resync"}"#), Some(Event::Resync));
    }

    #[test]
    fn relayed_drags_lock_and_unlock_cards() {
        assert_eq!(
            read(r#"{"model":"task","id":7,"action":"dragstart","user":"alice"}"#),
            Some(Event::Locked {
                task: 7,
                by: "alice".into()
            })
        );
        for action in ["dragend", "drop"] {
            assert_eq!(
                read(&format!(
                    r#"{{"model":"task","id":7,"action":"{action}","user":"a"}}"#
                )),
                Some(Event::Unlocked { task: 7 })
            );
        }
        // A drag without its dragger cannot be shown as anyone's lock.
        assert_eq!(
            read(r#"{"model":"task","id":7,"action":"dragstart"}"#),
            None
        );
    }

    #[test]
    fn changes_carry_the_model_they_name() {
        let Some(Event::Change {
            seq: Some(42),
            change: Change::Task(task),
        }) = read(&format!(
            r#"{{"model":"task","id":7,"action":"update","body":{TASK},"version":4,"seq":42}}"#
        ))
        else {
            panic!("a task update is a task change");
        };
        assert_eq!(task.name, r#"Write "docs""#);
        let Some(Event::Change {
            change: Change::TaskMoved(_, column),
            ..
        }) = read(&format!(
            r#"{{"model":"task","id":7,"action":"update","body":{TASK},"version":4,"seq":45,
                "order":[9,7,3],"versions":[2,4,6]}}"#
        ))
        else {
            panic!("a move carries its column");
        };
        assert_eq!(column, vec![(9, 2), (7, 4), (3, 6)]);
        assert_eq!(task.status, TaskStatus::InProgress);
        assert_eq!(task.version, 4);
        assert_eq!(
            read(&format!(
                r#"{{"model":"task","id":7,"action":"remove","body":{TASK},"seq":43}}"#
            )),
            Some(Event::Change {
                seq: Some(43),
                change: Change::TaskRemoved(7)
            })
        );
        assert_eq!(
            read(r#"{"model":"sprint","id":3,"action":"remove","body":{"id":3},"seq":44}"#),
            Some(Event::Change {
                seq: Some(44),
                change: Change::SprintRemoved
            })
        );
    }

    #[test]
    fn frames_the_board_cannot_use_are_ignored() {
        for text in [
            "not json",
            r#"{"model":"task","id":7}"#,
            r#"{"action":"explode"}"#,
            // A task change whose body is not a task (here: a sprint's shape).
            r#"{"model":"task","id":7,"action":"update","body":{"id":7,"name":"x"}}"#,
            r#"{"model":"task","action":"remove"}"#,
        ] {
            assert_eq!(read(text), None, "{text}");
        }
    }

    #[test]
    fn label_and_comment_frames_are_read() {
        let label = r#"{"id":2,"name":"Bug","colour":"red","links":{"self":"/api/labels/2"},"version":3,"project":1}"#;
        let Some(Event::Change {
            change: Change::Label(read_label),
            ..
        }) = read(&format!(
            r#"{{"model":"label","id":2,"action":"update","body":{label},"seq":9}}"#
        ))
        else {
            panic!("a label update is a label change");
        };
        assert_eq!((read_label.name.as_str(), read_label.version), ("Bug", 3));
        assert_eq!(
            read(&format!(
                r#"{{"model":"label","id":2,"action":"remove","body":{label},"seq":10}}"#
            )),
            Some(Event::Change {
                seq: Some(10),
                change: Change::LabelRemoved(2)
            })
        );
        let comment = r#"{"id":5,"task":7,"author":"bob","body":"Hi","html":"<p>Hi</p>",
            "mentions":[],"created":"2026-12-06T08:00:00Z","edited":null,
            "links":{"self":"/api/comments/5","task":"/api/tasks/7","author":"/api/users/bob"},"version":1}"#;
        for (action, delta) in [("add", 1), ("update", 0), ("remove", -1)] {
            assert_eq!(
                read(&format!(
                    r#"{{"model":"comment","id":5,"action":"{action}","body":{comment},"seq":11}}"#
                )),
                Some(Event::Change {
                    seq: Some(11),
                    change: Change::Comment { task: 7, delta }
                }),
                "{action}"
            );
        }
    }
}
