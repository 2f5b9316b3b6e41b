//! Subscriptions on the simulated account: push (`pushCode`) and event (`DEVICE_STATUS`, with
//! LG's 1–24 h lifetime) subscriptions per device, and device-list subscriptions, with LG's
//! answers to a repeated or missing one (1207, 1206, 1204), and the fault that drops push
//! subscriptions without telling the client.
//!
//! Apart from the account model because these are the routes that change who hears of a
//! device; the model and the pushes only read them.

use serde_json::{Value, json};

use super::Cloud;
use crate::sim::envelope::{ApiError, code};

impl Cloud {
    /// Drops every push (pushCode) subscription for `device_id` (all devices with `None`)
    /// without telling the client. LG documents no lapse for these; this stands in for a
    /// subscription lost on LG's side, which only `GET /push` reveals. Returns how many.
    pub fn drop_push_subscriptions(&mut self, device_id: Option<&str>) -> usize {
        let mut dropped = 0;
        for devices in self.push_subscriptions.values_mut() {
            match device_id {
                Some(id) => dropped += usize::from(devices.remove(id)),
                None => {
                    dropped += devices.len();
                    devices.clear();
                }
            }
        }
        dropped
    }

    /// `POST /push/{id}/subscribe`; 1207 when already subscribed.
    pub fn subscribe_push(&mut self, client_id: &str, device_id: &str) -> Result<Value, ApiError> {
        self.device(device_id)?;
        let added = self
            .push_subscriptions
            .entry(client_id.to_owned())
            .or_default()
            .insert(device_id.to_owned());
        changed(added, code::ALREADY_SUBSCRIBED_PUSH)
    }

    /// `DELETE /push/{id}/unsubscribe`; 1206 when not subscribed.
    pub fn unsubscribe_push(
        &mut self,
        client_id: &str,
        device_id: &str,
    ) -> Result<Value, ApiError> {
        self.device(device_id)?;
        let removed = self
            .push_subscriptions
            .get_mut(client_id)
            .is_some_and(|devices| devices.remove(device_id));
        changed(removed, code::NOT_SUBSCRIBED_PUSH)
    }

    /// `GET /push`.
    pub fn push_list(&self, client_id: &str) -> Value {
        device_id_list(
            self.push_subscriptions
                .get(client_id)
                .into_iter()
                .flatten()
                .cloned(),
        )
    }

    /// `POST /event/{id}/subscribe` with `{"expire":{"unit":"HOUR","timer":N}}`: see
    /// [`EventSubscriptions::subscribe`](crate::sim::events::EventSubscriptions::subscribe)
    /// for LG's 1–24 hour lifetime. Subscribing again renews the subscription.
    pub fn subscribe_event(
        &mut self,
        client_id: &str,
        device_id: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        self.device(device_id)?;
        if let Some(failure) = self.faults.take_event_subscribe_failure() {
            return Err(failure);
        }
        self.events.subscribe(client_id, device_id, body)?;
        Ok(json!({}))
    }

    /// `DELETE /event/{id}/unsubscribe`; 1204 when not subscribed (or lapsed).
    pub fn unsubscribe_event(
        &mut self,
        client_id: &str,
        device_id: &str,
    ) -> Result<Value, ApiError> {
        self.device(device_id)?;
        self.events.unsubscribe(client_id, device_id)?;
        Ok(json!({}))
    }

    /// `GET /event`: the devices with a live event subscription.
    pub fn event_list(&self, client_id: &str) -> Value {
        self.events.list(client_id)
    }

    /// `POST /push/devices`; 1207 when already subscribed.
    pub fn subscribe_device_list(&mut self, client_id: &str) -> Result<Value, ApiError> {
        let added = self.device_list_subscribers.insert(client_id.to_owned());
        changed(added, code::ALREADY_SUBSCRIBED_PUSH)
    }

    /// `DELETE /push/devices`; 1206 when not subscribed.
    pub fn unsubscribe_device_list(&mut self, client_id: &str) -> Result<Value, ApiError> {
        let removed = self.device_list_subscribers.remove(client_id);
        changed(removed, code::NOT_SUBSCRIBED_PUSH)
    }

    /// `GET /push/devices`: the account's clients subscribed to device-list changes.
    pub fn device_list_subscriptions(&self) -> Value {
        Value::Array(
            self.device_list_subscribers
                .iter()
                .map(|client| json!({"clientId": client}))
                .collect(),
        )
    }

    /// Clients with a live event subscription for a device.
    pub fn event_subscribers(&self, device_id: &str) -> Vec<String> {
        self.events.subscribers(device_id)
    }
}

/// LG's answer to a push or device-list (un)subscribe: `{}` when it changed the set, else
/// `unchanged`, LG's code for a subscription that was that way already (1207 when it was
/// there, 1206 when it was not). Event subscriptions answer for themselves (their 1204 counts
/// a lapsed one as gone), see [`crate::sim::events`].
fn changed(changed: bool, unchanged: &str) -> Result<Value, ApiError> {
    if changed {
        Ok(json!({}))
    } else {
        Err(ApiError::new(unchanged))
    }
}

fn device_id_list(ids: impl Iterator<Item = String>) -> Value {
    Value::Array(ids.map(|id| json!({"deviceId": id})).collect())
}

#[cfg(test)]
mod tests {
    use super::super::test_cloud as cloud;
    use crate::sim::devices::AIR_CONDITIONER_ID;
    use serde_json::json;

    #[test]
    fn subscriptions_report_their_conflicts() {
        let mut cloud = cloud();
        cloud
            .subscribe_push("a", AIR_CONDITIONER_ID)
            .expect("first");
        assert_eq!(
            cloud
                .subscribe_push("a", AIR_CONDITIONER_ID)
                .map_err(|e| e.code),
            Err("1207".into())
        );
        assert_eq!(
            cloud
                .unsubscribe_event("a", AIR_CONDITIONER_ID)
                .map_err(|e| e.code),
            Err("1204".into())
        );
        assert_eq!(
            cloud.subscribe_push("a", "nope").map_err(|e| e.code),
            Err("1205".into())
        );
        let bad = json!({"expire": {"unit": "DAY", "timer": 1}});
        assert_eq!(
            cloud
                .subscribe_event("a", AIR_CONDITIONER_ID, &bad)
                .map_err(|e| e.code),
            Err("1102".into())
        );
    }
}
