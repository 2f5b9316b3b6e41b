//! What the simulated account does with its appliances: the device routes (`GET /devices`,
//! profile, state, control), the reports a device sends after a control or by itself, and the
//! changes tests and the demo make (online, profile, added, removed, renamed), each with the
//! pushes it causes, addressed flat or in LG's documented wrapper.
//!
//! Apart from the account model because it is what happens to the devices, where the model
//! only keeps them.

use serde_json::{Map, Value, json};

use super::{Cloud, Device, Outgoing};
use crate::sim::control;
use crate::sim::devices::SimDevice;
use crate::sim::envelope::{self, ApiError, code};
use crate::sim::state;

/// The `serviceId` pushes carry (opaque to clients).
const SERVICE_ID: &str = "SVC202-SIM-0001";
/// The account's user number, as pushes carry it in `userList` / `userNumber`.
const USER_NUMBER: &str = "US2411290001SIM";

impl Cloud {
    /// `GET /devices`.
    pub fn device_list(&self) -> Value {
        Value::Array(
            self.devices
                .iter()
                .filter_map(|d| serde_json::to_value(&d.sim.summary).ok())
                .collect(),
        )
    }

    /// `GET /devices/{id}/profile` (or the injected server error for this device).
    pub fn profile(&mut self, id: &str) -> Result<Value, ApiError> {
        if let Some(failure) = self.faults.take_profile_failure(id) {
            return Err(failure);
        }
        Ok(self.device(id)?.sim.profile.clone())
    }

    /// `GET /devices/{id}/state`: an offline appliance answers 1222 (or the injected server
    /// error for this device).
    pub fn state(&mut self, id: &str) -> Result<Value, ApiError> {
        if let Some(failure) = self.faults.take_state_failure(id) {
            return Err(failure);
        }
        let device = self.device(id)?;
        if !device.online {
            return Err(ApiError::new(code::NOT_CONNECTED_DEVICE));
        }
        Ok(device.sim.state.clone())
    }

    /// `POST /devices/{id}/control`: the cloud's check and the device's answer. Returns the
    /// report the device sends once it has carried the command out.
    pub fn accept_control(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        self.controls.push((id.to_owned(), body.clone()));
        let device = self.device(id)?;
        if !device.online {
            return Err(ApiError::new(code::NOT_CONNECTED_DEVICE));
        }
        control::check(&device.sim.profile, body)?;
        let report = control::react(&device.sim.profile, &device.sim.state, body)?;
        if let Some(failure) = self.faults.take_control_failure() {
            return Err(failure);
        }
        Ok(report)
    }

    /// Merges a report into a device's state and addresses a `DEVICE_STATUS` to every client
    /// with a live event subscription for it.
    pub fn apply_report(&mut self, id: &str, report: &Value) -> Vec<Outgoing> {
        let Ok(device) = self.device_mut(id) else {
            return Vec::new();
        };
        state::merge(&mut device.sim.state, report);
        let device_type = device.sim.device_type().to_owned();
        let recipients = self.events.subscribers(id);
        let fields = json!({
            "pushType": "DEVICE_STATUS",
            "serviceId": SERVICE_ID,
            "deviceId": id,
            "deviceType": device_type,
            "report": report,
            "userList": [USER_NUMBER],
        });
        self.address(recipients, fields)
    }

    /// Merges a report into a device's state and tells nobody: the change a client can only
    /// learn by reading the state (what happens to changes while its push channel is down
    /// or its event subscription has lapsed). False for an unknown device.
    pub fn apply_report_silently(&mut self, id: &str, report: &Value) -> bool {
        let Ok(device) = self.device_mut(id) else {
            return false;
        };
        state::merge(&mut device.sim.state, report);
        true
    }

    /// A `DEVICE_PUSH` with `push_code` to every client push-subscribed to the device.
    pub fn notification(&self, id: &str, push_code: &str) -> Vec<Outgoing> {
        let Ok(device) = self.device(id) else {
            return Vec::new();
        };
        let recipients = self
            .push_subscriptions
            .iter()
            .filter(|(_, devices)| devices.contains(id))
            .map(|(client, _)| client.clone())
            .collect();
        let fields = json!({
            "pushType": "DEVICE_PUSH",
            "serviceId": SERVICE_ID,
            "deviceId": id,
            "deviceType": device.sim.device_type(),
            "pushCode": push_code,
            "userList": [USER_NUMBER],
        });
        self.address(recipients, fields)
    }

    /// Replaces a device's profile; false for an unknown device.
    pub fn set_profile(&mut self, id: &str, profile: Value) -> bool {
        let Ok(device) = self.device_mut(id) else {
            return false;
        };
        device.sim.profile = profile;
        true
    }

    pub fn set_online(&mut self, id: &str, online: bool) {
        if let Ok(device) = self.device_mut(id) {
            device.online = online;
        }
    }

