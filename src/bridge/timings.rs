//! Every interval the bridge lives by, in one place, with the reason for each.
//!
//! Production uses [`Timings::production`]. Tests shrink them all by one factor
//! ([`Timings::scaled`], from `THINQ_TIME_SCALE` for the binary) so that "every 30 minutes"
//! can be watched happening in a test without changing what happens.

use crate::thinq::push::Backoff;
use std::time::Duration;

/// Environment variable with a factor (0.0001–1) applied to every interval; tests only.
pub const TIME_SCALE_ENV: &str = "THINQ_TIME_SCALE";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    /// First pause after LG says "too many calls" (1306 / 1314); doubled on every further
    /// refusal up to [`Self::rate_limit_longest`], reset by a call that works. LG documents
    /// no figure; one minute lets a short burst limit pass, an hour outlasts an hourly quota.
    pub rate_limit_first: Duration,
    pub rate_limit_longest: Duration,
    /// Retry of a read that failed on the network or with a 5xx: quick first, then patient.
    pub retry_first: Duration,
    pub retry_longest: Duration,
    /// While LG rejects the token, one probe this often: a token does not heal by itself,
    /// but LG's side can be wrong for a while, and every refused call risks a lock.
    pub token_retry: Duration,
    /// The window of the call budget's count ("calls in the last hour").
    pub budget_window: Duration,
    /// Event subscriptions last at most 24 h (thinq-api.md §9); renewing at half that keeps
    /// one lapse from ever silencing a device.
    pub event_renewal: Duration,
    /// Compare LG's subscription lists with ours and read one quiet device: the check that
    /// notices a push channel that is connected but deaf. Two calls each time.
    pub channel_check: Duration,
    /// A device that has said nothing for this long is the one the channel check reads.
    pub quiet_device: Duration,
    /// Devices and profiles are re-read this often (LG fixes profiles on its servers; a
    /// device-list push can be missed like any other).
    pub daily: Duration,
    /// Full state read, the last safety net should every other check miss something.
    pub safety_refresh: Duration,
    /// After a push (re)connect, wait this long before re-reading every device: a broker that
    /// drops us right away (another client with our id) must not cost a read per device each
    /// time.
    pub resync_settle: Duration,
    /// Certificate re-issue after the broker refused ours: first wait (the first re-issue is
    /// immediate), doubled per refusal up to the longest; at most this many per day.
    pub certificate_first: Duration,
    pub certificate_longest: Duration,
    pub certificates_per_day: u32,
    /// Renew the certificate this long before its `notAfter`.
    pub certificate_renew_before: Duration,
    /// The push session's reconnect pacing.
    pub push: Backoff,
    /// The push broker could not be reached for this long: LG's route is read again (LG may
    /// have moved the broker since the route was stored), then after twice as long, and so
    /// on up to [`Self::daily`].
    pub route_recheck: Duration,
    /// The health file's rewrite interval (see `health`).
    pub health: Duration,
    /// The bridge device's diagnostics are refreshed this often at most.
    pub bridge_state: Duration,
    /// The energy tracker is asked what is due this often (it reads each device at most
    /// hourly) and "today" is republished, so it drops to zero soon after midnight.
    pub energy: Duration,
    /// "Refresh energy" reads a device again at most this often: a button pressed twice
    /// must not cost twice.
    pub energy_refresh_gap: Duration,
}

impl Timings {
    pub fn production() -> Timings {
        const MIN: u64 = 60;
        const HOUR: u64 = 3600;
        Timings {
            rate_limit_first: Duration::from_secs(MIN),
            rate_limit_longest: Duration::from_secs(HOUR),
            retry_first: Duration::from_secs(2),
            retry_longest: Duration::from_secs(10 * MIN),
            token_retry: Duration::from_secs(30 * MIN),
            budget_window: Duration::from_secs(HOUR),
            event_renewal: Duration::from_secs(12 * HOUR),
            channel_check: Duration::from_secs(30 * MIN),
            quiet_device: Duration::from_secs(6 * HOUR),
            daily: Duration::from_secs(24 * HOUR),
            safety_refresh: Duration::from_secs(6 * HOUR),
            resync_settle: Duration::from_secs(15),
            certificate_first: Duration::from_secs(5 * MIN),
            certificate_longest: Duration::from_secs(6 * HOUR),
            certificates_per_day: 6,
            certificate_renew_before: Duration::from_secs(24 * HOUR),
            push: Backoff::default(),
            route_recheck: Duration::from_secs(5 * MIN),
            health: super::health::WRITE_INTERVAL,
            bridge_state: Duration::from_secs(30),
            energy: Duration::from_secs(5 * MIN),
            energy_refresh_gap: crate::energy::REFRESH_GAP,
        }
    }

    /// Every interval multiplied by `factor` (counts stay as they are).
    pub fn scaled(factor: f64) -> Timings {
        let f = factor.clamp(0.0001, 1.0);
        let p = Timings::production();
        let s = |d: Duration| d.mul_f64(f);
        Timings {
            rate_limit_first: s(p.rate_limit_first),
            rate_limit_longest: s(p.rate_limit_longest),
            retry_first: s(p.retry_first),
            retry_longest: s(p.retry_longest),
            token_retry: s(p.token_retry),
            budget_window: s(p.budget_window),
            event_renewal: s(p.event_renewal),
            channel_check: s(p.channel_check),
            quiet_device: s(p.quiet_device),
            daily: s(p.daily),
            safety_refresh: s(p.safety_refresh),
            resync_settle: s(p.resync_settle),
            certificate_first: s(p.certificate_first),
            certificate_longest: s(p.certificate_longest),
            certificates_per_day: p.certificates_per_day,
            certificate_renew_before: s(p.certificate_renew_before),
            push: Backoff {
                first: s(p.push.first),
                longest: s(p.push.longest),
                stable_after: s(p.push.stable_after),
                kicked_within: s(p.push.kicked_within),
            },
            route_recheck: s(p.route_recheck),
            health: s(p.health),
            bridge_state: s(p.bridge_state),
            energy: s(p.energy),
            energy_refresh_gap: s(p.energy_refresh_gap),
        }
    }

    /// Production timings, or scaled ones when `THINQ_TIME_SCALE` holds a factor.
    pub fn from_env() -> (Timings, Option<f64>) {
        match std::env::var(TIME_SCALE_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|f| f.is_finite() && *f > 0.0 && *f < 1.0)
        {
            Some(factor) => (Timings::scaled(factor), Some(factor)),
            None => (Timings::production(), None),
        }
    }
}

impl Default for Timings {
    fn default() -> Self {
        Timings::production()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_subscriptions_are_renewed_well_inside_their_24_hours() {
        let t = Timings::production();
        assert!(t.event_renewal * 2 <= Duration::from_secs(24 * 3600));
        assert!(t.token_retry >= Duration::from_secs(30 * 60));
    }

    #[test]
    fn scaling_shrinks_intervals_and_keeps_counts() {
        let t = Timings::scaled(0.01);
        assert_eq!(t.token_retry, Duration::from_secs(18));
        assert_eq!(t.certificates_per_day, 6);
        assert_eq!(Timings::scaled(5.0), Timings::production());
    }
}
