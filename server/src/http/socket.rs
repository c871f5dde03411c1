//! `GET /socket`: a sprint's live stream over a websocket.
//!
//! Authorization happens before the upgrade, so a refused client never gets an open socket:
//! `?channel=<ticket>` (the sprint's `links.channel`, usable as-is by any client), or
//! `?sprint=<id>` with the session cookie (or a token) of a same-origin browser. The `Origin`
//! of browser connections must be the site's own or listed in `WS_ALLOWED_ORIGINS`.
//! `&since=<seq>` resumes after a reconnect, on any instance: the entries missed are read from
//! the change log before live frames.
//!
//! The room's frames are written to the socket by the room's writer (see `live::outlet`); one
//! task per connection reads client frames (whitelisted gestures and presence), pings, sends
//! the hello and catch-ups, and finishes what a slow socket could not take at once. An idle
//! connection costs a few KiB.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use app::stream::Gesture;
use axum::{
    body::Body,
    extract::{RawQuery, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::Response,
};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use sea_orm::EntityTrait;
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        Message,
        handshake::derive_accept_key,
        protocol::{Role, WebSocketConfig},
    },
};

use crate::domain::accounts::ticket;
use crate::domain::{
    log::{self, Actor},
    permissions,
};
use crate::live::{
    events::{Incoming, change_frame, hello_frame, resync_frame},
    hub::{Hub, Subscription},
    outlet::{Inbound, Word},
};
use crate::{
    domain::db::entities::{sprint, user},
    http::error::AppError,
    http::extract::MaybeUser,
    http::origin::RequestOrigin,
    http::state::AppState,
};

/// What authorized a connection, re-checked at every ping and whenever its account changes: a
/// user deactivated loses the stream as soon as the change reaches this instance, a browser
/// session logged out within one ping interval.
#[derive(Clone, Debug)]
enum Standing {
    /// A ticket (or a token): the user must stay active.
    User(i32),
    /// A session cookie: the session must still exist (logout ends the stream).
    Session(String),
}

impl Standing {
    /// Whether the connection may stay: the account active, and still able to read `project`
    /// (a member, or a site administrator).
    async fn still_valid(&self, db: &sea_orm::DatabaseConnection, project: i32) -> bool {
        let found = match self {
            Standing::User(id) => user::Entity::find_by_id(*id).one(db).await,
            Standing::Session(id) => crate::domain::accounts::sessions::find(db, id)
                .await
                .map(|found| found.map(|(_, user)| user)),
        };
        match found {
            Ok(Some(user)) if user.is_active => {
                permissions::standing(db, &Actor::person(&user), project)
                    .await
                    // A database hiccup is not the client's fault: keep the stream.
                    .map_or(true, |standing| standing.is_some())
            }
            Ok(_) => false,
            Err(_) => true,
        }
    }
}

/// Cards one connection may hold at once (a person drags one; a few allow for touch quirks).
const MAX_DRAGGING: usize = 8;

/// A token bucket for a connection's gestures: 20 per second, bursts of 40. The excess is
/// dropped, so one client cannot flood a room's channel and make everyone resync.
struct GestureBudget {
    tokens: f64,
    refilled: Instant,
}

impl GestureBudget {
    const PER_SECOND: f64 = 20.0;
    const BURST: f64 = 40.0;

