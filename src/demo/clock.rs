//! Wall-clock time for the live log, in the user's time zone.

use time::{OffsetDateTime, UtcOffset, macros::format_description};

/// Formats "now" as `HH:MM:SS` in a fixed UTC offset.
///
/// The offset is read once, at start-up: on Linux the `time` crate only reads the local
/// offset while the process has a single thread (reading it later could race with
/// `setenv`), so [`Clock::local`] must run before the async runtime starts its workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    offset: UtcOffset,
}

impl Clock {
    /// The local time zone's current offset, or UTC when it cannot be read safely.
    pub fn local() -> Clock {
        Clock {
            offset: UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC),
        }
    }

    /// UTC; for tests and when the local zone does not matter.
    pub fn utc() -> Clock {
        Clock {
            offset: UtcOffset::UTC,
        }
    }

    /// `HH:MM:SS` now.
    pub fn now(&self) -> String {
        Self::format(OffsetDateTime::now_utc().to_offset(self.offset))
    }

    fn format(at: OffsetDateTime) -> String {
        at.format(format_description!("[hour]:[minute]:[second]"))
            .unwrap_or_else(|_| "--:--:--".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_are_hours_minutes_seconds() {
        assert_eq!(
            Clock::format(datetime!(2025-01-02 03:04:05 UTC)),
            "03:04:05"
        );
        let now = Clock::utc().now();
        assert_eq!(now.len(), 8);
        assert_eq!(now.as_bytes().get(2), Some(&b':'));
    }
}
