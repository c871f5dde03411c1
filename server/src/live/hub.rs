//! The in-process hub: one room per sprint with a board open on this instance. A room keeps
//! the members (for presence) and a broadcast channel to every connection. Change-log entries
//! arrive here in log order (see `bus`); the hub remembers the last one it delivered, which is
//! where a joining connection's catch-up from the log ends and its live frames begin.
//!
//! Rooms are created on first join and dropped on last leave.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::{broadcast, mpsc};

use app::stream::Gesture;

use super::events::{BusMessage, change_frame, gesture_frame, presence_frame};
use crate::domain::log::{Action, Entry, Model};

/// Other instances refresh their presence this often; a list not refreshed for
/// `PRESENCE_STALE_AFTER` belongs to an instance that is gone.
pub const PRESENCE_REFRESH: Duration = Duration::from_secs(30);
pub const PRESENCE_STALE_AFTER: Duration = Duration::from_secs(75);
/// Gestures and presence waiting to be sent to other instances.
const UPLINK_CAPACITY: usize = 1024;

pub type ConnId = u64;

/// Account changes a listener may fall behind by (they are rare; one that lags re-checks
/// everything it holds).
const ACCOUNT_CHANGES_CAPACITY: usize = 64;

/// Frames a room's connections may fall behind by before they are sent `resync`.
pub const CHANNEL_CAPACITY: usize = 256;

/// One frame on a room's channel.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// The log id of a change frame; `None` on relays and presence.
    pub seq: Option<i64>,
    /// The connection that must not receive it (the sender of a relayed gesture).
    pub skip: Option<ConnId>,
    /// Not a frame for the client but a word to the connections of this account: its standing
    /// changed (deactivated, a password set), so they check at once whether they may stay.
    pub account: Option<i32>,
    pub text: Arc<str>,
}

struct Room {
    /// The sprint's project: its backlog's changes reach this room.
    project: i32,
    tx: broadcast::Sender<Outgoing>,
    members: HashMap<ConnId, String>,
    /// People on this sprint through other instances, by instance, with when we heard.
    remote: HashMap<String, (Vec<String>, Instant)>,
}

impl Room {
    fn new(project: i32) -> Self {
        Self {
            project,
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
        presence_frame(users).into()
    }

    /// Sends a gesture to the room's connections, except `skip` (its sender, when local).
    fn send_gesture(&self, skip: Option<ConnId>, task: i32, gesture: Gesture, user: &str) {
        let text = gesture_frame(task, gesture, user);
        let _ = self.tx.send(Outgoing {
            seq: None,
            skip,
            account: None,
            text: text.into(),
        });
    }

    fn announce_presence(&self) {
        let _ = self.tx.send(Outgoing {
            seq: None,
            skip: None,
            account: None,
            text: self.presence(),
        });
    }
}

pub struct Subscription {
    pub conn: ConnId,
    pub rx: broadcast::Receiver<Outgoing>,
    /// The last log entry delivered before `rx` began: a resuming client catches up from the
    /// log through this one, then takes live frames after it.
    pub delivered: i64,
}

struct Rooms {
    by_sprint: HashMap<i32, Room>,
    /// The last change-log entry dispatched.
    delivered: i64,
}

#[derive(Clone)]
pub struct Hub {
    rooms: Arc<Mutex<Rooms>>,
    next_conn: Arc<AtomicU64>,
    /// This instance's name on the bus.
    instance: Arc<str>,
    /// Where gestures and presence go to reach other instances (set by the PostgreSQL bus).
    uplink: Arc<OnceLock<mpsc::Sender<BusMessage>>>,
    /// The ids of accounts whose standing changed (deactivated, a password set): their
    /// streams check at once whether they may stay open, and cached credentials are dropped.
    accounts: broadcast::Sender<i32>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            rooms: Arc::new(Mutex::new(Rooms {
                by_sprint: HashMap::new(),
                delivered: 0,
            })),
            next_conn: Arc::default(),
            instance: crate::domain::accounts::secrets::random_hex(8).into(),
            uplink: Arc::default(),
            accounts: broadcast::channel(ACCOUNT_CHANGES_CAPACITY).0,
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
    fn lock(&self) -> std::sync::MutexGuard<'_, Rooms> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last change-log entry dispatched (where the next catch-up starts).
    pub fn delivered(&self) -> i64 {
        self.lock().delivered
    }

    /// Starts delivery after `id` (the log's head when the server starts: older entries are
    /// history, not news).
    pub fn deliver_after(&self, id: i64) {
        let mut rooms = self.lock();
        rooms.delivered = rooms.delivered.max(id);
    }

