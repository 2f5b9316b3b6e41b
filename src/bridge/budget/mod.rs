//! One call budget for the whole process: every REST call to LG passes this gate.
//!
//! LG documents no rate limit, but accounts that call too often get `1314 Exceeded User API
//! calls` and lose *every* call, commands included, for a while (thinq-api.md §6.1, §9). So
//! the bridge spends calls like a scarce resource, in one place, with a plan:
//!
//! * **A plan, by priority.** A user's command has its own lane ([`Budget::control`]) and
//!   never waits behind anything. Other calls are queued as [`Call`]s and run by
//!   [`Priority`]: first what makes an appliance *ready* (its profile, state and live event
//!   subscription), appliance by appliance in LG's order; then upkeep of the push channel
//!   (notification subscriptions, lists); then periodic checks and energy.
//! * **A burst, then a learned hourly limit.** At most [`LearnedLimit`] queued calls in any
//!   window of an hour. That is a token bucket whose tokens come back an hour after they were
//!   spent: a start spends its burst at once (a 60-appliance first start fits the first
//!   limit), upkeep then spends what comes back, and no hour ever holds more than the limit —
//!   which is what LG counts. LG's refusals lower the limit, quiet hours raise it
//!   ([`limit`]); it is kept in the data directory with the calls of the last hour.
//! * **Queued, not dropped.** A call asked for while one like it waits is merged (a device's
//!   state is read once, however often a reconnect asks); a call LG throttles or a network
//!   error interrupts goes back into the queue.
//! * **Rate limits** (1306 / 1314, also as HTTP 401) pause every queued call for a doubling
//!   wait *and* lower the limit; commands still go out (the user asked, and LG says no
//!   quickly when it means it). 5xx answers and timeouts are retried with back-off; a command
//!   never is (it may have run).
//! * **A rejected token** stops everything but one probe every [`Timings::token_retry`].
//! * **Visible.** [`BudgetStatus`] (calls in the last hour, the limit, what waits and why)
//!   goes to the bridge device in Home Assistant and to the log at info level.
//!
//! The gate is a task ([`gate`]); the loop that owns device state only sends it requests and
//! receives [`GateEvent`]s, so it never awaits the network.

mod gate;
pub mod limit;

use super::calls::{Answer, Call, CallClass, CallError, Priority};
use super::timings::Timings;
use crate::thinq::api::ThinqApi;
use crate::thinq::credentials::CredentialStore;
use crate::thinq::error::ApiError;
use limit::LearnedLimit;
use serde_json::Value;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::info;

/// What the gate tells the loop.
#[derive(Debug)]
pub enum GateEvent {
    Done {
        call: Call,
        result: Result<Answer, CallError>,
    },
    /// LG rejected the token; only a probe now and then is sent until it works again.
    TokenRejected { reason: String },
    /// The token works again.
    TokenAccepted,
}

/// Queued calls by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    pub ready: usize,
    pub upkeep: usize,
    pub periodic: usize,
}

impl Waiting {
    pub fn total(&self) -> usize {
        self.ready + self.upkeep + self.periodic
    }

    fn count(&mut self, class: CallClass) {
        match class {
            CallClass::Ready => self.ready += 1,
            CallClass::Upkeep => self.upkeep += 1,
            CallClass::Periodic => self.periodic += 1,
        }
    }
}

/// The budget as shown on the bridge device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BudgetStatus {
    /// REST calls (commands included) within the last budget window.
    pub calls_last_hour: usize,
    /// The learned limit on queued calls per window.
    pub hourly_limit: usize,
    /// Calls queued, waiting for their turn, a retry or the end of a pause.
    pub waiting: usize,
    pub waiting_by_class: Waiting,
    /// Seconds until LG's rate limit pause ends, when paused.
    pub paused_for: Option<u64>,
    /// Seconds until the window has room again, when it holds the limit and calls wait.
    pub limit_reached_for: Option<u64>,
    /// Upkeep and periodic calls wait: what is left of the window is for appliances that are
    /// not ready yet.
    pub held_for_ready: bool,
    /// Why LG rejects the token, while it does.
    pub token_rejected: Option<String>,
}

impl BudgetStatus {
    /// Whether periodic work (energy, checks) should hold back.
    pub fn is_tight(&self) -> bool {
        self.paused_for.is_some()
            || self.token_rejected.is_some()
            || self.calls_last_hour * 2 >= self.hourly_limit
    }

