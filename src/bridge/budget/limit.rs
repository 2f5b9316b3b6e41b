//! The hourly limit the bridge keeps itself under, learned from LG's answers.
//!
//! LG documents only that its limit is per user and per hour and that it may change
//! (thinq-api.md §6.1, §9); one user hit it somewhere between 100 and 200 calls. So the bridge
//! starts from a guess ([`FIRST_LIMIT`], enough for a 60-appliance first start: 3 calls per
//! appliance and 4 for the account), and learns:
//!
//! * **Multiplicative decrease.** When LG answers 1306 / 1314 the limit drops to three
//!   quarters of what was spent in the last hour (or of the limit, if that is lower): below
//!   what LG just refused, so the rest of the hour passes without another refusal.
//! * **Additive increase.** After a whole hour without a refusal in which calls had to wait
//!   for the limit, it rises by a twentieth (at least [`RAISE_STEP`]). An idle bridge learns
//!   nothing about LG's limit, so it does not raise it.
//!
//! The limit, and when the calls of the last hour were made, are kept in `call-budget.json` in
//! the data directory: a restart neither forgets what LG taught nor spends the hour's calls a
//! second time. This module does no I/O but that file, and takes every instant from its caller.

use crate::thinq::credentials::write_atomic;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The limit before LG has said anything: a 60-appliance first start (about 185 calls) fits.
pub const FIRST_LIMIT: usize = 240;
/// Never below this: a start with stored credentials and a few devices must still fit.
pub const LOWEST_LIMIT: usize = 20;
/// Never above this: LG has never been seen to allow more, and no home needs it.
pub const HIGHEST_LIMIT: usize = 1000;
/// The smallest raise after a quiet hour.
pub const RAISE_STEP: usize = 5;

const FILE: &str = "call-budget.json";

/// The learned limit on calls per budget window (an hour in production).
#[derive(Debug, Clone)]
pub struct LearnedLimit {
    limit: usize,
    /// The start of the current quiet stretch: the last change or refusal.
    quiet_since: Instant,
    /// Calls had to wait for the limit during the quiet stretch.
    pressed: bool,
}

impl LearnedLimit {
    pub fn new(limit: usize, now: Instant) -> LearnedLimit {
        LearnedLimit {
            limit: limit.clamp(LOWEST_LIMIT, HIGHEST_LIMIT),
            quiet_since: now,
            pressed: false,
        }
    }

    pub fn get(&self) -> usize {
        self.limit
    }

    /// LG refused a call for too many calls after `spent` calls in the last window: the limit
    /// drops below both. Returns the new limit.
    pub fn refused(&mut self, spent: usize, now: Instant) -> usize {
        let below = spent.min(self.limit) * 3 / 4;
        self.limit = below.clamp(LOWEST_LIMIT, HIGHEST_LIMIT);
        self.quiet_since = now;
        self.pressed = false;
        self.limit
    }

    /// A call waited because the window held `limit` calls already.
    pub fn pressed(&mut self) {
        self.pressed = true;
    }

    /// Raises the limit when a whole `window` has passed since the last change without a
    /// refusal and calls had to wait for it meanwhile. Returns the new limit when it rose.
    pub fn raise_if_quiet(&mut self, now: Instant, window: Duration) -> Option<usize> {
        if now.duration_since(self.quiet_since) < window {
            return None;
        }
        self.quiet_since = now;
        if !std::mem::take(&mut self.pressed) || self.limit >= HIGHEST_LIMIT {
            return None;
        }
        self.limit = (self.limit + (self.limit / 20).max(RAISE_STEP)).min(HIGHEST_LIMIT);
        Some(self.limit)
    }
}

/// What `call-budget.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    hourly_limit: usize,
    /// Unix seconds of each call of the last window (commands included).
    recent_calls: Vec<u64>,
}

