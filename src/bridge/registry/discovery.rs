//! A device's discovery in Home Assistant: its payloads, and the removal of what an earlier
//! payload on the same topic had and this one lacks.
//!
//! Home Assistant removes a component of a device payload only when it sees the component
//! reduced to its platform (`{"p": "sensor"}`), and only one it has discovered: a component a
//! payload leaves out stays, and a marker for one it never had does nothing
//! (`mqtt/discovery.py`, `async_discovery_message_received` / `async_process_discovery_payload`).
//! Home Assistant 2026.11 words it in its own log: "publish the device discovery payload …
//! with only the `platform` option for this component, then omit the component from the
//! device discovery payload".
//!
//! So the bridge sends a marker once, when it knows of a component to remove — one it
//! published before on that topic, known from the retained payload the broker held at start
//! ([`crate::hass::held_discovery`]) or from the known-devices file — in a non-retained copy
//! of the payload, right before the plain payload the broker keeps. A Home Assistant that is
//! connected removes the entity; one that starts later never built it from the broker (the
//! retained payload no longer has it), and its registry entry follows the unique id to the
//! component's new device, if any. Nothing stale stays retained, and a fresh install sends no
//! marker at all.

use super::Registry;
use crate::hass::discovery;
use crate::hass::held_discovery::HeldDiscovery;
use std::collections::BTreeMap;
use tracing::info;

impl Registry {
    /// What the broker held when the session came up. Discovery waits for it (a device's
    /// first payload must carry the removals it calls for, or Home Assistant meets a moved
    /// entity's unique id twice), so the devices that waited are published now.
    pub fn on_discovery_held(&mut self, held: HeldDiscovery) {
        if self.held.is_some() {
            return;
        }
        self.held = Some(held);
        for device_id in std::mem::take(&mut self.awaiting_discovery) {
            self.publish_discovery(&device_id);
        }
    }

    /// Publishes every discovery payload of a device (the appliance first, then its
    /// sub-devices) and remembers their topics and components, so a removal clears each topic
    /// and a later payload can remove what it drops. A topic published before and not any
    /// more (LG's new profile lost a unit) is cleared first: Home Assistant drops that
    /// device's entities before another payload may bring their unique ids back.
    pub(super) fn publish_discovery(&mut self, device_id: &str) {
        let Some(entry) = self.devices.get(device_id) else {
            return;
        };
        let Some(held) = self.held.as_mut() else {
            if !self.awaiting_discovery.iter().any(|id| id == device_id) {
                self.awaiting_discovery.push(device_id.to_owned());
            }
            return;
        };
        let payloads = entry.model.discovery_payloads(&self.ctx);
        let topics: Vec<String> = payloads
            .iter()
            .map(|p| self.ctx.topics.device_discovery(&p.id))
            .collect();
        let known = self.known.get(device_id);
        let stale: Vec<String> = known
            .map(|k| k.discovery_topics.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !topics.contains(t))
            .collect();
        for topic in stale {
            self.publisher.retained(&topic, Vec::new());
        }
        let mut published = BTreeMap::new();
        for (topic, part) in topics.iter().zip(&payloads) {
            let now = discovery::components(&part.payload);
            let mut before = held.remove(topic).unwrap_or_default();
            if let Some(remembered) = known.and_then(|k| k.discovery_components.get(topic)) {
                before.extend(remembered.clone());
            }
            let removed = discovery::removed_components(&before, &now);
            if !removed.is_empty() {
                entry.span.in_scope(|| {
                    info!(
                        %topic,
                        components = ?removed.keys().collect::<Vec<_>>(),
                        "removing from Home Assistant what this device no longer has on this topic"
                    )
                });
                self.publisher.transient(
                    topic,
                    discovery::with_removals(&part.payload, &removed).to_string(),
                );
            }
            self.publisher.discovery(topic, &part.payload);
            published.insert(topic.clone(), now);
        }
        self.known.set_discovery_topics(device_id, topics);
        self.known.set_discovery_components(device_id, published);
    }
}
