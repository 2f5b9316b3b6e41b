//! An account's hourly call quota, the way LG enforces one (thinq-api.md §6.1, §9): calls
//! beyond it within the hour answer HTTP 401 with code 1314 "Exceeded User API calls",
//! commands included, until enough of the hour's calls are old enough to no longer count.
//!
//! LG gives no figure and says it may change, so the simulator has none by default; a test or
//! `thinq-addon demo --quota N` sets one. The window slides on the simulator's clock
//! ([`SimClock`]), so [`SimHandle::advance_clock`](super::SimHandle::advance_clock) moves it
//! too. Calls LG refuses for the quota do not count against it (a refused call does no work);
//! every call that passes the header checks and is answered otherwise does, errors included.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::envelope::{ApiError, code};
use super::events::SimClock;

/// An hourly quota: at most `calls` calls in any `window` (an hour, or shorter in tests whose
/// bridge runs on scaled time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub calls: usize,
    pub window: Duration,
}

impl Quota {
    /// `calls` per hour.
    pub fn per_hour(calls: usize) -> Quota {
        Quota {
            calls,
            window: Duration::from_secs(3600),
        }
    }

    /// The same quota over a window `factor` times as long (as `THINQ_TIME_SCALE` shortens
    /// the bridge's hour).
    pub fn scaled(self, factor: f64) -> Quota {
        Quota {
            window: self.window.mul_f64(factor.clamp(0.0001, 1.0)),
            ..self
        }
    }
}

/// The quota in force and the calls it counts.
#[derive(Debug, Default)]
pub struct QuotaLedger {
    quota: Option<Quota>,
    counted: VecDeque<Instant>,
    /// When each refusal was answered (the simulator's clock).
    refusals: Vec<Instant>,
}

impl QuotaLedger {
    pub fn set(&mut self, quota: Option<Quota>) {
        self.quota = quota;
    }

    /// Counts a call at `clock`'s now, or refuses it with 1314 when the window is full.
    pub fn admit(&mut self, clock: SimClock) -> Result<(), ApiError> {
        let Some(quota) = self.quota else {
            return Ok(());
        };
        let now = clock.now();
        while self
            .counted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= quota.window)
        {
            self.counted.pop_front();
        }
        if self.counted.len() >= quota.calls {
            self.refusals.push(now);
            return Err(ApiError::new(code::EXCEEDED_USER_API_CALLS));
        }
        self.counted.push_back(now);
        Ok(())
    }

    /// How many calls were refused for the quota, in all.
    pub fn refusals(&self) -> usize {
        self.refusals.len()
    }

    /// The most refusals within any one window (with the quota's window; 0 without a quota):
    /// what "at most one 1314 an hour" is checked against.
    pub fn most_refusals_in_a_window(&self) -> usize {
        let Some(quota) = self.quota else {
            return 0;
        };
        (0..self.refusals.len())
            .map(|i| {
                self.refusals[i..]
                    .iter()
                    .take_while(|t| t.duration_since(self.refusals[i]) < quota.window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// Calls counted in the current window.
    pub fn counted(&self) -> usize {
        self.counted.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_beyond_the_quota_get_1314_until_the_window_moves_on() {
        let mut clock = SimClock::default();
        let mut ledger = QuotaLedger::default();
        assert!(ledger.admit(clock).is_ok(), "no quota: everything passes");
        ledger.set(Some(Quota {
            calls: 2,
            window: Duration::from_secs(60),
        }));
        assert!(ledger.admit(clock).is_ok());
        assert!(ledger.admit(clock).is_ok());
        let refused = ledger.admit(clock).expect_err("over the quota");
        assert_eq!((refused.status, refused.code.as_str()), (401, "1314"));
        assert_eq!(ledger.counted(), 2);
        clock.advance(Duration::from_secs(30));
        assert!(ledger.admit(clock).is_err());
        assert_eq!(ledger.most_refusals_in_a_window(), 2);
        clock.advance(Duration::from_secs(31));
        assert!(
            ledger.admit(clock).is_ok(),
            "the first two calls left the window"
        );
        assert_eq!(ledger.refusals(), 2);
    }
}
