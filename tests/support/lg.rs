//! LG's REST API as a client sees it: [`LgClient`] makes every call the way LG's Python SDK
//! does (its six headers, the envelope), for tests of the simulated cloud's answers;
//! [`thinq_api`] is the add-on's own client pointed at a simulator.

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use thinq_addon::secret::Secret;
use thinq_addon::sim::SimHandle;
use thinq_addon::thinq::api::{ApiConfig, ThinqApi};

use super::{API_KEY, PAT};

/// The error code of an LG envelope (`""` when it has none).
pub fn code(envelope: &Value) -> &str {
    envelope["error"]["code"].as_str().unwrap_or("")
}

/// The add-on's own REST client, pointed at the simulator, as client `client_id`.
pub fn thinq_api(sim: &SimHandle, client_id: &str) -> ThinqApi {
    ThinqApi::new(ApiConfig {
        base_url: sim.api_url(),
        pat: Secret::new(PAT),
        country: "DE".to_owned(),
        client_id: client_id.to_owned(),
    })
    .expect("client")
}

/// A fresh P-256 key and its CSR (CN `lg_thinq`) as the SDK sends it: (base64 DER, key PEM).
pub fn csr() -> (String, String) {
    use base64::Engine as _;
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "lg_thinq");
    params.distinguished_name = dn;
    let csr = params.serialize_request(&key).expect("csr");
    (
        base64::engine::general_purpose::STANDARD.encode(csr.der()),
        key.serialize_pem(),
    )
}

/// A fresh `x-message-id` the way the SDK makes one.
pub fn message_id() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

/// A REST client for LG's API as the Python SDK uses it.
pub struct LgClient {
    pub base: String,
    pub client_id: String,
    pub pat: String,
    http: reqwest::Client,
}

impl LgClient {
    pub fn new(base: &str, client_id: &str) -> LgClient {
        thinq_addon::install_crypto_provider();
        LgClient {
            base: base.to_owned(),
            client_id: client_id.to_owned(),
            pat: PAT.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// All six headers of every call (plus `x-conditional-control` for controls).
    pub fn headers(&self, control: bool) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("authorization", format!("Bearer {}", self.pat)),
            ("x-message-id", message_id()),
            ("x-country", "DE".to_owned()),
            ("x-client-id", self.client_id.clone()),
            ("x-api-key", API_KEY.to_owned()),
            ("x-service-phase", "OP".to_owned()),
        ];
        if control {
            headers.push(("x-conditional-control", "true".to_owned()));
        }
        headers
    }

    /// A call with the given headers; returns the HTTP status and the parsed envelope.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&'static str, String)],
    ) -> anyhow::Result<(u16, Value)> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut request = self.http.request(method, format!("{}{}", self.base, path));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let envelope: Value = response.json().await.context("the answer is not JSON")?;
        Ok((status, envelope))
    }

    /// A call with the correct headers.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let control = method == "POST" && path.ends_with("/control");
        self.call_with(method, path, body, &self.headers(control))
            .await
    }

    /// A call that must succeed; returns the `response` member.
    pub async fn ok(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (status, envelope) = self.call(method, path, body).await?;
        if status != 200 {
            bail!("{method} {path} answered {status}: {envelope}");
        }
        Ok(envelope.get("response").cloned().unwrap_or(Value::Null))
    }

    /// `POST /devices/{device_id}/control` with `body`: the HTTP status and the envelope.
    pub async fn control(&self, device_id: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let path = format!("/devices/{device_id}/control");
        self.call("POST", &path, Some(body)).await
    }

    /// `POST /client/certificate` with `csr` (base64 DER or PEM): the HTTP status and the
    /// envelope.
    pub async fn sign(&self, csr: &str) -> anyhow::Result<(u16, Value)> {
        let body = json!({"service-code": "SVC202", "csr": csr});
        self.call("POST", "/client/certificate", Some(&body)).await
    }

    /// `POST /event/{device_id}/subscribe` for `hours`, as the SDK asks for device events.
    pub async fn event_subscribe(&self, device_id: &str, hours: u32) -> anyhow::Result<Value> {
        let body = json!({"expire": {"unit": "HOUR", "timer": hours}});
        let path = format!("/event/{device_id}/subscribe");
        self.ok("POST", &path, Some(&body)).await
    }

    /// Registers this client and has the cloud sign a fresh P-256 CSR (CN `lg_thinq`).
    /// Returns (certificate PEM, key PEM, topic).
    pub async fn certify(&self) -> anyhow::Result<(String, String, String)> {
        self.ok(
            "POST",
            "/client",
            Some(&json!({"type": "MQTT", "service-code": "SVC202", "device-type": "607", "allowExist": true})),
        )
        .await?;
        let (csr_b64, key_pem) = csr();
        let answer = self
            .ok(
                "POST",
                "/client/certificate",
                Some(&json!({"service-code": "SVC202", "csr": csr_b64})),
            )
            .await?;
        let result = &answer["result"];
        let cert = result["certificatePem"]
            .as_str()
            .context("certificatePem")?
            .to_owned();
        let topic = result["subscriptions"][0]
            .as_str()
            .context("subscriptions[0]")?
            .to_owned();
        Ok((cert, key_pem, topic))
    }
}
