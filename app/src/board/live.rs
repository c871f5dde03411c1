//! The board's live stream in the browser: `/socket?sprint=N` with the session cookie. Change
//! frames are applied in place (newest version wins), drags of others lock their cards,
//! presence lists who is here. A lost connection shows a banner and is retried with
//! exponential back-off and jitter, resuming from the last sequence number it saw; when the
//! server cannot replay what was missed it says `resync` and the board is refetched.

use std::{cell::RefCell, rc::Rc, time::Duration};

use leptos::prelude::*;
use leptos::wasm_bindgen::{JsCast, closure::Closure};
use serde::Deserialize;
use serde_json::value::RawValue;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::store::{BoardStore, Link};
use crate::model::{Sprint, Task};

/// The longest wait between attempts.
const MAX_DELAY_MS: f64 = 15_000.0;

struct Stream {
    store: BoardStore,
    socket: Option<WebSocket>,
    epoch: Option<String>,
    seq: u64,
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
        epoch: None,
        seq: 0,
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
    let location = window().location();
    let scheme = if location.protocol().as_deref() == Ok("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().unwrap_or_default();
    let mut url = format!(
        "{scheme}://{host}{}?sprint={}",
        crate::paths::href("/socket"),
        stream.store.sprint_id()
    );
    if let Some(epoch) = &stream.epoch {
        url.push_str(&format!("&epoch={epoch}&since={}", stream.seq));
    }
    url
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

/// A frame from the server, read once into the fields any action may carry. A change's `body`
/// stays raw until the model is known, then becomes a [`Task`] or a [`Sprint`].
#[derive(Deserialize)]
struct Frame<'a> {
    action: String,
    model: Option<String>,
    /// The server always sends ids as numbers (it re-reads gestures before relaying them).
    id: Option<i32>,
    seq: Option<u64>,
    epoch: Option<String>,
    users: Option<Vec<String>>,
    user: Option<String>,
    #[serde(borrow)]
    body: Option<&'a RawValue>,
}

fn receive(shared: &Rc<RefCell<Stream>>, text: &str) {
    let Ok(frame) = serde_json::from_str::<Frame>(text) else {
        return;
    };
    let store = shared.borrow().store;
    let id = frame.id;
    match (frame.action.as_ref(), frame.model.as_deref()) {
        ("hello", _) => {
            let mut stream = shared.borrow_mut();
            stream.seq = frame.seq.unwrap_or(0);
            stream.epoch = frame.epoch;
        }
        ("presence", _) => store.presence.set(frame.users.unwrap_or_default()),
        ("resync", _) => store.reload.update(|n| *n += 1),
        ("dragstart", Some("task")) => {
            if let (Some(id), Some(user)) = (id, frame.user) {
                store.locks.update(|locks| {
                    locks.insert(id, user);
                });
            }
        }
        ("dragend" | "drop", Some("task")) => {
            if let Some(id) = id {
                store.locks.update(|locks| {
                    locks.remove(&id);
                });
            }
        }
        (change @ ("add" | "update" | "remove"), Some(model)) => {
            if let Some(seq) = frame.seq {
                shared.borrow_mut().seq = seq;
            }
            let body = frame.body.map_or("null", RawValue::get);
            match model {
                "task" if change == "remove" => {
                    if let Some(id) = id {
                        store.remove(id);
                    }
                }
                "task" => {
                    if let Ok(task) = serde_json::from_str::<Task>(body) {
                        store.upsert(task);
                    }
                }
                "sprint" if change == "remove" => {
                    store.notice.set(Some(
                        "This sprint was deleted by someone else; its tasks are in the backlog."
                            .into(),
                    ));
                }
                "sprint" => {
                    if let Ok(sprint) = serde_json::from_str::<Sprint>(body)
                        && sprint.id == store.sprint_id()
                        && sprint.version >= store.sprint.with_untracked(|s| s.version)
                    {
                        store.sprint.set(sprint);
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}
