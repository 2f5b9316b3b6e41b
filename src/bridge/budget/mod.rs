//! One call budget for the whole process: every REST call to LG passes this gate.
//!
//! LG documents no rate limit, but accounts that call too often get `1314 Exceeded User API
//! calls` and lose *every* call, commands included, for a while (thinq-api.md §6.1, §9). So
//! the bridge spends calls like a scarce resource, in one place:
//!
//! * **Priorities.** A user's command has its own lane ([`Budget::control`]) and never waits
//!   behind anything. Other calls are queued as [`Call`]s and run by priority: re-reads of
//!   stale devices, then subscription and certificate upkeep, then periodic checks.
//! * **Queued, not dropped.** A call asked for while one like it waits is merged (a device's
//!   state is read once, however often a reconnect asks); a call LG throttles or a network
//!   error interrupts goes back into the queue. Every device whose state may be stale is read
//!   as soon as the budget allows.
//! * **Rate limits** (1306 / 1314, also as HTTP 401) pause every queued call for a doubling
//!   wait; commands still go out (the user asked, and LG says no quickly when it means it).
//!   5xx answers and timeouts are retried with back-off; a command never is (it may have run).
//! * **A rejected token** stops everything but one probe every [`Timings::token_retry`].
//! * **Visible.** [`BudgetStatus`] (calls in the last hour, what waits, why) goes to the bridge
//!   device in Home Assistant and to the log at info level.
//!
//! The gate is a task; the loop that owns device state only sends it requests and receives
//! [`GateEvent`]s, so it never awaits the network.

use super::calls::{self, Answer, Call, CallError, Priority};
use super::timings::Timings;
use crate::thinq::api::ThinqApi;
use crate::thinq::credentials::CredentialStore;
use crate::thinq::error::ApiError;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Calls (other than commands) LG is asked at once: enough that one slow answer does not hold
/// up the rest, few enough to look like one client.
const MAX_IN_FLIGHT: usize = 2;
/// Calls (other than commands) per budget window, a ceiling of our own below the limit that
/// one user hit in about ten minutes of 10-second polling (thinq-api.md §9: ~100–200 calls).
/// Start-up with stored credentials takes devices + 4; a reconnect devices + 3.
pub const CALLS_PER_WINDOW: usize = 120;

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

/// The budget as shown on the bridge device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BudgetStatus {
    /// REST calls (commands included) within the last budget window.
    pub calls_last_hour: usize,
    /// Calls queued, waiting for their turn, a retry or the end of a pause.
    pub waiting: usize,
    /// Seconds until LG's rate limit pause ends, when paused.
    pub paused_for: Option<u64>,
    /// Why LG rejects the token, while it does.
    pub token_rejected: Option<String>,
}

impl BudgetStatus {
    /// Whether periodic work (energy, checks) should hold back.
    pub fn is_tight(&self) -> bool {
        self.paused_for.is_some()
            || self.token_rejected.is_some()
            || self.calls_last_hour * 2 >= CALLS_PER_WINDOW
    }
}

/// State shared by the gate task and the command lane.
#[derive(Debug)]
struct Ledger {
    /// When each call of the window was made (commands included).
    calls: VecDeque<Instant>,
    /// Non-command calls of the window (the part the ceiling applies to).
    queued_calls: VecDeque<Instant>,
    /// Certificates asked for within the last day.
    certificates: VecDeque<Instant>,
    paused_until: Option<Instant>,
    next_pause: Duration,
    token_rejected: Option<String>,
    waiting: usize,
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
        BudgetStatus {
            calls_last_hour: self.calls.len(),
            waiting: self.waiting,
            paused_for: self
                .paused_until
                .filter(|t| *t > now)
                .map(|t| t.duration_since(now).as_secs().max(1)),
            token_rejected: self.token_rejected.clone(),
        }
    }

    /// LG throttled us: pause queued calls, doubling the pause each time in a row.
    fn throttled(&mut self, now: Instant, timings: &Timings) -> Duration {
        let pause = self.next_pause;
        self.paused_until = Some(now + pause);
        self.next_pause = (pause * 2).min(timings.rate_limit_longest);
        pause
    }

    fn succeeded(&mut self, timings: &Timings) {
        self.next_pause = timings.rate_limit_first;
    }
}

