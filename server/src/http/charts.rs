//! The Scrum charts as markup the server writes: a sprint's burndown (with its burn-up) and a
//! project's velocity, each an SVG drawing, the exact value of every point on hover and focus,
//! and the same figures as a table for screen readers. No script: the burndown/burn-up switch
//! is a pair of radio buttons the style sheet follows, so the chart works before the bundle
//! loads, and where the board replaces it as cards move.

use app::model::{Burndown, BurndownDay, Points, Velocity};

use crate::http::forms::escape;

/// The drawing's size in its own units (it scales to its box).
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

fn points(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

fn of(value: Option<Points>) -> Option<f64> {
    value.map(|p| f64::from(p.tenths()) / 10.0)
}

/// A scale from 0 to at least `max` (and at least 4) in at most four round steps:
/// `(top, step)`.
fn scale(max: f64) -> (f64, f64) {
    let max = max.max(4.0);
    let step = [
        1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0,
    ]
    .into_iter()
    .find(|step| max / step <= 4.0)
    .unwrap_or(max / 4.0);
    ((max / step).ceil() * step, step)
}

struct Frame {
    count: usize,
    top: f64,
    step: f64,
}

impl Frame {
    fn x(&self, index: usize) -> f64 {
        let span = WIDTH - LEFT - RIGHT;
        if self.count <= 1 {
            LEFT + span / 2.0
        } else {
            LEFT + span * index as f64 / (self.count - 1) as f64
        }
    }

    fn y(&self, value: f64) -> f64 {
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - value / self.top)
    }

    /// Gridlines and their values, left.
    fn axis(&self) -> String {
        let mut out = String::new();
        let steps = (self.top / self.step).round() as u32;
        for step in 0..=steps {
            let value = self.step * f64::from(step);
            let y = self.y(value);
            out += &format!(
                r#"<line class="grid" x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text>"#,
                x2 = WIDTH - RIGHT,
                tx = LEFT - 6.0,
                ty = y + 4.0,
                label = points(value),
            );
        }
        out
    }
}