/// What a start finds of the last run: the learned limit and how long ago (each less than
/// `window`) its most recent calls were made.
#[derive(Debug, Default, PartialEq)]
pub struct Remembered {
    pub limit: Option<usize>,
    pub call_ages: Vec<Duration>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Reads the file; missing or unreadable is a first start (an unreadable one is logged).
pub fn load(dir: &Path, window: Duration) -> Remembered {
    let Ok(bytes) = std::fs::read(dir.join(FILE)) else {
        return Remembered::default();
    };
    let stored: Stored = match serde_json::from_slice(&bytes) {
        Ok(stored) => stored,
        Err(err) => {
            tracing::warn!("{FILE} is unreadable ({err}); starting from the first limit");
            return Remembered::default();
        }
    };
    let now = unix_now();
    let mut call_ages: Vec<Duration> = stored
        .recent_calls
        .iter()
        .filter(|t| **t <= now)
        .map(|t| Duration::from_secs(now - t))
        .filter(|age| *age < window)
        .collect();
    call_ages.sort_unstable_by(|a, b| b.cmp(a));
    Remembered {
        limit: (stored.hourly_limit > 0).then_some(stored.hourly_limit),
        call_ages,
    }
}

/// Writes the limit and the call instants of the window (atomically; a failure is logged,
/// never fatal: the worst outcome is a restart that starts from the first limit).
pub fn save(dir: &Path, limit: usize, calls: impl Iterator<Item = Instant>) {
    let now = Instant::now();
    let unix = unix_now();
    let stored = Stored {
        hourly_limit: limit,
        recent_calls: calls
            .map(|t| unix.saturating_sub(now.saturating_duration_since(t).as_secs()))
            .collect(),
    };
    match serde_json::to_vec(&stored) {
        Ok(json) => {
            if let Err(err) = write_atomic(dir, FILE, &json, 0o644) {
                tracing::warn!(%err, "cannot keep the call budget in the data directory");
            }
        }
        Err(err) => tracing::warn!(%err, "cannot serialize the call budget"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_refusal_drops_the_limit_below_what_was_spent() {
        let t0 = Instant::now();
        let mut limit = LearnedLimit::new(FIRST_LIMIT, t0);
        assert_eq!(limit.refused(200, t0), 150);
        // Below the limit too, when less than the limit was spent by us (another client).
        assert_eq!(limit.refused(300, t0), 112);
        assert_eq!(limit.refused(3, t0), LOWEST_LIMIT);
    }

    #[test]
    fn the_limit_rises_only_after_a_quiet_hour_in_which_calls_waited() {
        let t0 = Instant::now();
        let mut limit = LearnedLimit::new(100, t0);
        assert_eq!(limit.raise_if_quiet(t0 + HOUR / 2, HOUR), None);
        // A quiet hour, but nothing waited: LG taught nothing.
        assert_eq!(limit.raise_if_quiet(t0 + HOUR, HOUR), None);
        limit.pressed();
        assert_eq!(limit.raise_if_quiet(t0 + HOUR + HOUR / 2, HOUR), None);
        assert_eq!(limit.raise_if_quiet(t0 + 2 * HOUR, HOUR), Some(105));
        // A refusal starts the quiet hour again.
        limit.pressed();
        limit.refused(105, t0 + 2 * HOUR + HOUR / 2);
        assert_eq!(limit.raise_if_quiet(t0 + 3 * HOUR, HOUR), None);
        let mut big = LearnedLimit::new(HIGHEST_LIMIT, t0);
        big.pressed();
        assert_eq!(big.raise_if_quiet(t0 + HOUR, HOUR), None);
    }

    #[test]
    fn the_file_keeps_the_limit_and_the_calls_of_the_window() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(load(dir.path(), HOUR), Remembered::default());
        let now = Instant::now();
        let calls = [now - Duration::from_secs(30), now];
        save(dir.path(), 150, calls.into_iter());
        let remembered = load(dir.path(), HOUR);
        assert_eq!(remembered.limit, Some(150));
        assert_eq!(remembered.call_ages.len(), 2);
        assert!(remembered.call_ages[0] >= Duration::from_secs(29));
        // Calls older than the window are forgotten.
        assert!(load(dir.path(), Duration::from_secs(10)).call_ages.len() <= 1);
        std::fs::write(dir.path().join(FILE), b"{not json").expect("write");
        assert_eq!(load(dir.path(), HOUR), Remembered::default());
    }
}