    fn new() -> Self {
        Self {
            tokens: Self::BURST,
            refilled: Instant::now(),
        }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let earned = now.duration_since(self.refilled).as_secs_f64() * Self::PER_SECOND;
        self.tokens = (self.tokens + earned).min(Self::BURST);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A client whose socket takes nothing for this long is dropped (its peers are never held up).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Text frames from clients are tiny gestures; anything larger is refused by the protocol layer.
const MAX_CLIENT_FRAME: usize = 4 * 1024;
/// Bytes read from a client at a time (tungstenite's default is 128 KiB).
const READ_BUFFER: usize = 512;

pub async fn socket(
    State(state): State<AppState>,
    origin: RequestOrigin,
    MaybeUser(caller): MaybeUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    request: Request,
) -> Result<Response, AppError> {
    check_origin(&state, &origin, &headers)?;
    let params: HashMap<String, String> = raw
        .as_deref()
        .map(|raw| {
            form_urlencoded::parse(raw.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();

    let (sprint_id, user, standing) = if let Some(channel) = params.get("channel") {
        let now = chrono::Utc::now().timestamp();
        let ticket = ticket::verify(state.config.secret_key.as_bytes(), channel, now)
            .map_err(|_| AppError::Forbidden("Invalid or expired channel ticket.".into()))?;
        let user = user::Entity::find_by_id(ticket.user_id)
            .one(&state.db)
            .await?
            .filter(|user| user.is_active)
            .ok_or_else(|| AppError::Forbidden("Invalid or expired channel ticket.".into()))?;
        // A browser that opens its ticket URL also sends its session cookie: the stream then
        // ends with that session (logout), not only with the user.
        let standing = match caller
            .as_ref()
            .map(|caller| (&caller.method, caller.user.id))
        {
            Some((crate::http::extract::AuthMethod::Session { id, .. }, caller_id))
                if caller_id == user.id =>
            {
                Standing::Session(id.clone())
            }
            _ => Standing::User(user.id),
        };
        (ticket.sprint_id, user, standing)
    } else if let Some(sprint) = params.get("sprint") {
        let caller = caller.ok_or(AppError::Unauthorized(
            crate::http::extract::NOT_AUTHENTICATED,
        ))?;
        let standing = match &caller.method {
            crate::http::extract::AuthMethod::Session { id, .. } => Standing::Session(id.clone()),
            _ => Standing::User(caller.user.id),
        };
        (
            sprint.parse().map_err(|_| AppError::NotFound)?,
            caller.user,
            standing,
        )
    } else {
        return Err(AppError::Unauthorized(
            crate::http::extract::NOT_AUTHENTICATED,
        ));
    };
    // A sprint of a project the person is not in does not exist for them.
    let project = sprint::Entity::find_by_id(sprint_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?
        .project_id;
    permissions::standing(&state.db, &Actor::person(&user), project)
        .await?
        .ok_or(AppError::NotFound)?;

    // `since`: the last `seq` the client saw (the book's clients never send it).
    let since = params
        .get("since")
        .and_then(|since| since.parse::<i64>().ok());
    let (accept, on_upgrade) = handshake(request)?;
    let hub = state.bus.hub().clone();
    let ping_every = state.config.ws_ping_interval;
    let db = state.db.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let (read, write) = tokio::io::split(TokioIo::new(upgraded));
        let subscription = hub.join(
            sprint_id,
            project,
            (user.id, &user.username),
            Box::new(write),
        );
        // Clients send only small frames (gestures, pongs; a larger one grows the buffer), and
        // tungstenite zeroes this much before every read attempt: small keeps idle connections
        // cheap.
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0)
            .max_message_size(Some(MAX_CLIENT_FRAME))
            .max_frame_size(Some(MAX_CLIENT_FRAME));
        let socket = WebSocketStream::from_raw_socket(
            Inbound::new(read, subscription.outlet.clone()),
            Role::Server,
            Some(config),
        )
        .await;
        let connection = Connection {
            hub,
            db,
            since,
            sprint: sprint_id,
            project,
            username: user.username,
            standing,
            ping_every,
        };
        connection.run(socket, subscription).await;
    });
    Ok(Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, HeaderValue::from_static("upgrade"))
        .header(header::UPGRADE, HeaderValue::from_static("websocket"))
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .expect("a valid 101 response"))
}

/// The websocket handshake (RFC 6455 §4.2.1) of an HTTP/1.1 request: the accept key to answer
/// with and the connection to take over. Answered here rather than by axum's
/// `WebSocketUpgrade`, which keeps the socket inside its own type: the room's writer needs the
/// socket's write half.
fn handshake(mut request: Request) -> Result<(String, hyper::upgrade::OnUpgrade), AppError> {
    let not_an_upgrade = || AppError::BadRequest("Expected a websocket upgrade.".into());
    let headers = request.headers();
    let has = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|value| value.trim().eq_ignore_ascii_case(token))
    };
    let upgrade = request.method() == Method::GET
        && has(header::CONNECTION, "upgrade")
        && has(header::UPGRADE, "websocket");
    let key = headers.get(header::SEC_WEBSOCKET_KEY);
    let (true, Some(key)) = (upgrade, key) else {
        return Err(not_an_upgrade());
    };
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|version| version != "13")
    {
        return Err(AppError::WebSocketVersion);
    }
    let accept = derive_accept_key(key.as_bytes());
    let on_upgrade = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
        .ok_or_else(not_an_upgrade)?;
    Ok((accept, on_upgrade))
}

