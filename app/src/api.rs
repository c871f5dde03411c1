//! Where the browser finds the REST API.

/// Origin of the REST API, compiled in from `SCRUM_API_ORIGIN` for static (Trunk) builds that
/// are hosted apart from the server, e.g. `https://scrum.example.com`. Empty means the page's
/// own origin, which is always the case for the server-rendered site.
pub const API_ORIGIN: &str = match option_env!("SCRUM_API_ORIGIN") {
    Some(origin) => origin,
    None => "",
};

/// The URL of an API path such as `/api/sprints`.
pub fn api_url(path: &str) -> String {
    format!("{API_ORIGIN}{path}")
}
