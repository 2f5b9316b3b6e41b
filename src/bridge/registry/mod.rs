//! The device registry: every appliance the bridge knows, its model (profile + entities), its
//! last full state, and whether LG can reach it. Here: the device list, profiles, the calls
//! that read them, and a device leaving or renamed; its state as LG reports it is
//! [`states`], its discovery [`discovery`], commands [`commands`], the start's order
//! [`readiness`].
//!
//! Nothing here waits for the network. What needs LG is asked of the [call budget](Budget)
//! and the answers come back through the loop into the `on_*` methods; what Home Assistant
//! must see goes to the [`HassPublisher`], which never waits either.

mod commands;
mod discovery;
mod readiness;
mod states;

pub use states::StateRead;

use super::budget::Budget;
use super::calls::{Call, Priority};
use super::known::{KnownDevices, unix_now};
use super::pacing::{ControlOutcome, ControlQueue};
use crate::hass::session::HassPublisher;
use crate::hass::topics::Topics;
use crate::hass::{DeviceModel, DiscoveryContext};
use crate::thinq::DeviceSummary;
use crate::thinq::error::ApiError;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Span, error, info, info_span, warn};

/// One appliance.
struct Entry {
    model: DeviceModel,
    /// The profile as LG sent it, to notice when LG changes it.
    raw_profile: Value,
    /// The last full state (`GET state`, with every push report merged in).
    state: Value,
    /// A state was read at least once (before that the device shows unavailable, not `{}`).
    has_state: bool,
    /// LG sends its state changes: the event subscription is in place (subscribed in this
    /// run, or on LG's list of event subscriptions).
    live: bool,
    /// LG can reach the appliance (false after error 1222 until it reports again).
    online: bool,
    /// The last push report or state read.
    last_heard: Instant,
    /// Every value topic published for it (cleared when it leaves).
    value_topics: BTreeSet<String>,
    controls: ControlQueue,
    span: Span,
}

impl Entry {
    fn available(&self) -> bool {
        self.online && self.has_state
    }

    /// Shown with its values, and kept up to date by LG's pushes.
    fn ready(&self) -> bool {
        self.has_state && self.live
    }
}

pub(super) struct Registry {
    budget: Budget,
    publisher: HassPublisher,
    ctx: DiscoveryContext,
    outcomes: mpsc::Sender<ControlOutcome>,
    shutdown: CancellationToken,
    /// Keyed by ThinQ device id.
    devices: HashMap<String, Entry>,
    /// Listed by LG, profile not read yet (or it failed: retried).
    pending: HashMap<String, DeviceSummary>,
    /// Topic-safe id → ThinQ device id, for command routing.
    by_object_id: HashMap<String, String>,
    /// Each appliance's place in LG's list (from 1): the order in which appliances are made
    /// ready ([`Priority::Ready`]).
    ranks: HashMap<String, u32>,
    known: KnownDevices,
    /// The discovery the broker held at start, per topic, until each topic is published
    /// (`None` until the session has read it: see [`Registry::on_discovery_held`]).
    held: Option<crate::hass::held_discovery::HeldDiscovery>,
    /// Devices whose discovery waits for `held`, in the order they came.
    awaiting_discovery: Vec<String>,
    /// The device list was read at least once this run.
    listed: bool,
    last_error: String,
}

impl Registry {
    pub fn new(
        budget: Budget,
        publisher: HassPublisher,
        ctx: DiscoveryContext,
        outcomes: mpsc::Sender<ControlOutcome>,
        known: KnownDevices,
        shutdown: CancellationToken,
    ) -> Registry {
        Registry {
            budget,
            publisher,
            ctx,
            outcomes,
            shutdown,
            devices: HashMap::new(),
            pending: HashMap::new(),
            by_object_id: HashMap::new(),
            ranks: HashMap::new(),
            known,
            held: None,
            awaiting_discovery: Vec::new(),
            listed: false,
            last_error: String::new(),
        }
    }

    pub fn context(&self) -> &DiscoveryContext {
        &self.ctx
    }