/// Browsers always send `Origin`; it must be this site or an allowed one (`WS_ALLOWED_ORIGINS`,
/// `CORS_ALLOWED_ORIGINS`). Scripts send none.
fn check_origin(
    state: &AppState,
    origin: &RequestOrigin,
    headers: &HeaderMap,
) -> Result<(), AppError> {
    let Some(sent) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let allowed = sent == origin.origin()
        || state
            .config
            .ws_allowed_origins
            .iter()
            .chain(&state.config.cors_allowed_origins)
            .any(|allowed| allowed.eq_ignore_ascii_case(sent));
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "Origin {sent} may not open this stream."
        )))
    }
}

/// The socket a connection's task reads and sends its own frames on.
type Socket = WebSocketStream<Inbound<tokio::io::ReadHalf<TokioIo<hyper::upgrade::Upgraded>>>>;

/// Queues `text` after everything before it (never waits for the socket: see `Outlet`).
async fn send(socket: &mut Socket, text: &str) -> bool {
    socket.send(Message::text(text)).await.is_ok()
}

/// The change frames of `sprint`'s board (of `project`) in `(since, through]`, from the log;
/// `None` when the log cannot tell (`since` is older than the retention keeps, or newer than
/// anything it holds: a number from another database).
async fn missed_frames(
    db: &sea_orm::DatabaseConnection,
    (sprint, project): (i32, i32),
    (since, through): (i64, i64),
) -> Result<Option<Vec<String>>, sea_orm::DbErr> {
    if since < log::horizon(db).await? || since > log::head(db).await? {
        return Ok(None);
    }
    let entries = log::for_board(db, sprint, project, since, through).await?;
    Ok(Some(entries.iter().filter_map(change_frame).collect()))
}

/// Sends [`missed_frames`], or `resync` (refetch) when the log cannot tell or cannot be read;
/// whether the socket is still open. A resume and a lagging connection both catch up here.
async fn catch_up(
    db: &sea_orm::DatabaseConnection,
    board: (i32, i32),
    range: (i64, i64),
    socket: &mut Socket,
) -> bool {
    match missed_frames(db, board, range).await {
        Ok(Some(frames)) => {
            for frame in frames {
                if !send(socket, &frame).await {
                    return false;
                }
            }
            true
        }
        Ok(None) => send(socket, &resync_frame()).await,
        Err(error) => {
            tracing::warn!(%error, "reading the change log for a catch-up failed");
            send(socket, &resync_frame()).await
        }
    }
}

/// One open stream and what it needs to serve it.
struct Connection {
    hub: Hub,
    db: sea_orm::DatabaseConnection,
    /// Where a resuming client left off.
    since: Option<i64>,
    sprint: i32,
    project: i32,
    username: String,
    standing: Standing,
    ping_every: Duration,
}

