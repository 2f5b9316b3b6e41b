//! The device registry and state cache: every appliance the bridge knows, its model (profile
//! + entities), its last full state, and whether LG can reach it.

use super::pacing::{ControlOutcome, ControlQueue};
use super::{EVENT_SUBSCRIPTION_HOURS, RATE_LIMIT_FIRST_WAIT};
use crate::hass::session::HassPublisher;
use crate::hass::topics::{CommandTopic, Topics};
use crate::hass::{DeviceModel, DiscoveryContext};
use crate::thinq::DeviceSummary;
use crate::thinq::api::ThinqApi;
use crate::thinq::error::ApiError;
use crate::thinq::state::merge_report;
use serde_json::{Value, json};
use std::collections::HashMap;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span, error, info, info_span, warn};

/// One appliance.
struct Entry {
    model: DeviceModel,
    /// The last full state (`GET state`, with every push report merged in).
    state: Value,
    /// LG can reach the appliance (false after error 1222 until it reports again).
    online: bool,
    controls: ControlQueue,
    span: Span,
}

pub(super) struct Registry {
    api: ThinqApi,
    publisher: HassPublisher,
    ctx: DiscoveryContext,
    outcomes: mpsc::Sender<ControlOutcome>,
    shutdown: CancellationToken,
    /// Keyed by ThinQ device id.
    devices: HashMap<String, Entry>,
    /// Topic-safe id → ThinQ device id, for command routing.
    by_object_id: HashMap<String, String>,
    /// No REST calls that can wait (refreshes) before this instant: LG said "too many calls".
    quiet_until: Option<Instant>,
    last_error: String,
}

