//! The ThinQ Connect endpoints, one method each (`reference/thinq-api.md` §2): the broker's
//! route, MQTT client registration and certificate, the device list, profile, state and
//! control, and the push, event and device-list subscriptions (where LG's "already" and
//! "not subscribed" answers count as success, being the wanted state).
//!
//! Apart from the client and its transport because this is what is asked of LG, where they
//! are how.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::transport::{decode, ignore_codes};
use super::{Route, ThinqApi, unwrap_result};
use crate::thinq::DeviceSummary;
use crate::thinq::error::{ApiError, ErrorCode};

/// `service-code` of every MQTT client the SDKs register.
const SERVICE_CODE: &str = "SVC202";

/// What `POST /client/certificate` hands back.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCertificate {
    pub certificate_pem: String,
    /// The topics to subscribe to; the SDK uses only the first.
    pub subscriptions: Vec<String>,
    pub publications: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificateResult {
    certificate_pem: String,
    #[serde(default)]
    subscriptions: Vec<String>,
    #[serde(default)]
    publications: Vec<String>,
}

impl ThinqApi {
    /// `GET /route`: the MQTT broker's address.
    pub async fn route(&self) -> Result<Route, ApiError> {
        let response = self.call(Method::GET, &["route"], None, false).await?;
        decode(response, "route")
    }

    /// `POST /client`: registers our client id as an MQTT client (`allowExist`, so repeating
    /// it is harmless).
    pub async fn register_client(&self) -> Result<(), ApiError> {
        self.call(Method::POST, &["client"], Some(&client_body()), false)
            .await?;
        Ok(())
    }

    /// `DELETE /client` with the registration body, as the SDK does when HA unloads.
    pub async fn unregister_client(&self) -> Result<(), ApiError> {
        self.call(Method::DELETE, &["client"], Some(&client_body()), false)
            .await?;
        Ok(())
    }

    /// `POST /client/certificate`: LG signs our CSR (base64 DER, no PEM armour).
    pub async fn issue_certificate(&self, csr_base64: &str) -> Result<IssuedCertificate, ApiError> {
        let body = json!({"service-code": SERVICE_CODE, "csr": csr_base64});
        let response = self
            .call(Method::POST, &["client", "certificate"], Some(&body), false)
            .await?;
        let result: CertificateResult = decode(unwrap_result(response)?, "client/certificate")?;
        if result.certificate_pem.trim().is_empty() {
            return Err(ApiError::InvalidResponse {
                status: 200,
                detail: "client/certificate: empty certificatePem".into(),
            });
        }
        Ok(IssuedCertificate {
            certificate_pem: result.certificate_pem,
            subscriptions: result.subscriptions,
            publications: result.publications,
        })
    }

    /// `GET /devices`. An entry that does not have the documented shape is skipped with a
    /// warning rather than hiding every other appliance.
    pub async fn devices(&self) -> Result<Vec<DeviceSummary>, ApiError> {
        let response = self.call(Method::GET, &["devices"], None, false).await?;
        let entries = match response {
            Value::Array(entries) => entries,
            Value::Null => Vec::new(),
            other => {
                return Err(ApiError::InvalidResponse {
                    status: 200,
                    detail: format!(
                        "devices: expected an array, got {}",
                        crate::json_kind(&other)
                    ),
                });
            }
        };
        Ok(entries
            .into_iter()
            .filter_map(
                |entry| match serde_json::from_value::<DeviceSummary>(entry) {
                    Ok(device) => Some(device),
                    Err(e) => {
                        tracing::warn!(
                            "skipping a device list entry LG sent in an unknown shape: {e}"
                        );
                        None
                    }
                },
            )
            .collect())
    }

