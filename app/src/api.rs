//! The REST API client the views use. In the browser it is `fetch` (gloo-net) with the session
//! cookie; during server-side rendering the server hands the app an in-process transport that
//! answers from its own API router with the visitor's cookie, so the first page already holds
//! the data and both sides parse the very same JSON.

use std::{future::Future, pin::Pin, sync::Arc};

use leptos::prelude::*;
use serde::Serialize;

use crate::{
    json::{Json, Read},
    read_fields,
};

/// Origin of the server, compiled in from `SCRUM_API_ORIGIN` for static (Trunk) builds that
/// are hosted apart from it, e.g. `https://scrum.example.com` (with its `BASE_PATH`, if any:
/// `https://example.com/scrum`). Empty means the page's own origin, which is always the case
/// for the server-rendered site.
pub const API_ORIGIN: &str = match option_env!("SCRUM_API_ORIGIN") {
    Some(origin) => origin,
    None => "",
};

/// The URL of a path the server answers (the API, its own pages such as `/account`, a CSV
/// download) under the site's base path. For the server-rendered site it is the root-relative
/// path itself.
pub fn server_url(path: &str) -> String {
    format!("{}{}", server_prefix(), crate::paths::href(path))
}

/// [`API_ORIGIN`] as a prefix of paths (a trailing `/` in the setting is forgiven).
fn server_prefix() -> &'static str {
    API_ORIGIN.trim_end_matches('/')
}

/// The live stream's URL for `path` (`/socket?sprint=3`): on the server's origin, `ws://` or
/// `wss://` as the page or the compiled-in origin says.
#[cfg(all(feature = "browser", not(feature = "ssr")))]
pub fn socket_url(path: &str) -> String {
    let location = leptos::prelude::window().location();
    let (secure, server) = match server_prefix().split_once("://") {
        Some((scheme, rest)) => (scheme.eq_ignore_ascii_case("https"), rest.to_owned()),
        None => (
            location.protocol().as_deref() == Ok("https:"),
            location.host().unwrap_or_default(),
        ),
    };
    let scheme = if secure { "wss" } else { "ws" };
    format!("{scheme}://{server}{}", crate::paths::href(path))
}

/// A refused or failed request, as the views need it: the status and the API's JSON body as
/// the server sent it (`{"detail": …}`, `{"field": ["message"]}` or, for 412, the current
/// object). The body is kept as text and read when a view asks, so the bundle needs no
/// untyped JSON tree.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiError {
    /// 0 when the server could not be reached at all.
    pub status: u16,
    pub body: String,
}

impl ApiError {
    fn unreachable() -> Self {
        ApiError {
            status: 0,
            body: r#"{"detail":"The server could not be reached. Check your connection and try again."}"#
                .to_owned(),
        }
    }

    /// The body's messages by field (`detail` and `non_field_errors` included), in the order
    /// the server wrote them; empty when the body is not a JSON object. A field's messages are
    /// a string or a list of strings; any other value (a 412 body is a whole task, with
    /// numbers and objects) carries none.
    fn messages(&self) -> Vec<(String, Vec<String>)> {
        let Some(body) = Json::parse(&self.body) else {
            return Vec::new();
        };
        let messages_of = |value: &Json| match value {
            Json::List(items) => items.iter().filter_map(String::read).collect(),
            _ => String::read(value).into_iter().collect(),
        };
        body.fields()
            .iter()
            .map(|(field, value)| (field.to_string(), messages_of(value)))
            .collect()
    }

    /// The messages for one field (`non_field_errors` for the form as a whole).
    pub fn field(&self, name: &str) -> Vec<String> {
        self.messages()
            .into_iter()
            .find(|(field, _)| field == name)
            .map(|(_, messages)| messages)
            .unwrap_or_default()
    }

    /// A field's messages as one line beside it, or `None` when it has none.
    pub fn field_text(&self, name: &str) -> Option<String> {
        let text = self.field(name).join(" ");
        (!text.is_empty()).then_some(text)
    }

    /// The banner a form shows above its fields: the error's message, unless it is about one
    /// of `fields` (then it is shown beside that field instead).
    pub fn unless_about(&self, fields: &[&str]) -> Option<String> {
        let by_field = fields.iter().any(|field| !self.field(field).is_empty());
        (!by_field).then(|| self.message())
    }

    /// One sentence for a banner: the `detail`, else the first message of any field.
    pub fn message(&self) -> String {
        let messages = self.messages();
        let first_of = |name: Option<&str>| {
            messages
                .iter()
                .filter(|(field, _)| name.is_none_or(|name| field == name))
                .find_map(|(_, messages)| messages.first().cloned())
        };
        first_of(Some("detail"))
            .or_else(|| first_of(None))
            .unwrap_or_else(|| format!("The request failed ({}).", self.status))
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status == 401 || self.status == 403
    }
}

/// What a transport answers: the status and the body text.
pub type Answer = (u16, String);
type AnswerFuture = Pin<Box<dyn Future<Output = Answer> + Send>>;

