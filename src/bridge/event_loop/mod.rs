//! The loop that owns every device's state and reacts to every event.
//!
//! Everything arrives here as a message: a push from LG ([`PushEvent`]), a command or birth
//! from Home Assistant ([`HassEvent`]), an answer of the call budget ([`GateEvent`]), the
//! outcome of a control, a timer. One owner, no locks around device state, and no `await` on
//! the network anywhere in it: what needs LG is submitted to the budget, what Home Assistant
//! must see is handed to the non-blocking publisher.

mod answers;
mod home_assistant;

use super::budget::{Budget, GateEvent};
use super::calls::{Call, Priority};
use super::energy_link::EnergyLink;
use super::known::KnownDevices;
use super::pacing::ControlOutcome;
use super::push_link::PushLink;
use super::registry::Registry;
use super::timings::Timings;
use crate::hass::session::{HassEvent, HassPublisher};
use crate::hass::{DiscoveryContext, stale_templates};
use crate::thinq::message::PushMessage;
use crate::thinq::push::PushEvent;
use std::collections::HashSet;
use std::path::PathBuf;
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// A change this many devices missed at once means the push channel itself is broken: the
/// session is rebuilt, not only the devices re-subscribed.
const REBUILD_WHEN_MISSING: usize = 2;

/// What made the bridge show a problem on its device; each is cleared by its own end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    /// LG rejects the token; cleared when it accepts it again.
    Token,
    /// LG does not serve the country for this token; cleared by a device list read.
    Country,
    /// Another client keeps taking our push session; cleared once ours stays up.
    Kicked,
    /// LG's broker refuses our subscription; cleared when it accepts it.
    SubscriptionRefused,
}

pub struct Loop {
    budget: Budget,
    publisher: HassPublisher,
    registry: Registry,
    push: PushLink,
    data_dir: PathBuf,
    timings: Timings,
    shutdown: CancellationToken,
    hass_connected: bool,
    push_connected: bool,
    /// The first full state read of this run has been asked for.
    synced_once: bool,
    /// Read every state (and reconcile subscriptions) at this instant: shortly after the push
    /// session came up, once it has shown it stays up.
    resync_at: Option<Instant>,
    /// Ask LG for a new certificate at this instant (after a refusal, or to renew).
    certificate_at: Option<Instant>,
    /// Why the bridge cannot work as it should, shown on its device, and what caused it: only
    /// the end of that cause clears it.
    problem: Option<(Problem, String)>,
    /// The state read of the silent-channel check, to tell its answer apart.
    checking: HashSet<String>,
    /// Subscriptions asked for and not answered yet: a subscription list read meanwhile may
    /// not show them, and must not make them look missing.
    subscribing: HashSet<Call>,
    energy: EnergyLink,
    /// Energy reads have begun: once every device is live, so they never delay a start (or
    /// at the first energy tick, should a device stay unreadable).
    energy_started: bool,
    /// At the latest then, energy reads begin even if a device stays unreadable.
    energy_start_at: Option<Instant>,
    /// Control outcomes, taken by [`Loop::run`].
    outcomes: Option<mpsc::Receiver<ControlOutcome>>,
    /// While the push broker cannot be reached: when to read LG's route again, and the wait
    /// after that one.
    route_check_at: Option<Instant>,
    route_check_wait: std::time::Duration,
    /// The log has said that the start will take long (once per run).
    slow_start_told: bool,
    /// When the loop started and how many calls the budget had counted then: the log says
    /// what it took until every appliance was ready.
    started: (Instant, usize),
}

/// Waits until `at`, or forever when there is no deadline.
async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn every(period: std::time::Duration) -> Interval {
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval
}