enum Request {
    Submit(Priority, Call),
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
    /// Starts the gate. Its events arrive on the returned receiver.
    pub fn start(
        api: ThinqApi,
        store: CredentialStore,
        timings: Timings,
        shutdown: CancellationToken,
    ) -> (Budget, mpsc::UnboundedReceiver<GateEvent>) {
        let (requests, requests_rx) = mpsc::unbounded_channel();
        let (events, events_rx) = mpsc::unbounded_channel();
        let ledger = Arc::new(Mutex::new(Ledger {
            calls: VecDeque::new(),
            queued_calls: VecDeque::new(),
            certificates: VecDeque::new(),
            paused_until: None,
            next_pause: timings.rate_limit_first,
            token_rejected: None,
            waiting: 0,
        }));
        let gate = Gate {
            api: api.clone(),
            store,
            timings,
            ledger: ledger.clone(),
            events,
            queue: BTreeMap::new(),
            queued: HashMap::new(),
            in_flight: HashSet::new(),
            again: HashSet::new(),
            retry_wait: HashMap::new(),
            next_seq: 0,
            probe_at: None,
        };
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

    /// Queues a call (merged with the same call if one waits; the higher priority wins).
    pub fn submit(&self, priority: Priority, call: Call) {
        let _ = self.requests.send(Request::Submit(priority, call));
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The budget as shown to the user.
    pub fn status(&self) -> BudgetStatus {
        self.ledger()
            .status(Instant::now(), self.timings.budget_window)
    }

    /// Sends a command to an appliance: the first lane, never queued behind other calls and
    /// never retried. Refused without a call while LG rejects the token.
    pub async fn control(&self, device_id: &str, body: &Value) -> Result<(), ApiError> {
        {
            let mut ledger = self.ledger();
            if let Some(reason) = &ledger.token_rejected {
                return Err(ApiError::NotSent(format!(
                    "LG rejects the access token ({reason})"
                )));
            }
            ledger.calls.push_back(Instant::now());
        }
        let result = self.api.control(device_id, body).await;
        if let Err(err) = &result {
            let mut ledger = self.ledger();
            let mut request = Request::Wake;
            if err.is_rate_limited() {
                let pause = ledger.throttled(Instant::now(), &self.timings);
                info!(
                    ?pause,
                    "LG refused a command for too many calls; other calls pause"
                );
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

struct Gate {
    api: ThinqApi,
    store: CredentialStore,
    timings: Timings,
    ledger: Arc<Mutex<Ledger>>,
    events: mpsc::UnboundedSender<GateEvent>,
    /// (priority, ready at, sequence) → call.
    queue: BTreeMap<(Priority, Instant, u64), Call>,
    /// Call → its key in `queue`.
    queued: HashMap<Call, (Priority, Instant, u64)>,
    in_flight: HashSet<Call>,
    /// Asked for again while in flight: run once more after it ends (its answer may predate
    /// the reason it was asked for).
    again: HashSet<(Call, Priority)>,
    retry_wait: HashMap<Call, Duration>,
    next_seq: u64,
    /// While the token is rejected: when the next probe may go.
    probe_at: Option<Instant>,
}

type Finished = (Call, Priority, Result<Answer, CallError>);

impl Gate {
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn run(
        mut self,
        mut requests: mpsc::UnboundedReceiver<Request>,
        shutdown: CancellationToken,
    ) {
        let mut running: JoinSet<Finished> = JoinSet::new();
        let mut last_log = BudgetStatus::default();
        loop {
            let wake = self.start_ready(&mut running);
            self.report(&mut last_log);
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                Some(joined) = running.join_next() => {
                    if let Ok((call, priority, result)) = joined {
                        self.finished(call, priority, result);
                    }
                }
                request = requests.recv() => match request {
                    Some(Request::Submit(priority, call)) => self.enqueue(priority, call, Instant::now()),
                    Some(Request::Wake) => {}
                    Some(Request::TokenRejected(reason)) => {
                        self.probe_at = Some(Instant::now() + self.timings.token_retry);
                        let _ = self.events.send(GateEvent::TokenRejected { reason });
                    }
                    None => break,
                },
                _ = sleep => {}
            }
        }
        running.abort_all();
    }

    /// Logs at info level when the budget's state changes: a rate-limit pause begins or ends,
    /// the token is rejected or accepted, work starts or stops waiting. Not on every call:
    /// a start-up of 16 devices would otherwise log 50 lines.
    fn report(&self, last: &mut BudgetStatus) {
        let status = self
            .ledger()
            .status(Instant::now(), self.timings.budget_window);
        let changed = status.paused_for.is_some() != last.paused_for.is_some()
            || status.token_rejected.is_some() != last.token_rejected.is_some()
            || (status.waiting == 0) != (last.waiting == 0);
        if changed {
            info!(
                calls_last_hour = status.calls_last_hour,
                waiting = status.waiting,
                paused_for_s = status.paused_for,
                token_rejected = status.token_rejected.is_some(),
                "ThinQ call budget"
            );
        }
        *last = status;
    }

    fn enqueue(&mut self, priority: Priority, call: Call, ready: Instant) {
        if self.in_flight.contains(&call) {
            self.again.insert((call, priority));
            return;
        }
        if let Some(key) = self.queued.get(&call).copied() {
            if key.0 <= priority && key.1 <= ready {
                return;
            }
            self.queue.remove(&key);
        }
        let key = (priority, ready, self.next_seq);
        self.next_seq += 1;
        self.queue.insert(key, call.clone());
        self.queued.insert(call, key);
        self.ledger().waiting = self.queue.len();
    }

    /// Starts what may start now; returns when to look again.
    fn start_ready(&mut self, running: &mut JoinSet<Finished>) -> Option<Instant> {
        let now = Instant::now();
        let window = self.timings.budget_window;
        let (paused_until, rejected, window_full_until) = {
            let mut ledger = self.ledger();
            ledger.prune(now, window);
            let full = (ledger.queued_calls.len() >= CALLS_PER_WINDOW)
                .then(|| ledger.queued_calls.front().map(|t| *t + window))
                .flatten();
            (
                ledger.paused_until.filter(|t| *t > now),
                ledger.token_rejected.is_some(),
                full,
            )
        };
        if rejected {
            return self.probe(now, running);
        }
        if let Some(until) = paused_until.or(window_full_until) {
            return Some(until);
        }
        let mut next_wake: Option<Instant> = None;
        while running.len() < MAX_IN_FLIGHT {
            // The most urgent call that is ready; later-ready ones of a higher priority do not
            // block a ready one of a lower priority.
            let Some(key) = self
                .queue
                .keys()
                .find(|(_, ready, _)| *ready <= now)
                .copied()
            else {
                next_wake = self.queue.keys().map(|(_, ready, _)| *ready).min();
                break;
            };
            let Some(call) = self.queue.remove(&key) else {
                break;
            };
            self.queued.remove(&call);
            if call == Call::Identity && !self.certificate_allowed(now) {
                let until = self.ledger().certificates.front().copied().unwrap_or(now)
                    + Duration::from_secs(24 * 3600);
                warn!("the daily number of new MQTT certificates is reached; the next one waits");
                self.enqueue(key.0, call, until);
                continue;
            }
            self.spawn(call, key.0, running);
        }
        self.ledger().waiting = self.queue.len();
        next_wake
    }

    fn certificate_allowed(&self, now: Instant) -> bool {
        let mut ledger = self.ledger();
        ledger.prune(now, self.timings.budget_window);
        ledger.certificates.len() < self.timings.certificates_per_day as usize
    }

    /// While the token is rejected: one device-list read every [`Timings::token_retry`].
    fn probe(&mut self, now: Instant, running: &mut JoinSet<Finished>) -> Option<Instant> {
        if !running.is_empty() {
            return None;
        }
        let at = *self.probe_at.get_or_insert(now + self.timings.token_retry);
        if at > now {
            return Some(at);
        }
        self.probe_at = Some(now + self.timings.token_retry);
        info!("asking LG whether the access token works again");
        if let Some(key) = self.queued.remove(&Call::Devices) {
            self.queue.remove(&key);
        }
        self.spawn(Call::Devices, Priority::Stale, running);
        None
    }

    fn spawn(&mut self, call: Call, priority: Priority, running: &mut JoinSet<Finished>) {
        {
            let mut ledger = self.ledger();
            let now = Instant::now();
            for _ in 0..call.cost() {
                ledger.calls.push_back(now);
                ledger.queued_calls.push_back(now);
            }
            if call == Call::Identity {
                ledger.certificates.push_back(now);
            }
        }
        debug!(call = %call.describe(), "ThinQ call");
        self.in_flight.insert(call.clone());
        let api = self.api.clone();
        let store = self.store.clone();
        running.spawn(async move {
            let result = calls::execute(&api, &store, &call).await;
            (call, priority, result)
        });
    }

    fn finished(&mut self, call: Call, priority: Priority, result: Result<Answer, CallError>) {
        self.in_flight.remove(&call);
        let now = Instant::now();
        let api_error = result.as_ref().err().and_then(CallError::api);
        match api_error {
            None if result.is_ok() => {
                self.retry_wait.remove(&call);
                let recovered = {
                    let mut ledger = self.ledger();
                    ledger.succeeded(&self.timings);
                    ledger.token_rejected.take().is_some()
                };
                if recovered {
                    self.probe_at = None;
                    info!("LG accepts the access token again; resuming");
                    let _ = self.events.send(GateEvent::TokenAccepted);
                }
            }
            Some(err) if err.is_rate_limited() => {
                let pause = self.ledger().throttled(now, &self.timings);
                info!(
                    call = %call.describe(),
                    waiting = self.queue.len() + 1,
                    ?pause,
                    "LG asks for fewer calls; queued calls wait"
                );
                self.enqueue(priority, call, now);
                return;
            }
            Some(err) if err.is_auth_failure() => {
                let reason = err.to_string();
                let first = {
                    let mut ledger = self.ledger();
                    let first = ledger.token_rejected.is_none();
                    ledger.token_rejected = Some(reason.clone());
                    first
                };
                self.probe_at = Some(now + self.timings.token_retry);
                // Kept for when the token works again (the probe reads the device list).
                if call != Call::Devices {
                    self.enqueue(priority, call, now);
                }
                if first {
                    let _ = self.events.send(GateEvent::TokenRejected { reason });
                }
                return;
            }
            Some(err) if err.is_transient() && call.is_retryable() => {
                let wait = self
                    .retry_wait
                    .get(&call)
                    .copied()
                    .unwrap_or(self.timings.retry_first);
                self.retry_wait
                    .insert(call.clone(), (wait * 2).min(self.timings.retry_longest));
                warn!(call = %call.describe(), %err, retry_in = ?wait, "ThinQ call failed; it will be retried");
                self.enqueue(priority, call, now + wait);
                return;
            }
            _ => {}
        }
        if let Some((again_call, again_priority)) =
            self.again.iter().find(|(c, _)| *c == call).cloned()
        {
            self.again.remove(&(again_call.clone(), again_priority));
            self.enqueue(again_priority, again_call, now);
        }
        let _ = self.events.send(GateEvent::Done { call, result });
    }
}