    fn topics(&self) -> &Topics {
        &self.ctx.topics
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Publishes every device's discovery again; the plain payloads the broker already has
    /// are not resent, so this only sends the pass-through copies while they are on
    /// ([`crate::hass::stale_templates`]): after a reconnect, the copies of the outage are
    /// gone.
    pub fn republish_discovery(&mut self) {
        let ids: Vec<String> = self.devices.keys().cloned().collect();
        for id in ids {
            self.publish_discovery(&id);
        }
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn ids(&self) -> Vec<String> {
        self.devices.keys().cloned().collect()
    }

    pub fn last_error(&self) -> &str {
        &self.last_error
    }

    pub fn note_error(&mut self, text: String) {
        self.last_error = text;
    }

    /// `GET /devices` answered: add what is new, follow renames, remove what is gone —
    /// including devices of the last run that LG no longer lists.
    /// Returns the ids removed.
    pub fn on_devices(&mut self, listed: Vec<DeviceSummary>, read_states_now: bool) -> Vec<String> {
        let ids: HashSet<String> = listed.iter().map(|d| d.device_id.clone()).collect();
        info!(
            count = listed.len(),
            "LG lists {} appliance(s)",
            listed.len()
        );
        for summary in &listed {
            let next = self.ranks.len() as u32 + 1;
            self.ranks.entry(summary.device_id.clone()).or_insert(next);
        }
        for summary in listed {
            let id = summary.device_id.clone();
            if let Some(entry) = self.devices.get(&id) {
                if entry.model.device.device_info.alias != summary.device_info.alias {
                    self.rename(&id, &summary.device_info.alias);
                }
                continue;
            }
            // The profile of the last run shows the device at once, without a call; one
            // older than a day is read again once every appliance is ready (LG fixes profiles
            // on its servers, rarely).
            let cached = self
                .known
                .get(&id)
                .map(|known| (known.profile.clone(), known.profile_read));
            let priority = self.priority(&id);
            let built = cached
                .as_ref()
                .is_some_and(|(profile, _)| self.insert(summary.clone(), profile.clone()));
            if built {
                if read_states_now {
                    self.budget.submit(priority, Call::State(id.clone()));
                }
                if cached.is_some_and(|(_, read)| unix_now().saturating_sub(read) >= 24 * 3600) {
                    self.budget.submit(Priority::Periodic, Call::Profile(id));
                }
            } else {
                self.budget.submit(priority, Call::Profile(id.clone()));
                self.pending.insert(id, summary);
            }
        }
        let gone: Vec<String> = self
            .devices
            .keys()
            .chain(self.pending.keys())
            .cloned()
            .chain(self.known.ids())
            .filter(|id| !ids.contains(id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for id in &gone {
            self.remove(id);
        }
        self.listed = true;
        gone
    }

    /// Every device LG lists, shown or still waiting for its profile.
    pub fn listed_ids(&self) -> Vec<String> {
        self.devices
            .keys()
            .chain(self.pending.keys())
            .cloned()
            .collect()
    }

    /// The list entry of a device shown in Home Assistant.
    pub fn summary(&self, device_id: &str) -> Option<DeviceSummary> {
        self.devices.get(device_id).map(|e| e.model.device.clone())
    }

    /// Builds a device from its profile and shows it (unavailable until its state is read).
    /// `false` when the profile cannot be understood.
    fn insert(&mut self, summary: DeviceSummary, profile: Value) -> bool {
        let device_id = summary.device_id.clone();
        let span = info_span!("device", id = %device_id, name = %summary.device_info.alias, r#type = %summary.device_info.device_type);
        let model = match DeviceModel::new(summary.clone(), &profile) {
            Ok(model) => model,
            Err(err) => {
                span.in_scope(|| error!(%err, "cannot understand the device profile; the device is left out until LG's profile changes"));
                self.note_error(format!("profile of {}: {err}", summary.device_info.alias));
                return false;
            }
        };
        span.in_scope(|| info!(entities = model.entities.len(), "device ready"));
        let controls = ControlQueue::start(
            self.budget.clone(),
            device_id.clone(),
            self.outcomes.clone(),
            self.shutdown.clone(),
        );
        self.by_object_id
            .insert(Topics::object_id(&device_id), device_id.clone());
        self.known.put(summary, profile.clone());
        let entry = Entry {
            model,
            raw_profile: profile,
            state: json!({}),
            has_state: false,
            live: false,
            online: true,
            last_heard: Instant::now(),
            value_topics: self
                .known
                .get(&device_id)
                .map(|k| k.value_topics.iter().cloned().collect())
                .unwrap_or_default(),
            controls,
            span,
        };
        self.publish_availability(&entry);
        // Versions before one topic per value kept the whole state in one retained JSON;
        // nothing reads it now, so an upgraded install clears it.
        self.publisher
            .retained(&self.ctx.topics.device_state(&device_id), Vec::new());
        self.devices.insert(device_id.clone(), entry);
        self.publish_discovery(&device_id);
        true
    }

    /// A profile read answered: a new device is built (the caller subscribes it: returns
    /// `true`); a known one is rebuilt and its discovery republished when LG changed the
    /// profile.
    pub fn on_profile(&mut self, device_id: &str, profile: Value, read_state_now: bool) -> bool {
        if let Some(summary) = self.pending.remove(device_id) {
            let built = self.insert(summary, profile);
            if built && read_state_now {
                self.budget
                    .submit(self.priority(device_id), Call::State(device_id.to_owned()));
            }
            return built;
        }
        let Some(entry) = self.devices.get(device_id) else {
            return false;
        };
        if entry.raw_profile == profile {
            self.known.put(entry.model.device.clone(), profile);
            return false;
        }
        let summary = entry.model.device.clone();
        match DeviceModel::new(summary.clone(), &profile) {
            Ok(model) => {
                entry
                    .span
                    .in_scope(|| info!("LG changed the device profile; updating Home Assistant"));
                let entry = self.devices.get_mut(device_id).expect("checked above");
                entry.model = model;
                entry.raw_profile = profile.clone();
                self.known.put(summary, profile);
                self.publish_discovery(device_id);
                self.publish_values(device_id);
            }
            Err(err) => entry.span.in_scope(
                || warn!(%err, "LG's new profile is not understood; keeping the old one"),
            ),
        }
        false
    }

    /// A profile read failed for good (not a network error; those are retried by the budget).
    pub fn on_profile_failed(&mut self, device_id: &str, err: &ApiError) {
        if let Some(summary) = self.pending.get(device_id) {
            let alias = summary.device_info.alias.clone();
            warn!(device = %device_id, %err, "cannot read the profile of {alias}; it will be asked again");
            self.note_error(format!("profile of {alias}: {err}"));
        }
    }

    /// Profiles of listed devices that could not be read yet, and devices without a state:
    /// asked again (called on a timer).
    pub fn retry_incomplete(&self) {
        for id in self.pending.keys() {
            self.budget
                .ensure(self.priority(id), Call::Profile(id.to_owned()));
        }
        for (id, entry) in &self.devices {
            if !entry.has_state {
                self.budget
                    .ensure(self.priority(id), Call::State(id.clone()));
            }
        }
    }

    /// Asks for every device's state, in rank order: to show them (start), because they may
    /// be stale (after the push channel was down; `periodic` false), or as a safety net
    /// (`periodic` true).
    pub fn read_all_states(&self, periodic: bool) {
        for id in self.devices.keys() {
            let priority = if periodic {
                Priority::Periodic
            } else {
                self.priority(id)
            };
            self.budget.submit(priority, Call::State(id.clone()));
        }
    }

    /// Asks for every profile again (daily): LG fixes profiles on its servers.
    pub fn read_all_profiles(&self) {
        for id in self.devices.keys() {
            self.budget
                .submit(Priority::Periodic, Call::Profile(id.clone()));
        }
    }

    /// The device that has been quiet longest, if quieter than `quiet`.
    pub fn quietest(&self, quiet: Duration) -> Option<String> {
        self.devices
            .iter()
            .filter(|(_, e)| e.last_heard.elapsed() >= quiet)
            .min_by_key(|(_, e)| e.last_heard)
            .map(|(id, _)| id.clone())
    }

    /// The device left the account: its discovery is cleared (Home Assistant removes the
    /// device) and so are its retained values.
    pub fn remove(&mut self, device_id: &str) {
        self.pending.remove(device_id);
        self.awaiting_discovery.retain(|id| id != device_id);
        let topics = self.topics().clone();
        let mut clear = vec![
            topics.device_discovery(device_id),
            topics.device_availability(device_id),
        ];
        if let Some(known) = self.known.get(device_id) {
            clear.extend(known.value_topics.iter().cloned());
            clear.extend(known.discovery_topics.iter().cloned());
            // A file of a version that remembered no discovery topics: the sub-devices' are
            // found from the remembered profile.
            if let Ok(model) = DeviceModel::new(known.summary.clone(), &known.profile) {
                clear.extend(model.discovery_topics(&topics));
            }
        }
        self.known.remove(device_id);
        match self.devices.remove(device_id) {
            Some(entry) => {
                entry
                    .span
                    .in_scope(|| info!("appliance removed from the ThinQ account"));
                self.by_object_id.remove(&Topics::object_id(device_id));
                clear.extend(entry.value_topics.iter().cloned());
                clear.extend(entry.model.discovery_topics(&topics));
                clear.extend(
                    entry
                        .model
                        .state_messages(&topics, &entry.state)
                        .into_iter()
                        .map(|(topic, _)| topic),
                );
            }
            None => {
                info!(device = %device_id, "an appliance of the last run is no longer on the ThinQ account; removing it from Home Assistant");
            }
        }
        clear.sort();
        clear.dedup();
        for topic in clear {
            self.publisher.retained(&topic, Vec::new());
        }
    }

    /// `DEVICE_ALIAS_CHANGED`: the device name in Home Assistant follows.
    pub fn rename(&mut self, device_id: &str, alias: &str) {
        let Some(entry) = self.devices.get_mut(device_id) else {
            return;
        };
        entry.span.in_scope(|| info!(%alias, "appliance renamed"));
        entry.model.device.device_info.alias = alias.to_owned();
        self.known.rename(device_id, alias);
        self.publish_discovery(device_id);
    }
}
