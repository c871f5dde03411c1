//! Comments' text to HTML: a safe subset of Markdown (emphasis, strike-through, code, links,
//! lists, quotes), rendered on the server so the browser inserts finished HTML and carries no
//! Markdown parser in its bundle.
//!
//! Parsing is pulldown-cmark's; what reaches the page is decided here, event by event. HTML
//! written in a comment (block or inline) becomes text, so `<script>` shows as `<script>`.
//! Links keep only `http:`, `https:`, `mailto:` and same-site paths (anything else, such as
//! `javascript:`, leaves the words and drops the link) and open with `rel="nofollow noopener
//! noreferrer"`. Images become links to the image: nothing is fetched because someone wrote
//! a comment. Headings read as bold paragraphs: a thread is not a document. Single line
//! breaks are kept, as people type them in a comment box. `@username` of a known person is
//! marked as a mention.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// A comment's text as HTML, with the people it mentions.
#[derive(Debug, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// Known usernames it mentions, in order of first appearance, each once.
    pub mentions: Vec<String>,
}

/// The characters of a username (Django's rule: letters, digits and `@.+-_`).
fn username_char(c: char) -> bool {
    c.is_alphanumeric() || "@.+-_".contains(c)
}

/// The `@name` tokens of `text` outside code, as written (each once): the names a write looks
/// up, to keep those that are people. A token's trailing dots also yield the name without them
/// ("thanks @bob." may mean `bob`).
pub fn mention_candidates(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = 0usize;
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Text(text) if in_code == 0 => {
                for (_, token) in tokens(&text) {
                    for name in [token, token.trim_end_matches('.')] {
                        if !name.is_empty() && !found.iter().any(|known| known == name) {
                            found.push(name.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// `(byte offset of the '@', name after it)` for each `@name` not preceded by a word
/// character (so an address like `x@example.com` is not a mention).
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut tokens = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        if c == '@' && !previous.is_some_and(|p| p.is_alphanumeric() || p == '_') {
            let rest = &text[at + 1..];
            let end = rest
                .char_indices()
                .find(|(_, c)| !username_char(*c))
                .map_or(rest.len(), |(end, _)| end);
            if end > 0 {
                tokens.push((at, &rest[..end]));
            }
        }
        previous = Some(c);
    }
    tokens
}

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH
}

/// Renders `text`; `people` are the usernames a write found among its
/// [`mention_candidates`] (the others stay plain text).
pub fn render(text: &str, people: &[String]) -> Rendered {
    let mut mentions: Vec<String> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    // For each open link or image: whether its opening tag was written (a refused one
    // writes neither end).
    let mut links: Vec<bool> = Vec::new();
    let mut in_code = 0usize;
    let mut pending = String::new();
    let flush =
        |pending: &mut String, events: &mut Vec<Event>, mentions: &mut Vec<String>, plain: bool| {
            if pending.is_empty() {
                return;
            }
            let text = std::mem::take(pending);
            if plain {
                events.push(Event::Text(text.into()));
            } else {
                mark_mentions(&text, people, events, mentions);
            }
        };
    for event in Parser::new_ext(text, options()) {
        if let Event::Text(text) = &event {
            pending.push_str(text);
            continue;
        }
        // Mentions are not looked for in code or inside a link's words.
        let plain = in_code > 0 || !links.is_empty();
        flush(&mut pending, &mut events, &mut mentions, plain);
        match event {
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            Event::Start(Tag::HtmlBlock) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => events.push(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::Heading { .. }) => {
                events.push(Event::Start(Tag::Paragraph));
                events.push(Event::Start(Tag::Strong));
            }
            Event::End(TagEnd::Heading(_)) => {
                events.push(Event::End(TagEnd::Strong));
                events.push(Event::End(TagEnd::Paragraph));
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let safe = safe_url(&dest_url);
                if safe {
                    let mut tag = String::from("<a href=\"");
                    pulldown_cmark_escape::escape_html(&mut tag, &dest_url)
                        .expect("writing to a string cannot fail");
                    tag.push_str("\" rel=\"nofollow noopener noreferrer\">");
                    events.push(Event::InlineHtml(CowStr::from(tag)));
                }
                links.push(safe);
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if links.pop().unwrap_or(false) {
                    events.push(Event::InlineHtml("</a>".into()));
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code += 1;
                events.push(Event::Start(Tag::CodeBlock(kind)));
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = in_code.saturating_sub(1);
                events.push(Event::End(TagEnd::CodeBlock));
            }
            Event::SoftBreak => events.push(Event::HardBreak),
            other => events.push(other),
        }
    }
    let plain = in_code > 0 || !links.is_empty();
    flush(&mut pending, &mut events, &mut mentions, plain);
    let mut html = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut html, events.into_iter());
    Rendered { html, mentions }
}

/// Pushes `text` as events, each `@name` of a person in `people` wrapped as a mention.
fn mark_mentions<'a>(
    text: &str,
    people: &[String],
    events: &mut Vec<Event<'a>>,
    mentions: &mut Vec<String>,
) {
    let mut written = 0;
    for (at, token) in tokens(text) {
        // The longest reading that names a person: `bob.` is `bob` when only he exists.
        let Some(name) = [token, token.trim_end_matches('.')]
            .into_iter()
            .find(|name| people.iter().any(|person| person == name))
        else {
            continue;
        };
        if at > written {
            events.push(Event::Text(text[written..at].to_owned().into()));
        }
        events.push(Event::InlineHtml("<span class=\"mention\">".into()));
        events.push(Event::Text(format!("@{name}").into()));
        events.push(Event::InlineHtml("</span>".into()));
        if !mentions.iter().any(|known| known == name) {
            mentions.push(name.to_owned());
        }
        written = at + 1 + name.len();
    }
    if written < text.len() {
        events.push(Event::Text(text[written..].to_owned().into()));
    }
}

/// Whether a link may point there: the web, mail, or a path on this site.
fn safe_url(url: &str) -> bool {
    // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        || (lower.starts_with('/') && !lower.starts_with("//"))
        || lower.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(text: &str) -> String {
        render(text, &[]).html
    }

    #[test]
    fn html_written_in_a_comment_is_text() {
        let out = html("<script>alert(1)</script>\n\nHi <b onmouseover=x>there</b>");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<b "), "{out}");
        assert!(
            out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{out}"
        );
        assert!(
            out.contains("&lt;b onmouseover=x&gt;there&lt;/b&gt;"),
            "{out}"
        );
    }

    #[test]
    fn the_safe_subset_renders() {
        assert_eq!(
            html("*so* **much** `code` ~~gone~~"),
            "<p><em>so</em> <strong>much</strong> <code>code</code> <del>gone</del></p>\n"
        );
        assert_eq!(
            html("- one\n- two"),
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        );
        assert_eq!(html("# Title"), "<p><strong>Title</strong></p>\n");
        assert_eq!(
            html("line one\nline two"),
            "<p>line one<br />\nline two</p>\n"
        );
        assert_eq!(
            html("```\n<b>x</b>\n```"),
            "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n"
        );
    }

    #[test]
    fn links_keep_only_safe_destinations() {
        assert_eq!(
            html("[docs](https://example.com/a?b=1&c=\"2\")"),
            "<p><a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\" \
             rel=\"nofollow noopener noreferrer\">docs</a></p>\n"
        );
        for unsafe_link in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](//evil.example/)",
            "<javascript:alert(1)>",
            "![x](javascript:alert(1))",
        ] {
            let out = html(unsafe_link);
            assert!(!out.contains("<a"), "{unsafe_link} gave {out}");
            assert!(!out.contains("href"), "{unsafe_link} gave {out}");
        }
        assert_eq!(
            html("![diagram](https://example.com/d.png)"),
            "<p><a href=\"https://example.com/d.png\" rel=\"nofollow noopener noreferrer\">\
             diagram</a></p>\n",
            "an image is a link to it, never loaded"
        );
        assert!(html("[mail](mailto:a@example.com)").contains("href=\"mailto:a@example.com\""));
        assert!(html("[board](/sprints/3)").contains("href=\"/sprints/3\""));
    }

    #[test]
    fn mentions_of_people_are_marked_and_listed_once() {
        let people = ["alice".to_owned(), "bob".to_owned()];
        let out = render(
            "@alice and @carol, see this. Thanks @bob. Mail me at x@bob.example; @alice again \
             `@bob` in code",
            &people,
        );
        assert_eq!(out.mentions, ["alice", "bob"]);
        assert!(
            out.html
                .starts_with("<p><span class=\"mention\">@alice</span> and @carol")
        );
        assert!(
            out.html
                .contains("Thanks <span class=\"mention\">@bob</span>.")
        );
        assert!(out.html.contains("x@bob.example"));
        assert!(out.html.contains("<code>@bob</code>"), "{}", out.html);
    }

    #[test]
    fn candidates_are_the_tokens_outside_code() {
        assert_eq!(
            mention_candidates("hi @bob. and @a.b and x@y.z\n\n```\n@code\n```"),
            ["bob.", "bob", "a.b"]
        );
    }
}