impl Loop {
    #[allow(clippy::too_many_arguments)] // the loop's parts, each named; a struct would only rename them
    pub fn new(
        budget: Budget,
        publisher: HassPublisher,
        ctx: DiscoveryContext,
        push: PushLink,
        data_dir: PathBuf,
        timings: Timings,
        utc_offset: time::UtcOffset,
        shutdown: CancellationToken,
    ) -> Loop {
        let (outcome_tx, outcome_rx) = mpsc::channel(64);
        publisher.set_template_carryover(stale_templates::carryover_needed(&data_dir));
        let energy = EnergyLink::new(
            &data_dir,
            utc_offset,
            ctx.clone(),
            publisher.clone(),
            timings.energy_refresh_gap,
        );
        let registry = Registry::new(
            budget.clone(),
            publisher.clone(),
            ctx,
            outcome_tx,
            KnownDevices::load(&data_dir),
            shutdown.clone(),
        );
        Loop {
            budget,
            publisher,
            registry,
            push,
            data_dir,
            timings,
            shutdown,
            hass_connected: false,
            push_connected: false,
            synced_once: false,
            resync_at: None,
            certificate_at: None,
            problem: None,
            checking: HashSet::new(),
            subscribing: HashSet::new(),
            energy,
            energy_started: false,
            energy_start_at: None,
            outcomes: Some(outcome_rx),
            route_check_at: None,
            route_check_wait: timings.route_recheck,
            slow_start_told: false,
            started: (Instant::now(), 0),
        }
    }
}

