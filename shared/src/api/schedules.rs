//! `GET /schedules`: every connection's polling job, in words.

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::page::{self, PageQuery};
use super::query::ValidQuery;
use super::views::List;
use crate::app::Ferry;
use crate::model::Connection;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub connection: String,
    pub name: String,
    pub active: bool,
    /// `null` for a webhook-only connection: it has no job.
    pub job: Option<JobView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// The crontab expression (UTC).
    pub expression: String,
    /// The expression in words, e.g. "every 5 minutes".
    pub description: String,
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    /// How the last run went; `null` before the first run.
    pub last_outcome: Option<OutcomeView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutcomeView {
    pub records_found: u64,
    pub error: Option<String>,
}

impl ScheduleView {
    fn new(c: &Connection) -> Self {
        let job = c.schedule.as_ref().map(|expression| JobView {
            expression: expression.clone(),
            description: describe(expression),
            next_run_at: c.next_run_at,
            last_run_at: c.last_run.at,
            last_outcome: c.last_run.at.map(|_| OutcomeView {
                records_found: c.last_run.records_found,
                error: c.last_run.error.clone(),
            }),
        });
        Self {
            connection: c.id.to_string(),
            name: c.name.clone(),
            active: c.active,
            job,
        }
    }
}

/// Every connection's job: its cron expression, last run, next run, last
/// outcome; webhook-only connections show `job: null`.
#[utoipa::path(get, path = "/api/v1/schedules", tag = "screens", params(PageQuery),
    responses((status = 200, body = List<ScheduleView>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidQuery(query): ValidQuery<PageQuery>,
) -> Result<Json<List<ScheduleView>>, ApiError> {
    let mut connections = ferry.store.list_connections(&caller.tenant).await?;
    connections.sort_by(|a, b| a.id.cmp(&b.id));
    let items = connections.iter().map(ScheduleView::new).collect();
    Ok(Json(page::paginate(
        items,
        query.cursor.as_deref(),
        query.limit,
        |s| s.connection.clone(),
    )?))
}

/// A crontab expression in words for the common shapes; any other shape
/// is given back as it is.
pub fn describe(expression: &str) -> String {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let [minute, hour, day, month, weekday] = fields.as_slice() else {
        return expression.to_owned();
    };
    let number = |field: &str, max: u32| field.parse::<u32>().ok().filter(|n| *n <= max);
    let step = |field: &str| field.strip_prefix("*/").and_then(|n| n.parse::<u32>().ok());
    let every = |n: u32, one: &str, many: &str| match n {
        1 => format!("every {one}"),
        n => format!("every {n} {many}"),
    };
    let described = match (*minute, *hour, *day, *month, *weekday) {
        ("*", "*", "*", "*", "*") => Some("every minute".to_owned()),
        (m, "*", "*", "*", "*") => step(m)
            .filter(|n| *n >= 1)
            .map(|n| every(n, "minute", "minutes"))
            .or_else(|| number(m, 59).map(|m| format!("every hour at minute {m}"))),
        (m, h, "*", "*", "*") => match (number(m, 59), number(h, 23), step(h)) {
            (Some(0), None, Some(n)) if n >= 1 => Some(every(n, "hour", "hours")),
            (Some(m), Some(h), _) => Some(format!("every day at {h:02}:{m:02} UTC")),
            _ => None,
        },
        (m, h, "*", "*", w) => match (number(m, 59), number(h, 23)) {
            (Some(m), Some(h)) => {
                weekdays(w).map(|days| format!("every {days} at {h:02}:{m:02} UTC"))
            }
            _ => None,
        },
        (m, h, d, "*", "*") => match (number(m, 59), number(h, 23), number(d, 31)) {
            (Some(m), Some(h), Some(d)) if d >= 1 => {
                Some(format!("on day {d} of every month at {h:02}:{m:02} UTC"))
            }
            _ => None,
        },
        _ => None,
    };
    described.unwrap_or_else(|| expression.to_owned())
}

/// `1`, `MON`, `1-5`: the weekdays in words.
fn weekdays(field: &str) -> Option<String> {
    const NAMES: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let day = |text: &str| -> Option<usize> {
        match text.parse::<usize>() {
            Ok(7) => Some(0),
            Ok(n) if n < 7 => Some(n),
            Ok(_) => None,
            Err(_) => NAMES
                .iter()
                .position(|name| name[..3].eq_ignore_ascii_case(text)),
        }
    };
    match field.split_once('-') {
        Some((from, to)) => match (day(from)?, day(to)?) {
            (1, 5) => Some("weekday (Monday to Friday)".into()),
            (from, to) if from < to => Some(format!("{} to {}", NAMES[from], NAMES[to])),
            _ => None,
        },
        None => day(field).map(|d| NAMES[d].to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn describes_the_common_shapes() {
        assert_eq!(describe("*/5 * * * *"), "every 5 minutes");
        assert_eq!(describe("* * * * *"), "every minute");
        assert_eq!(describe("*/1 * * * *"), "every minute");
        assert_eq!(describe("15 * * * *"), "every hour at minute 15");
        assert_eq!(describe("0 */2 * * *"), "every 2 hours");
        assert_eq!(describe("0 */1 * * *"), "every hour");
        assert_eq!(describe("30 6 * * *"), "every day at 06:30 UTC");
        assert_eq!(describe("0 7 * * 1"), "every Monday at 07:00 UTC");
        assert_eq!(describe("0 7 * * SUN"), "every Sunday at 07:00 UTC");
        assert_eq!(
            describe("0 7 * * 1-5"),
            "every weekday (Monday to Friday) at 07:00 UTC"
        );
        assert_eq!(
            describe("0 2 1 * *"),
            "on day 1 of every month at 02:00 UTC"
        );
    }

    #[test]
    fn gives_back_other_shapes_as_they_are() {
        for other in [
            "5,35 * * * *",
            "0 9-17 * * *",
            "0 0 1 1 *",
            "*/0 * * * *",
            "0 7 * * 5-1",
            "1 2 3",
        ] {
            assert_eq!(describe(other), other);
        }
    }
}