    /// What the waiting calls wait for, in a few words for the bridge device.
    pub fn waits_for(&self) -> String {
        if self.waiting == 0 {
            return "nothing".to_owned();
        }
        if self.token_rejected.is_some() {
            return "LG to accept the access token".to_owned();
        }
        let minutes = |s: u64| s.div_ceil(60).max(1);
        if let Some(s) = self.paused_for {
            return format!(
                "LG's rate limit: a pause of {} more min (limit now {} calls an hour)",
                minutes(s),
                self.hourly_limit
            );
        }
        if let Some(s) = self.limit_reached_for {
            return format!(
                "the hourly limit of {} calls: the next call in {} min",
                self.hourly_limit,
                minutes(s)
            );
        }
        if self.held_for_ready {
            return format!(
                "the appliances not ready yet: the rest of the hour's {} calls is kept for them",
                self.hourly_limit
            );
        }
        "their turn".to_owned()
    }
}

/// State shared by the gate task and the command lane.
#[derive(Debug)]
struct Ledger {
    /// When each call of the window was made (commands included).
    calls: VecDeque<Instant>,
    /// Non-command calls of the window (the part the limit applies to).
    queued_calls: VecDeque<Instant>,
    /// Certificates asked for within the last day.
    certificates: VecDeque<Instant>,
    limit: LearnedLimit,
    /// The limit or the calls changed since the file was written.
    unsaved: bool,
    paused_until: Option<Instant>,
    /// While the window holds the limit and calls wait: when it has room again.
    full_until: Option<Instant>,
    next_pause: Duration,
    token_rejected: Option<String>,
    waiting: Waiting,
    /// Calls the loop still expects for appliances to become ready: upkeep and periodic
    /// calls leave this much of the limit to them.
    reserve: usize,
    /// Upkeep or periodic calls wait because the rest of the window is reserved.
    held_for_ready: bool,
}

impl Ledger {
    fn prune(&mut self, now: Instant, window: Duration) {
        for list in [&mut self.calls, &mut self.queued_calls] {
            while list
                .front()
                .is_some_and(|t| now.duration_since(*t) >= window)
            {
                list.pop_front();
            }
        }
        while self
            .certificates
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(24 * 3600))
        {
            self.certificates.pop_front();
        }
    }

    fn status(&mut self, now: Instant, window: Duration) -> BudgetStatus {
        self.prune(now, window);
        let left = |until: Option<Instant>| {
            until
                .filter(|t| *t > now)
                .map(|t| t.duration_since(now).as_secs().max(1))
        };
        BudgetStatus {
            calls_last_hour: self.calls.len(),
            hourly_limit: self.limit.get(),
            waiting: self.waiting.total(),
            waiting_by_class: self.waiting,
            paused_for: left(self.paused_until),
            limit_reached_for: left(self.full_until),
            held_for_ready: self.held_for_ready && self.reserve > 0,
            token_rejected: self.token_rejected.clone(),
        }
    }

    /// LG throttled us: pause queued calls, doubling the pause each time in a row, and keep
    /// below what LG just refused from now on.
    fn throttled(&mut self, now: Instant, timings: &Timings) -> Duration {
        // A second refusal while paused is the same refusal (a call that was in flight with
        // the first): no longer pause, no lower limit.
        if let Some(until) = self.paused_until.filter(|t| *t > now) {
            return until - now;
        }
        let pause = self.next_pause;
        self.paused_until = Some(now + pause);
        self.next_pause = (pause * 2).min(timings.rate_limit_longest);
        self.prune(now, timings.budget_window);
        let before = self.limit.get();
        let after = self.limit.refused(self.calls.len(), now);
        self.unsaved = true;
        info!(
            spent_last_hour = self.calls.len(),
            ?pause,
            "LG refused a call for too many calls: the bridge now keeps to {after} calls an hour (was {before})"
        );
        pause
    }

    fn succeeded(&mut self, timings: &Timings) {
        self.next_pause = timings.rate_limit_first;
    }

    fn record_call(&mut self, now: Instant, queued: bool) {
        self.calls.push_back(now);
        if queued {
            self.queued_calls.push_back(now);
        }
        self.unsaved = true;
    }
}

enum Request {
    Submit(Priority, Call),
    /// Like `Submit`, but nothing when the same call waits or is in flight already.
    Ensure(Priority, Call),
    /// Something changed the ledger (a command was throttled): look again.
    Wake,
    /// A command found the token rejected: tell the loop, start probing.
    TokenRejected(String),
}

/// The handle: cheap to clone, never blocks.
#[derive(Clone)]
pub struct Budget {
    requests: mpsc::UnboundedSender<Request>,
    ledger: Arc<Mutex<Ledger>>,
    api: ThinqApi,
    timings: Timings,
}

