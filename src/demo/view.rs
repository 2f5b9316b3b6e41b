//! What Home Assistant knows, rebuilt from the MQTT messages alone, by Home Assistant's rules.
//!
//! The demo must show what a real Home Assistant would, so this reads nothing but the broker:
//! device-based discovery payloads (`<prefix>/device/<id>/config`, read by
//! [`super::discovered`]) say which entities a device has and which topics their state comes
//! from, and the state topics carry the values, taken as Home Assistant takes them
//! ([`super::ha`]). Discovery is applied as Home Assistant applies it
//! (`mqtt/discovery.py`): a component holding only its platform removes that component; a
//! component a later payload leaves out stays; an empty payload removes the device's
//! components; a payload that is no device payload is ignored. Nothing here looks at the
//! bridge's own types; if the discovery payloads were wrong, the demo would show it.
//!
//! Every input is network data: missing or odd fields are skipped, never unwrapped.

use super::discovered::Component;
pub use super::discovered::{DeviceView, EntityView, Reading};
use super::ha::{self, Shown};
use serde_json::Value;
use std::collections::HashMap;

/// A value as a person reads it: Home Assistant's state, with the unit when there is one.
pub fn render_shown(value: Option<&Shown>, unit: Option<&str>) -> String {
    match (value, unit) {
        (None | Some(Shown::Unknown), _) => "unknown".into(),
        (Some(value), Some(unit)) if !unit.is_empty() => format!("{} {unit}", value.text()),
        (Some(value), _) => value.text(),
    }
}

/// A value that changed, ready for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub device: String,
    pub entity: String,
    pub old: String,
    pub new: String,
}

/// Something worth a line in the live log.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// A device's discovery payload arrived (or changed).
    Discovered { device: String },
    /// A discovery payload was cleared: the device is gone from Home Assistant.
    Removed { device: String },
    /// Values Home Assistant now holds differently.
    Changed(Vec<Change>),
    /// An event entity fired.
    Event {
        device: String,
        entity: String,
        event_type: String,
    },
    /// The bridge reported a rejected command or an API error for a device.
    Error { device: String, message: String },
    /// An availability topic changed (`online` / `offline`).
    Availability { device: String, status: String },
}

/// Home Assistant's picture of the bridge's devices.
#[derive(Debug, Default)]
pub struct HaView {
    discovery_prefix: String,
    base_topic: String,
    devices: Vec<DeviceView>,
    /// The last payload of every other topic and when it came (a count): what Home Assistant
    /// gets as the retained message when an entity subscribes later.
    latest: HashMap<String, (Vec<u8>, u64)>,
    received: u64,
    availability: HashMap<String, String>,
}

impl HaView {
    pub fn new(discovery_prefix: &str, base_topic: &str) -> HaView {
        HaView {
            discovery_prefix: discovery_prefix.to_owned(),
            base_topic: base_topic.to_owned(),
            ..HaView::default()
        }
    }

    /// The devices in the order they were discovered.
    pub fn devices(&self) -> &[DeviceView] {
        &self.devices
    }

    /// The devices as Home Assistant shows them: payloads that share a device identifier
    /// merged into one (the first payload with a model names it), in arrival order; a device
    /// with no entity is none.
    pub fn merged_devices(&self) -> Vec<DeviceView> {
        let mut merged: Vec<DeviceView> = Vec::new();
        for device in self.devices.iter().filter(|d| !d.entities.is_empty()) {
            let same = merged
                .iter_mut()
                .find(|m| !device.ids.is_empty() && m.ids.iter().any(|id| device.ids.contains(id)));
            match same {
                Some(m) => {
                    if m.model.is_none() && device.model.is_some() {
                        m.name = device.name.clone();
                        m.model = device.model.clone();
                        m.discovery_topic = device.discovery_topic.clone();
                    }
                    m.entities.extend(device.entities.iter().cloned());
                    for topic in &device.availability_topics {
                        if !m.availability_topics.contains(topic) {
                            m.availability_topics.push(topic.clone());
                        }
                    }
                }
                None => merged.push(device.clone()),
            }
        }
        merged
    }

    pub fn device(&self, discovery_topic: &str) -> Option<&DeviceView> {
        self.devices
            .iter()
            .find(|d| d.discovery_topic == discovery_topic)
    }

    /// Whether Home Assistant shows the entity available (its availability topics say so).
    pub fn available(&self, entity: &EntityView) -> bool {
        entity.availability.available(|topic| {
            let (payload, at) = self.latest.get(topic)?;
            let up = entity
                .availability
                .reads(topic, &String::from_utf8_lossy(payload))?;
            Some((up, *at))
        })
    }

