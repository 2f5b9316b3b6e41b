//! What `POST /client/certificate` hands out: a certificate signed from the client's CSR and
//! the MQTT topics that go with it, in LG's shape (thinq-api.md §2.4, §9).

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use super::ca::TestCa;
use super::envelope::{ApiError, code};

/// The first MQTT topic LG gives a client in its certificate answer (`subscriptions[0]`),
/// the one the SDK subscribes to and the simulator publishes on by default.
pub fn push_topic(client_id: &str) -> String {
    format!("app/clients/{client_id}/push")
}

/// Every topic in the certificate answer's `subscriptions`, in LG's order. Live answers
/// carry two (thinq-api.md §9); the SDK subscribes only to the first.
pub fn subscription_topics(client_id: &str) -> Vec<String> {
    vec![
        push_topic(client_id),
        format!("app/clients/{client_id}/inbox"),
    ]
}

/// The certificate answer's `publications` (the client never publishes; LG lists it anyway).
pub fn publication_topics(client_id: &str) -> Vec<String> {
    vec![format!("app/clients/{client_id}/outbox")]
}

/// Signs `csr` (as the SDK sends it) for `validity` and builds LG's answer
/// `{resultCode, result: {certificatePem, subscriptions, publications}}`.
///
/// The CSR is always parsed and verified with `trusted` first, so a bad CSR is refused with
/// 1102 whatever else happens; with `untrusted`, the certificate handed out is then signed by
/// that CA instead, which the push broker refuses at the TLS handshake.
pub fn issue(
    client_id: &str,
    csr: &str,
    validity: Duration,
    trusted: &TestCa,
    untrusted: Option<&TestCa>,
) -> Result<Value, ApiError> {
    let bad = || {
        ApiError::with_message(
            code::UNACCEPTABLE_PARAMETERS,
            "csr does not parse or its signature does not verify",
        )
    };
    let der = csr_der(csr).ok_or_else(|| {
        ApiError::with_message(code::UNACCEPTABLE_PARAMETERS, "csr is not a base64 DER CSR")
    })?;
    let mut certificate_pem = trusted
        .sign_csr_der_valid_for(&der, validity)
        .map_err(|_| bad())?;
    if let Some(untrusted) = untrusted {
        certificate_pem = untrusted
            .sign_csr_der_valid_for(&der, validity)
            .map_err(|_| bad())?;
    }
    Ok(json!({
        "resultCode": "0000",
        "result": {
            "certificatePem": certificate_pem,
            "subscriptions": subscription_topics(client_id),
            "publications": publication_topics(client_id),
        }
    }))
}

/// The DER of a CSR sent as LG's SDK sends it (the base64 body of the PEM, newlines
/// removed); the full PEM text the JS SDK sends is accepted too.
fn csr_der(csr: &str) -> Option<Vec<u8>> {
    let body: String = if csr.contains("-----BEGIN") {
        csr.lines()
            .filter(|line| !line.starts_with("-----"))
            .collect()
    } else {
        csr.to_owned()
    };
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
}
