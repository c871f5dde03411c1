//! The in-process hub: one room per sprint with a board open on this instance. A room keeps a
//! per-sprint sequence, the last few change frames (for resume), the members (for presence)
//! and a broadcast channel to every connection.
//!
//! Rooms are created on first join and dropped on last leave. Each room's `epoch` is random,
//! so a sequence number from an earlier room (or another instance) is never mistaken for one of
//! this room: the client gets `resync` instead of a wrong replay.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::{broadcast, mpsc};

use super::events::{
    BusMessage, Change, ChangeFrame, Gesture, GestureFrame, PresenceFrame, RESYNC_FRAME, Topic,
};

/// Other instances refresh their presence this often; a list not refreshed for
/// `PRESENCE_STALE_AFTER` belongs to an instance that is gone.
pub const PRESENCE_REFRESH: Duration = Duration::from_secs(30);
pub const PRESENCE_STALE_AFTER: Duration = Duration::from_secs(75);
/// Gestures and presence waiting to be sent to other instances.
const UPLINK_CAPACITY: usize = 1024;

pub type ConnId = u64;

/// Frames a room's connections may fall behind by before they get `resync`.
pub const CHANNEL_CAPACITY: usize = 256;
/// Change frames a room keeps for clients that reconnect.
pub const REPLAY_CAPACITY: usize = 256;

/// One frame on a room's channel.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// Set on change frames (they are sequenced and replayable); `None` on relays/presence.
    pub seq: Option<u64>,
    /// The connection that must not receive it (the sender of a relayed gesture).
    pub skip: Option<ConnId>,
    pub text: Arc<str>,
}

struct Room {
    epoch: Arc<str>,
    last_seq: u64,
    recent: VecDeque<(u64, Arc<str>)>,
    tx: broadcast::Sender<Outgoing>,
    members: HashMap<ConnId, String>,
    /// People on this sprint through other instances, by instance, with when we heard.
    remote: HashMap<String, (Vec<String>, Instant)>,
}

impl Room {
    fn new() -> Self {
        Self {
            epoch: crate::domain::accounts::secrets::random_hex(8).into(),
            last_seq: 0,
            recent: VecDeque::new(),
            tx: broadcast::channel(CHANNEL_CAPACITY).0,
            members: HashMap::new(),
            remote: HashMap::new(),
        }
    }

    fn local_users(&self) -> Vec<String> {
        let mut users: Vec<String> = self.members.values().cloned().collect();
        users.sort();
        users.dedup();
        users
    }

    fn presence(&self) -> Arc<str> {
        let mut users = self.local_users();
        users.extend(
            self.remote
                .values()
                .filter(|(_, heard)| heard.elapsed() < PRESENCE_STALE_AFTER)
                .flat_map(|(names, _)| names.iter().cloned()),
        );
        users.sort();
        users.dedup();
        serde_json::to_string(&PresenceFrame {
            action: "presence",
            users: &users,
        })
        .expect("presence serializes")
        .into()
    }

    /// Sends a gesture to the room's connections, except `skip` (its sender, when local).
    fn send_gesture(&self, skip: Option<ConnId>, task: i32, gesture: Gesture, user: &str) {
        let text = serde_json::to_string(&GestureFrame {
            model: "task",
            id: task,
            action: gesture,
            user,
        })
        .expect("gesture frames serialize");
        let _ = self.tx.send(Outgoing {
            seq: None,
            skip,
            text: text.into(),
        });
    }

    fn announce_presence(&self) {
        let _ = self.tx.send(Outgoing {
            seq: None,
            skip: None,
            text: self.presence(),
        });
    }
}

/// What a reconnecting client gets before live frames.
#[derive(Debug)]
pub enum Replay {
    /// The change frames it missed (possibly none).
    Frames(Vec<Arc<str>>),
    /// Too much was missed (or the room is new): refetch.
    Resync,
}

pub struct Subscription {
    pub conn: ConnId,
    pub rx: broadcast::Receiver<Outgoing>,
    pub epoch: Arc<str>,
    pub seq: u64,
    pub replay: Replay,
}

#[derive(Clone)]
pub struct Hub {
    rooms: Arc<Mutex<HashMap<i32, Room>>>,
    next_conn: Arc<AtomicU64>,
    /// This instance's name on the bus.
    instance: Arc<str>,
    /// Where gestures and presence go to reach other instances (set by the PostgreSQL bus).
    uplink: Arc<OnceLock<mpsc::Sender<BusMessage>>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            rooms: Arc::default(),
            next_conn: Arc::default(),
            instance: crate::domain::accounts::secrets::random_hex(8).into(),
            uplink: Arc::default(),
        }
    }
}

impl Hub {
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Connects the hub to other instances: the returned receiver yields what they must hear.
    pub fn open_uplink(&self) -> mpsc::Receiver<BusMessage> {
        let (tx, rx) = mpsc::channel(UPLINK_CAPACITY);
        let _ = self.uplink.set(tx);
        rx
    }