impl Budget {
    /// Starts the gate, with the limit and the last hour's calls kept in `data_dir`. Its
    /// events arrive on the returned receiver.
    pub fn start(
        api: ThinqApi,
        store: CredentialStore,
        data_dir: &Path,
        timings: Timings,
        shutdown: CancellationToken,
    ) -> (Budget, mpsc::UnboundedReceiver<GateEvent>) {
        let (requests, requests_rx) = mpsc::unbounded_channel();
        let (events, events_rx) = mpsc::unbounded_channel();
        let now = Instant::now();
        let remembered = limit::load(data_dir, timings.budget_window);
        let limit = LearnedLimit::new(remembered.limit.unwrap_or(limit::FIRST_LIMIT), now);
        if let Some(learned) = remembered.limit {
            info!(
                calls_last_hour = remembered.call_ages.len(),
                "the bridge keeps to {learned} LG calls an hour, as learned before"
            );
        }
        // The last run's calls still count with LG: they count here too (all as queued
        // calls, the part the limit applies to).
        let calls: VecDeque<Instant> = remembered
            .call_ages
            .iter()
            .filter_map(|age| now.checked_sub(*age))
            .collect();
        let ledger = Arc::new(Mutex::new(Ledger {
            calls: calls.clone(),
            queued_calls: calls,
            certificates: VecDeque::new(),
            limit,
            unsaved: false,
            paused_until: None,
            full_until: None,
            next_pause: timings.rate_limit_first,
            token_rejected: None,
            waiting: Waiting::default(),
            reserve: 0,
            held_for_ready: false,
        }));
        let gate = gate::Gate::new(
            api.clone(),
            store,
            data_dir.to_owned(),
            timings,
            ledger.clone(),
            events,
        );
        tokio::spawn(gate.run(requests_rx, shutdown));
        (
            Budget {
                requests,
                ledger,
                api,
                timings,
            },
            events_rx,
        )
    }

    /// How many calls the loop still expects to make appliances ready: the part of the
    /// hourly limit upkeep and periodic calls leave to them, so that notification
    /// subscriptions or energy never spend what a not-yet-ready appliance needs.
    pub fn reserve_for_ready(&self, calls: usize) {
        let changed = {
            let mut ledger = self.ledger();
            std::mem::replace(&mut ledger.reserve, calls) != calls
        };
        if changed {
            let _ = self.requests.send(Request::Wake);
        }
    }

    /// Queues a call (merged with the same call if one waits; the higher priority wins). A
    /// call asked for while the same one is in flight runs once more after it: its answer
    /// may predate the reason it was asked for.
    pub fn submit(&self, priority: Priority, call: Call) {
        let _ = self.requests.send(Request::Submit(priority, call));
    }

    /// Queues a call unless the same one waits or is in flight: for "this is still missing"
    /// (a retry timer), which any answer of that call settles.
    pub fn ensure(&self, priority: Priority, call: Call) {
        let _ = self.requests.send(Request::Ensure(priority, call));
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        lock(&self.ledger)
    }

    /// The budget as shown to the user.
    pub fn status(&self) -> BudgetStatus {
        self.ledger()
            .status(Instant::now(), self.timings.budget_window)
    }

    /// Sends a command to an appliance: the first lane, never queued behind other calls,
    /// never held by the hourly limit, and never retried. Refused without a call while LG
    /// rejects the token.
    pub async fn control(&self, device_id: &str, body: &Value) -> Result<(), ApiError> {
        {
            let mut ledger = self.ledger();
            if let Some(reason) = &ledger.token_rejected {
                return Err(ApiError::NotSent(format!(
                    "LG rejects the access token ({reason})"
                )));
            }
            ledger.record_call(Instant::now(), false);
        }
        let result = self.api.control(device_id, body).await;
        if let Err(err) = &result {
            let mut ledger = self.ledger();
            let mut request = Request::Wake;
            if err.is_rate_limited() {
                // Logged there; other calls pause, commands do not.
                ledger.throttled(Instant::now(), &self.timings);
            } else if err.is_auth_failure() && ledger.token_rejected.is_none() {
                ledger.token_rejected = Some(err.to_string());
                request = Request::TokenRejected(err.to_string());
            }
            drop(ledger);
            let _ = self.requests.send(request);
        }
        result
    }
}

fn lock(ledger: &Mutex<Ledger>) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bridge_device_says_what_calls_wait_for() {
        let mut status = BudgetStatus {
            hourly_limit: 240,
            ..BudgetStatus::default()
        };
        assert_eq!(status.waits_for(), "nothing");
        status.waiting = 3;
        assert_eq!(status.waits_for(), "their turn");
        status.limit_reached_for = Some(61);
        assert_eq!(
            status.waits_for(),
            "the hourly limit of 240 calls: the next call in 2 min"
        );
        status.paused_for = Some(30);
        assert!(status.waits_for().starts_with("LG's rate limit"));
        status.token_rejected = Some("1103".into());
        assert_eq!(status.waits_for(), "LG to accept the access token");
    }

    #[test]
    fn tight_means_half_the_learned_limit() {
        let status = BudgetStatus {
            hourly_limit: 40,
            calls_last_hour: 20,
            ..BudgetStatus::default()
        };
        assert!(status.is_tight());
        assert!(
            !BudgetStatus {
                calls_last_hour: 19,
                ..status
            }
            .is_tight()
        );
    }
}
