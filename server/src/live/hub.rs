//! The in-process hub: one room per sprint with a board open on this instance. A room keeps
//! the members (for presence) and its writers: a task per runtime thread, each writing the
//! room's frames to its share of the connections' sockets (see `outlet`). Change-log entries
//! arrive here in log order (see `bus`); the hub remembers the last one it delivered, which is
//! where a joining connection's catch-up from the log ends and its live frames begin.
//!
//! Rooms are created on first join and dropped on last leave.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::{broadcast, mpsc};

use app::stream::Gesture;

use super::events::{BusMessage, change_frame, gesture_frame, presence_frame};
pub use super::outlet::ConnId;
use super::outlet::{Outgoing, Outlet, Sink};
use crate::domain::log::{Action, Entry, Model};

/// Other instances refresh their presence this often; a list not refreshed for
/// `PRESENCE_STALE_AFTER` belongs to an instance that is gone.
pub const PRESENCE_REFRESH: Duration = Duration::from_secs(30);
pub const PRESENCE_STALE_AFTER: Duration = Duration::from_secs(75);
/// Gestures and presence waiting to be sent to other instances.
const UPLINK_CAPACITY: usize = 1024;

/// Account changes a listener may fall behind by (they are rare; one that lags re-checks
/// everything it holds).
const ACCOUNT_CHANGES_CAPACITY: usize = 64;

/// What a room's writer is told, in the order the hub tells it.
#[derive(Clone)]
enum ToWriter {
    Join(Arc<Outlet>),
    Leave(ConnId),
    Frame(Outgoing),
    /// A word to the connections of this account: its standing changed (deactivated, a
    /// password set, a membership), so they check at once whether they may stay.
    Account(i32),
}

/// One of a room's writers: it offers every frame to each of its connections' outlets in turn,
/// which write it straight to the socket when the socket takes it (nearly always), so a change
/// costs one `write` per connection and wakes no connection's task. It runs outside tokio's
/// cooperative budget, which would otherwise cut a room of 1,000 short after a hundred or so
/// writes and hand the rest to the connections' tasks.
async fn write_room(mut commands: mpsc::UnboundedReceiver<ToWriter>, pending: Arc<AtomicUsize>) {
    let mut outlets: Vec<Arc<Outlet>> = Vec::new();
    let mut batch = Vec::new();
    while commands.recv_many(&mut batch, 64).await > 0 {
        pending.fetch_sub(batch.len(), Ordering::Relaxed);
        for command in batch.drain(..) {
            match command {
                ToWriter::Join(outlet) => outlets.push(outlet),
                ToWriter::Leave(conn) => outlets.retain(|outlet| outlet.conn != conn),
                ToWriter::Frame(frame) => {
                    for outlet in &outlets {
                        outlet.offer(&frame);
                    }
                }
                ToWriter::Account(user) => {
                    for outlet in outlets.iter().filter(|outlet| outlet.user == user) {
                        outlet.account_changed();
                    }
                }
            }
        }
        // Outside the cooperative budget, a writer that always has work would never let its
        // thread's other tasks (and the I/O driver) run: it steps aside between batches.
        tokio::task::yield_now().await;
    }
}

/// Commands a writer may have waiting before gestures and presence for its room are dropped
/// (they are ephemeral; changes never are): a storm of them cannot grow memory without bound.
const EPHEMERAL_BACKLOG: usize = 256;

/// The hub's end of one of a room's writers.
struct Writer {
    commands: mpsc::UnboundedSender<ToWriter>,
    /// Commands sent and not yet taken.
    pending: Arc<AtomicUsize>,
}

impl Writer {
    fn spawn() -> Self {
        let (commands, receiver) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        tokio::spawn(tokio::task::unconstrained(write_room(
            receiver,
            pending.clone(),
        )));
        Self { commands, pending }
    }

    fn send(&self, command: ToWriter) {
        self.pending.fetch_add(1, Ordering::Relaxed);
        // The writer ends only when the room is dropped.
        let _ = self.commands.send(command);
    }
}

