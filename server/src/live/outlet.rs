//! A connection's way out: the bytes its socket has yet to take, in the order the client must
//! see them. A room's writer (see `hub`) writes each frame to every socket in turn itself,
//! without waking the connections' tasks: a socket that takes the frame at once, as nearly all
//! do, costs one `write` and nothing else. What a socket cannot take at once waits here, and the
//! connection's own task finishes it when the socket is writable again, so a slow client never
//! holds up the room. The frames a connection sends itself (hello, catch-up, pings, pongs,
//! close) go through the same queue, so everything reaches the client in one order.
//!
//! This is written here because no websocket library offers it: they write one connection's
//! frames from that connection's task, which for a room of 1,000 means 1,000 task wake-ups and
//! 1,000 encodings of the same frame per change. The protocol itself (the handshake's key,
//! reading and checking client frames, control frames) stays tungstenite's: see [`Inbound`].

use std::{
    collections::VecDeque,
    io,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll, Waker, ready},
    time::{Duration, Instant},
};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::protocol::frame::{
    Frame,
    coding::{Data, OpCode},
};

pub type ConnId = u64;

/// Where an outlet writes: the socket's write half (any transport: TCP or TLS).
pub type Sink = Box<dyn AsyncWrite + Send + Unpin>;

/// Room frames a connection may fall behind by; past that it skips them and is caught up
/// from the change log once its socket has taken what it already has.
pub const BACKLOG: usize = 256;

/// Bytes queued past which a connection stops reading its client until its socket takes
/// them: what a client asks for (presence, pongs) waits on what it reads, so one that sends
/// without reading cannot grow the server's memory.
const READ_PAUSE: usize = 64 * 1024;

/// One frame for a room's connections, encoded once for all of them.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// The log id of a change frame; `None` on relayed gestures and presence.
    pub seq: Option<i64>,
    /// The connection that must not receive it (the sender of a relayed gesture).
    pub skip: Option<ConnId>,
    /// The whole websocket frame, header included: a server's frames are not masked, so the
    /// same bytes suit every connection.
    pub wire: Bytes,
}

impl Outgoing {
    pub fn text(seq: Option<i64>, skip: Option<ConnId>, text: &str) -> Self {
        Self {
            seq,
            skip,
            wire: text_frame(text),
        }
    }
}

/// `text` as one final websocket text frame, as a server sends it.
pub fn text_frame(text: &str) -> Bytes {
    let mut wire = Vec::with_capacity(text.len() + 10);
    Frame::message(text.to_owned(), OpCode::Data(Data::Text), true)
        .format(&mut wire)
        .expect("writing a frame to memory cannot fail");
    wire.into()
}

/// What a connection's task must attend to (see [`Outlet::attend`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Word {
    /// Writing failed: the client is gone.
    Gone,
    /// This account's standing changed (deactivated, a password set, a membership): check
    /// whether the connection may stay.
    Account,
    /// Room frames were skipped: catch up from the log after [`Outlet::resume_after`], then
    /// [`Outlet::release`].
    Lagged,
}

/// Bytes on their way to the socket.
struct Chunk {
    bytes: Bytes,
    /// The room's frames (as opposed to the connection's own) may be dropped for a catch-up
    /// while none of their bytes has been written.
    from_room: bool,
    seq: Option<i64>,
    started: bool,
}

struct State {
    sink: Sink,
    queue: VecDeque<Chunk>,
    /// How many of the queued chunks are the room's.
    room_queued: usize,
    /// The bytes queued, all chunks together.
    queued_bytes: usize,
    /// While the connection sends its catch-up, the room's frames wait here, then follow it.
    held: Option<Vec<Outgoing>>,
    /// The newest change frame the client has been given (written or queued): older ones, and
    /// repeats, are not sent again.
    last_seq: i64,
    /// The newest change the client has been given in bytes begun (a room frame's, or a
    /// catch-up's, counted at its release): where a catch-up resumes.
    wired: i64,
    lagged: bool,
    /// The connection is closing: the room's frames are no longer taken (none may follow the
    /// close frame).
    closing: bool,
    account: bool,
    gone: bool,
    /// Written but maybe buffered below (TLS): the socket must still be flushed.
    unflushed: bool,
    /// Since when bytes have waited with the socket taking none of them.
    stalled_since: Option<Instant>,
    /// The connection's task, to wake when the room leaves it something to do.
    waker: Option<Waker>,
}

