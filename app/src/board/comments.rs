//! A task's comment thread in its dialog: oldest first, plain text with a little Markdown
//! (rendered, and made safe, by the server), `@mentions` suggested while typing, each
//! person's own comments editable and deletable. The thread is fetched again whenever the
//! sprint's stream reports a comment on this task, so new ones appear live for everyone.
//!
//! The thread and the suggestions are written as markup ([`crate::markup`]) with one click
//! handler each: they exist only in the browser, and as typed views they cost the bundle
//! several times as much.

use leptos::{ev, prelude::*};
use serde::Serialize;

use super::store::BoardStore;
use crate::{
    api::use_api,
    auth::use_auth,
    components::form::Submission,
    markup::{avatar, escape, marked},
    model::Comment,
};

#[derive(Serialize)]
struct CommentBody {
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i32>,
}

/// The thread as markup: each comment with its author, age and text, and Edit/Delete on
/// `me`'s own (found by the click handler through `data-edit`/`data-delete`).
fn thread_html(store: &BoardStore, comments: &[Comment], me: &str) -> String {
    let mut out = String::new();
    for comment in comments {
        let full_name = store.full_name(&comment.author);
        let shown = if full_name.is_empty() {
            &comment.author
        } else {
            &full_name
        };
        let edited = if comment.edited.is_some() {
            " (edited)"
        } else {
            ""
        };
        let actions = if comment.author == me {
            format!(
                r#"<p class="comment-actions"><button type="button" class="link-button" data-edit="{0}">Edit</button><button type="button" class="link-button danger" data-delete="{0}">Delete</button></p>"#,
                comment.id
            )
        } else {
            String::new()
        };
        out += &format!(
            r#"<li class="comment" id="comment-{}"><p class="comment-meta">{}<strong>{}</strong> <span class="when">{}{edited}</span></p><div class="comment-body">{}</div>{actions}</li>"#,
            comment.id,
            avatar(&comment.author, &full_name, None),
            escape(shown),
            super::history::since(&comment.created),
            // Rendered and made safe by the server (HTML in the text arrives as text).
            comment.html,
        );
    }
    out
}

/// The `data-…` attribute `name` of the button a click landed on, as a number.
fn clicked(ev: &ev::MouseEvent, name: &str) -> Option<i32> {
    marked(ev, name)?.get_attribute(name)?.parse().ok()
}

#[component]
pub fn CommentThread(task: i32) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let api = use_api();
    let me = use_auth()
        .session
        .get_untracked()
        .flatten()
        .map(|info| info.user.username)
        .unwrap_or_default();
    let comments = RwSignal::new(Vec::<Comment>::new());
    let failed = RwSignal::new(None::<String>);
    // Fetched on opening and again whenever the stream reports a comment on this task.
    Effect::new(move |first: Option<()>| {
        let changed = store.threads.get();
        if first.is_some() && changed != Some(task) {
            return;
        }
        leptos::task::spawn_local(async move {
            let path = format!("/api/tasks/{task}/comments?page_size=100");
            match api.get_all::<Comment>(&path).await {
                Ok(list) => comments.set(list),
                Err(error) => failed.set(Some(error.message())),
            }
        });
    });
    let draft = RwSignal::new(String::new());
    // The comment being edited in the box, if any.
    let editing = RwSignal::new(None::<i32>);
    let form = Submission::new();
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let body = draft.get_untracked();
        let edited = editing.get_untracked().and_then(|id| {
            comments
                .with_untracked(|list| list.iter().find(|c| c.id == id).map(|c| (id, c.version)))
        });
        let request = async move {
            match edited {
                Some((id, version)) => {
                    let body = CommentBody {
                        body,
                        version: Some(version),
                    };
                    api.patch::<_, Comment>(&format!("/api/comments/{id}"), &body)
                        .await
                }
                None => {
                    let body = CommentBody {
                        body,
                        version: None,
                    };
                    api.post::<_, Comment>(&format!("/api/tasks/{task}/comments"), &body)
                        .await
                }
            }
        };
        form.send(request, move |saved| {
            draft.set(String::new());
            editing.set(None);
            comments.update(|list| match list.iter_mut().find(|c| c.id == saved.id) {
                Some(slot) => *slot = saved,
                None => list.push(saved),
            });
        });
    };
    let on_click = move |ev: ev::MouseEvent| {
        if let Some(id) = clicked(&ev, "data-edit") {
            if let Some(body) = comments
                .with_untracked(|list| list.iter().find(|c| c.id == id).map(|c| c.body.clone()))
            {
                draft.set(body);
                editing.set(Some(id));
                if let Some(area) = document().get_element_by_id("comment-body") {
                    let _ =
                        leptos::wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(area)
                            .focus();
                }
            }
        } else if let Some(id) = clicked(&ev, "data-delete") {
            form.send(api.delete(&format!("/api/comments/{id}")), move |()| {
                comments.update(|list| list.retain(|c| c.id != id))
            });
        }
    };
    let label = move || {
        if editing.get().is_some() {
            "Edit comment"
        } else {
            "Comment"
        }
    };
    view! {
        <section class="comments" aria-labelledby="comments-title">
            <h3 id="comments-title">"Comments"</h3>
            {move || failed.get().or_else(|| form.banner(&["body"])()).map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <ol
                class="thread"
                aria-labelledby="comments-title"
                on:click=on_click
                inner_html=move || comments.with(|list| {
                    if list.is_empty() {
                        r#"<li class="empty">No comments yet.</li>"#.to_owned()
                    } else {
                        thread_html(&store, list, &me)
                    }
                })
            ></ol>
            <form class="stacked" on:submit=submit>
                <label for="comment-body">{label}</label>
                <MentionBox id="comment-body" text=draft />
                <span class="error">{form.field_error("body")}</span>
                <div class="actions">
                    <button type="submit" disabled=move || form.pending.get() || draft.with(|d| d.trim_ascii().is_empty())>
                        {move || if editing.get().is_some() { "Save comment" } else { "Add comment" }}
                    </button>
                    {move || editing.get().is_some().then(|| view! {
                        <button type="button" on:click=move |_| { editing.set(None); draft.set(String::new()); }>"Cancel editing"</button>
                    })}
                </div>
            </form>
        </section>
    }
}

