//! The event loop's LG side: what each answer of the call budget means for the appliances,
//! the subscriptions and the push channel, and what a failed call means.

use super::{Loop, Problem, REBUILD_WHEN_MISSING};
use crate::bridge::calls::{Answer, Call, CallError, Priority};
use crate::bridge::registry::StateRead;
use crate::thinq::error::{ApiError, ErrorCode};
use std::collections::HashSet;
use tokio::time::Instant;
use tracing::{error, info, warn};

impl Loop {
    pub(super) fn on_answer(&mut self, call: Call, result: Result<Answer, CallError>) {
        let result = match result {
            Ok(answer) => answer,
            Err(err) => return self.on_failure(call, err),
        };
        match (call, result) {
            (Call::Devices, Answer::Devices(list)) => {
                self.clear_problem(Problem::Country);
                for gone in self.registry.on_devices(list, self.synced_once) {
                    self.energy.removed(&gone);
                }
                self.energy.set_devices(&self.registry.listed_ids());
                if self.energy_started {
                    self.seed_known_energy();
                    self.energy.plan(&self.budget);
                }
                self.tell_if_start_is_slow();
            }
            (Call::Profile(id), Answer::Json(profile)) => {
                if self.registry.on_profile(&id, profile, self.synced_once) {
                    // Live first (part of being ready), notifications with the upkeep.
                    self.subscribe(
                        self.registry.priority(&id),
                        Call::EventSubscribe(id.clone()),
                    );
                    self.subscribe(Priority::Upkeep, Call::PushSubscribe(id));
                }
            }
            (Call::State(id), Answer::Json(state)) => {
                let checked = self.checking.remove(&id);
                if self.registry.on_state(&id, state) == StateRead::Missed && checked {
                    warn!(device = %id, "a quiet device had changed without a push; subscribing it again");
                    self.subscribe(Priority::Upkeep, Call::EventSubscribe(id.clone()));
                    self.subscribe(Priority::Upkeep, Call::PushSubscribe(id));
                }
                self.after_progress();
            }
            (Call::EventList, Answer::Ids(ids)) => self.reconcile(ids, true),
            (Call::PushList, Answer::Ids(ids)) => self.reconcile(ids, false),
            (Call::Route, Answer::Route(route)) => {
                self.push.set_route(route);
                self.push.ensure_running();
                self.session_can_start();
            }
            (Call::Identity, Answer::Identity(identity)) => {
                self.push.set_identity(identity);
                self.certificate_at = self.push.renew_at();
                self.push.ensure_running();
                self.session_can_start();
            }
            (Call::Energy(_), Answer::Energy(answer)) => {
                let registry = &self.registry;
                let learned = self.energy.on_answer(answer, |id| registry.summary(id));
                for (id, properties) in learned {
                    self.registry.remember_energy(&id, properties);
                }
                // A profile answer makes the device's first usage read due at once: plan
                // again (the tracker counts what it planned, so nothing is asked twice).
                if self.energy_started {
                    self.energy.plan(&self.budget);
                }
            }
            (Call::EventSubscribe(id), _) => {
                self.subscribing.remove(&Call::EventSubscribe(id.clone()));
                self.registry.set_live(&id, true);
                self.after_progress();
            }
            (call @ Call::PushSubscribe(_), _) => {
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
        if events {
            for id in self.registry.ids() {
                if subscribed.contains(&id) {
                    self.registry.set_live(&id, true);
                }
            }
            self.after_progress();
        }
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
        let first_sync = events && !self.registry.all_ready() && !self.energy_started;
        let what = if events {
            "state events"
        } else {
            "notifications"
        };
        // At the start, devices the last run did not finish subscribing are part of getting
        // ready; later, a lapse is a fault worth a warning.
        if first_sync {
            info!(
                count = missing.len(),
                "{} appliance(s) have no subscription to {what} yet; subscribing",
                missing.len()
            );
        } else {
            warn!(
                count = missing.len(),
                "LG has no subscription to {what} for {} appliance(s); subscribing again",
                missing.len()
            );
        }
        for id in &missing {
            let call = if events {
                self.registry.set_live(id, false);
                Call::EventSubscribe(id.clone())
            } else {
                Call::PushSubscribe(id.clone())
            };
            let priority = if events {
                self.registry.priority(id)
            } else {
                Priority::Upkeep
            };
            self.subscribe(priority, call);
            if events && !first_sync {
                self.budget
                    .submit(self.registry.priority(id), Call::State(id.clone()));
            }
        }
        if events && !first_sync && missing.len() >= REBUILD_WHEN_MISSING && self.push.is_running()
        {
            info!("rebuilding the push session");
            self.push.stop_session();
            self.push.ensure_running();
        }
    }

    pub(super) fn on_failure(&mut self, call: Call, err: CallError) {
        self.subscribing.remove(&call);
        let Some(api_err) = err.api() else {
            error!(call = %call.describe(), %err, "ThinQ call failed");
            if call == Call::Identity {
                self.certificate_at = Some(Instant::now() + self.timings.certificate_first);
                self.read_states_without_push();
            }
            return;
        };
        match call {
            Call::Devices if country_refused(api_err) => {
                error!(%api_err, "LG does not accept the country for this token. Choose the country the token was created for");
                self.set_problem(
                    Problem::Country,
                    format!("LG does not accept the country: {api_err}"),
                );
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
                self.read_states_without_push();
            }
            call => {
                warn!(call = %call.describe(), %api_err, "ThinQ call failed");
                self.registry
                    .note_error(format!("{}: {api_err}", call.describe()));
            }
        }
    }
    /// The push session could start now: before the first sync, the states are read half a
    /// minute from now should it not come up.
    fn session_can_start(&mut self) {
        if self.synced_once || !self.push.is_running() {
            return;
        }
        let fallback = Instant::now() + self.timings.push.stable_after / 2;
        self.resync_at = Some(self.resync_at.map_or(fallback, |at| at.min(fallback)));
    }

    /// No push session soon (no certificate): the first states are read now rather than
    /// after the wait for the session.
    fn read_states_without_push(&mut self) {
        if !self.synced_once {
            self.resync_at = Some(Instant::now());
        }
    }

    /// After an answer that may have made an appliance ready: once every one is, the log
    /// says what the start took, and energy reads begin.
    pub(super) fn after_progress(&mut self) {
        if self.energy_started || !self.registry.all_ready() {
            return;
        }
        let (ready, _) = self.registry.ready_count();
        let calls = self.budget.status().calls_last_hour;
        info!(
            appliances = ready,
            seconds = self.started.0.elapsed().as_secs(),
            calls = calls.saturating_sub(self.started.1),
            "every appliance is ready; notification subscriptions and energy follow"
        );
        self.budget.reserve_for_ready(0);
        self.publish_bridge_state();
        self.start_energy();
    }

    /// Says once, at info level, when the appliances will take more than a few minutes to be
    /// ready because the hour's calls do not suffice, and how long.
    fn tell_if_start_is_slow(&mut self) {
        if self.slow_start_told || self.registry.all_ready() {
            return;
        }
        let (ready, total) = self.registry.ready_count();
        let needed = self.registry.calls_to_ready();
        let budget = self.budget.status();
        let room = budget.hourly_limit.saturating_sub(budget.calls_last_hour);
        if needed <= room && budget.paused_for.is_none() {
            return;
        }
        self.slow_start_told = true;
        let short = needed.saturating_sub(room).max(1);
        let hours = short.div_ceil(budget.hourly_limit.max(1));
        info!(
            appliances = total,
            calls_needed = needed,
            calls_left_this_hour = room,
            hourly_limit = budget.hourly_limit,
            "getting {} appliance(s) ready needs about {needed} LG calls and {room} are left of this hour's {} (the bridge's own limit, which LG's answers lower or raise): appliances become ready one by one as the hour's calls free up, the last in up to {hours} hour(s)",
            total - ready,
            budget.hourly_limit
        );
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