/// The server's in-process transport for server-side rendering: `(method, path, body)` in, the
/// API router's answer out. Provided as context by the server for each page it renders.
#[derive(Clone)]
pub struct ServerTransport(
    pub Arc<dyn Fn(&'static str, String, Option<String>) -> AnswerFuture + Send + Sync>,
);

/// The API client: cheap to copy, taken from context with [`use_api`].
#[derive(Clone, Copy)]
pub struct Api {
    /// The session's CSRF token, sent as `X-CSRFToken` on writes (the `Origin` check covers
    /// browsers that send it; the token covers the rest).
    csrf: RwSignal<Option<String>>,
    /// Only server-side rendering answers from the server's own router.
    #[cfg(feature = "ssr")]
    server: StoredValue<Option<ServerTransport>>,
}

impl Api {
    pub fn new() -> Self {
        Api {
            csrf: RwSignal::new(None),
            #[cfg(feature = "ssr")]
            server: StoredValue::new(use_context::<ServerTransport>()),
        }
    }

    pub fn set_csrf(&self, token: Option<String>) {
        self.csrf.set(token);
    }

    pub async fn get<T: Read>(&self, path: &str) -> Result<T, ApiError> {
        decode(self.send("GET", path.to_owned(), None).await)
    }

    /// An answer that is not JSON (a page part the server writes, `?format=html`), as text.
    pub async fn get_text(&self, path: &str) -> Result<String, ApiError> {
        accepted(self.send("GET", path.to_owned(), None).await)
    }

    /// Every item of a paginated list, following `next` (never silently truncated).
    pub async fn get_all<T: Read>(&self, path: &str) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut next = Some(path.to_owned());
        while let Some(url) = next.take() {
            let body = accepted(self.send("GET", url, None).await)?;
            let page = parse_tree(&body)?;
            items.extend(read::<Vec<T>>(page.get("results"))?);
            next = page
                .field::<String>("next")
                .map(|absolute| api_path_of(&absolute));
        }
        Ok(items)
    }

    /// The items of one page of a list (no following `next`: histories can be long).
    pub async fn get_page<T: Read>(&self, path: &str) -> Result<Vec<T>, ApiError> {
        let body = accepted(self.send("GET", path.to_owned(), None).await)?;
        read(parse_tree(&body)?.get("results"))
    }

    pub async fn post<B: Serialize, T: Read>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        decode(
            self.send("POST", path.to_owned(), Some(to_json(body)))
                .await,
        )
    }

    pub async fn patch<B: Serialize, T: Read>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        decode(
            self.send("PATCH", path.to_owned(), Some(to_json(body)))
                .await,
        )
    }

    /// A `POST` without a body whose answer may be empty (204): `None` then.
    pub async fn post_empty<T: Read>(&self, path: &str) -> Result<Option<T>, ApiError> {
        let body = accepted(self.send("POST", path.to_owned(), None).await)?;
        if body.is_empty() {
            Ok(None)
        } else {
            parse(&body).map(Some)
        }
    }

    pub fn delete(&self, path: &str) -> impl Future<Output = Result<(), ApiError>> + use<> {
        self.effect("DELETE", path)
    }

    /// A request without a body, for its effect alone (`DELETE`, or a `POST` like `/preferences`).
    /// One future for all of them: each async body is its own code in the bundle.
    pub fn effect(
        &self,
        method: &'static str,
        path: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + use<> {
        let sent = self.send(method, path.to_owned(), None);
        async move { accepted(sent.await).map(drop) }
    }

    /// One request; the answer is always `Send` so resources can hold it on either side.
    fn send(
        &self,
        method: &'static str,
        path: String,
        body: Option<String>,
    ) -> impl Future<Output = Answer> + Send + 'static + use<> {
        #[cfg(feature = "ssr")]
        {
            let server = self.server.get_value();
            async move {
                match server {
                    Some(transport) => (transport.0)(method, path, body).await,
                    None => (0, String::new()),
                }
            }
        }
        #[cfg(all(feature = "browser", not(feature = "ssr")))]
        {
            let csrf = self.csrf.get_untracked();
            send_wrapper::SendWrapper::new(browser_send(method, path, body, csrf))
        }
        #[cfg(not(any(feature = "ssr", feature = "browser")))]
        {
            let _ = (method, path, body, self.csrf);
            async { (0, String::new()) }
        }
    }
}

read_fields!(ApiError { status, body });

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

/// The API client of this app (provided once by `App`).
pub fn use_api() -> Api {
    use_context::<Api>().unwrap_or_default()
}

fn to_json<B: Serialize>(body: &B) -> String {
    serde_json::to_string(body).unwrap_or_else(|_| "{}".into())
}

fn decode<T: Read>(answer: Answer) -> Result<T, ApiError> {
    parse(&accepted(answer)?)
}

/// A 2xx answer's body, or the refusal any other status is.
fn accepted((status, body): Answer) -> Result<String, ApiError> {
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(error_of(status, body))
    }
}

