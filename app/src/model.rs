//! Types shared by the server and the browser: plain serde, no database or DOM in sight.

use serde::{Deserialize, Serialize};

/// A task's workflow state. The numbers and labels are the book's API contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "i16", try_from = "i16")]
pub enum TaskStatus {
    NotStarted = 1,
    InProgress = 2,
    Testing = 3,
    Done = 4,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::NotStarted,
        TaskStatus::InProgress,
        TaskStatus::Testing,
        TaskStatus::Done,
    ];

    /// The API's `status_display` (the book's `get_status_display()`).
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "Not Started",
            TaskStatus::InProgress => "In Progress",
            TaskStatus::Testing => "Testing",
            TaskStatus::Done => "Done",
        }
    }

    /// The board's column title for a sprint task in this state.
    pub fn column_title(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "Not Started",
            TaskStatus::InProgress => "In Development",
            TaskStatus::Testing => "In Testing",
            TaskStatus::Done => "Completed",
        }
    }

    pub fn code(self) -> i16 {
        self as i16
    }
}

impl From<TaskStatus> for i16 {
    fn from(status: TaskStatus) -> Self {
        status.code()
    }
}

impl TryFrom<i16> for TaskStatus {
    type Error = String;

    fn try_from(code: i16) -> Result<Self, Self::Error> {
        TaskStatus::ALL
            .into_iter()
            .find(|status| status.code() == code)
            .ok_or_else(|| format!("{code} is not one of the available choices."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_travel_as_the_books_numbers() {
        assert_eq!(serde_json::to_string(&TaskStatus::Testing).unwrap(), "3");
        assert_eq!(
            serde_json::from_str::<TaskStatus>("4").unwrap(),
            TaskStatus::Done
        );
        assert!(serde_json::from_str::<TaskStatus>("5").is_err());
        assert_eq!(TaskStatus::InProgress.label(), "In Progress");
        assert_eq!(TaskStatus::InProgress.column_title(), "In Development");
    }
}