impl Registry {
    pub fn new(
        api: ThinqApi,
        publisher: HassPublisher,
        ctx: DiscoveryContext,
        outcomes: mpsc::Sender<ControlOutcome>,
        shutdown: CancellationToken,
    ) -> Registry {
        Registry {
            api,
            publisher,
            ctx,
            outcomes,
            shutdown,
            devices: HashMap::new(),
            by_object_id: HashMap::new(),
            quiet_until: None,
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

    pub fn last_error(&self) -> &str {
        &self.last_error
    }

    fn note_error(&mut self, text: String) {
        self.last_error = text;
    }

    fn note_rate_limit(&mut self, err: &ApiError) {
        if err.is_rate_limited() {
            self.quiet_until = Some(Instant::now() + RATE_LIMIT_FIRST_WAIT);
        }
    }

    /// Fetches the profile and state of a listed device and adds it. A device whose profile
    /// cannot be read is logged and left out (it comes back on the next start or registration).
    pub async fn add(&mut self, summary: DeviceSummary) {
        let device_id = summary.device_id.clone();
        let span = info_span!("device", id = %device_id, name = %summary.device_info.alias, r#type = %summary.device_info.device_type);
        let profile = match self.api.profile(&device_id).instrument(span.clone()).await {
            Ok(profile) => profile,
            Err(err) => {
                span.in_scope(
                    || error!(%err, "cannot read the device profile; the device is left out"),
                );
                self.note_rate_limit(&err);
                self.note_error(format!("profile of {}: {err}", summary.device_info.alias));
                return;
            }
        };
        let model = match DeviceModel::new(summary, &profile) {
            Ok(model) => model,
            Err(err) => {
                span.in_scope(
                    || error!(%err, "cannot understand the device profile; the device is left out"),
                );
                return;
            }
        };
        let (state, online) = match self.api.state(&device_id).instrument(span.clone()).await {
            Ok(state) => (state, true),
            Err(err) => {
                if err.is_device_offline() {
                    span.in_scope(|| warn!("LG reports the appliance offline"));
                } else {
                    span.in_scope(|| warn!(%err, "cannot read the device state yet"));
                    self.note_rate_limit(&err);
                }
                (json!({}), !err.is_device_offline())
            }
        };
        span.in_scope(|| info!(entities = model.entities.len(), "device ready"));
        let controls = ControlQueue::start(
            self.api.clone(),
            device_id.clone(),
            self.outcomes.clone(),
            self.shutdown.clone(),
        );
        self.by_object_id
            .insert(Topics::object_id(&device_id), device_id.clone());
        self.devices.insert(
            device_id,
            Entry {
                model,
                state,
                online,
                controls,
                span,
            },
        );
    }

    /// Push- and event-subscribes every device (1207 "already subscribed" is fine), and asks
    /// for device-list changes.
    pub async fn subscribe_all(&mut self) {
        let ids: Vec<String> = self.devices.keys().cloned().collect();
        for id in &ids {
            self.subscribe(id).await;
        }
        if let Err(err) = self.api.push_devices_subscribe().await
            && !err.is_already_subscribed()
        {
            warn!(%err, "cannot subscribe to device-list changes; new appliances need a restart");
        }
    }

    async fn subscribe(&mut self, device_id: &str) {
        let Some(span) = self.devices.get(device_id).map(|e| e.span.clone()) else {
            return;
        };
        let api = self.api.clone();
        let (push, event) = async {
            (
                api.push_subscribe(device_id).await,
                api.event_subscribe(device_id, EVENT_SUBSCRIPTION_HOURS)
                    .await,
            )
        }
        .instrument(span.clone())
        .await;
        for (what, result) in [("notifications", push), ("state events", event)] {
            if let Err(err) = result
                && !err.is_already_subscribed()
            {
                span.in_scope(|| warn!(%err, "cannot subscribe to {what}"));
                self.note_rate_limit(&err);
            }
        }
    }

    /// Renews every event subscription (daily), as LG's subscriptions expire.
    pub async fn renew_event_subscriptions(&mut self) {
        let ids: Vec<String> = self.devices.keys().cloned().collect();
        for id in ids {
            if let Err(err) = self
                .api
                .event_subscribe(&id, EVENT_SUBSCRIPTION_HOURS)
                .await
                && !err.is_already_subscribed()
            {
                warn!(device = %id, %err, "cannot renew the event subscription");
                self.note_rate_limit(&err);
            }
        }
    }

    /// Publishes discovery, availability and state of every device (on connect and on
    /// Home Assistant's birth message).
    pub async fn publish_all(&self) {
        for entry in self.devices.values() {
            self.publish_device(entry).await;
        }
    }

    async fn publish_device(&self, entry: &Entry) {
        let id = &entry.model.device.device_id;
        let topics = self.topics();
        let discovery = entry.model.discovery_payload(&self.ctx);
        self.publisher
            .retained(&topics.device_discovery(id), discovery.to_string())
            .await;
        self.publish_availability(entry).await;
        self.publish_state(entry).await;
    }

    async fn publish_availability(&self, entry: &Entry) {
        let topic = self
            .topics()
            .device_availability(&entry.model.device.device_id);
        self.publisher
            .retained(&topic, if entry.online { "online" } else { "offline" })
            .await;
    }

    /// One retained message per value; the publisher drops those that repeat the last payload
    /// sent on their topic, so only what changed reaches Home Assistant.
    async fn publish_state(&self, entry: &Entry) {
        for (topic, payload) in entry.model.state_messages(self.topics(), &entry.state) {
            self.publisher.retained(&topic, payload).await;
        }
    }

    /// A `DEVICE_STATUS` report: merge, mark reachable, publish.
    pub async fn on_status(&mut self, device_id: &str, report: &Value) {
        let Some(entry) = self.devices.get_mut(device_id) else {
            warn!(device = %device_id, "status for an unknown device ignored");
            return;
        };
        merge_report(&mut entry.state, report);
        let came_back = !entry.online;
        entry.online = true;
        entry
            .span
            .in_scope(|| tracing::debug!(%report, "state report"));
        let entry = &self.devices[device_id];
        if came_back {
            entry
                .span
                .in_scope(|| info!("the appliance is reachable again"));
            self.publish_availability(entry).await;
        }
        self.publish_state(entry).await;
    }

    /// A `DEVICE_PUSH` notification: an event on the device's event entity.
    pub async fn on_notification(&mut self, device_id: &str, push_code: &str) {
        let Some(entry) = self.devices.get(device_id) else {
            warn!(device = %device_id, %push_code, "notification for an unknown device ignored");
            return;
        };
        entry.span.in_scope(|| info!(%push_code, "notification"));
        match entry.model.notification(push_code) {
            Some((entity, payload)) => {
                let topic = self.topics().event(device_id, &entity);
                self.publisher.transient(&topic, payload.to_string()).await;
            }
            None => entry
                .span
                .in_scope(|| warn!(%push_code, "no event entity for this notification")),
        }
    }

    /// A command from Home Assistant: validate against the profile, build the body, queue it.
    pub async fn on_command(&mut self, topic: &CommandTopic, payload: &str) {
        let Some(device_id) = self.by_object_id.get(&topic.device).cloned() else {
            warn!(device = %topic.device, "command for an unknown device ignored");
            return;
        };
        let Some(entry) = self.devices.get(&device_id) else {
            return;
        };
        let command = format!("{}/{} = {payload}", topic.entity, topic.feature);
        let built = entry
            .model
            .command(&topic.entity, &topic.feature, payload, &entry.state);
        let span = entry.span.clone();
        let result = match built {
            Ok(body) => {
                span.in_scope(|| info!(%command, %body, "sending command"));
                entry
                    .controls
                    .push(command.clone(), body)
                    .map_err(|e| e.to_string())
            }
            Err(err) => Err(err.to_string()),
        };
        if let Err(reason) = result {
            span.in_scope(|| warn!(%command, %reason, "command refused"));
            self.publish_error(&device_id, &command, &reason, None)
                .await;
        }
    }

    /// What became of a control: failures are logged and published on the error topic.
    pub async fn on_control_outcome(&mut self, outcome: ControlOutcome) {
        let Err(err) = &outcome.result else {
            if let Some(entry) = self.devices.get(&outcome.device_id) {
                entry
                    .span
                    .in_scope(|| info!(command = %outcome.command, "LG accepted the command"));
            }
            return;
        };
        let span = self
            .devices
            .get(&outcome.device_id)
            .map(|e| e.span.clone())
            .unwrap_or_else(Span::none);
        span.in_scope(|| warn!(command = %outcome.command, %err, "LG refused the command"));
        self.note_rate_limit(err);
        if err.is_device_offline() {
            if let Some(entry) = self.devices.get_mut(&outcome.device_id) {
                entry.online = false;
            }
            if let Some(entry) = self.devices.get(&outcome.device_id) {
                self.publish_availability(entry).await;
            }
        }
        let code = err.code().map(|c| c.to_string());
        self.publish_error(&outcome.device_id, &outcome.command, &err.to_string(), code)
            .await;
    }

    async fn publish_error(
        &mut self,
        device_id: &str,
        command: &str,
        reason: &str,
        code: Option<String>,
    ) {
        let alias = self
            .devices
            .get(device_id)
            .map(|e| e.model.device.device_info.alias.clone())
            .unwrap_or_default();
        self.note_error(format!("{alias}: {reason}"));
        let payload = json!({ "command": command, "error": reason, "code": code });
        self.publisher
            .transient(&self.topics().error(device_id), payload.to_string())
            .await;
    }

    /// Reads every device's state again (after the push session was down). Skipped while
    /// LG asks us to make fewer calls.
    pub async fn refresh_all(&mut self) {
        if self.quiet_until.is_some_and(|t| Instant::now() < t) {
            warn!("skipping the state refresh: LG asked for fewer calls");
            return;
        }
        let ids: Vec<String> = self.devices.keys().cloned().collect();
        for id in ids {
            let result = self.api.state(&id).await;
            let Some(entry) = self.devices.get_mut(&id) else {
                continue;
            };
            match result {
                Ok(state) => {
                    entry.state = state;
                    entry.online = true;
                }
                Err(err) if err.is_device_offline() => entry.online = false,
                Err(err) => {
                    entry
                        .span
                        .in_scope(|| warn!(%err, "cannot refresh the state"));
                    let rate = err.is_rate_limited();
                    self.note_rate_limit(&err);
                    if rate {
                        break;
                    }
                    continue;
                }
            }
            let entry = &self.devices[&id];
            self.publish_availability(entry).await;
            self.publish_state(entry).await;
        }
    }

    /// `DEVICE_REGISTERED`: read the new device from LG and bring it in.
    pub async fn on_registered(&mut self, device_id: &str) {
        if self.devices.contains_key(device_id) {
            return;
        }
        let listed = match self.api.devices().await {
            Ok(list) => list,
            Err(err) => {
                warn!(device = %device_id, %err, "cannot read the new device");
                return;
            }
        };
        let Some(summary) = listed.into_iter().find(|d| d.device_id == device_id) else {
            warn!(device = %device_id, "registered device is not in LG's device list");
            return;
        };
        info!(device = %device_id, name = %summary.device_info.alias, "new appliance registered");
        self.add(summary).await;
        self.subscribe(device_id).await;
        if let Some(entry) = self.devices.get(device_id) {
            self.publish_device(entry).await;
        }
    }

    /// `DEVICE_UNREGISTERED`: remove its discovery (Home Assistant removes the device) and
    /// its retained state.
    pub async fn remove(&mut self, device_id: &str) {
        let Some(entry) = self.devices.remove(device_id) else {
            return;
        };
        entry
            .span
            .in_scope(|| info!("appliance removed from the ThinQ account"));
        self.by_object_id.remove(&Topics::object_id(device_id));
        let topics = self.topics();
        let states = entry.model.state_messages(topics, &entry.state);
        let topics = [
            topics.device_discovery(device_id),
            topics.device_availability(device_id),
        ]
        .into_iter()
        .chain(states.into_iter().map(|(topic, _)| topic));
        for topic in topics {
            self.publisher.retained(&topic, Vec::new()).await;
        }
    }

    /// `DEVICE_ALIAS_CHANGED`: the device name in Home Assistant follows.
    pub async fn rename(&mut self, device_id: &str, alias: &str) {
        let Some(entry) = self.devices.get_mut(device_id) else {
            return;
        };
        entry.span.in_scope(|| info!(%alias, "appliance renamed"));
        entry.model.device.device_info.alias = alias.to_owned();
        let entry = &self.devices[device_id];
        let discovery = entry.model.discovery_payload(&self.ctx);
        self.publisher
            .retained(
                &self.topics().device_discovery(device_id),
                discovery.to_string(),
            )
            .await;
    }
}
