//! The board's live stream in the browser: `/socket?sprint=N` with the session cookie. Change
//! frames are applied in place (newest version wins), drags of others lock their cards,
//! presence lists who is here. A lost connection shows a banner and is retried with
//! exponential back-off and jitter, resuming from the last change-log entry it saw (`since`); when the
//! log no longer holds what was missed the server says `resync` and the board is refetched.

use std::{cell::RefCell, rc::Rc, time::Duration};

use leptos::prelude::*;
use leptos::wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::{
    frames::{self, Event},
    store::{BoardStore, Link},
};

/// The longest wait between attempts.
const MAX_DELAY_MS: f64 = 15_000.0;

struct Stream {
    store: BoardStore,
    socket: Option<WebSocket>,
    /// The last change-log entry seen (`None` until the first hello).
    seq: Option<u64>,
    attempts: u32,
    closed: bool,
    // Kept alive as long as their socket.
    on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    on_open: Option<Closure<dyn FnMut()>>,
    on_close: Option<Closure<dyn FnMut(CloseEvent)>>,
}

/// A running stream; `close` ends it for good (leaving the page).
pub struct Connection(Rc<RefCell<Stream>>);

impl Connection {
    pub fn close(&self) {
        let mut stream = self.0.borrow_mut();
        stream.closed = true;
        if let Some(socket) = stream.socket.take() {
            let _ = socket.close();
        }
        stream.store.outbox.set_value(None);
    }
}

pub fn connect(store: BoardStore) -> send_wrapper::SendWrapper<Connection> {
    let stream = Rc::new(RefCell::new(Stream {
        store,
        socket: None,
        seq: None,
        attempts: 0,
        closed: false,
        on_message: None,
        on_open: None,
        on_close: None,
    }));
    open(&stream);
    let sender = send_wrapper::SendWrapper::new(Rc::downgrade(&stream));
    store
        .outbox
        .set_value(Some(Callback::new(move |text: String| {
            if let Some(stream) = sender.upgrade()
                && let Some(socket) = &stream.borrow().socket
                && socket.ready_state() == WebSocket::OPEN
            {
                let _ = socket.send_with_str(&text);
            }
        })));
    send_wrapper::SendWrapper::new(Connection(stream))
}

fn url(stream: &Stream) -> String {
    let mut path = format!("/socket?sprint={}", stream.store.sprint_id());
    if let Some(seq) = stream.seq {
        path.push_str(&format!("&since={seq}"));
    }
    crate::api::socket_url(&path)
}

fn open(shared: &Rc<RefCell<Stream>>) {
    let address = url(&shared.borrow());
    let Ok(socket) = WebSocket::new(&address) else {
        retry(shared);
        return;
    };
    let on_open = {
        let shared = Rc::clone(shared);
        Closure::<dyn FnMut()>::new(move || {
            let mut stream = shared.borrow_mut();
            stream.attempts = 0;
            stream.store.link.set(Link::Open);
        })
    };
    let on_message = {
        let shared = Rc::clone(shared);
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                receive(&shared, &text);
            }
        })
    };
    let on_close = {
        let shared = Rc::clone(shared);
        Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| {
            let closed = shared.borrow().closed;
            if !closed {
                shared.borrow().store.locks.set(Default::default());
                retry(&shared);
            }
        })
    };
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let mut stream = shared.borrow_mut();
    stream.socket = Some(socket);
    stream.on_open = Some(on_open);
    stream.on_message = Some(on_message);
    stream.on_close = Some(on_close);
}

/// Schedules the next attempt: 0.5 s, 1 s, 2 s, … up to 15 s, each with ±50 % jitter so a
/// restarted server is not hit by every board at the same instant.
fn retry(shared: &Rc<RefCell<Stream>>) {
    let delay = {
        let mut stream = shared.borrow_mut();
        stream.socket = None;
        stream.attempts += 1;
        let base = (500.0 * 2f64.powi(stream.attempts as i32 - 1)).min(MAX_DELAY_MS);
        let delay = base * (0.5 + js_sys::Math::random());
        stream.store.link.set(Link::Lost {
            retry_in: (delay / 1000.0).ceil() as u32,
        });
        delay
    };
    let shared = send_wrapper::SendWrapper::new(Rc::clone(shared));
    set_timeout(
        move || {
            if !shared.borrow().closed {
                shared.borrow().store.link.set(Link::Connecting);
                open(&shared);
            }
        },
        Duration::from_millis(delay as u64),
    );
}

fn receive(shared: &Rc<RefCell<Stream>>, text: &str) {
    let Some(event) = frames::read(text) else {
        return;
    };
    let store = shared.borrow().store;
    match event {
        Event::Hello { seq } => {
            // A new stream starts where the log is; a resumed one goes on from where this
            // board was, as the frames it missed arrive.
            let mut stream = shared.borrow_mut();
            stream.seq.get_or_insert(seq);
        }
        Event::Presence(users) => store.presence.set(users),
        Event::Resync => store.reload.update(|n| *n += 1),
        Event::Locked { task, by } => store.locks.update(|locks| {
            locks.insert(task, by);
        }),
        Event::Unlocked { task } => store.locks.update(|locks| {
            locks.remove(&task);
        }),
        Event::Change { seq, change } => {
            if let Some(seq) = seq {
                shared.borrow_mut().seq = Some(seq);
            }
            store.receive(change);
        }
    }
}