    /// Marks everything up to `head` delivered when no board is open here and nobody listens
    /// for account changes, without reading it: there is nobody to deliver to, and a board
    /// that opens later catches up from the log itself. Returns whether it did (under the lock
    /// a joining board takes, so no entry is skipped for a board that joins meanwhile).
    pub fn skip_if_idle(&self, head: i64) -> bool {
        let mut rooms = self.lock();
        let idle = rooms.by_sprint.is_empty() && self.accounts.receiver_count() == 0;
        if idle {
            rooms.delivered = rooms.delivered.max(head);
        }
        idle
    }

    /// Joins `sprint` (of `project`) as `username`.
    pub fn join(&self, sprint: i32, project: i32, username: &str) -> Subscription {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut guard = self.lock();
        let delivered = guard.delivered;
        let rooms = &mut guard.by_sprint;
        if !rooms.contains_key(&sprint) {
            // A new board here: ask the other instances who is already on this sprint.
            self.send_up(BusMessage::PresenceQuery {
                instance: self.instance.to_string(),
                sprint,
            });
        }
        let room = rooms.entry(sprint).or_insert_with(|| Room::new(project));
        // Subscribing and reading `delivered` under one lock: every entry is either at or
        // below `delivered` (in the log) or arrives on `rx`.
        let rx = room.tx.subscribe();
        room.members.insert(conn, username.to_owned());
        room.announce_presence();
        self.send_up(self.local_presence_message(sprint, Some(room)));
        Subscription {
            conn,
            rx,
            delivered,
        }
    }

    pub fn leave(&self, sprint: i32, conn: ConnId) {
        let mut guard = self.lock();
        let rooms = &mut guard.by_sprint;
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
        self.lock().by_sprint.get(&sprint).map(Room::presence)
    }

    /// Hears of every account whose standing changes from now on (see [`Hub::dispatch`]; the
    /// token cache listens here, streams on their rooms' channels).
    pub fn account_changes(&self) -> broadcast::Receiver<i32> {
        self.accounts.subscribe()
    }

    /// Delivers a change-log entry to the rooms of the sprints it touches (every room of its
    /// project, when it touches the backlog). Entries must come in log order; one already
    /// delivered is skipped. A change to an account is also told to [`Hub::account_changes`];
    /// a change to a membership, to that person's connections in the project's rooms.
    pub fn dispatch(&self, entry: &Entry) {
        let mut guard = self.lock();
        if entry.id <= guard.delivered {
            return;
        }
        guard.delivered = entry.id;
        let standing_changed = match entry.model {
            Model::User if entry.action == Action::Update => {
                let _ = self.accounts.send(entry.object);
                entry.body.get("username").map(|name| (name, None))
            }
            Model::Member => entry.body.get("user").map(|name| (name, entry.project)),
            _ => None,
        };
        if let Some((username, project)) = standing_changed {
            // On the rooms' own channels, to the rooms the person is in (of the project, for
            // a membership): no connection pays for a second channel, and no other room hears
            // of it.
            let username = username.as_str();
            for room in guard.by_sprint.values() {
                let in_project = project.is_none_or(|project| project == room.project);
                if in_project
                    && username
                        .is_some_and(|name| room.members.values().any(|member| member == name))
                {
                    let _ = room.tx.send(Outgoing {
                        seq: None,
                        skip: None,
                        account: Some(entry.object),
                        text: Arc::from(""),
                    });
                }
            }
        }
        let Some(text) = change_frame(entry) else {
            return;
        };
        let text: Arc<str> = text.into();
        for (sprint, room) in &guard.by_sprint {
            let on_backlog = entry.backlog && entry.project == Some(room.project);
            if on_backlog || entry.sprints.contains(sprint) {
                let _ = room.tx.send(Outgoing {
                    seq: Some(entry.id),
                    skip: None,
                    account: None,
                    text: text.clone(),
                });
            }
        }
    }