    /// Adds a device to the account (replacing one with the same id) and tells the
    /// device-list subscribers (`DEVICE_REGISTERED`).
    pub fn add_device(&mut self, sim: SimDevice) -> Vec<Outgoing> {
        let info = sim.summary.device_info.clone();
        let fields = json!({
            "pushType": "DEVICE_REGISTERED",
            "serviceId": SERVICE_ID,
            "deviceId": sim.id(),
            "deviceType": info.device_type,
            "modelName": info.model_name,
            "alias": info.alias,
            "reportable": info.reportable,
            "userNumber": USER_NUMBER,
        });
        self.devices.retain(|d| d.sim.id() != sim.id());
        self.devices.push(Device { sim, online: true });
        self.address(
            self.device_list_subscribers.iter().cloned().collect(),
            fields,
        )
    }

    /// Removes a device with its subscriptions (`DEVICE_UNREGISTERED`).
    pub fn remove_device(&mut self, id: &str) -> Vec<Outgoing> {
        let Some(index) = self.devices.iter().position(|d| d.sim.id() == id) else {
            return Vec::new();
        };
        let device = self.devices.remove(index);
        self.events.remove_device(id);
        for devices in self.push_subscriptions.values_mut() {
            devices.remove(id);
        }
        let fields = json!({
            "pushType": "DEVICE_UNREGISTERED",
            "serviceId": SERVICE_ID,
            "deviceId": id,
            "deviceType": device.sim.device_type(),
            "alias": device.sim.summary.device_info.alias,
            "userNumber": USER_NUMBER,
        });
        self.address(
            self.device_list_subscribers.iter().cloned().collect(),
            fields,
        )
    }

    /// Renames a device (`DEVICE_ALIAS_CHANGED`).
    pub fn rename_device(&mut self, id: &str, alias: &str) -> Vec<Outgoing> {
        let Ok(device) = self.device_mut(id) else {
            return Vec::new();
        };
        device.sim.summary.device_info.alias = alias.to_owned();
        let fields = json!({
            "pushType": "DEVICE_ALIAS_CHANGED",
            "serviceId": SERVICE_ID,
            "deviceId": id,
            "alias": alias,
            "userNumber": USER_NUMBER,
        });
        self.address(
            self.device_list_subscribers.iter().cloned().collect(),
            fields,
        )
    }

    /// Builds one message per recipient, flat (what the SDK consumers read) or wrapped (the
    /// shape in LG's documentation: `event` for status, `push` for the rest).
    fn address(&self, recipients: Vec<String>, fields: Value) -> Vec<Outgoing> {
        let payload = if self.wrapped_pushes {
            let member = if fields["pushType"] == "DEVICE_STATUS" {
                "event"
            } else {
                "push"
            };
            let mut wrapper = Map::new();
            wrapper.insert("messageId".into(), json!(envelope::message_id()));
            wrapper.insert("timestamp".into(), json!(envelope::timestamp()));
            wrapper.insert(member.into(), fields);
            Value::Object(wrapper)
        } else {
            fields
        };
        recipients
            .into_iter()
            .map(|client_id| Outgoing {
                client_id,
                payload: payload.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_cloud as cloud;
    use crate::sim::devices::AIR_CONDITIONER_ID;
    use serde_json::json;

    #[test]
    fn status_goes_only_to_event_subscribers() {
        let mut cloud = cloud();
        let expire = json!({"expire": {"unit": "HOUR", "timer": 24}});
        cloud
            .subscribe_event("a", AIR_CONDITIONER_ID, &expire)
            .expect("subscribe");
        cloud
            .subscribe_push("b", AIR_CONDITIONER_ID)
            .expect("push subscribe");
        let out = cloud.apply_report(
            AIR_CONDITIONER_ID,
            &json!({"airFlow": {"windStrength": "LOW"}}),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].client_id, "a");
        assert_eq!(out[0].payload["pushType"], "DEVICE_STATUS");
        assert_eq!(out[0].payload["report"]["airFlow"]["windStrength"], "LOW");
        let pushes = cloud.notification(AIR_CONDITIONER_ID, "WATER_IS_FULL");
        assert_eq!(pushes.len(), 1);
        assert_eq!(pushes[0].client_id, "b");
    }

    #[test]
    fn wrapped_pushes_use_event_and_push_members() {
        let mut cloud = cloud();
        cloud.wrapped_pushes = true;
        cloud
            .subscribe_event(
                "a",
                AIR_CONDITIONER_ID,
                &json!({"expire": {"unit": "HOUR", "timer": 1}}),
            )
            .expect("subscribe");
        let out = cloud.apply_report(
            AIR_CONDITIONER_ID,
            &json!({"powerSave": {"powerSaveEnabled": true}}),
        );
        assert_eq!(out[0].payload["event"]["pushType"], "DEVICE_STATUS");
        assert!(out[0].payload["messageId"].is_string());
    }
}