fn day_label(date: chrono::NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// One line through the days that have a value, with a focusable mark on each carrying its
/// exact value.
/// Beyond this many days a sprint's chart draws its lines without a mark per day, and its
/// table gives every seventh day (and the last): a long "sprint" stays a small page.
const MARKED_DAYS: usize = 62;

fn series(
    frame: &Frame,
    days: &[BurndownDay],
    class: &str,
    what: &str,
    value: impl Fn(&BurndownDay) -> Option<f64>,
) -> String {
    let mut marks: Vec<(usize, f64)> = days
        .iter()
        .enumerate()
        .filter_map(|(index, day)| value(day).map(|v| (index, v)))
        .collect();
    if days.len() > MARKED_DAYS {
        // A week a point, and the newest.
        let newest = marks.last().copied();
        marks.retain(|(index, _)| index % 7 == 0);
        if let Some(newest) = newest
            && marks.last() != Some(&newest)
        {
            marks.push(newest);
        }
    }
    if marks.is_empty() {
        return String::new();
    }
    let path: Vec<String> = marks
        .iter()
        .map(|(index, v)| format!("{:.1},{:.1}", frame.x(*index), frame.y(*v)))
        .collect();
    let mut out = format!(r#"<polyline class="{class}" points="{}"/>"#, path.join(" "));
    if days.len() > MARKED_DAYS {
        return out;
    }
    for (index, v) in marks {
        let label = format!("{}: {} {what}", day_label(days[index].date), points(v));
        let (x, y) = (frame.x(index), frame.y(v));
        // The measured figures take the keyboard; the ideal line's values show on hover (and
        // are all in the table), so a sprint is not two dozen tab stops.
        let focus = if class == "ideal" {
            ""
        } else {
            r#" tabindex="0""#
        };
        out += &format!(
            r#"<g class="mark {class}"{focus} role="img" aria-label="{label}"><circle cx="{x:.1}" cy="{y:.1}" r="4"/><text x="{x:.1}" y="{ty:.1}" text-anchor="middle">{value}</text></g>"#,
            label = escape(&label),
            ty = (y - 9.0).max(10.0),
            value = points(v),
        );
    }
    out
}

/// The days' ticks below, and non-working days shaded.
fn days_axis(frame: &Frame, days: &[BurndownDay]) -> String {
    let mut out = String::new();
    let every = days.len().div_ceil(14).max(1);
    let half = if days.len() > 1 {
        (frame.x(1) - frame.x(0)) / 2.0
    } else {
        8.0
    };
    for (index, day) in days.iter().enumerate() {
        let x = frame.x(index);
        if !day.working && days.len() <= MARKED_DAYS {
            out += &format!(
                r#"<rect class="off" x="{:.1}" y="{TOP}" width="{:.1}" height="{:.1}"/>"#,
                x - half,
                half * 2.0,
                HEIGHT - TOP - BOTTOM
            );
        }
        // The last day, and every `every`th day not too near it.
        let last = index + 1 == days.len();
        if last || (index % every == 0 && days.len() - 1 - index >= every) {
            out += &format!(
                r#"<text class="tick" x="{x:.1}" y="{y}" text-anchor="middle">{}</text>"#,
                day.date.format("%-d %b"),
                y = HEIGHT - 10.0
            );
        }
    }
    out
}

fn svg(class: &str, label: &str, body: &str) -> String {
    format!(
        r#"<svg class="{class}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">{body}</svg>"#,
        escape(label)
    )
}

/// The last day with figures, for the chart's summary.
fn latest(days: &[BurndownDay]) -> Option<&BurndownDay> {
    days.iter().rev().find(|day| day.remaining_points.is_some())
}

/// The pair of radio buttons that shows the burndown or the burn-up (the style sheet follows
/// them); `key` makes their ids unique on the page. The board writes its own, outside the chart
/// it redraws, so that a person's choice outlives the redrawing.
pub fn switch(key: &str) -> String {
    let key = escape(key);
    format!(
        r#"<div class="chart-switch" role="radiogroup" aria-label="Chart"><input type="radio" name="chart-{key}" id="chart-down-{key}" class="show-down" checked><label for="chart-down-{key}">Burndown</label><input type="radio" name="chart-{key}" id="chart-up-{key}" class="show-up"><label for="chart-up-{key}">Burn-up</label></div>"#
    )
}

/// A sprint's burndown and burn-up (one shown at a time, see [`switch`]), with a table of the
/// figures. `switch_key`: the chart carries its own switch, with these ids.
pub fn burndown(burndown: &Burndown, switch_key: Option<&str>) -> String {
    let days = &burndown.days;
    let max = days
        .iter()
        .map(|day| {
            day.ideal_points
                .max(of(day.scope_points).unwrap_or(0.0))
                .max(of(day.remaining_points).unwrap_or(0.0))
        })
        .fold(0.0, f64::max);
    let (top, step) = scale(max);
    let frame = Frame {
        count: days.len(),
        top,
        step,
    };
    let summary = match latest(days) {
        Some(day) => format!(
            "{} of {} points remaining on {} (ideal {}); {} completed.",
            points(of(day.remaining_points).unwrap_or(0.0)),
            points(of(day.scope_points).unwrap_or(0.0)),
            day_label(day.date),
            points(day.ideal_points),
            points(of(day.completed_points).unwrap_or(0.0)),
        ),
        None => "The sprint has not started: only the ideal line is drawn.".to_owned(),
    };
    let base = format!("{}{}", frame.axis(), days_axis(&frame, days));
    let down = svg(
        "down",
        &format!("Burndown. {summary}"),
        &format!(
            "{base}{}{}",
            series(&frame, days, "ideal", "points, ideal", |d| Some(
                d.ideal_points
            )),
            series(&frame, days, "actual", "points remaining", |d| of(
                d.remaining_points
            )),
        ),
    );
    let up = svg(
        "up",
        &format!("Burn-up. {summary}"),
        &format!(
            "{base}{}{}",
            series(&frame, days, "scope", "points in scope", |d| of(
                d.scope_points
            )),
            series(&frame, days, "actual", "points completed", |d| of(
                d.completed_points
            )),
        ),
    );
    let mut rows = String::new();
    let step = if days.len() > MARKED_DAYS { 7 } else { 1 };
    for (index, day) in days.iter().enumerate() {
        if index % step != 0 && index + 1 != days.len() {
            continue;
        }
        let cell = |value: Option<f64>| value.map(points).unwrap_or_else(|| "—".into());
        rows += &format!(
            "<tr><th scope=\"row\">{}{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            day_label(day.date),
            if day.working { "" } else { " (day off)" },
            cell(of(day.remaining_points)),
            day.remaining_tasks
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into()),
            cell(of(day.scope_points)),
            cell(of(day.completed_points)),
            points(day.ideal_points),
        );
    }
    format!(
        r#"<figure class="chart burndown"><figcaption><strong>Burndown</strong> <span class="chart-summary">{summary}</span></figcaption>{switch}<div class="chart-drawings">{down}{up}</div><details><summary>The figures as a table</summary><table><caption>Points at the end of each day</caption><thead><tr><th scope="col">Day</th><th scope="col">Remaining</th><th scope="col">Tasks left</th><th scope="col">Scope</th><th scope="col">Completed</th><th scope="col">Ideal</th></tr></thead><tbody>{rows}</tbody></table></details></figure>"#,
        summary = escape(&summary),
        switch = switch_key.map(switch).unwrap_or_default(),
    )
}

/// A project's velocity: the points each completed sprint committed and completed, as bars,
/// with the average and the forecast, and a table of the figures.
pub fn velocity(velocity: &Velocity) -> String {
    if velocity.sprints.is_empty() {
        return r#"<figure class="chart velocity"><figcaption><strong>Velocity</strong></figcaption><p class="empty">No sprint has been completed yet: complete one on its board to start the chart.</p></figure>"#.to_owned();
    }
    let sprints = &velocity.sprints;
    let value = |p: Points| f64::from(p.tenths()) / 10.0;
    let max = sprints
        .iter()
        .map(|s| value(s.completed_points).max(value(s.committed_points)))
        .fold(velocity.forecast.map_or(0.0, |[_, high]| high), f64::max);
    let (top, step) = scale(max);
    let frame = Frame {
        count: sprints.len(),
        top,
        step,
    };
    let slot = (WIDTH - LEFT - RIGHT) / sprints.len() as f64;
    let bar = (slot * 0.3).min(40.0);
    let mut body = frame.axis();
    let baseline = frame.y(0.0);
    for (index, sprint) in sprints.iter().enumerate() {
        let centre = LEFT + slot * (index as f64 + 0.5);
        for (offset, class, figure, what) in [
            (
                -bar / 2.0 - 1.0,
                "committed",
                value(sprint.committed_points),
                "committed",
            ),
            (
                bar / 2.0 + 1.0,
                "completed",
                value(sprint.completed_points),
                "completed",
            ),
        ] {
            let top = frame.y(figure);
            let x = centre + offset - bar / 2.0;
            let label = format!("{}: {} points {what}", sprint.name, points(figure));
            body += &format!(
                r#"<g class="mark {class}" tabindex="0" role="img" aria-label="{label}"><rect x="{x:.1}" y="{top:.1}" width="{bar:.1}" height="{h:.1}"/><text x="{tx:.1}" y="{ty:.1}" text-anchor="middle">{v}</text></g>"#,
                label = escape(&label),
                h = (baseline - top).max(0.5),
                tx = x + bar / 2.0,
                ty = (top - 6.0).max(10.0),
                v = points(figure),
            );
        }
        let name: String = sprint.name.chars().take(16).collect();
        body += &format!(
            r#"<text class="tick" x="{centre:.1}" y="{y}" text-anchor="middle">{}</text>"#,
            escape(&name),
            y = HEIGHT - 10.0
        );
    }
    if let Some(average) = velocity.average {
        let y = frame.y(average);
        body += &format!(
            r#"<line class="average" x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}"/>"#,
            x2 = WIDTH - RIGHT
        );
    }
    let summary = match (velocity.average, velocity.forecast) {
        (Some(average), Some([low, high])) => format!(
            "Average {} points over the last {} completed sprint{}; next sprint: {} to {} points.",
            points(average),
            sprints.len(),
            if sprints.len() == 1 { "" } else { "s" },
            points(low),
            points(high),
        ),
        _ => String::new(),
    };
    let mut rows = String::new();
    for sprint in sprints {
        rows += &format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&sprint.name),
            sprint.end.format("%-d %b %Y"),
            points(value(sprint.committed_points)),
            points(value(sprint.completed_points)),
        );
    }
    format!(
        r#"<figure class="chart velocity"><figcaption><strong>Velocity</strong> <span class="chart-summary">{summary}</span></figcaption><p class="legend"><span class="key committed"></span>Committed <span class="key completed"></span>Completed <span class="key average"></span>Average</p>{drawing}<details><summary>The figures as a table</summary><table><caption>Points per completed sprint</caption><thead><tr><th scope="col">Sprint</th><th scope="col">Ended</th><th scope="col">Committed</th><th scope="col">Completed</th></tr></thead><tbody>{rows}</tbody></table></details></figure>"#,
        summary = escape(&summary),
        drawing = svg("bars", &format!("Velocity. {summary}"), &body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_end_on_a_round_number_above_the_largest_value() {
        assert_eq!(scale(0.0), (4.0, 1.0));
        assert_eq!(scale(22.0), (30.0, 10.0));
        assert_eq!(scale(9.5), (10.0, 5.0));
        assert_eq!(scale(130.0), (150.0, 50.0));
    }

    fn days(count: i64) -> Burndown {
        let start = chrono::NaiveDate::from_ymd_opt(2030, 3, 4).unwrap();
        let days = (0..count)
            .map(|n| BurndownDay {
                date: start + chrono::TimeDelta::days(n),
                working: n % 7 < 5,
                remaining_points: (n < 10).then(|| Points(200 - n as u32 * 10)),
                remaining_tasks: (n < 10).then_some(10),
                scope_points: (n < 10).then_some(Points(200)),
                completed_points: (n < 10).then(|| Points(n as u32 * 10)),
                ideal_points: 20.0 * (1.0 - n as f64 / count as f64),
            })
            .collect();
        Burndown { sprint: 1, days }
    }

    #[test]
    fn a_sprints_measured_days_take_the_keyboard_and_a_long_one_stays_small() {
        let two_weeks = burndown(&days(14), None);
        // Ten measured days, a focusable mark each on the burndown's remaining points and the
        // burn-up's scope and completed points (the ideal line's show on hover).
        assert_eq!(two_weeks.matches(r#"tabindex="0""#).count(), 10 * 3);
        assert_eq!(two_weeks.matches("<tr><th scope=\"row\">").count(), 14);
        let a_year = burndown(&days(400), None);
        assert!(a_year.len() < 40_000, "{} bytes", a_year.len());
        assert_eq!(a_year.matches(r#"tabindex="0""#).count(), 0);
        assert_eq!(a_year.matches("<tr><th scope=\"row\">").count(), 58);
    }

    #[test]
    fn figures_are_written_as_people_read_them() {
        assert_eq!(points(9.5), "9.5");
        assert_eq!(points(20.0), "20");
        assert_eq!(points(8.8000001), "8.8");
    }
}