    /// Queues a message for the other instances; when the bus cannot keep up, ephemeral
    /// messages are dropped rather than buffered without bound.
    fn send_up(&self, message: BusMessage) {
        if let Some(uplink) = self.uplink.get()
            && uplink.try_send(message).is_err()
        {
            tracing::warn!("event bus uplink full: dropped a gesture or presence message");
        }
    }

    fn local_presence_message(&self, sprint: i32, room: Option<&Room>) -> BusMessage {
        BusMessage::Presence {
            instance: self.instance.to_string(),
            sprint,
            users: room.map(Room::local_users).unwrap_or_default(),
        }
    }
    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Room>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Joins `sprint` as `username`. `resume` is the `(epoch, seq)` the client last saw.
    pub fn join(&self, sprint: i32, username: &str, resume: Option<(&str, u64)>) -> Subscription {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut rooms = self.rooms();
        if !rooms.contains_key(&sprint) {
            // A new board here: ask the other instances who is already on this sprint.
            self.send_up(BusMessage::PresenceQuery {
                instance: self.instance.to_string(),
                sprint,
            });
        }
        let room = rooms.entry(sprint).or_insert_with(Room::new);
        // Subscribing and snapshotting under one lock: nothing falls between replay and live.
        let rx = room.tx.subscribe();
        let replay = match resume {
            None => Replay::Frames(Vec::new()),
            Some((epoch, since)) if epoch == &*room.epoch && since <= room.last_seq => {
                let oldest_kept = room
                    .recent
                    .front()
                    .map_or(room.last_seq + 1, |(seq, _)| *seq);
                if since + 1 >= oldest_kept {
                    Replay::Frames(
                        room.recent
                            .iter()
                            .filter(|(seq, _)| *seq > since)
                            .map(|(_, text)| text.clone())
                            .collect(),
                    )
                } else {
                    Replay::Resync
                }
            }
            Some(_) => Replay::Resync,
        };
        room.members.insert(conn, username.to_owned());
        room.announce_presence();
        self.send_up(self.local_presence_message(sprint, Some(room)));
        Subscription {
            conn,
            rx,
            epoch: room.epoch.clone(),
            seq: room.last_seq,
            replay,
        }
    }

    pub fn leave(&self, sprint: i32, conn: ConnId) {
        let mut rooms = self.rooms();
        if let Some(room) = rooms.get_mut(&sprint) {
            room.members.remove(&conn);
            if room.members.is_empty() {
                rooms.remove(&sprint);
                self.send_up(self.local_presence_message(sprint, None));
            } else {
                room.announce_presence();
                self.send_up(self.local_presence_message(sprint, Some(room)));
            }
        }
    }

    /// The current presence frame of `sprint`.
    pub fn presence(&self, sprint: i32) -> Option<Arc<str>> {
        self.rooms().get(&sprint).map(Room::presence)
    }

    /// Delivers a committed change to every room among its topics (each room once).
    pub fn dispatch(&self, change: &Change) {
        let mut rooms = self.rooms();
        let mut targets: Vec<i32> = Vec::new();
        for topic in &change.topics {
            match topic {
                Topic::Sprint(id) => targets.push(*id),
                Topic::Backlog => targets.extend(rooms.keys().copied()),
            }
        }
        targets.sort_unstable();
        targets.dedup();
        for sprint in targets {
            let Some(room) = rooms.get_mut(&sprint) else {
                continue;
            };
            room.last_seq += 1;
            let seq = room.last_seq;
            let text: Arc<str> = serde_json::to_string(&ChangeFrame {
                model: change.model,
                id: change.id,
                action: change.action,
                body: &change.body,
                version: change.version,
                seq,
            })
            .expect("change frames serialize")
            .into();
            room.recent.push_back((seq, text.clone()));
            if room.recent.len() > REPLAY_CAPACITY {
                room.recent.pop_front();
            }
            let _ = room.tx.send(Outgoing {
                seq: Some(seq),
                skip: None,
                text,
            });
        }
    }

    /// Relays a gesture to the other members of `sprint`, stamped with the sender's name.
    pub fn relay(&self, sprint: i32, from: ConnId, username: &str, task: i32, gesture: Gesture) {
        let rooms = self.rooms();
        if let Some(room) = rooms.get(&sprint) {
            room.send_gesture(Some(from), task, gesture, username);
        }
        self.send_up(BusMessage::Gesture {
            instance: self.instance.to_string(),
            sprint,
            task,
            gesture,
            user: username.to_owned(),
        });
    }

