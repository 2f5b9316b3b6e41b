//! The state cache: what a state read or a push report changes in an appliance's last full
//! state, and what Home Assistant is sent for it (its values, its availability, an event for
//! a notification). Every value goes out through the publisher, which drops repeats, so a
//! report that changes one value sends one message.

use super::{Entry, Registry};
use crate::thinq::error::ApiError;
use crate::thinq::state::merge_report;
use serde_json::Value;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// What a state read found, for the silent-channel check.
#[derive(Debug, PartialEq, Eq)]
pub enum StateRead {
    /// Nothing we held was wrong (or the device had no state yet).
    AsHeld,
    /// The state differed from what pushes had told us: a change was missed.
    Missed,
    Unknown,
}

impl Registry {
    /// A state read answered. Reports whether it showed a change no push had told us of.
    pub fn on_state(&mut self, device_id: &str, state: Value) -> StateRead {
        let Some(entry) = self.devices.get_mut(device_id) else {
            return StateRead::Unknown;
        };
        let missed = entry.has_state
            && entry.model.state_values(&entry.state) != entry.model.state_values(&state);
        let was_available = entry.available();
        entry.state = state;
        entry.has_state = true;
        entry.online = true;
        entry.last_heard = Instant::now();
        if missed {
            entry
                .span
                .in_scope(|| info!("the state read found a change no push had reported"));
        }
        // Values first, then `online`: an entity whose discovery just changed (an upgrade) must
        // not be shown with a value of the old kind still retained on its topic.
        self.publish_values(device_id);
        if !was_available {
            self.publish_availability(&self.devices[device_id]);
        }
        if missed {
            StateRead::Missed
        } else {
            StateRead::AsHeld
        }
    }

    /// A state read failed for good: 1222 marks the appliance unreachable.
    pub fn on_state_failed(&mut self, device_id: &str, err: &ApiError) {
        let Some(entry) = self.devices.get_mut(device_id) else {
            return;
        };
        if err.is_device_offline() {
            entry
                .span
                .in_scope(|| warn!("LG reports the appliance offline"));
            entry.online = false;
            let entry = &self.devices[device_id];
            self.publish_availability(entry);
        } else {
            entry
                .span
                .in_scope(|| warn!(%err, "cannot read the device state; it will be asked again"));
        }
    }

    pub(super) fn publish_availability(&self, entry: &Entry) {
        let topic = self
            .topics()
            .device_availability(&entry.model.device.device_id);
        self.publisher.retained(
            &topic,
            if entry.available() {
                "online"
            } else {
                "offline"
            },
        );
    }

    /// One retained message per value; the publisher leaves out those that repeat the last
    /// payload sent on their topic, so only what changed reaches Home Assistant. The topics
    /// are remembered (in the data directory too), so a device removed later — even while the
    /// add-on is stopped — has every one of them cleared.
    pub(super) fn publish_values(&mut self, device_id: &str) {
        let Some(entry) = self.devices.get_mut(device_id) else {
            return;
        };
        if !entry.has_state {
            return;
        }
        let messages = entry.model.state_messages(&self.ctx.topics, &entry.state);
        let mut new_topic = false;
        for (topic, payload) in messages {
            if !entry.value_topics.contains(&topic) {
                entry.value_topics.insert(topic.clone());
                new_topic = true;
            }
            self.publisher.retained(&topic, payload);
        }
        if new_topic {
            self.known
                .set_value_topics(device_id, entry.value_topics.iter().cloned().collect());
        }
    }

    /// A `DEVICE_STATUS` report: merge, mark reachable, publish.
    pub fn on_status(&mut self, device_id: &str, report: &Value) {
        let Some(entry) = self.devices.get_mut(device_id) else {
            debug!(device = %device_id, "status for a device not (yet) known ignored");
            return;
        };
        merge_report(&mut entry.state, report);
        entry.last_heard = Instant::now();
        let came_back = !entry.online;
        entry.online = true;
        entry
            .span
            .in_scope(|| tracing::debug!(%report, "state report"));
        self.publish_values(device_id);
        let entry = &self.devices[device_id];
        if came_back && entry.has_state {
            entry
                .span
                .in_scope(|| info!("the appliance is reachable again"));
            self.publish_availability(entry);
        }
    }

    /// A `DEVICE_PUSH` notification: an event on the device's event entity.
    pub fn on_notification(&mut self, device_id: &str, push_code: &str) {
        let Some(entry) = self.devices.get_mut(device_id) else {
            warn!(device = %device_id, %push_code, "notification for an unknown device ignored");
            return;
        };
        entry.last_heard = Instant::now();
        entry.span.in_scope(|| info!(%push_code, "notification"));
        let entry = &self.devices[device_id];
        let messages = entry.model.push_messages(self.topics(), push_code);
        if messages.is_empty() {
            entry
                .span
                .in_scope(|| warn!(%push_code, "no event entity for this notification"));
        }
        for (topic, payload) in messages {
            self.publisher.transient(&topic, payload);
        }
    }
}