impl Connection {
    async fn run(self, mut socket: Socket, subscription: Subscription) {
        let Connection {
            hub,
            db,
            since,
            sprint,
            project,
            username,
            standing,
            ping_every,
        } = self;

        let Subscription { outlet, delivered } = subscription;
        let conn = outlet.conn;
        let hello = hello_frame(since.unwrap_or(delivered), sprint, &username);
        let mut open = send(&mut socket, &hello).await;
        // The room's frames up to here are covered by the catch-up (or were seen already).
        let mut through = delivered;
        if let Some(since) = since {
            through = through.max(since);
            open = open && catch_up(&db, (sprint, project), (since, delivered), &mut socket).await;
        }
        // From here the room's frames follow, written by the room's writer.
        outlet.release(through);

        // The tasks this connection is dragging: released for the others if it goes away
        // mid-drag (closed tab, crash, lost network), so no card stays locked forever.
        let mut dragging: HashSet<i32> = HashSet::new();
        // Gestures are cheap to send and fan out to everyone: a client gets a small budget.
        let mut gestures = GestureBudget::new();
        let mut ping = tokio::time::interval(ping_every);
        ping.tick().await;
        let mut last_heard = Instant::now();
        while open {
            tokio::select! {
                biased;
                word = outlet.attend() => match word {
                    Word::Gone => open = false,
                    // A change to this account (deactivated, a password set through a link, a
                    // membership) is checked at once rather than at the next ping.
                    Word::Account => {
                        if !standing.still_valid(&db, project).await {
                            tracing::info!(user = %username, "closing a stream whose user or session ended");
                            open = false;
                        }
                    }
                    Word::Lagged => {
                        // This client fell behind the room (it never stalls the others): what
                        // it missed is read from the log instead, once its standing is checked
                        // (as at a ping).
                        if !standing.still_valid(&db, project).await {
                            open = false;
                            continue;
                        }
                        let through = hub.delivered();
                        let since = outlet.resume_after();
                        open = catch_up(&db, (sprint, project), (since, through), &mut socket).await;
                        outlet.release(through);
                    }
                },
                // Not while the socket has much to take: a client that sends without reading
                // waits (see `Outlet::backed_up`).
                incoming = socket.next(), if !outlet.backed_up() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        last_heard = Instant::now();
                        match Incoming::parse(&text) {
                            Some(Incoming::Gesture { task, gesture }) => {
                                if !gestures.allow() {
                                    continue;
                                }
                                match gesture {
                                    // Bounded whatever a client sends.
                                    Gesture::Dragstart if dragging.len() < MAX_DRAGGING => {
                                        dragging.insert(task);
                                    }
                                    Gesture::Dragstart => {}
                                    Gesture::Dragend | Gesture::Drop => {
                                        dragging.remove(&task);
                                    }
                                }
                                hub.relay(sprint, conn, &username, task, gesture);
                            }
                            Some(Incoming::Presence) => {
                                if let Some(presence) = hub.presence(sprint) {
                                    open = send(&mut socket, &presence).await;
                                }
                            }
                            // Not on the whitelist (e.g. a forged `update`): dropped, never relayed.
                            None => tracing::debug!(user = %username, "dropped a client frame"),
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => open = false,
                    Some(Ok(_)) => last_heard = Instant::now(),
                },
                _ = ping.tick() => {
                    if last_heard.elapsed() > ping_every * 2 {
                        tracing::debug!(user = %username, "reaping a silent connection");
                        open = false;
                    } else if outlet.stalled_for().is_some_and(|stalled| stalled > SEND_TIMEOUT) {
                        tracing::debug!(user = %username, "dropping a client that stopped reading");
                        open = false;
                    } else if !standing.still_valid(&db, project).await {
                        tracing::info!(user = %username, "closing a stream whose user or session ended");
                        open = false;
                    } else {
                        open = socket.send(Message::Ping(Vec::new().into())).await.is_ok();
                    }
                }
            }
        }
        // Nothing of the room's may follow the close frame.
        outlet.close();
        for task in dragging {
            hub.relay(sprint, conn, &username, task, Gesture::Dragend);
        }
        hub.leave(sprint, conn);
        // Our close frame, or the reply to the client's.
        let _ = SinkExt::close(&mut socket).await;
        let _ = tokio::time::timeout(SEND_TIMEOUT, outlet.finish()).await;
    }
}
