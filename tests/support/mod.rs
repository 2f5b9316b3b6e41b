//! Shared test harness: real Mosquitto brokers, TLS client configs, an MQTT subscriber, and
//! helpers to talk to the simulated ThinQ cloud the way LG's SDK does.
#![allow(dead_code)] // each test binary uses a different part of this

pub mod bridge;
pub mod ha_reader;
pub mod mosquitto;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use thinq_addon::sim::{PushBroker, SimConfig, SimDevice, SimHandle, Simulator, TestCa};
use tokio::sync::mpsc;

pub use mosquitto::Mosquitto;

/// The PAT the test clouds accept.
pub const PAT: &str = "thinqpat_test_0123456789abcdef";
/// The API key LG's Python SDK sends.
pub const API_KEY: &str = "v6GFvkweNo7DK7yD3ylIZ9w52aKBU0eJ7wLXkSR3";
/// Generous bound for anything asynchronous to happen; a test fails only if it is exceeded.
pub const WAIT: Duration = Duration::from_secs(20);

/// A rustls client config (ring) trusting `ca_pem`, optionally presenting a certificate.
pub fn tls_client_config(
    ca_pem: &str,
    identity: Option<(&str, &str)>,
) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = match identity {
        Some((cert_pem, key_pem)) => {
            let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()?;
            let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())?;
            builder.with_client_auth_cert(chain, key)?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// An MQTT client subscribed to one topic, handing over what arrives.
pub struct Subscriber {
    messages: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    client: AsyncClient,
    task: tokio::task::JoinHandle<()>,
}

impl Subscriber {
    /// Connects (TLS when `tls` is given, else plain with `credentials`), subscribes to
    /// `topic` at QoS 1, and returns once the broker has granted the subscription; a SUBACK
    /// that refuses it is an error.
    pub async fn connect(
        port: u16,
        client_id: &str,
        topic: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
        credentials: Option<(&str, &str)>,
    ) -> anyhow::Result<Subscriber> {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(1024 * 1024, 1024 * 1024);
        if let Some(tls) = tls {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
        }
        if let Some((user, password)) = credentials {
            options.set_credentials(user, password);
        }
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        client.subscribe(topic, QoS::AtLeastOnce).await?;
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
        let (tx, messages) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(ack))) => {
                        let refused = ack
                            .return_codes
                            .iter()
                            .any(|code| matches!(code, rumqttc::SubscribeReasonCode::Failure));
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(if refused {
                                Err("the broker refused the subscription".to_owned())
                            } else {
                                Ok(())
                            });
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        let _ = tx.send((publish.topic.clone(), publish.payload.to_vec()));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(Err(err.to_string()));
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
        match tokio::time::timeout(WAIT, ready_rx).await {
            Ok(Ok(Ok(()))) => Ok(Subscriber {
                messages,
                client,
                task,
            }),
            Ok(Ok(Err(err))) => bail!("MQTT connection failed: {err}"),
            _ => bail!("no SUBACK within {WAIT:?}"),
        }
    }

    /// The next message (topic, payload), or `None` when none arrives within `within`.
    pub async fn next(&mut self, within: Duration) -> Option<(String, Vec<u8>)> {
        tokio::time::timeout(within, self.messages.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next JSON message for which `wanted` holds, skipping others.
    pub async fn next_json(&mut self, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let (_, payload) = self.next(left).await?;
            if let Ok(value) = serde_json::from_slice::<Value>(&payload)
                && wanted(&value)
            {
                return Some(value);
            }
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.client.try_disconnect();
        self.task.abort();
    }
}

/// A simulated cloud publishing to a real mutual-TLS Mosquitto, with the CA behind both.
pub struct PushCloud {
    pub ca: Arc<TestCa>,
    pub broker: Mosquitto,
    pub sim: SimHandle,
}

impl PushCloud {
    /// Starts a CA, a mutual-TLS broker and a simulator holding `devices`.
    pub async fn start(devices: Vec<SimDevice>, control_delay: Duration) -> anyhow::Result<Self> {
        thinq_addon::install_crypto_provider();
        let ca = Arc::new(TestCa::generate()?);
        let (cert, key) = ca.server_cert(&["127.0.0.1", "localhost"])?;
        let broker = Mosquitto::mutual_tls(&ca.ca_pem(), &cert, &key)?;
        let config = SimConfig {
            pats: vec![PAT.to_owned()],
            devices,
            push_broker: Some(PushBroker {
                host: "127.0.0.1".to_owned(),
                port: broker.port(),
            }),
            control_delay,
        };
        let sim = Simulator::start(config, ca.clone(), loopback()).await?;
        Ok(PushCloud { ca, broker, sim })
    }
}

/// A simulator without a push broker.
pub async fn start_sim() -> anyhow::Result<SimHandle> {
    thinq_addon::install_crypto_provider();
    let ca = Arc::new(TestCa::generate()?);
    Simulator::start(SimConfig::with_pat(PAT), ca, loopback()).await
}

/// `127.0.0.1:0`.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
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

    /// Registers this client and has the cloud sign a fresh P-256 CSR (CN `lg_thinq`).
    /// Returns (certificate PEM, key PEM, topic).
    pub async fn certify(&self) -> anyhow::Result<(String, String, String)> {
        use base64::Engine as _;
        self.ok(
            "POST",
            "/client",
            Some(&json!({"type": "MQTT", "service-code": "SVC202", "device-type": "607", "allowExist": true})),
        )
        .await?;
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "lg_thinq");
        params.distinguished_name = dn;
        let csr = params.serialize_request(&key)?;
        let csr_b64 = base64::engine::general_purpose::STANDARD.encode(csr.der());
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
        Ok((cert, key.serialize_pem(), topic))
    }
}
