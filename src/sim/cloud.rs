//! The simulated account: its devices, the MQTT clients registered on it, their event and
//! push subscriptions, and what each REST operation does to them.
//!
//! Everything here is synchronous and lives behind one mutex; the HTTP layer checks headers
//! and faults, then calls one operation. Operations that make the cloud send pushes return
//! them as [`Outgoing`] messages for the caller to publish after releasing the lock.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::ca::{self, TestCa};
use super::certificate::{self, subscription_topics};
use super::control;
use super::devices::SimDevice;
use super::envelope::{self, ApiError, code};
use super::events::EventSubscriptions;
use super::faults::Faults;
use super::quota::QuotaLedger;
use super::state;

/// LG's service code for ThinQ Connect MQTT clients (`POST /client`, `/client/certificate`).
const SERVICE_CODE: &str = "SVC202";
/// The device type LG registers an MQTT client as.
const CLIENT_DEVICE_TYPE: &str = "607";
/// The `serviceId` pushes carry (opaque to clients).
const SERVICE_ID: &str = "SVC202-SIM-0001";
/// The account's user number, as pushes carry it in `userList` / `userNumber`.
const USER_NUMBER: &str = "US2411290001SIM";

/// One call the simulator answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The path without query string.
    pub path: String,
    pub status: u16,
    /// The ThinQ error code, for error answers.
    pub code: Option<String>,
    /// The `x-client-id` header, when sent.
    pub client_id: Option<String>,
}

/// A push the cloud sends to one client's topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub client_id: String,
    pub payload: Value,
}

struct Device {
    sim: SimDevice,
    online: bool,
}

/// The account and everything registered on it.
pub struct Cloud {
    pats: HashSet<String>,
    devices: Vec<Device>,
    clients: BTreeSet<String>,
    /// Event subscriptions and the clock they lapse by.
    pub events: EventSubscriptions,
    /// client id → device ids with push (pushCode) subscriptions.
    push_subscriptions: BTreeMap<String, BTreeSet<String>>,
    /// Clients told about devices added, removed and renamed.
    device_list_subscribers: BTreeSet<String>,
    pub requests: Vec<RecordedRequest>,
    pub controls: Vec<(String, Value)>,
    pub faults: Faults,
    /// The account's hourly call quota (none unless a test or the demo sets one).
    pub quota: QuotaLedger,
    /// How long every answer takes (none by default; LG's take 100–300 ms).
    pub latency: Duration,
    /// Send pushes in the `{messageId,timestamp,event|push}` wrapper instead of flat.
    pub wrapped_pushes: bool,
    /// Index into [`subscription_topics`] of the topic pushes are published on.
    pub push_topic_index: usize,
    /// How long issued certificates are valid (their `notAfter` = issue time + this).
    pub certificate_validity: Duration,
    /// Calls refused because of an injected token fault (either form).
    pub token_rejections: usize,
}

impl Cloud {
    pub fn new(pats: Vec<String>, devices: Vec<SimDevice>) -> Cloud {
        Cloud {
            pats: pats.into_iter().collect(),
            devices: devices
                .into_iter()
                .map(|sim| Device { sim, online: true })
                .collect(),
            clients: BTreeSet::new(),
            events: EventSubscriptions::default(),
            push_subscriptions: BTreeMap::new(),
            device_list_subscribers: BTreeSet::new(),
            requests: Vec::new(),
            controls: Vec::new(),
            faults: Faults::default(),
            quota: QuotaLedger::default(),
            latency: Duration::ZERO,
            wrapped_pushes: false,
            push_topic_index: 0,
            certificate_validity: ca::DEFAULT_VALIDITY,
            token_rejections: 0,
        }
    }

    /// The topic a push to `client_id` is published on: the configured entry of its
    /// certificate answer's `subscriptions` (the last one when the index is beyond them).
    pub fn push_topic_for(&self, client_id: &str) -> String {
        let mut topics = subscription_topics(client_id);
        let index = self.push_topic_index.min(topics.len().saturating_sub(1));
        topics.swap_remove(index)
    }

    pub fn accepts_pat(&self, pat: &str) -> bool {
        !self.faults.token_revoked() && self.pats.contains(pat)
    }

    fn device(&self, id: &str) -> Result<&Device, ApiError> {
        self.devices
            .iter()
            .find(|d| d.sim.id() == id)
            .ok_or_else(|| ApiError::new(code::NOT_EXIST_DEVICE))
    }

    fn device_mut(&mut self, id: &str) -> Result<&mut Device, ApiError> {
        self.devices
            .iter_mut()
            .find(|d| d.sim.id() == id)
            .ok_or_else(|| ApiError::new(code::NOT_EXIST_DEVICE))
    }

    /// A copy of a device as it is now.
    pub fn sim_device(&self, id: &str) -> Option<SimDevice> {
        self.device(id).ok().map(|d| d.sim.clone())
    }

    /// Whether a device exists and is on the network.
    pub fn is_online(&self, id: &str) -> bool {
        self.device(id).is_ok_and(|d| d.online)
    }

    pub fn device_ids(&self) -> Vec<String> {
        self.devices.iter().map(|d| d.sim.id().to_owned()).collect()
    }

    // ----- devices -------------------------------------------------------------------------

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

    // ----- clients and certificates --------------------------------------------------------

    pub fn is_registered(&self, client_id: &str) -> bool {
        self.clients.contains(client_id)
    }