    /// Relays a gesture to the other members of `sprint`, stamped with the sender's name.
    pub fn relay(&self, sprint: i32, from: ConnId, username: &str, task: i32, gesture: Gesture) {
        if let Some(room) = self.lock().by_sprint.get(&sprint) {
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
        let mut guard = self.lock();
        let rooms = &mut guard.by_sprint;
        match message {
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
        for (sprint, room) in self.lock().by_sprint.iter_mut() {
            self.send_up(self.local_presence_message(*sprint, Some(room)));
            let before = room.presence();
            room.remote
                .retain(|_, (_, heard)| heard.elapsed() < PRESENCE_STALE_AFTER);
            if room.presence() != before {
                room.announce_presence();
            }
        }
    }

    /// Connections currently joined, across rooms (for metrics and tests).
    pub fn connection_count(&self) -> usize {
        self.lock()
            .by_sprint
            .values()
            .map(|room| room.members.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::log::{Action, Actor, Model};

    fn entry(id: i64, sprints: Vec<i32>, backlog: bool) -> Entry {
        Entry {
            id,
            at: chrono::Utc::now(),
            actor: Actor::command_line(),
            model: Model::Task,
            object: 7,
            action: Action::Update,
            changes: Default::default(),
            body: serde_json::json!({"id": 7}),
            version: 1,
            sprints,
            backlog,
            column: None,
            project: Some(1),
        }
    }

    fn drain(rx: &mut broadcast::Receiver<Outgoing>) -> Vec<Outgoing> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    fn seqs(rx: &mut broadcast::Receiver<Outgoing>) -> Vec<i64> {
        drain(rx).into_iter().filter_map(|o| o.seq).collect()
    }

    #[test]
    fn changes_reach_only_their_sprint_and_backlog_reaches_all() {
        let hub = Hub::default();
        let mut one = hub.join(1, 1, "alice");
        let mut two = hub.join(2, 1, "bob");
        drain(&mut one.rx);
        drain(&mut two.rx);
        hub.dispatch(&entry(10, vec![1], false));
        hub.dispatch(&entry(11, vec![], true));
        // A task leaving sprint 1 for sprint 2: both boards hear of it.
        hub.dispatch(&entry(12, vec![1, 2], false));
        assert_eq!(seqs(&mut one.rx), vec![10, 11, 12]);
        assert_eq!(seqs(&mut two.rx), vec![11, 12]);
    }

    #[test]
    fn a_backlog_change_reaches_only_its_own_projects_boards() {
        let hub = Hub::default();
        let mut ours = hub.join(1, 1, "alice");
        let mut theirs = hub.join(2, 2, "bob");
        drain(&mut ours.rx);
        drain(&mut theirs.rx);
        hub.dispatch(&entry(10, vec![], true));
        assert_eq!(seqs(&mut ours.rx), vec![10]);
        assert_eq!(seqs(&mut theirs.rx), Vec::<i64>::new());
    }

    #[test]
    fn a_membership_change_wakes_that_persons_connections_in_the_project() {
        let hub = Hub::default();
        let mut alice = hub.join(1, 1, "alice");
        let mut elsewhere = hub.join(2, 2, "alice");
        drain(&mut alice.rx);
        drain(&mut elsewhere.rx);
        let mut removed = entry(10, vec![], false);
        removed.model = Model::Member;
        removed.object = 42;
        removed.action = Action::Delete;
        removed.body = serde_json::json!({"user": "alice", "role": "member"});
        hub.dispatch(&removed);
        let woken: Vec<Option<i32>> = drain(&mut alice.rx)
            .into_iter()
            .map(|o| o.account)
            .collect();
        assert_eq!(woken, vec![Some(42)]);
        assert!(
            drain(&mut elsewhere.rx).is_empty(),
            "another project's room"
        );
    }

    #[test]
    fn entries_are_delivered_once_in_log_order() {
        let hub = Hub::default();
        hub.deliver_after(5);
        let mut one = hub.join(1, 1, "alice");
        assert_eq!(one.delivered, 5);
        hub.dispatch(&entry(5, vec![1], false));
        hub.dispatch(&entry(6, vec![1], false));
        hub.dispatch(&entry(6, vec![1], false));
        assert_eq!(
            seqs(&mut one.rx),
            vec![6],
            "5 was before the start, 6 came twice"
        );
        assert_eq!(hub.delivered(), 6);
        assert_eq!(hub.join(1, 1, "bob").delivered, 6);
    }

    #[test]
    fn an_idle_hub_skips_ahead_and_a_busy_one_waits_for_the_entries() {
        let hub = Hub::default();
        hub.deliver_after(5);
        assert!(hub.skip_if_idle(9), "no board open: nothing to read");
        let mut one = hub.join(1, 1, "alice");
        assert_eq!(one.delivered, 9, "a board opening now catches up from 9");
        assert!(
            !hub.skip_if_idle(12),
            "a board is open: the entries must be read"
        );
        assert_eq!(hub.delivered(), 9);
        hub.dispatch(&entry(10, vec![1], false));
        assert_eq!(seqs(&mut one.rx), vec![10]);
    }

    #[test]
    fn presence_lists_usernames_and_rooms_close_when_empty() {
        let hub = Hub::default();
        let a = hub.join(1, 1, "alice");
        let b = hub.join(1, 1, "bob");
        let a2 = hub.join(1, 1, "alice");
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
        hub.leave(1, a2.conn);
        assert!(hub.presence(1).is_none());
    }
}