    /// `GET /devices/{id}/profile`.
    pub async fn profile(&self, device_id: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, &["devices", device_id, "profile"], None, false)
            .await
    }

    /// `GET /devices/{id}/state` (an object, or an array for per-location devices).
    pub async fn state(&self, device_id: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, &["devices", device_id, "state"], None, false)
            .await
    }

    /// `POST /devices/{id}/control` with `x-conditional-control: true`. Any 2xx counts as
    /// accepted; the real change arrives later as a `DEVICE_STATUS` push.
    pub async fn control(&self, device_id: &str, body: &Value) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            &["devices", device_id, "control"],
            Some(body),
            true,
        )
        .await?;
        Ok(())
    }

    /// `POST /push/{id}/subscribe` (DEVICE_PUSH notifications). 1207 (already) is success.
    pub async fn push_subscribe(&self, device_id: &str) -> Result<(), ApiError> {
        let path = ["push", device_id, "subscribe"];
        self.subscription(Method::POST, &path, None, ErrorCode::AlreadySubscribedPush)
            .await
    }

    /// `DELETE /push/{id}/unsubscribe`. 1206 (not subscribed) is success: the wanted state.
    pub async fn push_unsubscribe(&self, device_id: &str) -> Result<(), ApiError> {
        let path = ["push", device_id, "unsubscribe"];
        self.subscription(Method::DELETE, &path, None, ErrorCode::NotSubscribedPush)
            .await
    }

    /// `POST /event/{id}/subscribe` (DEVICE_STATUS reports) for `hours`. 1207 is success.
    pub async fn event_subscribe(&self, device_id: &str, hours: u32) -> Result<(), ApiError> {
        let path = ["event", device_id, "subscribe"];
        let body = json!({"expire": {"unit": "HOUR", "timer": hours}});
        self.subscription(
            Method::POST,
            &path,
            Some(&body),
            ErrorCode::AlreadySubscribedPush,
        )
        .await
    }

    /// `DELETE /event/{id}/unsubscribe`. 1204 (not subscribed) is success.
    pub async fn event_unsubscribe(&self, device_id: &str) -> Result<(), ApiError> {
        let path = ["event", device_id, "unsubscribe"];
        self.subscription(Method::DELETE, &path, None, ErrorCode::NotSubscribedEvent)
            .await
    }

    /// `POST /push/devices`: be told when appliances are added, removed or renamed. 1207 is
    /// success.
    pub async fn push_devices_subscribe(&self) -> Result<(), ApiError> {
        let path = ["push", "devices"];
        self.subscription(Method::POST, &path, None, ErrorCode::AlreadySubscribedPush)
            .await
    }

    /// `DELETE /push/devices`. 1206 is success.
    pub async fn push_devices_unsubscribe(&self) -> Result<(), ApiError> {
        let path = ["push", "devices"];
        self.subscription(Method::DELETE, &path, None, ErrorCode::NotSubscribedPush)
            .await
    }

    /// Subscribes or unsubscribes. `already` is LG's answer that the subscription is that way
    /// already (1207 to a subscribe; 1206 or 1204 to an unsubscribe): success, since it is the
    /// state asked for (and what a retry gets when the first try went through unanswered).
    async fn subscription(
        &self,
        method: Method,
        path: &[&str],
        body: Option<&Value>,
        already: ErrorCode,
    ) -> Result<(), ApiError> {
        let result = self.call(method, path, body, false).await;
        ignore_codes(result, &[already])
    }

    /// `GET /event`: the ids of the devices this client has a live event subscription for.
    /// LG switches a subscription off when its 1–24 h lifetime ends (thinq-api.md §9), so
    /// this list, not what we once subscribed, is the truth to reconcile against.
    pub async fn event_list(&self) -> Result<Vec<String>, ApiError> {
        let response = self.call(Method::GET, &["event"], None, false).await?;
        device_id_list(response, "event")
    }

    /// `GET /push`: the ids of the devices this client gets `DEVICE_PUSH` messages for.
    pub async fn push_list(&self) -> Result<Vec<String>, ApiError> {
        let response = self.call(Method::GET, &["push"], None, false).await?;
        device_id_list(response, "push")
    }
}

/// `[{"deviceId": "…"}, …]` → the ids. An entry without a string `deviceId` is skipped (one
/// odd entry must not hide the rest); anything but an array (or nothing) is an error.
fn device_id_list(response: Value, what: &str) -> Result<Vec<String>, ApiError> {
    match response {
        Value::Null => Ok(Vec::new()),
        Value::Array(entries) => Ok(entries
            .iter()
            .filter_map(|entry| entry.get("deviceId").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()),
        other => Err(ApiError::InvalidResponse {
            status: 200,
            detail: format!(
                "{what}: expected an array, got {}",
                crate::json_kind(&other)
            ),
        }),
    }
}

/// The body of `POST /client` and `DELETE /client`, as both SDKs send it.
fn client_body() -> Value {
    json!({"type": "MQTT", "service-code": SERVICE_CODE, "device-type": "607", "allowExist": true})
}
