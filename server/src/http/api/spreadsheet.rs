//! Task lists as CSV (`GET /api/tasks?format=csv`), written for spreadsheets: UTF-8 with a
//! byte-order mark (without it Excel reads the file as the machine's legacy code page and
//! mangles every accent), one row per task, and text that a spreadsheet would run as a
//! formula defused (CSV injection: a task named `=HYPERLINK(…)` must stay text).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::domain::{
    db::entities::{label, sprint, task},
    service::tasks::Saved,
};

pub const HEADERS: [&str; 12] = [
    "ID",
    "Name",
    "Status",
    "Sprint",
    "Assigned",
    "Points",
    "Labels",
    "Started",
    "Due",
    "Completed",
    "Order",
    "Description",
];

/// Text as a spreadsheet shows it, never runs it: a cell starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return gets a leading apostrophe (OWASP's advice), which spreadsheets
/// hide and treat as "this is text".
pub fn defused(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The names of the sprints and labels `tasks` mention, looked up once.
async fn names(
    db: &impl ConnectionTrait,
    tasks: &[Saved],
) -> Result<(HashMap<i32, String>, HashMap<i32, String>), DbErr> {
    let sprint_ids: Vec<i32> = tasks.iter().filter_map(|t| t.task.sprint_id).collect();
    let label_ids: Vec<i32> = tasks
        .iter()
        .flat_map(|t| task::label_ids(&t.task.labels))
        .collect();
    let sprints = sprint::Entity::find()
        .filter(sprint::Column::Id.is_in(sprint_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let labels = label::Entity::find()
        .filter(label::Column::Id.is_in(label_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    Ok((sprints, labels))
}

/// The CSV file of `tasks`, in their order.
pub async fn tasks_csv(db: &impl ConnectionTrait, tasks: &[Saved]) -> Result<Vec<u8>, DbErr> {
    let (sprints, labels) = names(db, tasks).await?;
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let row_error = |error: csv::Error| DbErr::Custom(format!("writing CSV: {error}"));
        writer.write_record(HEADERS).map_err(row_error)?;
        let date = |day: Option<chrono::NaiveDate>| day.map(|d| d.to_string()).unwrap_or_default();
        for saved in tasks {
            let model = &saved.task;
            let status = app::model::TaskStatus::try_from(model.status)
                .map(|s| s.label().to_owned())
                .unwrap_or_default();
            let sprint = model
                .sprint_id
                .and_then(|id| sprints.get(&id).cloned())
                .unwrap_or_default();
            let label_names: Vec<String> = task::label_ids(&model.labels)
                .into_iter()
                .filter_map(|id| labels.get(&id).cloned())
                .collect();
            let points = model
                .points_tenths
                .and_then(|tenths| u32::try_from(tenths).ok())
                .map(|tenths| app::model::Points(tenths).to_string())
                .unwrap_or_default();
            writer
                .write_record([
                    model.id.to_string(),
                    defused(&model.name),
                    status,
                    defused(&sprint),
                    defused(saved.assignee.as_deref().unwrap_or_default()),
                    points,
                    defused(&label_names.join(", ")),
                    date(model.started),
                    date(model.due),
                    date(model.completed),
                    model.order.to_string(),
                    defused(&model.description),
                ])
                .map_err(row_error)?;
        }
        writer
            .flush()
            .map_err(|error| DbErr::Custom(format!("writing CSV: {error}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_run_is_defused() {
        assert_eq!(
            defused("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(defused("+1"), "'+1");
        assert_eq!(defused("-2+3"), "'-2+3");
        assert_eq!(defused("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defused("\tcmd"), "'\tcmd");
        assert_eq!(defused("Fix the login"), "Fix the login");
        assert_eq!(defused("a=b"), "a=b");
    }
}
