//! The gate task: the queue of [`Call`]s, and the rules for when the next one may go.
//!
//! It runs at most [`MAX_IN_FLIGHT`] calls at once, the most urgent ready one first, while the
//! window holds fewer queued calls than the learned limit, LG's rate-limit pause is over and
//! the token works. Answers go back to the loop as [`GateEvent`]s; throttled and failed calls
//! go back into the queue.

use super::{BudgetStatus, GateEvent, Ledger, Request, Waiting, limit, lock};
use crate::bridge::calls::{self, Answer, Call, CallClass, CallError, Priority};
use crate::bridge::timings::Timings;
use crate::thinq::api::ThinqApi;
use crate::thinq::credentials::CredentialStore;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
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
/// Once the window holds half the limit, one call at a time: LG's own limit is unknown, and
/// the call it refuses first should be the only one it refuses (two in flight would both
/// get 1314).
const IN_FLIGHT_NEAR_THE_LIMIT: usize = 1;
/// While appliances are not ready, this much more is kept for them than the loop counts: the
/// account's calls of a sync (device list, subscription lists) that come with them.
const RESERVE_MARGIN: usize = 4;

pub(super) struct Gate {
    api: ThinqApi,
    store: CredentialStore,
    data_dir: PathBuf,
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
    pub(super) fn new(
        api: ThinqApi,
        store: CredentialStore,
        data_dir: PathBuf,
        timings: Timings,
        ledger: Arc<Mutex<Ledger>>,
        events: mpsc::UnboundedSender<GateEvent>,
    ) -> Gate {
        Gate {
            api,
            store,
            data_dir,
            timings,
            ledger,
            events,
            queue: BTreeMap::new(),
            queued: HashMap::new(),
            in_flight: HashSet::new(),
            again: HashSet::new(),
            retry_wait: HashMap::new(),
            next_seq: 0,
            probe_at: None,
        }
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        lock(&self.ledger)
    }