    /// `POST /client`: registers the calling client id as an MQTT client.
    pub fn register_client(&mut self, client_id: &str, body: &Value) -> Result<Value, ApiError> {
        check_client_body(body)?;
        let allow_exist = body.get("allowExist").and_then(Value::as_bool) == Some(true);
        if self.clients.contains(client_id) && !allow_exist {
            return Err(ApiError::new(code::DUPLICATE_DEVICE_ID));
        }
        self.clients.insert(client_id.to_owned());
        Ok(json!({}))
    }

    /// `DELETE /client`: unregisters the client; its subscriptions go with it.
    pub fn unregister_client(&mut self, client_id: &str, body: &Value) -> Result<Value, ApiError> {
        check_client_body(body)?;
        if !self.clients.remove(client_id) {
            return Err(ApiError::new(code::NOT_REGISTERED_DEVICE_IN_SERVICE));
        }
        self.events.remove_client(client_id);
        self.push_subscriptions.remove(client_id);
        self.device_list_subscribers.remove(client_id);
        Ok(json!({}))
    }

    /// `POST /client/certificate`: signs the client's CSR with the test CA — or, while
    /// [`Fault::UntrustedCertificate`](super::Fault::UntrustedCertificate) lasts, with
    /// `untrusted`, a CA the push broker does not know — valid for `certificate_validity`.
    pub fn issue_certificate(
        &mut self,
        client_id: &str,
        body: &Value,
        ca: &TestCa,
        untrusted: &TestCa,
    ) -> Result<Value, ApiError> {
        let service_code = required_str(body, "service-code")?;
        if service_code != SERVICE_CODE {
            return Err(unacceptable("service-code must be SVC202"));
        }
        let csr = required_str(body, "csr")?;
        if !self.clients.contains(client_id) {
            return Err(ApiError::with_message(
                code::NOT_REGISTERED_DEVICE_IN_SERVICE,
                "register the client with POST /client first",
            ));
        }
        if self.faults.take_certificate_rejection() {
            return Err(unacceptable("the CSR was not accepted"));
        }
        let untrusted = self
            .faults
            .untrusted_certificate_pending()
            .then_some(untrusted);
        let answer = certificate::issue(client_id, csr, self.certificate_validity, ca, untrusted)?;
        if untrusted.is_some() {
            self.faults.take_untrusted_certificate();
        }
        Ok(answer)
    }

    // ----- subscriptions -------------------------------------------------------------------

    /// `POST /push/{id}/subscribe`; 1207 when already subscribed.
    pub fn subscribe_push(&mut self, client_id: &str, device_id: &str) -> Result<Value, ApiError> {
        self.device(device_id)?;
        let devices = self
            .push_subscriptions
            .entry(client_id.to_owned())
            .or_default();
        if !devices.insert(device_id.to_owned()) {
            return Err(ApiError::new(code::ALREADY_SUBSCRIBED_PUSH));
        }
        Ok(json!({}))
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
        if !removed {
            return Err(ApiError::new(code::NOT_SUBSCRIBED_PUSH));
        }
        Ok(json!({}))
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
    /// [`EventSubscriptions::subscribe`] for LG's 1–24 hour lifetime. Subscribing again
    /// renews the subscription.
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
        if !self.device_list_subscribers.insert(client_id.to_owned()) {
            return Err(ApiError::new(code::ALREADY_SUBSCRIBED_PUSH));
        }
        Ok(json!({}))
    }

    /// `DELETE /push/devices`; 1206 when not subscribed.
    pub fn unsubscribe_device_list(&mut self, client_id: &str) -> Result<Value, ApiError> {
        if !self.device_list_subscribers.remove(client_id) {
            return Err(ApiError::new(code::NOT_SUBSCRIBED_PUSH));
        }
        Ok(json!({}))
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

/// The body of `POST`/`DELETE /client`: `{"type":"MQTT","service-code":"SVC202","device-type":"607",…}`.
fn check_client_body(body: &Value) -> Result<(), ApiError> {
    for (field, expected) in [
        ("type", "MQTT"),
        ("service-code", SERVICE_CODE),
        ("device-type", CLIENT_DEVICE_TYPE),
    ] {
        if required_str(body, field)? != expected {
            return Err(unacceptable(format!("{field} must be {expected}")));
        }
    }
    Ok(())
}

fn required_str<'a>(body: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(ApiError::with_message(
            code::MISSING_PARAMETERS,
            format!("{field} is required"),
        )),
        Some(value) => value
            .as_str()
            .ok_or_else(|| unacceptable(format!("{field} must be a string"))),
    }
}

fn unacceptable(message: impl Into<String>) -> ApiError {
    ApiError::with_message(code::UNACCEPTABLE_PARAMETERS, message)
}

fn device_id_list(ids: impl Iterator<Item = String>) -> Value {
    Value::Array(ids.map(|id| json!({"deviceId": id})).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::devices::AIR_CONDITIONER_ID;

    fn cloud() -> Cloud {
        Cloud::new(vec!["pat".into()], SimDevice::fixture_set())
    }

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

    #[test]
    fn certificates_need_a_registered_client() {
        let mut cloud = cloud();
        let ca = TestCa::generate().expect("ca");
        let body = json!({"service-code": "SVC202", "csr": "AAAA"});
        assert_eq!(
            cloud
                .issue_certificate("c", &body, &ca, &ca)
                .map_err(|e| e.code),
            Err("1210".into())
        );
        let client = json!({"type": "MQTT", "service-code": "SVC202", "device-type": "607", "allowExist": true});
        cloud.register_client("c", &client).expect("register");
        cloud.register_client("c", &client).expect("allowExist");
        assert_eq!(
            cloud
                .issue_certificate("c", &body, &ca, &ca)
                .map_err(|e| e.code),
            Err("1102".into())
        );
    }
}