impl State {
    /// Writes what is queued, then flushes. `Ready(Ok)` once everything is out; `Pending` when
    /// the socket is full (then `cx` is woken when it can take more, and the stall is timed);
    /// an error marks the client gone.
    fn pump(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let pumped = self.write_queue(cx);
        match &pumped {
            Poll::Ready(Ok(())) => self.stalled_since = None,
            Poll::Ready(Err(_)) => self.gone = true,
            Poll::Pending => {
                self.stalled_since.get_or_insert_with(Instant::now);
            }
        }
        pumped
    }

    fn write_queue(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(front) = self.queue.front_mut() {
            let written = ready!(Pin::new(&mut self.sink).poll_write(cx, &front.bytes));
            let written = match written {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(written) => written,
                Err(error) => return Poll::Ready(Err(error)),
            };
            if !front.started {
                front.started = true;
                if let Some(seq) = front.seq {
                    self.wired = self.wired.max(seq);
                }
            }
            self.unflushed = true;
            // The socket took something: a stall is counted from its last progress.
            self.stalled_since = None;
            self.queued_bytes -= written;
            front.bytes.advance(written);
            if front.bytes.is_empty() {
                if front.from_room {
                    self.room_queued -= 1;
                }
                self.queue.pop_front();
            }
        }
        if self.unflushed {
            ready!(Pin::new(&mut self.sink).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// [`State::pump`] from the room's writer, which cannot wait for a socket: what is left
    /// (or the failure) becomes the connection task's to handle.
    fn pump_now(&mut self) {
        if !matches!(
            self.pump(&mut Context::from_waker(Waker::noop())),
            Poll::Ready(Ok(()))
        ) {
            self.wake();
        }
    }

    /// The connection's task, woken when the room's writer leaves it work.
    fn register(&mut self, cx: &Context<'_>) {
        if !self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            self.waker = Some(cx.waker().clone());
        }
    }

    fn drop_room_frames_not_begun(&mut self) {
        self.queue.retain(|chunk| !chunk.from_room || chunk.started);
        self.room_queued = self.queue.iter().filter(|chunk| chunk.from_room).count();
        self.queued_bytes = self.queue.iter().map(|chunk| chunk.bytes.len()).sum();
    }

    fn wake(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    fn queue_room_frame(&mut self, frame: &Outgoing) {
        if let Some(seq) = frame.seq {
            self.last_seq = seq;
        }
        self.room_queued += 1;
        self.queued_bytes += frame.wire.len();
        self.queue.push_back(Chunk {
            bytes: frame.wire.clone(),
            from_room: true,
            seq: frame.seq,
            started: false,
        });
    }

    /// Too far behind: drops the room's frames not begun yet, and holds `frame` and the next
    /// ones until the connection has caught up from the log.
    fn lag(&mut self, frame: &Outgoing) {
        self.drop_room_frames_not_begun();
        self.last_seq = self.wired;
        self.held = Some(vec![frame.clone()]);
        self.lagged = true;
        self.wake();
    }
}

/// One connection's queue and socket, shared by the room's writer and the connection's task.
pub struct Outlet {
    pub conn: ConnId,
    /// The account on the other end (its standing changes wake the connection).
    pub user: i32,
    state: Mutex<State>,
}

impl Outlet {
    /// An outlet that holds the room's frames until [`Outlet::release`]: the connection first
    /// sends its hello and catch-up.
    pub fn new(conn: ConnId, user: i32, sink: Sink) -> Self {
        Self {
            conn,
            user,
            state: Mutex::new(State {
                sink,
                queue: VecDeque::new(),
                room_queued: 0,
                queued_bytes: 0,
                held: Some(Vec::new()),
                last_seq: 0,
                wired: 0,
                lagged: false,
                closing: false,
                account: false,
                gone: false,
                unflushed: false,
                stalled_since: None,
                waker: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A room frame, from the room's writer, in the room's order: written at once when the
    /// socket takes it, else queued for the connection's task.
    pub fn offer(&self, frame: &Outgoing) {
        if frame.skip == Some(self.conn) {
            return;
        }
        let mut guard = self.lock();
        let state = &mut *guard;
        if state.gone || state.closing || frame.seq.is_some_and(|seq| seq <= state.last_seq) {
            return;
        }
        if let Some(held) = &mut state.held {
            let overflow = held.len() >= BACKLOG;
            if overflow {
                // The catch-up will read these from the log.
                held.clear();
            }
            held.push(frame.clone());
            if overflow {
                state.lagged = true;
                state.wake();
            }
            return;
        }
        if state.room_queued >= BACKLOG {
            state.lag(frame);
            return;
        }
        let idle = state.queue.is_empty();
        state.queue_room_frame(frame);
        if idle {
            state.pump_now();
        }
    }

    /// Tells the connection its account's standing changed.
    pub fn account_changed(&self) {
        let mut state = self.lock();
        state.account = true;
        state.wake();
    }

    /// The newest change frame given to the client: a catch-up reads the log after it.
    pub fn resume_after(&self) -> i64 {
        self.lock().last_seq
    }

    /// Ends holding: the client has every change through `through` (hello, catch-up), and the
    /// room's frames held meanwhile follow, but for those it has already. When frames were
    /// skipped meanwhile, it holds on: the connection is told to catch up again.
    pub fn release(&self, through: i64) {
        let mut state = self.lock();
        state.last_seq = state.last_seq.max(through);
        // The catch-up is queued ahead of anything the room sends from here, so a later lag
        // resumes after it, not before.
        state.wired = state.wired.max(through);
        if state.lagged {
            state.held = Some(Vec::new());
            state.wake();
            return;
        }
        for frame in state.held.take().unwrap_or_default() {
            if frame.seq.is_none_or(|seq| seq > state.last_seq) {
                state.queue_room_frame(&frame);
            }
        }
        // The connection's task writes them at its next turn.
        state.wake();
    }

    /// The connection's own bytes (tungstenite's frames), after everything queued before.
    fn poll_send(&self, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let mut state = self.lock();
        if state.gone {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        state.queued_bytes += bytes.len();
        state.queue.push_back(Chunk {
            bytes: Bytes::copy_from_slice(bytes),
            from_room: false,
            seq: None,
            started: false,
        });
        // Accepted whether the socket took it now or later; only a failure refuses it.
        match state.pump(cx) {
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            _ => Poll::Ready(Ok(bytes.len())),
        }
    }

    /// Writes what waits for the socket and returns the next thing the connection's task must
    /// handle; `Pending` while there is none (the task is woken when there is).
    pub fn poll_attend(&self, cx: &mut Context<'_>) -> Poll<Word> {
        let mut state = self.lock();
        state.register(cx);
        if state.gone {
            return Poll::Ready(Word::Gone);
        }
        let drained = match state.pump(cx) {
            Poll::Ready(Ok(())) => true,
            Poll::Ready(Err(_)) => return Poll::Ready(Word::Gone),
            Poll::Pending => false,
        };
        if state.account {
            state.account = false;
            return Poll::Ready(Word::Account);
        }
        // A catch-up waits until the socket has taken what it has: a client that does not
        // read is not sent the log again and again.
        if state.lagged && drained && !state.closing {
            state.lagged = false;
            return Poll::Ready(Word::Lagged);
        }
        Poll::Pending
    }

    /// See [`Outlet::poll_attend`].
    pub async fn attend(&self) -> Word {
        std::future::poll_fn(|cx| self.poll_attend(cx)).await
    }

    /// Whether the connection should stop reading its client for now (see [`READ_PAUSE`]).
    pub fn backed_up(&self) -> bool {
        self.lock().queued_bytes > READ_PAUSE
    }

    /// Takes no more of the room's frames: the connection is about to send its close frame.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closing = true;
        state.held = None;
        state.drop_room_frames_not_begun();
    }

    /// Waits until the socket has taken everything queued, then shuts its sending side (a TLS
    /// close_notify, a TCP FIN).
    pub async fn finish(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| {
            let mut state = self.lock();
            state.register(cx);
            ready!(state.pump(cx))?;
            Pin::new(&mut state.sink).poll_shutdown(cx)
        })
        .await
    }

    /// How long the socket has taken nothing while bytes wait for it, if it has.
    pub fn stalled_for(&self) -> Option<Duration> {
        self.lock().stalled_since.map(|since| since.elapsed())
    }
}

/// The socket as tungstenite sees it: it reads from the socket's read half and writes through
/// the outlet, so its frames queue in order with the room's.
pub struct Inbound<R> {
    read: R,
    outlet: Arc<Outlet>,
}

impl<R> Inbound<R> {
    pub fn new(read: R, outlet: Arc<Outlet>) -> Self {
        Self { read, outlet }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Inbound<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl<R: Unpin> AsyncWrite for Inbound<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.outlet.poll_send(cx, bytes)
    }

    /// Accepted bytes are the outlet's to deliver: the connection's task drives it.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A socket in memory, for the tests of this module and of the hub.
#[cfg(test)]
pub mod testing {
    use super::*;

    pub use super::Word;

    /// Records what is written, taking `capacity` bytes, then refusing until more is allowed.
    #[derive(Clone)]
    pub struct Recorder {
        inner: Arc<Mutex<(Vec<u8>, usize)>>,
    }

    impl Default for Recorder {
        fn default() -> Self {
            Self::with_room(usize::MAX)
        }
    }

    impl Recorder {
        pub fn with_room(capacity: usize) -> Self {
            Self {
                inner: Arc::new(Mutex::new((Vec::new(), capacity))),
            }
        }

        pub fn allow(&self, more: usize) {
            let mut inner = self.inner.lock().unwrap();
            inner.1 = inner.1.saturating_add(more);
        }

        pub fn written(&self) -> usize {
            self.inner.lock().unwrap().0.len()
        }

        /// The whole text frames written so far.
        pub fn texts(&self) -> Vec<String> {
            let inner = self.inner.lock().unwrap();
            let mut bytes = &inner.0[..];
            let mut texts = Vec::new();
            while bytes.len() >= 2 {
                assert_eq!(bytes[0], 0x81, "a final text frame");
                let (len, header) = match bytes[1] {
                    126 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
                    len => (usize::from(len), 2),
                };
                if bytes.len() < header + len {
                    break;
                }
                texts.push(String::from_utf8(bytes[header..header + len].to_vec()).unwrap());
                bytes = &bytes[header + len..];
            }
            texts
        }

        /// [`Recorder::texts`], forgetting them (with everything written so far).
        pub fn take_texts(&self) -> Vec<String> {
            let texts = self.texts();
            self.inner.lock().unwrap().0.clear();
            texts
        }
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bytes: &[u8],
        ) -> Poll<io::Result<usize>> {
            let mut inner = self.inner.lock().unwrap();
            let n = bytes.len().min(inner.1);
            if n == 0 {
                return Poll::Pending;
            }
            inner.1 -= n;
            inner.0.extend_from_slice(&bytes[..n]);
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// One look at what the outlet's connection must attend to.
    pub fn attend(outlet: &Outlet) -> Option<Word> {
        match outlet.poll_attend(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(word) => Some(word),
            Poll::Pending => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{Recorder as Socket, attend};
    use super::*;

    fn change(seq: i64) -> Outgoing {
        Outgoing::text(Some(seq), None, &format!("change {seq}"))
    }

    fn own(outlet: &Outlet, text: &str) {
        let sent = outlet.poll_send(&mut Context::from_waker(Waker::noop()), &text_frame(text));
        assert!(matches!(sent, Poll::Ready(Ok(_))));
    }

    #[test]
    fn room_frames_wait_for_the_hello_and_catch_up_and_are_not_repeated() {
        let socket = Socket::with_room(usize::MAX);
        let outlet = Outlet::new(1, 1, Box::new(socket.clone()));
        outlet.offer(&change(5));
        outlet.offer(&change(6));
        own(&outlet, "hello");
        own(&outlet, "change 5 (from the log)");
        outlet.release(5);
        assert_eq!(attend(&outlet), None);
        outlet.offer(&change(6));
        outlet.offer(&change(7));
        assert_eq!(
            socket.texts(),
            ["hello", "change 5 (from the log)", "change 6", "change 7"]
        );
    }

    #[test]
    fn a_full_socket_keeps_the_order_and_the_connection_finishes_the_frame() {
        // Room for the hello and a few bytes of the next frame.
        let hello = text_frame("hello").len();
        let socket = Socket::with_room(hello + 3);
        let outlet = Outlet::new(1, 1, Box::new(socket.clone()));
        own(&outlet, "hello");
        outlet.release(0);
        outlet.offer(&change(1));
        outlet.offer(&change(2));
        own(&outlet, "ping");
        assert!(outlet.stalled_for().is_some(), "the socket is full");
        assert_eq!(socket.texts(), ["hello"]);
        socket.allow(1000);
        assert_eq!(attend(&outlet), None, "nothing else to do once written");
        assert_eq!(socket.texts(), ["hello", "change 1", "change 2", "ping"]);
        assert!(outlet.stalled_for().is_none());
    }

    #[test]
    fn a_client_that_falls_behind_skips_to_a_catch_up_after_what_it_has() {
        let socket = Socket::with_room(0);
        let outlet = Outlet::new(1, 1, Box::new(socket.clone()));
        outlet.release(0);
        for seq in 1..=BACKLOG as i64 + 10 {
            outlet.offer(&change(seq));
        }
        assert_eq!(outlet.resume_after(), 0, "no change began");
        assert_eq!(attend(&outlet), Some(Word::Lagged));
        // The catch-up, read from the log: everything through 300.
        own(&outlet, "changes 1 to 300");
        outlet.offer(&change(301));
        outlet.release(300);
        outlet.offer(&change(302));
        assert!(socket.texts().is_empty());
        socket.allow(usize::MAX);
        assert_eq!(attend(&outlet), None);
        assert_eq!(
            socket.texts(),
            ["changes 1 to 300", "change 301", "change 302"]
        );
    }

    #[test]
    fn frames_skipped_during_a_catch_up_mean_another_catch_up() {
        let socket = Socket::default();
        let outlet = Outlet::new(1, 1, Box::new(socket.clone()));
        own(&outlet, "hello");
        // While the connection reads the log through 10, the room moves on past the backlog.
        for seq in 11..=BACKLOG as i64 + 20 {
            outlet.offer(&change(seq));
        }
        own(&outlet, "changes through 10");
        outlet.release(10);
        assert_eq!(attend(&outlet), Some(Word::Lagged));
        assert_eq!(outlet.resume_after(), 10);
        outlet.offer(&change(300));
        own(&outlet, "changes 11 to 299");
        outlet.release(299);
        assert_eq!(attend(&outlet), None);
        assert_eq!(
            socket.texts(),
            [
                "hello",
                "changes through 10",
                "changes 11 to 299",
                "change 300"
            ]
        );
    }

    #[test]
    fn a_second_lag_resumes_after_the_first_catch_up() {
        let socket = Socket::with_room(0);
        let outlet = Outlet::new(1, 1, Box::new(socket.clone()));
        outlet.release(0);
        for seq in 1..=BACKLOG as i64 + 1 {
            outlet.offer(&change(seq));
        }
        assert_eq!(attend(&outlet), Some(Word::Lagged));
        own(&outlet, "changes 1 to 300");
        outlet.release(300);
        // The client still reads nothing: the room's next frames pile up behind the catch-up.
        for seq in 301..=301 + BACKLOG as i64 {
            outlet.offer(&change(seq));
        }
        assert_eq!(
            outlet.resume_after(),
            300,
            "the catch-up through 300 is queued: not again"
        );
        socket.allow(usize::MAX);
        assert_eq!(attend(&outlet), Some(Word::Lagged));
        assert_eq!(socket.texts(), ["changes 1 to 300"]);
    }

    #[test]
    fn nothing_of_the_rooms_follows_a_close() {
        let socket = Socket::with_room(text_frame("bye").len());
        let outlet = Outlet::new(1, 1, Box::new(socket.clone()));
        outlet.release(0);
        own(&outlet, "bye");
        outlet.offer(&change(1));
        outlet.close();
        outlet.offer(&change(2));
        socket.allow(usize::MAX);
        assert_eq!(attend(&outlet), None);
        assert_eq!(socket.texts(), ["bye"]);
    }

    #[test]
    fn a_client_that_does_not_read_is_not_read_from() {
        let socket = Socket::with_room(0);
        let outlet = Outlet::new(1, 1, Box::new(socket.clone()));
        outlet.release(0);
        let presence = "p".repeat(1000);
        while !outlet.backed_up() {
            own(&outlet, &presence);
        }
        socket.allow(usize::MAX);
        assert_eq!(attend(&outlet), None);
        assert!(!outlet.backed_up(), "its socket took it all");
    }

    #[test]
    fn a_frame_begun_is_finished_before_a_catch_up() {
        let first = change(1);
        let socket = Socket::with_room(3);
        let outlet = Outlet::new(1, 1, Box::new(socket.clone()));
        outlet.release(0);
        for seq in 1..=BACKLOG as i64 + 1 {
            outlet.offer(&change(seq));
        }
        assert_eq!(outlet.resume_after(), 1, "change 1 is partly written");
        assert_eq!(
            attend(&outlet),
            None,
            "no catch-up before the socket takes change 1"
        );
        socket.allow(usize::MAX);
        assert_eq!(attend(&outlet), Some(Word::Lagged));
        assert_eq!(socket.texts(), ["change 1"]);
        assert_eq!(socket.written(), first.wire.len());
    }

    #[test]
    fn gestures_skip_their_sender_and_account_words_wake_the_connection() {
        let socket = Socket::with_room(usize::MAX);
        let outlet = Outlet::new(7, 1, Box::new(socket.clone()));
        outlet.release(0);
        outlet.offer(&Outgoing::text(None, Some(7), "my own drag"));
        outlet.offer(&Outgoing::text(None, Some(8), "their drag"));
        assert_eq!(socket.texts(), ["their drag"]);
        outlet.account_changed();
        assert_eq!(attend(&outlet), Some(Word::Account));
        assert_eq!(attend(&outlet), None);
    }

    #[test]
    fn a_failed_write_says_the_client_is_gone() {
        struct Broken;
        impl AsyncWrite for Broken {
            fn poll_write(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                _: &[u8],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()))
            }
            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
        let outlet = Outlet::new(1, 1, Box::new(Broken));
        outlet.release(0);
        outlet.offer(&change(1));
        assert_eq!(attend(&outlet), Some(Word::Gone));
    }
}
