//! What every form does around its request: one submission at a time, and the API's refusal
//! kept so that each field shows its own messages and the rest goes in a banner.

use std::future::Future;

use leptos::prelude::*;

use crate::api::ApiError;

#[derive(Clone, Copy)]
pub struct Submission {
    /// A request is under way (the submit button is disabled meanwhile).
    pub pending: RwSignal<bool>,
    /// The last refusal, until the next submission.
    pub error: RwSignal<Option<ApiError>>,
}

impl Default for Submission {
    fn default() -> Self {
        Self::new()
    }
}

impl Submission {
    pub fn new() -> Self {
        Self {
            pending: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Sends `request` unless one is already under way; `done` receives the answer, and a
    /// refusal is kept in `error`.
    pub fn send<T: 'static>(
        self,
        request: impl Future<Output = Result<T, ApiError>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        if self.pending.get_untracked() {
            return;
        }
        self.pending.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let result = request.await;
            self.pending.set(false);
            match result {
                Ok(answer) => done(answer),
                Err(refused) => self.error.set(Some(refused)),
            }
        });
    }

    /// The messages for the field `name`, shown beside it.
    pub fn field_error(self, name: &'static str) -> impl Fn() -> Option<String> + Copy {
        move || self.error.get().and_then(|e| e.field_text(name))
    }

    /// The banner above the form: the refusal, unless it is about one of `fields`.
    pub fn banner(self, fields: &'static [&'static str]) -> impl Fn() -> Option<String> + Copy {
        move || self.error.get().and_then(|e| e.unless_about(fields))
    }
}