    /// Whether every state topic of a device has had a message and its entities are
    /// available: Home Assistant shows it as it is.
    pub fn has_state(&self, device: &DeviceView) -> bool {
        device
            .state_topics()
            .iter()
            .all(|t| self.latest.contains_key(*t))
            && device
                .entities
                .iter()
                .filter(|e| e.enabled)
                .all(|e| self.available(e))
    }

    /// How many devices besides `excluded_topic` (the bridge's own) are known and have
    /// their state, and how many are known.
    pub fn complete_devices(&self, excluded_topic: &str) -> (usize, usize) {
        let devices = self.merged_devices();
        let appliances = devices
            .iter()
            .filter(|d| d.discovery_topic != excluded_topic);
        let complete = appliances.clone().filter(|d| self.has_state(d)).count();
        (complete, appliances.count())
    }

    /// Takes in one MQTT message and says what a person should be told about it.
    pub fn on_message(&mut self, topic: &str, payload: &[u8]) -> Vec<Observation> {
        if self.is_discovery(topic) {
            return self.on_discovery(topic, payload).into_iter().collect();
        }
        self.received += 1;
        self.latest
            .insert(topic.to_owned(), (payload.to_vec(), self.received));
        let changes = self.on_state(topic, payload);
        if !changes.is_empty() {
            return vec![Observation::Changed(changes)];
        }
        if let Some(observation) = self.on_event(topic, payload) {
            return vec![observation];
        }
        if let Some(observation) = self.on_error(topic, payload) {
            return vec![observation];
        }
        self.on_availability(topic, payload).into_iter().collect()
    }

    fn is_discovery(&self, topic: &str) -> bool {
        topic
            .strip_prefix(&self.discovery_prefix)
            .and_then(|rest| rest.strip_prefix("/device/"))
            .is_some_and(|rest| rest.ends_with("/config"))
    }

    fn on_discovery(&mut self, topic: &str, payload: &[u8]) -> Option<Observation> {
        let existing = self.devices.iter().position(|d| d.discovery_topic == topic);
        if payload.is_empty() {
            // Home Assistant removes every component it discovered on the topic.
            let removed = self.devices.remove(existing?);
            return (!removed.entities.is_empty()).then_some(Observation::Removed {
                device: removed.name,
            });
        }
        // Not JSON, or no device payload: Home Assistant logs it and changes nothing.
        let value = serde_json::from_slice::<Value>(payload).ok()?;
        let (mut device, components) = DeviceView::parse(topic, &value)?;
        let old = existing.map(|at| self.devices.remove(at));
        let mut entities = old.as_ref().map(|d| d.entities.clone()).unwrap_or_default();
        for component in components {
            match component {
                Component::Removal { key, platform } => {
                    entities.retain(|e| !(e.key == key && e.platform == platform));
                }
                Component::Entity(new) => {
                    let mut new = *new;
                    let same = entities
                        .iter()
                        .position(|e| e.key == new.key && e.platform == new.platform);
                    match same {
                        Some(at) => {
                            // An update keeps what the entity holds, then reads its topics'
                            // retained messages again.
                            new.values = std::mem::take(&mut entities[at].values);
                            new.last_event = entities[at].last_event.take();
                            self.catch_up(&mut new);
                            entities[at] = new;
                        }
                        None => {
                            self.catch_up(&mut new);
                            entities.push(new);
                        }
                    }
                }
            }
        }
        device.entities = entities;
        let observation = match &old {
            // The bridge republishes every payload when Home Assistant comes online; only a
            // payload that says something new is worth a line.
            Some(old) if same_device(old, &device) => None,
            _ if device.entities.is_empty() => {
                old.as_ref()
                    .filter(|o| !o.entities.is_empty())
                    .map(|o| Observation::Removed {
                        device: o.name.clone(),
                    })
            }
            _ => Some(Observation::Discovered {
                device: device.name.clone(),
            }),
        };
        match existing {
            Some(at) => self.devices.insert(at, device),
            None => self.devices.push(device),
        }
        observation
    }

    /// An entity that just subscribed gets the retained message of each of its topics, in
    /// the order they came.
    fn catch_up(&self, entity: &mut EntityView) {
        let mut held: Vec<(u64, usize)> = entity
            .readings
            .iter()
            .enumerate()
            .filter_map(|(i, r)| self.latest.get(&r.topic).map(|(_, at)| (*at, i)))
            .collect();
        held.sort();
        for (_, i) in held {
            let reading = entity.readings[i].clone();
            if let Some((payload, _)) = self.latest.get(&reading.topic) {
                apply(entity, &reading, payload);
            }
        }
    }