struct Room {
    /// The sprint's project: its backlog's changes reach this room.
    project: i32,
    /// One writer per runtime thread, each with a share of the connections, so a room's
    /// fan-out uses every core.
    writers: Vec<Writer>,
    members: HashMap<ConnId, String>,
    /// People on this sprint through other instances, by instance, with when we heard.
    remote: HashMap<String, (Vec<String>, Instant)>,
}

impl Room {
    fn new(project: i32) -> Self {
        let threads = tokio::runtime::Handle::current().metrics().num_workers();
        let writers = (0..threads.max(1)).map(|_| Writer::spawn()).collect();
        Self {
            project,
            writers,
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

    /// Tells every writer.
    fn send(&self, command: ToWriter) {
        let (last, others) = self.writers.split_last().expect("a room has writers");
        for writer in others {
            writer.send(command.clone());
        }
        last.send(command);
    }

    /// Tells the writer of `conn`'s share.
    fn send_for(&self, conn: ConnId, command: ToWriter) {
        let shard = usize::try_from(conn).unwrap_or(0) % self.writers.len();
        self.writers[shard].send(command);
    }

    /// Sends a gesture or presence frame, unless a writer is too far behind to take it.
    fn send_ephemeral(&self, frame: Outgoing) {
        let behind = self
            .writers
            .iter()
            .any(|writer| writer.pending.load(Ordering::Relaxed) > EPHEMERAL_BACKLOG);
        if behind {
            tracing::debug!("a room's writers are behind: dropped a gesture or presence frame");
        } else {
            self.send(ToWriter::Frame(frame));
        }
    }

    /// Sends a gesture to the room's connections, except `skip` (its sender, when local).
    fn send_gesture(&self, skip: Option<ConnId>, task: i32, gesture: Gesture, user: &str) {
        let text = gesture_frame(task, gesture, user);
        self.send_ephemeral(Outgoing::text(None, skip, &text));
    }

    fn announce_presence(&self) {
        self.send_ephemeral(Outgoing::text(None, None, &self.presence()));
    }
}

pub struct Subscription {
    pub outlet: Arc<Outlet>,
    /// The last log entry delivered before the outlet joined: a resuming client catches up
    /// from the log through this one, then takes live frames after it.
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

    /// Joins `sprint` (of `project`) as `username` (account `user`), writing to `sink`. The
    /// outlet holds the room's frames until the connection releases it (after its hello).
    pub fn join(
        &self,
        sprint: i32,
        project: i32,
        (user, username): (i32, &str),
        sink: Sink,
    ) -> Subscription {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let outlet = Arc::new(Outlet::new(conn, user, sink));
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
        // Joining and reading `delivered` under one lock: every entry is either at or below
        // `delivered` (in the log) or reaches the writer after the outlet.
        room.send_for(conn, ToWriter::Join(outlet.clone()));
        room.members.insert(conn, username.to_owned());
        room.announce_presence();
        self.send_up(self.local_presence_message(sprint, Some(room)));
        Subscription { outlet, delivered }
    }

    pub fn leave(&self, sprint: i32, conn: ConnId) {
        let mut guard = self.lock();
        let rooms = &mut guard.by_sprint;
        if let Some(room) = rooms.get_mut(&sprint) {
            room.members.remove(&conn);
            room.send_for(conn, ToWriter::Leave(conn));
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
        // Both objects are the person's account.
        let standing_changed = match entry.model {
            Model::User if entry.action == Action::Update => {
                let _ = self.accounts.send(entry.object);
                Some(None)
            }
            Model::Member => Some(entry.project),
            _ => None,
        };
        if let Some(project) = standing_changed {
            // Through the rooms' writers, to the rooms of the project for a membership: their
            // connections of that account check at once whether they may stay.
            for room in guard.by_sprint.values() {
                if project.is_none_or(|project| project == room.project) {
                    room.send(ToWriter::Account(entry.object));
                }
            }
        }
        let Some(text) = change_frame(entry) else {
            return;
        };
        // Encoded once, for every connection of every room it reaches.
        let frame = Outgoing::text(Some(entry.id), None, &text);
        for (sprint, room) in &guard.by_sprint {
            let on_backlog = entry.backlog && entry.project == Some(room.project);
            if on_backlog || entry.sprints.contains(sprint) {
                room.send(ToWriter::Frame(frame.clone()));
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
    use crate::live::outlet::testing::{Recorder, Word, attend};

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

    /// A connection to `sprint` of `project`, past its hello: what its socket received.
    struct Board {
        subscription: Subscription,
        socket: Recorder,
    }

    impl Board {
        fn join(hub: &Hub, sprint: i32, project: i32, (user, name): (i32, &str)) -> Self {
            let socket = Recorder::default();
            let subscription = hub.join(sprint, project, (user, name), Box::new(socket.clone()));
            subscription.outlet.release(subscription.delivered);
            Self {
                subscription,
                socket,
            }
        }

        /// The `seq` of each change frame received since the last call, once the room's
        /// writer has caught up.
        async fn seqs(&self) -> Vec<i64> {
            settle().await;
            self.socket
                .take_texts()
                .iter()
                .filter_map(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                .filter_map(|frame| frame["seq"].as_i64())
                .collect()
        }
    }

    /// Lets the rooms' writers run (the test runtime has one thread).
    async fn settle() {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn changes_reach_only_their_sprint_and_backlog_reaches_all() {
        let hub = Hub::default();
        let one = Board::join(&hub, 1, 1, (1, "alice"));
        let two = Board::join(&hub, 2, 1, (2, "bob"));
        hub.dispatch(&entry(10, vec![1], false));
        hub.dispatch(&entry(11, vec![], true));
        // A task leaving sprint 1 for sprint 2: both boards hear of it.
        hub.dispatch(&entry(12, vec![1, 2], false));
        assert_eq!(one.seqs().await, vec![10, 11, 12]);
        assert_eq!(two.seqs().await, vec![11, 12]);
    }

    #[tokio::test]
    async fn a_backlog_change_reaches_only_its_own_projects_boards() {
        let hub = Hub::default();
        let ours = Board::join(&hub, 1, 1, (1, "alice"));
        let theirs = Board::join(&hub, 2, 2, (2, "bob"));
        hub.dispatch(&entry(10, vec![], true));
        assert_eq!(ours.seqs().await, vec![10]);
        assert_eq!(theirs.seqs().await, Vec::<i64>::new());
    }

    #[tokio::test]
    async fn a_membership_change_wakes_that_persons_connections_in_the_project() {
        let hub = Hub::default();
        let alice = Board::join(&hub, 1, 1, (42, "alice"));
        let bob = Board::join(&hub, 1, 1, (43, "bob"));
        let elsewhere = Board::join(&hub, 2, 2, (42, "alice"));
        let mut removed = entry(10, vec![], false);
        removed.model = Model::Member;
        removed.object = 42;
        removed.action = Action::Delete;
        removed.body = serde_json::json!({"user": "alice", "role": "member"});
        hub.dispatch(&removed);
        settle().await;
        assert_eq!(attend(&alice.subscription.outlet), Some(Word::Account));
        assert_eq!(attend(&bob.subscription.outlet), None, "another person");
        assert_eq!(
            attend(&elsewhere.subscription.outlet),
            None,
            "another project's room"
        );
        assert!(
            alice.seqs().await.is_empty(),
            "boards do not show memberships"
        );
    }

    #[tokio::test]
    async fn entries_are_delivered_once_in_log_order() {
        let hub = Hub::default();
        hub.deliver_after(5);
        let one = Board::join(&hub, 1, 1, (1, "alice"));
        assert_eq!(one.subscription.delivered, 5);
        hub.dispatch(&entry(5, vec![1], false));
        hub.dispatch(&entry(6, vec![1], false));
        hub.dispatch(&entry(6, vec![1], false));
        assert_eq!(
            one.seqs().await,
            vec![6],
            "5 was before the start, 6 came twice"
        );
        assert_eq!(hub.delivered(), 6);
        assert_eq!(
            Board::join(&hub, 1, 1, (2, "bob")).subscription.delivered,
            6
        );
    }

    #[tokio::test]
    async fn an_idle_hub_skips_ahead_and_a_busy_one_waits_for_the_entries() {
        let hub = Hub::default();
        hub.deliver_after(5);
        assert!(hub.skip_if_idle(9), "no board open: nothing to read");
        let one = Board::join(&hub, 1, 1, (1, "alice"));
        assert_eq!(
            one.subscription.delivered, 9,
            "a board opening now catches up from 9"
        );
        assert!(
            !hub.skip_if_idle(12),
            "a board is open: the entries must be read"
        );
        assert_eq!(hub.delivered(), 9);
        hub.dispatch(&entry(10, vec![1], false));
        assert_eq!(one.seqs().await, vec![10]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_a_writer_per_thread_every_connection_hears_each_change_once_in_order() {
        let hub = Hub::default();
        let boards: Vec<Board> = (0..6)
            .map(|user| Board::join(&hub, 1, 1, (user, "someone")))
            .collect();
        for id in 10..=12 {
            hub.dispatch(&entry(id, vec![1], false));
        }
        for board in &boards {
            let mut seqs = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(5);
            while seqs.len() < 3 && Instant::now() < deadline {
                seqs.extend(board.seqs().await);
            }
            assert_eq!(seqs, vec![10, 11, 12]);
        }
    }

    #[tokio::test]
    async fn a_storm_of_gestures_is_cut_short_but_changes_still_arrive() {
        let hub = Hub::default();
        let watcher = Board::join(&hub, 1, 1, (1, "alice"));
        let dragger = Board::join(&hub, 1, 1, (2, "bob"));
        settle().await;
        watcher.socket.take_texts();
        // Faster than the writer runs (it gets no turn in between).
        for task in 0..1000 {
            hub.relay(
                1,
                dragger.subscription.outlet.conn,
                "bob",
                task,
                Gesture::Dragstart,
            );
        }
        hub.dispatch(&entry(10, vec![1], false));
        settle().await;
        let texts = watcher.socket.take_texts();
        let gestures = texts
            .iter()
            .filter(|text| text.contains("dragstart"))
            .count();
        assert!(
            (100..1000).contains(&gestures),
            "{gestures} of 1,000 gestures relayed"
        );
        assert!(
            texts
                .last()
                .is_some_and(|text| text.contains(r#""seq":10"#))
        );
    }

    #[tokio::test]
    async fn a_connection_that_left_hears_nothing_more() {
        let hub = Hub::default();
        let one = Board::join(&hub, 1, 1, (1, "alice"));
        let _two = Board::join(&hub, 1, 1, (2, "bob"));
        hub.dispatch(&entry(10, vec![1], false));
        assert_eq!(one.seqs().await, vec![10]);
        hub.leave(1, one.subscription.outlet.conn);
        hub.dispatch(&entry(11, vec![1], false));
        assert!(one.seqs().await.is_empty());
    }

    #[tokio::test]
    async fn presence_lists_usernames_and_rooms_close_when_empty() {
        let hub = Hub::default();
        let a = Board::join(&hub, 1, 1, (1, "alice"));
        let b = Board::join(&hub, 1, 1, (2, "bob"));
        let a2 = Board::join(&hub, 1, 1, (1, "alice"));
        assert_eq!(
            hub.presence(1).as_deref(),
            Some(r#"{"action":"presence","users":["alice","bob"]}"#)
        );
        settle().await;
        assert_eq!(
            a.socket.take_texts().last().map(String::as_str),
            Some(r#"{"action":"presence","users":["alice","bob"]}"#),
            "members hear who joined"
        );
        hub.leave(1, b.subscription.outlet.conn);
        assert_eq!(
            hub.presence(1).as_deref(),
            Some(r#"{"action":"presence","users":["alice"]}"#)
        );
        hub.leave(1, a.subscription.outlet.conn);
        hub.leave(1, a2.subscription.outlet.conn);
        assert!(hub.presence(1).is_none());
    }
}