    /// Applies what another instance said about gestures and presence.
    pub fn apply_remote(&self, message: &BusMessage) {
        let mut rooms = self.rooms();
        match message {
            BusMessage::Change(_) => {}
            BusMessage::Gesture {
                instance,
                sprint,
                task,
                gesture,
                user,
            } if **instance != *self.instance => {
                if let Some(room) = rooms.get(sprint) {
                    room.send_gesture(None, *task, *gesture, user);
                }
            }
            BusMessage::Presence {
                instance,
                sprint,
                users,
            } if **instance != *self.instance => {
                if let Some(room) = rooms.get_mut(sprint) {
                    let before = room.presence();
                    if users.is_empty() {
                        room.remote.remove(instance);
                    } else {
                        room.remote
                            .insert(instance.clone(), (users.clone(), Instant::now()));
                    }
                    if room.presence() != before {
                        room.announce_presence();
                    }
                }
            }
            BusMessage::PresenceQuery { instance, sprint } if **instance != *self.instance => {
                if let Some(room) = rooms.get(sprint) {
                    self.send_up(self.local_presence_message(*sprint, Some(room)));
                }
            }
            // Our own gestures and presence, back from the bus: already delivered here.
            _ => {}
        }
    }

    /// Re-announces this instance's presence on every open board (so others keep trusting
    /// it) and forgets lists from instances that stopped refreshing theirs.
    pub fn refresh_presence(&self) {
        let mut rooms = self.rooms();
        for (sprint, room) in rooms.iter_mut() {
            self.send_up(self.local_presence_message(*sprint, Some(room)));
            let before = room.presence();
            room.remote
                .retain(|_, (_, heard)| heard.elapsed() < PRESENCE_STALE_AFTER);
            if room.presence() != before {
                room.announce_presence();
            }
        }
    }

    /// After a gap in delivery (the event bus reconnected), every board must refetch.
    pub fn resync_all(&self) {
        for room in self.rooms().values_mut() {
            // A new epoch: no sequence from before the gap can be resumed.
            room.epoch = crate::domain::accounts::secrets::random_hex(8).into();
            room.recent.clear();
            let _ = room.tx.send(Outgoing {
                seq: None,
                skip: None,
                text: RESYNC_FRAME.into(),
            });
        }
    }

    /// Connections currently joined, across rooms (for metrics and tests).
    pub fn connection_count(&self) -> usize {
        self.rooms().values().map(|room| room.members.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::events::{Action, Model};

    fn change(id: i32, topics: Vec<Topic>) -> Change {
        Change {
            model: Model::Task,
            id,
            action: Action::Update,
            body: serde_json::json!({"id": id}),
            version: 1,
            topics,
        }
    }

    fn drain(rx: &mut broadcast::Receiver<Outgoing>) -> Vec<Outgoing> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    #[test]
    fn changes_reach_only_their_sprint_and_backlog_reaches_all() {
        let hub = Hub::default();
        let mut one = hub.join(1, "alice", None);
        let mut two = hub.join(2, "bob", None);
        drain(&mut one.rx);
        drain(&mut two.rx);
        hub.dispatch(&change(10, vec![Topic::Sprint(1)]));
        hub.dispatch(&change(11, vec![Topic::Backlog]));
        let ones: Vec<_> = drain(&mut one.rx)
            .into_iter()
            .filter_map(|o| o.seq)
            .collect();
        let twos: Vec<_> = drain(&mut two.rx)
            .into_iter()
            .filter_map(|o| o.seq)
            .collect();
        assert_eq!(ones, vec![1, 2]);
        assert_eq!(twos, vec![1], "sprint 2 sees only the backlog change");
    }

    #[test]
    fn resume_replays_what_was_missed_or_asks_for_resync() {
        let hub = Hub::default();
        let first = hub.join(1, "alice", None);
        for id in 0..3 {
            hub.dispatch(&change(id, vec![Topic::Sprint(1)]));
        }
        let epoch = first.epoch.to_string();
        let again = hub.join(1, "alice", Some((&epoch, 1)));
        match again.replay {
            Replay::Frames(frames) => {
                assert_eq!(frames.len(), 2);
                assert!(frames[0].contains(r#""seq":2"#));
            }
            Replay::Resync => panic!("should replay"),
        }
        assert!(matches!(
            hub.join(1, "alice", Some(("other-epoch", 1))).replay,
            Replay::Resync
        ));
        for id in 0..(REPLAY_CAPACITY as i32 + 5) {
            hub.dispatch(&change(id, vec![Topic::Sprint(1)]));
        }
        assert!(matches!(
            hub.join(1, "alice", Some((&epoch, 1))).replay,
            Replay::Resync
        ));
    }

    #[test]
    fn presence_lists_usernames_and_rooms_close_when_empty() {
        let hub = Hub::default();
        let a = hub.join(1, "alice", None);
        let b = hub.join(1, "bob", None);
        let _a2 = hub.join(1, "alice", None);
        assert_eq!(
            hub.presence(1).as_deref(),
            Some(r#"{"action":"presence","users":["alice","bob"]}"#)
        );
        hub.leave(1, b.conn);
        assert_eq!(
            hub.presence(1).as_deref(),
            Some(r#"{"action":"presence","users":["alice"]}"#)
        );
        hub.leave(1, a.conn);
        hub.leave(1, _a2.conn);
        assert!(hub.presence(1).is_none());
    }
}
