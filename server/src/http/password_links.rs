//! `/password/{key}`: where an invitation or a password-reset link leads. The page names the
//! account and asks for a new password twice; once set, the link is used up, the person is
//! signed in and lands on the site. A link that is unknown, used, expired, or whose account
//! was deactivated answers 404 with what to do instead.

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use crate::{
    domain::accounts::links::{self, Found, Purpose, RedeemError},
    http::{
        error::AppError,
        forms::{self, escape},
        origin::RequestOrigin,
        state::AppState,
    },
};

const GONE_TITLE: &str = "This link no longer works";
const GONE_TEXT: &str = "It was used already, has expired, or was replaced by a newer one. Ask a site administrator for a new link.";

#[derive(Debug, Default, Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    password1: String,
    #[serde(default)]
    password2: String,
}

/// `GET /password/{key}`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    Ok(match links::find(&state.db, &key).await? {
        Some(found) => render(&state, &headers, &key, &found, &[], StatusCode::OK),
        None => gone(&state, &headers),
    })
}

/// `POST /password/{key}`: sets the password, signs the person in, and opens the site.
pub async fn submit(
    State(state): State<AppState>,
    origin: RequestOrigin,
    headers: HeaderMap,
    Path(key): Path<String>,
    Form(form): Form<NewPassword>,
) -> Result<Response, AppError> {
    if crate::http::extract::sent_from_this_site(&headers, &origin) != Some(true) {
        return Err(AppError::Forbidden(
            "CSRF Failed: the form must be sent from this site's password page.".into(),
        ));
    }
    let Some(found) = links::find(&state.db, &key).await? else {
        return Ok(gone(&state, &headers));
    };
    let refuse = |field: &'static str, message: String| {
        render(
            &state,
            &headers,
            &key,
            &found,
            &[(field, message)],
            StatusCode::BAD_REQUEST,
        )
    };
    if form.password1 != form.password2 {
        return Ok(refuse(
            "password2",
            "The two password fields didn’t match.".into(),
        ));
    }
    match links::redeem(&state.store, &key, &form.password1).await {
        Ok(user) => {
            state.account_changed(user.id);
            forms::signed_in(&state, &origin, user.id).await
        }
        Err(RedeemError::Weak(message)) => Ok(refuse("password1", message)),
        Err(RedeemError::Gone) => Ok(gone(&state, &headers)),
        Err(RedeemError::Db(error)) => Err(error.into()),
        Err(RedeemError::Internal(error)) => Err(AppError::Internal(error)),
    }
}

fn gone(state: &AppState, headers: &HeaderMap) -> Response {
    forms::message_page(state, headers, GONE_TITLE, GONE_TEXT, StatusCode::NOT_FOUND)
}

fn render(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
    found: &Found,
    problems: &[(&'static str, String)],
    status: StatusCode,
) -> Response {
    let (title, lead) = match found.purpose {
        Purpose::Invite => (
            "Choose your password",
            "You are invited to the board. Choose a password to finish your account.",
        ),
        Purpose::Reset => (
            "Choose a new password",
            "Your old password stops working, and every browser signed in as you is signed out.",
        ),
    };
    let action = escape(&format!("{}{}", state.config.base_path, links::path(key)));
    // The username is shown and sent along (hidden from view), so password managers file the
    // new password under the right account.
    let main = format!(
        r#"<section class="setup"><h1>{title}</h1><p>{lead}</p><form class="stacked" method="post" action="{action}"><label for="id_username">Username</label><input id="id_username" name="username" autocomplete="username" value="{username}" readonly>{password_fields}<div class="actions"><button type="submit" class="primary">Set password and sign in</button></div></form></section>"#,
        username = escape(&found.user.username),
        password_fields = forms::new_password_fields(problems),
    );
    forms::page(state, headers, title, "", &main, status)
}
