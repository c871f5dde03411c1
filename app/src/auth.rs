//! Who is signed in: one session resource for the whole app, read by the header and by every
//! page that needs a person, plus the login form that stands in for such a page.

use leptos::prelude::*;
use serde::Serialize;

use crate::{
    api::{ApiError, use_api},
    components::{form::Submission, loading},
    json::{Read, Wire},
    model::SessionInfo,
    paths,
    routing::use_location,
};

/// How a page resource fetches its data, boxed (see [`Auth::page_resource`]).
type Fetch<S, T> = std::sync::Arc<
    dyn Fn(S) -> std::pin::Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send>> + Send + Sync,
>;

/// The session as the app knows it; `refresh` refetches `GET /api/session`.
#[derive(Clone, Copy)]
pub struct Auth {
    pub session: Resource<Option<SessionInfo>, Wire>,
    generation: RwSignal<u32>,
    /// Bumped in the browser once the session, refetched, names someone other than before.
    signed_in_as_changed: RwSignal<u32>,
}

impl Auth {
    /// Created once by `App`: the resource is fetched on the server (in-process, with the
    /// visitor's cookie) and travels to the browser inside the page.
    pub fn provide() -> Self {
        let api = use_api();
        let generation = RwSignal::new(0u32);
        let session = Resource::new_with_options(
            move || generation.get(),
            move |_| async move { api.get::<SessionInfo>("/api/session").await.ok() },
            false,
        );
        let signed_in_as_changed = RwSignal::new(0u32);
        // Writes carry the session's CSRF token, whichever side fetched the session. Effects
        // run only in the browser, so the server (which knows the session before any page
        // resource asks) never counts a change and never loads a page twice.
        Effect::new(move |known: Option<Option<Option<i32>>>| {
            let Some(info) = session.get() else {
                return known.flatten();
            };
            let now = info.as_ref().map(|info| info.user.id);
            api.set_csrf(info.map(|info| info.csrf_token));
            if matches!(known, Some(Some(before)) if before != now) {
                signed_in_as_changed.update(|n| *n += 1);
            }
            Some(now)
        });
        let auth = Auth {
            session,
            generation,
            signed_in_as_changed,
        };
        provide_context(auth);
        auth
    }

    /// The data of a page that needs someone signed in: `fetch` runs for what `source` asks
    /// (`None`: nothing asked yet) once the session says someone is, and again after every
    /// sign-in or sign-out; `Ok(None)` while nothing is fetched. Pages create it outside
    /// [`RequireLogin`], whose view the server may build more than once (fetching, and carrying
    /// in the page, a resource created inside once per build). The source reads the sign-in
    /// count because a resource does not track what its fetcher awaits.
    pub fn page_resource<S, T, Fut>(
        self,
        source: impl Fn() -> Option<S> + Send + Sync + 'static,
        fetch: impl Fn(S) -> Fut + Send + Sync + 'static,
    ) -> Resource<Result<Option<T>, ApiError>, Wire>
    where
        S: PartialEq + Clone + Send + Sync + 'static,
        T: Serialize + Read + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        // Boxed, so that the pages whose data is a `T` share one copy of a resource's code in
        // the bundle (its reactive and async machinery is large) rather than one per page.
        let fetch: Fetch<S, T> = std::sync::Arc::new(move |asked| Box::pin(fetch(asked)));
        self.boxed_page_resource(std::sync::Arc::new(source), fetch)
    }

    fn boxed_page_resource<S, T>(
        self,
        source: std::sync::Arc<dyn Fn() -> Option<S> + Send + Sync>,
        fetch: Fetch<S, T>,
    ) -> Resource<Result<Option<T>, ApiError>, Wire>
    where
        S: PartialEq + Clone + Send + Sync + 'static,
        T: Serialize + Read + Send + Sync + 'static,
    {
        Resource::new_with_options(
            move || (source(), self.signed_in_as_changed.get()),
            move |(asked, _)| {
                let fetching = asked.map(|asked| fetch(asked));
                async move {
                    let Some(fetching) = fetching else {
                        return Ok(None);
                    };
                    if self.session.await.is_none() {
                        return Ok(None);
                    }
                    fetching.await.map(Some)
                }
            },
            false,
        )
    }

    pub fn refresh(&self) {
        self.generation.update(|n| *n += 1);
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Shows `children` to a signed-in person and the login form to anyone else. The URL does not
/// change, so after signing in the person is on the page they asked for.
#[component]
pub fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let children = StoredValue::new(children);
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match auth.session.await {
                    Some(_) => children.read_value()().into_any(),
                    None => view! { <LoginForm on_done=Callback::new(move |_| auth.refresh()) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[derive(Serialize)]
struct Credentials {
    username: String,
    password: String,
}

/// "Username", "Password", "Login": signs in with `POST /api/session` (an HttpOnly cookie).
#[component]
pub fn LoginForm(#[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let api = use_api();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = Submission::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let credentials = Credentials {
            username: username.get_untracked(),
            password: password.get_untracked(),
        };
        form.send(
            async move {
                api.post::<_, SessionInfo>("/api/session", &credentials)
                    .await
            },
            move |info| {
                api.set_csrf(Some(info.csrf_token));
                on_done.run(());
            },
        );
    };
    let field_error = move |name: &'static str| form.field_error(name);
    // Anything not about one field (bad credentials, throttling, an unreachable server).
    let form_error = move || {
        form.error.get().and_then(|e| {
            e.field_text("non_field_errors")
                .or_else(|| e.unless_about(&["username", "password"]))
        })
    };

    crate::show_title("Sign in");
    view! {
        <section class="login" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in"</h1>
            <form class="stacked" method="post" on:submit=submit novalidate=false>
                {move || form_error().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                <label for="id_username">"Username"</label>
                <input
                    id="id_username"
                    type="text"
                    name="username"
                    autocomplete="username"
                    maxlength="150"
                    required
                    aria-describedby="id_username_error"
                    aria-invalid=move || field_error("username")().is_some().to_string()
                    prop:value=username
                    on:input=move |ev| username.set(event_target_value(&ev))
                />
                <span class="error" id="id_username_error">{field_error("username")}</span>
                <label for="id_password">"Password"</label>
                <input
                    id="id_password"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    required
                    aria-describedby="id_password_error"
                    aria-invalid=move || field_error("password")().is_some().to_string()
                    prop:value=password
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <span class="error" id="id_password_error">{field_error("password")}</span>
                <div class="actions">
                    <button type="submit" disabled=move || form.pending.get()>"Login"</button>
                </div>
            </form>
        </section>
    }
}

/// `/login?next=/sprint/3`: the form on its own page; afterwards, back to `next` if it is a
/// path on this site.
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    let on_done = Callback::new(move |_| {
        auth.refresh();
        let next = paths::safe_next(crate::routing::query_param("next").as_deref());
        location.navigate(&next);
    });
    view! { <LoginForm on_done /> }
}
