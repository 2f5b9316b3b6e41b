//! MQTT clients on the simulated account: `POST`/`DELETE /client` with the body LG requires,
//! and `POST /client/certificate`, which signs a registered client's CSR with the test CA (or,
//! under a fault, refuses it or signs with a CA the push broker does not trust).
//!
//! Apart from the account model because these are the checks of one pair of routes; the model
//! only keeps the set of registered ids.

use serde_json::{Value, json};

use super::Cloud;
use crate::sim::ca::TestCa;
use crate::sim::certificate;
use crate::sim::envelope::{ApiError, code};

/// LG's service code for ThinQ Connect MQTT clients (`POST /client`, `/client/certificate`).
const SERVICE_CODE: &str = "SVC202";
/// The device type LG registers an MQTT client as.
const CLIENT_DEVICE_TYPE: &str = "607";

impl Cloud {
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
    /// [`Fault::UntrustedCertificate`](crate::sim::Fault::UntrustedCertificate) lasts, with
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

#[cfg(test)]
mod tests {
    use super::super::test_cloud as cloud;
    use crate::sim::ca::TestCa;
    use serde_json::json;

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
