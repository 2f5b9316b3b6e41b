//! Failures a test can make the simulated cloud produce, the way LG produces them.

use std::collections::BTreeMap;
use std::time::Duration;

use super::envelope::{ApiError, code};

/// A fault to inject with [`SimHandle::inject`](super::SimHandle::inject). Counted faults
/// hit the next `times` calls that pass the header checks; one-shot faults hit the next
/// matching call; [`Fault::InvalidToken`], [`Fault::TokenRejectedEmptyBody`] and
/// [`Fault::RateLimitUntilCleared`] last until [`SimHandle::clear_faults`](super::SimHandle::clear_faults)
/// (or the targeted [`accept_token_again`](super::SimHandle::accept_token_again) /
/// [`lift_rate_limit`](super::SimHandle::lift_rate_limit)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The live per-user limit: HTTP 401 with code 1314 ("Exceeded User API calls").
    RateLimit { times: usize },
    /// The SDK's rate-limit code 1306.
    ApiRateLimit { times: usize },
    /// HTTP 500 with code 2000.
    ServerError { times: usize },
    /// Every call from now on answers 401 1103, as if the PAT had been revoked.
    InvalidToken,
    /// Every call from now on answers HTTP 401 with an **empty body** (no envelope, no
    /// code): how the live API rejects a PAT that is no longer valid (thinq-api.md §9,
    /// "Invalid PAT"). A client must classify this by status, as it has no code to read.
    TokenRejectedEmptyBody,
    /// Every call from now on, controls included, answers HTTP 401 with code 1314
    /// ("Exceeded User API calls"), as LG does while an account is over its hourly quota
    /// (§1.4, §6.1: LG lifts it after a while, never at a known time).
    RateLimitUntilCleared,
    /// The next `times` certificate requests are refused (400 1102, the CSR is not accepted).
    RejectCertificate { times: usize },
    /// The next `times` certificates are issued normally (200, `certificatePem`) but signed
    /// by a CA the push broker does not trust, so the broker's TLS handshake refuses them:
    /// the stand-in for AWS IoT refusing a certificate that LG issued (revoked, or not yet
    /// attached to the policy). The REST answer alone cannot tell.
    UntrustedCertificate { times: usize },
    /// The next `times` `POST /event/{id}/subscribe` calls answer 1312
    /// (EXCEEDED_NUMBER_OF_EVENT_SUBSCRIPTION): LG's limit on event subscriptions, whose
    /// figure is not documented.
    TooManyEventSubscriptions { times: usize },
    /// The next `times` `GET /devices/{device_id}/profile` calls answer HTTP 500 with code
    /// 2000 in LG's envelope (other devices are unaffected).
    ProfileFails { device_id: String, times: usize },
    /// The next `times` `GET /devices/{device_id}/state` calls answer HTTP 500 with code
    /// 2000 in LG's envelope (other devices are unaffected).
    StateFails { device_id: String, times: usize },
    /// The next call to `path` (exact, without query) is answered only after `by`.
    Delay { path: String, by: Duration },
    /// The next control is refused with `code` (for example 2208, 2301, 2209).
    ControlFails { code: String },
}

/// The faults waiting to fire.
#[derive(Debug, Default)]
pub struct Faults {
    rate_limit: usize,
    api_rate_limit: usize,
    server_error: usize,
    invalid_token: bool,
    token_rejected_empty_body: bool,
    rate_limited_until_cleared: bool,
    reject_certificate: usize,
    untrusted_certificates: usize,
    event_subscribe_failures: usize,
    profile_failures: BTreeMap<String, usize>,
    state_failures: BTreeMap<String, usize>,
    delays: Vec<(String, Duration)>,
    control_failures: Vec<String>,
}

impl Faults {
    pub fn add(&mut self, fault: Fault) {
        match fault {
            Fault::RateLimit { times } => self.rate_limit += times,
            Fault::ApiRateLimit { times } => self.api_rate_limit += times,
            Fault::ServerError { times } => self.server_error += times,
            Fault::InvalidToken => self.invalid_token = true,
            Fault::TokenRejectedEmptyBody => self.token_rejected_empty_body = true,
            Fault::RateLimitUntilCleared => self.rate_limited_until_cleared = true,
            Fault::RejectCertificate { times } => self.reject_certificate += times,
            Fault::UntrustedCertificate { times } => self.untrusted_certificates += times,
            Fault::TooManyEventSubscriptions { times } => self.event_subscribe_failures += times,
            Fault::ProfileFails { device_id, times } => {
                *self.profile_failures.entry(device_id).or_default() += times;
            }
            Fault::StateFails { device_id, times } => {
                *self.state_failures.entry(device_id).or_default() += times;
            }
            Fault::Delay { path, by } => self.delays.push((path, by)),
            Fault::ControlFails { code } => self.control_failures.push(code),
        }
    }

    pub fn clear(&mut self) {
        *self = Faults::default();
    }

    /// Whether the token is to be refused on every call.
    pub fn token_revoked(&self) -> bool {
        self.invalid_token
    }

    /// Whether every call is to be refused with a bare HTTP 401.
    pub fn token_rejected_empty_body(&self) -> bool {
        self.token_rejected_empty_body
    }

    /// Ends both forms of token rejection; other faults stay.
    pub fn accept_token_again(&mut self) {
        self.invalid_token = false;
        self.token_rejected_empty_body = false;
    }

    /// Ends [`Fault::RateLimitUntilCleared`]; counted faults stay.
    pub fn lift_rate_limit(&mut self) {
        self.rate_limited_until_cleared = false;
    }