    pub(super) async fn run(
        mut self,
        mut requests: mpsc::UnboundedReceiver<Request>,
        shutdown: CancellationToken,
    ) {
        let mut running: JoinSet<Finished> = JoinSet::new();
        let mut last_log = BudgetStatus::default();
        let mut save_tick = tokio::time::interval(self.timings.health);
        save_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
                    Some(Request::Ensure(priority, call)) => {
                        if !self.in_flight.contains(&call) {
                            self.enqueue(priority, call, Instant::now());
                        }
                    }
                    Some(Request::Wake) => {}
                    Some(Request::TokenRejected(reason)) => {
                        self.probe_at = Some(Instant::now() + self.timings.token_retry);
                        let _ = self.events.send(GateEvent::TokenRejected { reason });
                    }
                    None => break,
                },
                _ = save_tick.tick() => self.save(false),
                _ = sleep => {}
            }
        }
        running.abort_all();
        // The next start counts this run's calls of the last hour, as LG does.
        self.save(true);
    }

    /// Writes the limit and the window's calls when they changed (`always` at the end).
    fn save(&self, always: bool) {
        let mut ledger = self.ledger();
        if !(ledger.unsaved || always) {
            return;
        }
        ledger.unsaved = false;
        limit::save(
            &self.data_dir,
            ledger.limit.get(),
            ledger.calls.iter().copied(),
        );
    }

    /// Logs at info level when the budget's state changes: a rate-limit pause begins or ends,
    /// the limit is reached or has room again, the token is rejected or accepted. Not on
    /// every call: a start-up of 59 devices would otherwise log hundreds of lines.
    fn report(&self, last: &mut BudgetStatus) {
        let status = self
            .ledger()
            .status(Instant::now(), self.timings.budget_window);
        // Not when calls merely start or stop waiting for their turn: one at a time through
        // a start, that would be a line per call.
        let changed = status.paused_for.is_some() != last.paused_for.is_some()
            || status.limit_reached_for.is_some() != last.limit_reached_for.is_some()
            || status.token_rejected.is_some() != last.token_rejected.is_some();
        if changed {
            info!(
                calls_last_hour = status.calls_last_hour,
                hourly_limit = status.hourly_limit,
                waiting = status.waiting,
                paused_for_s = status.paused_for,
                token_rejected = status.token_rejected.is_some(),
                "ThinQ call budget: waiting for {}",
                status.waits_for()
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
        self.count_waiting();
    }

    fn count_waiting(&self) {
        let mut waiting = Waiting::default();
        for (priority, _, _) in self.queue.keys() {
            waiting.count(priority.class());
        }
        self.ledger().waiting = waiting;
    }

    /// Starts what may start now; returns when to look again.
    fn start_ready(&mut self, running: &mut JoinSet<Finished>) -> Option<Instant> {
        let now = Instant::now();
        let window = self.timings.budget_window;
        let (paused_until, rejected, window_full_until) = {
            let mut ledger = self.ledger();
            ledger.prune(now, window);
            if let Some(raised) = ledger.limit.raise_if_quiet(now, window) {
                ledger.unsaved = true;
                info!(
                    "LG stayed quiet for an hour: the bridge now allows itself {raised} calls an hour"
                );
            }
            let limit = ledger.limit.get();
            let full = (ledger.queued_calls.len() >= limit)
                .then(|| {
                    ledger
                        .queued_calls
                        .iter()
                        .rev()
                        .nth(limit - 1)
                        .map(|t| *t + window)
                })
                .flatten();
            let has_ready_work = self.queue.keys().any(|(_, ready, _)| *ready <= now);
            if full.is_some() && has_ready_work {
                ledger.limit.pressed();
                ledger.full_until = full;
            } else {
                ledger.full_until = None;
            }
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
        let mut held = false;
        while running.len() < self.max_in_flight(now) {
            // The most urgent call that is ready; later-ready ones of a higher priority do not
            // block a ready one of a lower priority. Upkeep and periodic calls only while the
            // window has room beyond what appliances not yet ready still need.
            let reserved = self.reserved_room_used(now);
            let Some(key) = self
                .queue
                .keys()
                .filter(|(_, ready, _)| *ready <= now)
                .find(|(priority, _, _)| {
                    let allowed = priority.class() == CallClass::Ready || !reserved;
                    held |= !allowed;
                    allowed
                })
                .copied()
            else {
                // Held calls are looked at again when the reserve changes (a wake-up).
                next_wake = self
                    .queue
                    .keys()
                    .filter(|(priority, _, _)| priority.class() == CallClass::Ready || !reserved)
                    .map(|(_, ready, _)| *ready)
                    .min();
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
            if self.window_full(now) {
                // Look again at once: the wake-up is when the window has room.
                next_wake = Some(now);
                break;
            }
        }
        self.ledger().held_for_ready = held;
        self.count_waiting();
        next_wake
    }

    /// Whether the window's room left is all needed by appliances not yet ready: the calls
    /// the loop still expects for them, and the readiness calls queued (re-reads of states
    /// the loop does not count; counting some twice only makes upkeep wait a little more).
    fn reserved_room_used(&self, now: Instant) -> bool {
        let queued_ready: usize = self
            .queue
            .iter()
            .filter(|((priority, _, _), _)| priority.class() == CallClass::Ready)
            .map(|(_, call)| call.cost() as usize)
            .sum();
        let mut ledger = self.ledger();
        ledger.prune(now, self.timings.budget_window);
        let margin = if ledger.reserve > 0 {
            RESERVE_MARGIN
        } else {
            0
        };
        ledger.queued_calls.len() + ledger.reserve + margin + queued_ready >= ledger.limit.get()
    }

    fn max_in_flight(&self, now: Instant) -> usize {
        let mut ledger = self.ledger();
        ledger.prune(now, self.timings.budget_window);
        if ledger.queued_calls.len() * 2 >= ledger.limit.get() {
            IN_FLIGHT_NEAR_THE_LIMIT
        } else {
            MAX_IN_FLIGHT
        }
    }

    fn window_full(&self, now: Instant) -> bool {
        let mut ledger = self.ledger();
        ledger.prune(now, self.timings.budget_window);
        ledger.queued_calls.len() >= ledger.limit.get()
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
        self.spawn(Call::Devices, Priority::ACCOUNT, running);
        None
    }

    fn spawn(&mut self, call: Call, priority: Priority, running: &mut JoinSet<Finished>) {
        {
            let mut ledger = self.ledger();
            let now = Instant::now();
            for _ in 0..call.cost() {
                ledger.record_call(now, true);
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