    fn on_state(&mut self, topic: &str, payload: &[u8]) -> Vec<Change> {
        let mut changes = Vec::new();
        for device in &mut self.devices {
            for entity in &mut device.entities {
                let readings: Vec<Reading> = entity
                    .readings
                    .iter()
                    .filter(|r| r.topic == topic)
                    .cloned()
                    .collect();
                for reading in readings {
                    if let Some((old, new)) = apply(entity, &reading, payload) {
                        let unit = reading.unit.as_deref();
                        changes.push(Change {
                            device: device.name.clone(),
                            entity: entity.label_for(&reading),
                            old: render_shown(Some(&old), unit),
                            new: render_shown(Some(&new), unit),
                        });
                    }
                }
            }
        }
        changes
    }

    fn on_event(&mut self, topic: &str, payload: &[u8]) -> Option<Observation> {
        let (device, entity) = self.devices.iter_mut().find_map(|d| {
            let name = &d.name;
            d.entities
                .iter_mut()
                .find(|e| e.event_topic.as_deref() == Some(topic))
                .map(|e| (name.clone(), e))
        })?;
        // Home Assistant takes a JSON object with an `event_type` it was told of; anything
        // else is logged and dropped.
        let event_type = serde_json::from_slice::<Value>(payload)
            .ok()?
            .get("event_type")?
            .as_str()?
            .to_owned();
        if !entity.event_types.contains(&event_type) {
            return None;
        }
        entity.last_event = Some(event_type.clone());
        Some(Observation::Event {
            entity: entity.display_name(&device).to_owned(),
            device,
            event_type,
        })
    }

    /// `<base>/<device>/error`: the device is the one whose topics sit under `<base>/<device>/`.
    fn on_error(&self, topic: &str, payload: &[u8]) -> Option<Observation> {
        let object_id = topic
            .strip_prefix(&self.base_topic)?
            .strip_prefix('/')?
            .strip_suffix("/error")?;
        if object_id.contains('/') {
            return None;
        }
        let prefix = format!("{}/{object_id}/", self.base_topic);
        let device = self
            .devices
            .iter()
            .find(|d| {
                let mut topics = d.state_topics().into_iter();
                topics.any(|t| t.starts_with(&prefix))
                    || d.availability_topics.iter().any(|t| t.starts_with(&prefix))
            })
            .map_or_else(|| object_id.to_owned(), |d| d.name.clone());
        let message = match serde_json::from_slice::<Value>(payload) {
            Ok(v) => {
                let error = v.get("error").and_then(Value::as_str).unwrap_or("error");
                match v.get("command").and_then(Value::as_str) {
                    Some(command) => format!("{command}: {error}"),
                    None => error.to_owned(),
                }
            }
            Err(_) => String::from_utf8_lossy(payload).into_owned(),
        };
        Some(Observation::Error { device, message })
    }

    fn on_availability(&mut self, topic: &str, payload: &[u8]) -> Option<Observation> {
        // Every appliance also lists the bridge's availability, so that one is named first.
        let device = if topic == format!("{}/bridge/availability", self.base_topic) {
            BRIDGE_NAME.to_owned()
        } else {
            self.devices
                .iter()
                .find(|d| d.availability_topics.iter().any(|t| t == topic))
                .map(|d| d.name.clone())?
        };
        let status = String::from_utf8_lossy(payload).into_owned();
        let previous = self.availability.insert(topic.to_owned(), status.clone());
        (previous.as_ref() != Some(&status)).then_some(Observation::Availability { device, status })
    }
}

/// Takes a message into what an entity holds for one part, by Home Assistant's rules;
/// returns the old and the new value when a value it held changed.
fn apply(entity: &mut EntityView, reading: &Reading, payload: &[u8]) -> Option<(Shown, Shown)> {
    let text = reading.template.render(payload)?;
    let new = {
        let held = |part: &str| entity.value(part).cloned();
        ha::interpret(
            &entity.platform,
            reading.attribute,
            &entity.config,
            &text,
            &held,
        )?
    };
    let slot = entity
        .values
        .iter_mut()
        .find(|(a, _)| *a == reading.attribute);
    let old = match slot {
        Some((_, value)) => Some(std::mem::replace(value, new.clone())),
        None => {
            entity.values.push((reading.attribute, new.clone()));
            None
        }
    };
    // The first value is no change worth a line; the table shows it.
    old.filter(|old| *old != new).map(|old| (old, new))
}

/// The same device with the same components: nothing to tell.
fn same_device(a: &DeviceView, b: &DeviceView) -> bool {
    a.name == b.name
        && a.ids == b.ids
        && a.model == b.model
        && a.entities.len() == b.entities.len()
        && a.entities
            .iter()
            .zip(&b.entities)
            .all(|(x, y)| x.same_component(y))
}

/// How the log names the bridge itself.
const BRIDGE_NAME: &str = "ThinQ bridge";

#[cfg(test)]
impl HaView {
    /// [`HaView::on_message`] with a JSON payload, the way tests write their messages.
    pub(crate) fn on_json(&mut self, topic: &str, payload: &Value) -> Vec<Observation> {
        self.on_message(topic, payload.to_string().as_bytes())
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
