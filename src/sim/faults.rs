//! Failures a test can make the simulated cloud produce, the way LG produces them.

use std::time::Duration;

use super::envelope::{ApiError, code};

/// A fault to inject with [`SimHandle::inject`](super::SimHandle::inject). Counted faults
/// hit the next `times` calls that pass the header checks; one-shot faults hit the next
/// matching call; [`Fault::InvalidToken`] lasts until [`SimHandle::clear_faults`](super::SimHandle::clear_faults).
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
    /// The next `times` certificate requests are refused (400 1102, the CSR is not accepted).
    RejectCertificate { times: usize },
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
    reject_certificate: usize,
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
            Fault::RejectCertificate { times } => self.reject_certificate += times,
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

    /// The error a counted fault makes the next authenticated call fail with, if any.
    pub fn take_call_failure(&mut self) -> Option<ApiError> {
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
