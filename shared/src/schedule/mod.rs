//! Schedules in crontab syntax (five fields: minute hour day month weekday).

use chrono::{DateTime, Utc};

/// The schedule a connection gets when it polls and names none.
pub const DEFAULT: &str = "*/5 * * * *";

/// A parsed, valid crontab expression.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    cron: croner::Cron,
}

impl Schedule {
    /// Parses a five-field crontab expression; the error says what is wrong.
    pub fn parse(expression: &str) -> Result<Self, String> {
        let trimmed = expression.trim();
        let fields = trimmed.split_whitespace().count();
        if fields != 5 {
            return Err(format!(
                "'{trimmed}' is not a crontab expression: it needs 5 fields (minute hour day month weekday), it has {fields}"
            ));
        }
        let cron = croner::Cron::new(trimmed)
            .parse()
            .map_err(|e| format!("'{trimmed}' is not a valid crontab expression: {e}"))?;
        Ok(Self {
            expression: trimmed.to_owned(),
            cron,
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first run strictly after `after` (UTC).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_five_minutes() {
        let s = Schedule::parse(DEFAULT).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 10, 3, 12).unwrap();
        assert_eq!(
            s.next_after(at),
            Some(Utc.with_ymd_and_hms(2026, 11, 23, 10, 5, 0).unwrap())
        );
    }

    #[test]
    fn refuses_nonsense_with_a_reason() {
        assert!(Schedule::parse("every minute")
            .unwrap_err()
            .contains("5 fields"));
        assert!(Schedule::parse("61 * * * *").is_err());
    }
}