/// A successful answer's JSON as `T`; anything else is the server's fault (502).
fn parse<T: Read>(text: &str) -> Result<T, ApiError> {
    read(&parse_tree(text)?)
}

fn parse_tree(text: &str) -> Result<Json<'_>, ApiError> {
    Json::parse(text).ok_or_else(unreadable)
}

fn read<T: Read>(json: &Json) -> Result<T, ApiError> {
    T::read(json).ok_or_else(unreadable)
}

fn unreadable() -> ApiError {
    ApiError {
        status: 502,
        body: r#"{"detail":"The server's answer could not be read."}"#.to_owned(),
    }
}

fn error_of(status: u16, body: String) -> ApiError {
    if status == 0 {
        return ApiError::unreachable();
    }
    ApiError { status, body }
}

/// A pagination link (`next`, absolute, under the server's base path) as the API path the
/// client sends (`/api/tasks?page=2`): we stay on the server we asked.
fn api_path_of(url: &str) -> String {
    let path = path_of(url);
    let base = path_of(&server_url(""));
    match path.strip_prefix(base.trim_end_matches('/')) {
        Some(rest) if rest.starts_with("/api") => rest.to_owned(),
        _ => path,
    }
}

/// The path and query of a URL (`http://host/x?y` → `/x?y`; a path stays as it is).
fn path_of(url: &str) -> String {
    match url.find("://") {
        Some(scheme_end) => {
            let rest = &url[scheme_end + 3..];
            match rest.find('/') {
                Some(slash) => rest[slash..].to_owned(),
                None => "/".to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(all(feature = "browser", not(feature = "ssr")))]
async fn browser_send(
    method: &'static str,
    path: String,
    body: Option<String>,
    csrf: Option<String>,
) -> Answer {
    use gloo_net::http::{Method, RequestBuilder};
    let method = match method {
        "POST" => Method::POST,
        "PATCH" => Method::PATCH,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        _ => Method::GET,
    };
    // API paths come bare (`/api/…`); others (`/preferences`) already under the base path.
    let url = if path.starts_with("/api") {
        server_url(&path)
    } else {
        format!("{}{path}", server_prefix())
    };
    let mut builder = RequestBuilder::new(&url)
        .method(method)
        .header("Accept", "application/json");
    // Hosted apart from the server, the page sends the session cookie only when asked to.
    if !API_ORIGIN.is_empty() {
        builder = builder.credentials(web_sys::RequestCredentials::Include);
    }
    if let Some(token) = csrf {
        builder = builder.header("X-CSRFToken", &token);
    }
    let request = match body {
        Some(json) => builder
            .header("Content-Type", "application/json")
            .body(json),
        None => builder.build(),
    };
    let Ok(request) = request else {
        return (0, String::new());
    };
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            (status, response.text().await.unwrap_or_default())
        }
        Err(_) => (0, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_links_stay_on_our_origin() {
        assert_eq!(
            path_of("http://example.com/api/tasks?page=2&sprint=1"),
            "/api/tasks?page=2&sprint=1"
        );
        assert_eq!(path_of("/api/tasks?page=2"), "/api/tasks?page=2");
        // At the root (no base path, no compiled-in origin in tests): the API path itself.
        assert_eq!(
            api_path_of("http://example.com/api/tasks?page=2"),
            "/api/tasks?page=2"
        );
    }

    #[test]
    fn errors_name_their_field_or_detail() {
        let error = error_of(
            400,
            r#"{"end": ["End date cannot be in the past."]}"#.into(),
        );
        assert_eq!(error.field("end"), vec!["End date cannot be in the past."]);
        assert_eq!(error.message(), "End date cannot be in the past.");
        assert_eq!(
            error_of(404, r#"{"detail": "Not found."}"#.into()).message(),
            "Not found."
        );
        assert_eq!(error_of(0, String::new()).status, 0);
        assert!(
            error_of(0, String::new())
                .message()
                .starts_with("The server could not be reached.")
        );
        assert_eq!(
            error_of(502, "<html>Bad Gateway</html>".into()).message(),
            "The request failed (502)."
        );
        let mixed = error_of(
            400,
            r#"{"non_field_errors": "Wrong.", "due": [1, "Not a date.", {"x": 2}], "n": 3}"#.into(),
        );
        assert_eq!(mixed.field("non_field_errors"), vec!["Wrong."]);
        assert_eq!(mixed.field("due"), vec!["Not a date."]);
        assert!(mixed.field("n").is_empty());
        assert_eq!(mixed.message(), "Wrong.");
        assert_eq!(
            error_of(
                400,
                r#"{"name": ["Too long."], "detail": "Refused."}"#.into()
            )
            .message(),
            "Refused.",
            "the detail is the banner wherever it comes in the body"
        );
        assert_eq!(
            error.field_text("end").as_deref(),
            Some("End date cannot be in the past.")
        );
        assert_eq!(error.field_text("name"), None);
        assert_eq!(error.unless_about(&["name", "end"]), None);
        assert_eq!(
            error.unless_about(&["name"]).as_deref(),
            Some("End date cannot be in the past.")
        );
    }
}
