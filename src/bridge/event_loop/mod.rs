//! The loop that owns every device's state and reacts to every event.
//!
//! Everything arrives here as a message: a push from LG ([`PushEvent`]), a command or birth
//! from Home Assistant ([`HassEvent`]), an answer of the call budget ([`GateEvent`]), the
//! outcome of a control, a timer. One owner, no locks around device state, and no `await` on
//! the network anywhere in it: what needs LG is submitted to the budget, what Home Assistant
//! must see is handed to the non-blocking publisher.

mod home_assistant;

use super::budget::{Budget, GateEvent};
use super::calls::{Answer, Call, CallError, Priority};
use super::energy_link::EnergyLink;
use super::known::KnownDevices;
use super::pacing::ControlOutcome;
use super::push_link::PushLink;
use super::registry::{Registry, StateRead};
use super::timings::Timings;
use crate::hass::session::{HassEvent, HassPublisher};
use crate::hass::{DiscoveryContext, stale_templates};
use crate::thinq::error::{ApiError, ErrorCode};
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
    /// Why the bridge cannot work as it should, shown on its device (token, country, kicks).
    problem: Option<String>,
    kicked: bool,
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
            kicked: false,
            checking: HashSet::new(),
            subscribing: HashSet::new(),
            energy,
            energy_started: false,
            energy_start_at: None,
            outcomes: Some(outcome_rx),
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
                _ = health_tick.tick() => {
                    self.write_health();
                    let budget = self.budget.status();
                    info!(
                        calls_last_hour = budget.calls_last_hour,
                        waiting = budget.waiting,
                        paused_for_s = budget.paused_for,
                        "ThinQ call budget"
                    );
                }
                _ = bridge_tick.tick() => self.publish_bridge_state(),
                _ = renewal.tick() => self.renew_event_subscriptions(),
                _ = channel_check.tick() => self.check_channel(),
                _ = daily.tick() => self.daily(),
                _ = safety.tick() => self.registry.read_all_states(Priority::Periodic),
                _ = retry.tick() => self.registry.retry_incomplete(),
                _ = energy_tick.tick() => {
                    self.energy_started = true;
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
    /// States are read once the push session is up (or after a while without it), so that
    /// nothing changes unseen between the read and the first push.
    fn start(&mut self) {
        self.budget.submit(Priority::Stale, Call::Devices);
        if self.push.needs_route() {
            self.budget.submit(Priority::Upkeep, Call::Route);
        }
        if self.push.needs_identity() {
            self.budget.submit(Priority::Upkeep, Call::Identity);
        }
        self.push.ensure_running();
        self.certificate_at = self.push.renew_at();
        self.resync_at = Some(Instant::now() + self.timings.push.stable_after / 2);
    }

    /// Everything Home Assistant shows may be stale: read all states, reconcile the
    /// subscriptions with LG's lists, and (after a reconnect) the device list.
    fn resync(&mut self) {
        self.resync_at = None;
        if self.push_connected {
            self.push.session_stable();
            if self.kicked {
                self.kicked = false;
                self.set_problem(None);
            }
        }
        if self.synced_once {
            info!("re-reading every appliance after the push channel was away");
            self.budget.submit(Priority::Periodic, Call::Devices);
        } else {
            self.budget
                .submit(Priority::Upkeep, Call::PushDevicesSubscribe);
        }
        if !self.synced_once {
            self.energy_start_at = Some(Instant::now() + self.timings.push.stable_after);
        }
        self.synced_once = true;
        self.registry.read_all_states(Priority::Stale);
        self.reconcile_subscriptions(Priority::Upkeep);
    }

    fn reconcile_subscriptions(&self, priority: Priority) {
        self.budget.submit(priority, Call::EventList);
        self.budget.submit(priority, Call::PushList);
    }

    fn renew_event_subscriptions(&mut self) {
        for id in self.registry.ids() {
            self.subscribe(Call::EventSubscribe(id));
        }
        self.budget.submit(Priority::Upkeep, Call::EventList);
    }

    /// Asks for a push or event subscription, remembering it until LG answers.
    fn subscribe(&mut self, call: Call) {
        self.subscribing.insert(call.clone());
        self.budget.submit(Priority::Upkeep, call);
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

    /// Energy reads begin: once every device is live (they never delay a start), or a
    /// minute after the first state reads should a device stay unreadable.
    fn start_energy(&mut self) {
        self.energy_start_at = None;
        if !self.energy_started {
            self.energy_started = true;
            self.energy.plan(&self.budget);
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
            PushEvent::Disconnected { reason } => {
                if self.push_connected {
                    warn!(%reason, "lost LG's push broker; reconnecting");
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
                self.kicked = true;
                self.set_problem(Some(text));
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
                self.budget.submit(Priority::Stale, Call::Devices);
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
                self.set_problem(Some(format!(
                    "LG rejects the access token ({reason}); create a new one at connect-pat.lgthinq.com"
                )));
            }
            GateEvent::TokenAccepted => {
                info!("LG accepts the personal access token again");
                self.set_problem(None);
                // Everything may have changed meanwhile.
                self.resync_at = Some(Instant::now());
            }
            GateEvent::Done { call, result } => self.on_answer(call, result),
        }
        // The call counters reach the bridge device with its periodic refresh, not with
        // every answer: a start-up would otherwise send Home Assistant a message per call.
    }

    fn on_answer(&mut self, call: Call, result: Result<Answer, CallError>) {
        let result = match result {
            Ok(answer) => answer,
            Err(err) => return self.on_failure(call, err),
        };
        match (call, result) {
            (Call::Devices, Answer::Devices(list)) => {
                if self
                    .problem
                    .as_deref()
                    .is_some_and(|p| p.contains("country"))
                {
                    self.set_problem(None);
                }
                for gone in self.registry.on_devices(list, self.synced_once) {
                    self.energy.removed(&gone);
                }
                self.energy.set_devices(&self.registry.listed_ids());
                if self.energy_started {
                    self.energy.plan(&self.budget);
                }
            }
            (Call::Profile(id), Answer::Json(profile)) => {
                if self.registry.on_profile(&id, profile, self.synced_once) {
                    self.subscribe(Call::PushSubscribe(id.clone()));
                    self.subscribe(Call::EventSubscribe(id));
                }
            }
            (Call::State(id), Answer::Json(state)) => {
                let checked = self.checking.remove(&id);
                let was_live = self.registry.all_live();
                if self.registry.on_state(&id, state) == StateRead::Missed && checked {
                    warn!(device = %id, "a quiet device had changed without a push; subscribing it again");
                    self.subscribe(Call::EventSubscribe(id.clone()));
                    self.subscribe(Call::PushSubscribe(id));
                }
                if !was_live && self.registry.all_live() && !self.energy_started {
                    info!("every appliance is live; energy reads begin");
                    self.start_energy();
                }
            }
            (Call::EventList, Answer::Ids(ids)) => self.reconcile(ids, true),
            (Call::PushList, Answer::Ids(ids)) => self.reconcile(ids, false),
            (Call::Route, Answer::Route(route)) => {
                self.push.set_route(route);
                self.push.ensure_running();
            }
            (Call::Identity, Answer::Identity(identity)) => {
                self.push.set_identity(identity);
                self.certificate_at = self.push.renew_at();
                self.push.ensure_running();
            }
            (Call::Energy(_), Answer::Energy(answer)) => {
                let registry = &self.registry;
                self.energy.on_answer(answer, |id| registry.summary(id));
                // A profile answer makes the device's first usage read due at once: plan
                // again (the tracker counts what it planned, so nothing is asked twice).
                if self.energy_started {
                    self.energy.plan(&self.budget);
                }
            }
            (call @ (Call::PushSubscribe(_) | Call::EventSubscribe(_)), _) => {
                self.subscribing.remove(&call);
            }
            (Call::PushDevicesSubscribe, _) => {}
            (call, answer) => warn!(call = %call.describe(), ?answer, "unexpected answer"),
        }
    }

    /// Devices missing from LG's subscription list are subscribed again; their state may
    /// have changed unseen meanwhile, so it is read too. Many missing at once means the push
    /// channel itself is broken: the session is rebuilt.
    fn reconcile(&mut self, subscribed: Vec<String>, events: bool) {
        let subscribed: HashSet<String> = subscribed.into_iter().collect();
        let missing: Vec<String> = self
            .registry
            .ids()
            .into_iter()
            .filter(|id| !subscribed.contains(id))
            .filter(|id| {
                let pending = if events {
                    Call::EventSubscribe(id.clone())
                } else {
                    Call::PushSubscribe(id.clone())
                };
                !self.subscribing.contains(&pending)
            })
            .collect();
        if missing.is_empty() {
            return;
        }
        let what = if events {
            "state events"
        } else {
            "notifications"
        };
        warn!(
            count = missing.len(),
            "LG has no subscription to {what} for {} appliance(s); subscribing again",
            missing.len()
        );
        for id in &missing {
            let call = if events {
                Call::EventSubscribe(id.clone())
            } else {
                Call::PushSubscribe(id.clone())
            };
            self.subscribe(call);
            if events {
                self.budget.submit(Priority::Stale, Call::State(id.clone()));
            }
        }
        if events && missing.len() >= REBUILD_WHEN_MISSING && self.push.is_running() {
            info!("rebuilding the push session");
            self.push.stop_session();
            self.push.ensure_running();
        }
    }

    fn on_failure(&mut self, call: Call, err: CallError) {
        self.subscribing.remove(&call);
        let Some(api_err) = err.api() else {
            error!(call = %call.describe(), %err, "ThinQ call failed");
            if call == Call::Identity {
                self.certificate_at = Some(Instant::now() + self.timings.certificate_first);
            }
            return;
        };
        match call {
            Call::Devices if country_refused(api_err) => {
                error!(%api_err, "LG does not accept the country for this token. Choose the country the token was created for");
                self.set_problem(Some(format!("LG does not accept the country: {api_err}")));
            }
            Call::Profile(id) => self.registry.on_profile_failed(&id, api_err),
            Call::State(id) => {
                self.checking.remove(&id);
                self.registry.on_state_failed(&id, api_err)
            }
            Call::EventSubscribe(id) if event_limit(api_err) => {
                error!(device = %id, "LG says the account has too many event subscriptions (1312): live state changes of this appliance are off. Remove unused ThinQ integrations or bridges (each holds subscriptions) and restart the add-on");
                self.registry
                    .note_error(format!("event subscription of {id}: {api_err}"));
            }
            Call::Identity => {
                warn!(%api_err, "LG did not issue a certificate; trying again later");
                self.certificate_at = Some(Instant::now() + self.timings.certificate_first);
            }
            call => {
                warn!(call = %call.describe(), %api_err, "ThinQ call failed");
                self.registry
                    .note_error(format!("{}: {api_err}", call.describe()));
            }
        }
    }
}

fn country_refused(err: &ApiError) -> bool {
    err.code()
        .is_some_and(|c| *c == ErrorCode::NotSupportedCountry)
}

fn event_limit(err: &ApiError) -> bool {
    err.code()
        .is_some_and(|c| *c == ErrorCode::ExceededNumberOfEventSubscription)
}