impl Loop {
    pub async fn run(
        &mut self,
        mut hass_rx: mpsc::Receiver<HassEvent>,
        mut gate_rx: mpsc::UnboundedReceiver<GateEvent>,
    ) {
        let mut outcome_rx = self.outcomes.take().expect("run once");
        self.publish_bridge();
        self.start();
        let t = self.timings;
        let mut health_tick = every(t.health);
        let mut bridge_tick = every(t.bridge_state);
        let mut renewal = every(t.event_renewal);
        let mut channel_check = every(t.channel_check);
        let mut daily = every(t.daily);
        let mut safety = every(t.safety_refresh);
        let mut retry = every(t.retry_longest);
        let mut energy_tick = every(t.energy);
        loop {
            tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => break,
                Some(event) = hass_rx.recv() => self.on_hass(event),
                Some(event) = gate_rx.recv() => self.on_gate(event),
                Some(outcome) = outcome_rx.recv() => self.on_control_outcome(outcome),
                Some(event) = self.push.events.recv() => self.on_push(event),
                _ = until(self.resync_at) => self.resync(),
                _ = until(self.certificate_at) => self.ask_for_certificate(),
                _ = until(self.energy_start_at) => self.start_energy(),
                _ = until(self.route_check_at) => self.check_route(),
                _ = health_tick.tick() => {
                    self.write_health();
                    let budget = self.budget.status();
                    info!(
                        calls_last_hour = budget.calls_last_hour,
                        hourly_limit = budget.hourly_limit,
                        waiting = budget.waiting,
                        paused_for_s = budget.paused_for,
                        "ThinQ call budget: waiting for {}",
                        budget.waits_for()
                    );
                }
                _ = bridge_tick.tick() => self.publish_bridge_state(),
                _ = renewal.tick() => self.renew_event_subscriptions(),
                _ = channel_check.tick() => self.check_channel(),
                _ = daily.tick() => self.daily(),
                _ = safety.tick() => self.registry.read_all_states(true),
                _ = retry.tick() => self.registry.retry_incomplete(),
                _ = energy_tick.tick() => {
                    self.start_energy();
                    self.energy.plan(&self.budget);
                    self.energy.publish_all();
                }
            }
        }
        self.hass_connected = false;
        self.push_connected = false;
        self.write_health();
    }

    pub async fn stop_push(&mut self) {
        self.push.stop().await;
    }

    /// The first calls: the device list; the route and a certificate when none is stored.
    /// Then, appliance by appliance in LG's order ([`Priority::Ready`]): its profile (none
    /// when the last run's is kept), its event subscription, its state — read once the push
    /// session is up (or after a while without it), so that nothing changes unseen between
    /// the read and the first push. Notification subscriptions, subscription lists and
    /// energy come after every appliance is ready.
    fn start(&mut self) {
        self.started = (Instant::now(), self.budget.status().calls_last_hour);
        self.budget.submit(Priority::ACCOUNT, Call::Devices);
        if self.push.needs_route() {
            self.budget.submit(Priority::ACCOUNT, Call::Route);
        }
        if self.push.needs_identity() {
            self.budget.submit(Priority::ACCOUNT, Call::Identity);
        }
        self.push.ensure_running();
        self.certificate_at = self.push.renew_at();
        // Without the push session the states are read anyway, after a while: half a minute
        // after the session could start. While the route or the first certificate is still to
        // come, that wait begins when they are there (reading states just before the session
        // comes up would only read them twice); five minutes at most.
        let fallback = if self.push.is_running() {
            self.timings.push.stable_after / 2
        } else {
            self.timings.push.stable_after * 5
        };
        self.resync_at = Some(Instant::now() + fallback);
        self.route_check_at = Some(Instant::now() + self.route_check_wait);
    }

    /// The push broker has not been reachable for a while: LG may have moved it since the
    /// route was stored (or read), so the route is read again; a new address reconnects at
    /// once ([`PushLink::set_route`]). Then again after twice the wait, up to a day.
    fn check_route(&mut self) {
        self.route_check_at = None;
        if self.push_connected {
            return;
        }
        info!(
            waited = ?self.route_check_wait,
            "LG's push broker could not be reached; reading LG's route again in case it moved"
        );
        self.budget.submit(Priority::Upkeep, Call::Route);
        self.route_check_wait = (self.route_check_wait * 2).min(self.timings.daily);
        self.route_check_at = Some(Instant::now() + self.route_check_wait);
    }

    /// Everything Home Assistant shows may be stale: read all states, reconcile the
    /// subscriptions with LG's lists, and (after a reconnect) the device list.
    fn resync(&mut self) {
        self.resync_at = None;
        if self.push_connected {
            self.push.session_stable();
            self.clear_problem(Problem::Kicked);
        }
        let first = !self.synced_once;
        if first {
            self.budget
                .submit(Priority::Upkeep, Call::PushDevicesSubscribe);
            self.energy_start_at = Some(Instant::now() + self.timings.push.stable_after);
        } else {
            info!("re-reading every appliance after the push channel was away");
            self.budget.submit(Priority::Periodic, Call::Devices);
        }
        self.synced_once = true;
        self.registry.read_all_states(false);
        // LG's list of event subscriptions makes the appliances of the last run live: at the
        // first sync it is part of getting them ready.
        let events = if first {
            Priority::ACCOUNT
        } else {
            Priority::Upkeep
        };
        self.budget.submit(events, Call::EventList);
        self.budget.submit(Priority::Upkeep, Call::PushList);
    }

    fn reconcile_subscriptions(&self, priority: Priority) {
        self.budget.submit(priority, Call::EventList);
        self.budget.submit(priority, Call::PushList);
    }

    fn renew_event_subscriptions(&mut self) {
        for id in self.registry.ids() {
            self.subscribe(Priority::Upkeep, Call::EventSubscribe(id));
        }
        self.budget.submit(Priority::Upkeep, Call::EventList);
    }

    /// Asks for a push or event subscription, remembering it until LG answers.
    fn subscribe(&mut self, priority: Priority, call: Call) {
        self.subscribing.insert(call.clone());
        self.budget.submit(priority, call);
    }

    /// The silent-channel check: LG's subscription lists against ours, then the state of the
    /// device quiet longest against what we hold.
    fn check_channel(&mut self) {
        self.reconcile_subscriptions(Priority::Periodic);
        if let Some(id) = self.registry.quietest(self.timings.quiet_device) {
            self.checking.insert(id.clone());
            self.budget.submit(Priority::Periodic, Call::State(id));
        }
    }

    fn daily(&mut self) {
        self.budget.submit(Priority::Periodic, Call::Devices);
        self.budget.submit(Priority::Periodic, Call::Route);
        self.registry.read_all_profiles();
    }

    /// Energy reads begin: once every device is ready (they never delay a start), or a
    /// minute after the first state reads should a device stay unreadable. LG's energy
    /// answers of earlier starts are used as they are: no call for them.
    fn start_energy(&mut self) {
        self.energy_start_at = None;
        if self.energy_started {
            return;
        }
        self.energy_started = true;
        self.seed_known_energy();
        self.energy.plan(&self.budget);
    }

    /// Gives the energy tracker what LG answered about each shown appliance before.
    fn seed_known_energy(&mut self) {
        for id in self.registry.ids() {
            if let (Some(properties), Some(summary)) =
                (self.registry.known_energy(&id), self.registry.summary(&id))
            {
                self.energy.seed(&id, properties, summary);
            }
        }
    }

    fn ask_for_certificate(&mut self) {
        self.certificate_at = None;
        info!("asking LG for a new MQTT certificate");
        self.budget.submit(Priority::Upkeep, Call::Identity);
    }

    fn on_push(&mut self, event: PushEvent) {
        match event {
            PushEvent::Connected => {
                info!("connected to LG's push broker");
                self.push_connected = true;
                if self.has_problem(Problem::SubscriptionRefused) {
                    info!("LG's push broker accepts the subscription again");
                    self.clear_problem(Problem::SubscriptionRefused);
                }
                self.route_check_at = None;
                self.route_check_wait = self.timings.route_recheck;
                // The first time, read at once (the start is waiting for it); after a
                // reconnect, once the session has shown it stays up a moment.
                let settle = if self.synced_once {
                    self.timings.resync_settle
                } else {
                    std::time::Duration::ZERO
                };
                self.resync_at = Some(Instant::now() + settle);
                self.publish_bridge_state();
                self.write_health();
            }
            PushEvent::SubscriptionRefused { reason } => {
                // Logged by the session; shown on the bridge device until it is accepted.
                self.push_connected = false;
                self.set_problem(
                    Problem::SubscriptionRefused,
                    format!("{reason}: live updates are off meanwhile"),
                );
                self.publish_bridge_state();
                self.write_health();
            }
            PushEvent::Disconnected { reason } => {
                if self.push_connected {
                    warn!(%reason, "lost LG's push broker; reconnecting");
                    self.route_check_at = Some(Instant::now() + self.route_check_wait);
                }
                self.push_connected = false;
                if self.synced_once {
                    self.resync_at = None;
                }
                self.publish_bridge_state();
                self.write_health();
            }
            PushEvent::Kicked { times } => {
                let text = format!(
                    "LG's push broker dropped us right after connecting {times} times in a row: another client (a second bridge or a restored backup) probably uses client id {}; backing off",
                    self.push.client_id()
                );
                warn!("{text}");
                self.set_problem(Problem::Kicked, text);
            }
            PushEvent::Message(message) => self.on_message(message),
            PushEvent::Malformed { reason } => {
                warn!(%reason, "ignored a malformed push message from LG")
            }
            PushEvent::CertificateRejected => {
                warn!("LG's broker refused our certificate; a new one will be asked for");
                self.push_connected = false;
                let wait = self.push.certificate_refused();
                self.certificate_at = Some(Instant::now() + wait);
                self.publish_bridge_state();
                self.write_health();
            }
        }
    }

    fn on_message(&mut self, message: PushMessage) {
        match message {
            PushMessage::Status {
                device_id, report, ..
            } => self.registry.on_status(&device_id, &report),
            PushMessage::Push {
                device_id,
                push_code,
                ..
            } => self.registry.on_notification(&device_id, &push_code),
            PushMessage::Registered { device_id, .. } => {
                info!(device = %device_id, "LG says an appliance was added; reading the device list");
                self.budget.submit(Priority::ACCOUNT, Call::Devices);
            }
            PushMessage::Unregistered { device_id } => {
                self.registry.remove(&device_id);
                self.energy.removed(&device_id);
                self.energy.set_devices(&self.registry.ids());
                self.publish_bridge_state();
            }
            PushMessage::AliasChanged { device_id, alias } => {
                self.registry.rename(&device_id, &alias)
            }
        }
    }

    fn on_gate(&mut self, event: GateEvent) {
        match event {
            GateEvent::TokenRejected { reason } => {
                error!(
                    "LG rejects the personal access token ({reason}). Create a new token at https://connect-pat.lgthinq.com and paste it into the add-on options; until then the bridge asks LG again every {} minutes",
                    self.timings.token_retry.as_secs() / 60
                );
                self.set_problem(
                    Problem::Token,
                    format!(
                        "LG rejects the access token ({reason}); create a new one at connect-pat.lgthinq.com"
                    ),
                );
            }
            GateEvent::TokenAccepted => {
                info!("LG accepts the personal access token again");
                self.clear_problem(Problem::Token);
                // Everything may have changed meanwhile.
                self.resync_at = Some(Instant::now());
            }
            GateEvent::Done { call, result } => self.on_answer(call, result),
        }
        self.budget
            .reserve_for_ready(self.registry.calls_to_ready());
        // The call counters reach the bridge device with its periodic refresh, not with
        // every answer: a start-up would otherwise send Home Assistant a message per call.
    }
}