    /// The error a fault makes the next authenticated call fail with, if any.
    pub fn take_call_failure(&mut self) -> Option<ApiError> {
        if self.rate_limited_until_cleared {
            return Some(ApiError::new(code::EXCEEDED_USER_API_CALLS));
        }
        if take_one(&mut self.rate_limit) {
            return Some(ApiError::new(code::EXCEEDED_USER_API_CALLS));
        }
        if take_one(&mut self.api_rate_limit) {
            return Some(ApiError::new(code::EXCEEDED_API_CALLS));
        }
        if take_one(&mut self.server_error) {
            return Some(ApiError::new(code::INTERNAL_SERVER_ERROR));
        }
        None
    }

    /// Whether the next certificate request is to be refused.
    pub fn take_certificate_rejection(&mut self) -> bool {
        take_one(&mut self.reject_certificate)
    }

    /// Whether the next issued certificate is to be signed by the untrusted CA.
    pub fn untrusted_certificate_pending(&self) -> bool {
        self.untrusted_certificates > 0
    }

    /// Uses up one [`Fault::UntrustedCertificate`].
    pub fn take_untrusted_certificate(&mut self) -> bool {
        take_one(&mut self.untrusted_certificates)
    }

    /// The error the next event subscription is to fail with, if any.
    pub fn take_event_subscribe_failure(&mut self) -> Option<ApiError> {
        take_one(&mut self.event_subscribe_failures)
            .then(|| ApiError::new(code::EXCEEDED_NUMBER_OF_EVENT_SUBSCRIPTION))
    }

    /// The error the next profile read of `device_id` is to fail with, if any.
    pub fn take_profile_failure(&mut self, device_id: &str) -> Option<ApiError> {
        take_for_device(&mut self.profile_failures, device_id)
    }

    /// The error the next state read of `device_id` is to fail with, if any.
    pub fn take_state_failure(&mut self, device_id: &str) -> Option<ApiError> {
        take_for_device(&mut self.state_failures, device_id)
    }

    /// The delay waiting for a call to `path`, if any.
    pub fn take_delay(&mut self, path: &str) -> Option<Duration> {
        let index = self.delays.iter().position(|(p, _)| p == path)?;
        Some(self.delays.remove(index).1)
    }

    /// The error the next control is to fail with, if any.
    pub fn take_control_failure(&mut self) -> Option<ApiError> {
        if self.control_failures.is_empty() {
            return None;
        }
        Some(ApiError::new(&self.control_failures.remove(0)))
    }
}

/// A read failure for one device: LG's server error in its envelope (HTTP 500, code 2000).
fn take_for_device(counters: &mut BTreeMap<String, usize>, device_id: &str) -> Option<ApiError> {
    let counter = counters.get_mut(device_id)?;
    let fired = take_one(counter);
    if *counter == 0 {
        counters.remove(device_id);
    }
    fired.then(|| ApiError::new(code::INTERNAL_SERVER_ERROR))
}

fn take_one(counter: &mut usize) -> bool {
    if *counter == 0 {
        return false;
    }
    *counter -= 1;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_run_out() {
        let mut faults = Faults::default();
        faults.add(Fault::RateLimit { times: 2 });
        let first = faults.take_call_failure().expect("first");
        assert_eq!((first.status, first.code.as_str()), (401, "1314"));
        assert!(faults.take_call_failure().is_some());
        assert!(faults.take_call_failure().is_none());
    }

    #[test]
    fn lasting_faults_last_until_lifted() {
        let mut faults = Faults::default();
        faults.add(Fault::RateLimitUntilCleared);
        faults.add(Fault::ServerError { times: 1 });
        for _ in 0..5 {
            let failure = faults.take_call_failure().expect("limited");
            assert_eq!((failure.status, failure.code.as_str()), (401, "1314"));
        }
        faults.lift_rate_limit();
        // The counted fault waited behind the lasting one and fires now.
        assert_eq!(faults.take_call_failure().map(|e| e.status), Some(500));
        assert!(faults.take_call_failure().is_none());

        faults.add(Fault::TokenRejectedEmptyBody);
        faults.add(Fault::InvalidToken);
        assert!(faults.token_rejected_empty_body() && faults.token_revoked());
        faults.accept_token_again();
        assert!(!faults.token_rejected_empty_body() && !faults.token_revoked());
    }

    #[test]
    fn read_failures_hit_only_their_device() {
        let mut faults = Faults::default();
        faults.add(Fault::ProfileFails {
            device_id: "a".into(),
            times: 2,
        });
        faults.add(Fault::StateFails {
            device_id: "b".into(),
            times: 1,
        });
        assert!(faults.take_profile_failure("b").is_none());
        assert!(faults.take_state_failure("a").is_none());
        let failure = faults.take_profile_failure("a").expect("first");
        assert_eq!((failure.status, failure.code.as_str()), (500, "2000"));
        assert!(faults.take_profile_failure("a").is_some());
        assert!(faults.take_profile_failure("a").is_none());
        assert!(faults.take_state_failure("b").is_some());
        assert!(faults.take_state_failure("b").is_none());
    }

    #[test]
    fn one_shot_faults_fire_once() {
        let mut faults = Faults::default();
        faults.add(Fault::ControlFails {
            code: "2208".into(),
        });
        faults.add(Fault::Delay {
            path: "/devices".into(),
            by: Duration::from_secs(1),
        });
        assert_eq!(faults.take_delay("/route"), None);
        assert_eq!(faults.take_delay("/devices"), Some(Duration::from_secs(1)));
        assert_eq!(faults.take_delay("/devices"), None);
        assert_eq!(
            faults.take_control_failure().map(|e| e.code),
            Some("2208".into())
        );
        assert!(faults.take_control_failure().is_none());
    }
}