/// A text box that suggests people while an `@name` is being typed before the caret: arrows
/// choose, Enter or Tab (or a click) puts `@username ` in its place, Esc dismisses.
#[component]
pub fn MentionBox(id: &'static str, text: RwSignal<String>) -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let area = NodeRef::<leptos::html::Textarea>::new();
    // The usernames that match the partial name typed after `@`, and the one chosen.
    // (Space-separated: a signal of a type the bundle already has costs it nothing new.)
    let suggestions = RwSignal::new(String::new());
    let chosen = RwSignal::new(0usize);
    let caret = move || {
        area.get_untracked()
            .and_then(|area| area.selection_start().ok().flatten())
            .map_or(0, |at| at as usize)
    };
    let look = move || {
        // The caret counts UTF-16 units; usernames are ASCII, and `@` too.
        let at = caret();
        let before: String = text
            .with_untracked(|t| t.encode_utf16().take(at).collect::<Vec<u16>>())
            .into_iter()
            .map(|unit| char::from_u32(u32::from(unit)).unwrap_or(' '))
            .collect();
        let word = before
            .rsplit(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or_default();
        let found = word.strip_prefix('@').map(|prefix| {
            let prefix = prefix.to_ascii_lowercase();
            store.users.with_value(|users| {
                users
                    .iter()
                    .filter(|user| {
                        user.is_active && user.username.to_ascii_lowercase().starts_with(&prefix)
                    })
                    .take(6)
                    .map(|user| user.username.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        });
        suggestions.set(found.unwrap_or_default());
        chosen.set(0);
    };
    let insert = move |username: String| {
        let at = caret();
        text.update(|t| {
            let units: Vec<u16> = t.encode_utf16().collect();
            let head = String::from_utf16_lossy(&units[..at.min(units.len())]);
            let tail = String::from_utf16_lossy(&units[at.min(units.len())..]);
            let start = head.rfind('@').unwrap_or(head.len());
            *t = format!("{}@{username} {tail}", &head[..start]);
        });
        suggestions.set(String::new());
        if let Some(area) = area.get_untracked() {
            let _ = area.focus();
        }
    };
    let on_keydown = move |ev: ev::KeyboardEvent| {
        let count = suggestions.with_untracked(|s| s.split_ascii_whitespace().count());
        if count == 0 {
            return;
        }
        match ev.key().as_str() {
            "ArrowDown" => chosen.update(|n| *n = (*n + 1) % count),
            "ArrowUp" => chosen.update(|n| *n = (*n + count - 1) % count),
            "Enter" | "Tab" => {
                let pick = suggestions.with_untracked(|s| {
                    s.split_ascii_whitespace()
                        .nth(chosen.get_untracked())
                        .unwrap_or_default()
                        .to_owned()
                });
                insert(pick);
            }
            "Escape" => suggestions.set(String::new()),
            _ => return,
        }
        // Keys that work the list do nothing else (Esc leaves the dialog open).
        ev.prevent_default();
        ev.stop_propagation();
    };
    let list_id = format!("{id}-people");
    let options = move || {
        let chosen = chosen.get();
        suggestions.with(|names| {
            let mut out = String::new();
            for (n, username) in names.split_ascii_whitespace().enumerate() {
                let full_name = store.full_name(username);
                out += &format!(
                    r#"<li role="option" id="{id}-person-{n}" data-username="{0}" aria-selected="{1}">{2}<span>{3}</span> <span class="muted">@{0}</span></li>"#,
                    escape(username),
                    n == chosen,
                    avatar(username, &full_name, None),
                    escape(&full_name),
                );
            }
            out
        })
    };
    view! {
        <div class="mention-box">
            <textarea
                id=id
                node_ref=area
                rows="3"
                maxlength="10000"
                aria-autocomplete="list"
                aria-controls=list_id.clone()
                aria-activedescendant=move || (!suggestions.with(String::is_empty)).then(|| format!("{id}-person-{}", chosen.get()))
                prop:value=text
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    look();
                }
                on:keydown=on_keydown
                on:blur=move |_| suggestions.set(String::new())
            ></textarea>
            <ul
                class="menu mentions"
                role="listbox"
                id=list_id
                aria-label="People"
                hidden=move || suggestions.with(String::is_empty)
                // Before the text box's blur, which would close the list.
                on:mousedown=move |ev: ev::MouseEvent| {
                    ev.prevent_default();
                    let picked = marked(&ev, "data-username").and_then(|t| t.get_attribute("data-username"));
                    if let Some(username) = picked {
                        insert(username);
                    }
                }
                inner_html=options
            ></ul>
        </div>
    }
}
