//! LG's side of the world: the simulated ThinQ cloud alone ([`start_sim`]) or with its push
//! broker, a real mutual-TLS Mosquitto standing in for AWS IoT Core ([`PushCloud`]), and an
//! MQTT [`Subscriber`] that receives what that broker delivers.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use serde_json::Value;
use thinq_addon::sim::devices::AIR_CONDITIONER_ID;
use thinq_addon::sim::{PushBroker, SimConfig, SimDevice, SimHandle, Simulator, TestCa};
use tokio::sync::mpsc;

use super::{LgClient, Mosquitto, PAT, WAIT, loopback, tls_client_config};

/// A simulator without a push broker: the fixture devices, pushes only recorded.
pub async fn start_sim() -> anyhow::Result<SimHandle> {
    thinq_addon::install_crypto_provider();
    let ca = Arc::new(TestCa::generate()?);
    Simulator::start(SimConfig::with_pat(PAT), ca, loopback()).await
}

/// [`start_sim`], and a client of it calling the way LG's SDK does as `client_id`.
pub async fn sim_and_client(client_id: &str) -> (SimHandle, LgClient) {
    let sim = start_sim().await.expect("sim");
    let lg = LgClient::new(&sim.api_url(), client_id);
    (sim, lg)
}

/// A simulated cloud publishing to a real mutual-TLS Mosquitto, with the CA behind both.
pub struct PushCloud {
    pub ca: Arc<TestCa>,
    pub broker: Mosquitto,
    pub sim: SimHandle,
}

impl PushCloud {
    /// Starts a CA, a mutual-TLS broker and a simulator holding `devices`, whose appliances
    /// carry out a control after `control_delay`.
    pub async fn start(devices: Vec<SimDevice>, control_delay: Duration) -> anyhow::Result<Self> {
        PushCloud::start_on(devices, control_delay, false).await
    }

    /// [`PushCloud::start`] with a push broker that has access rules, as AWS IoT Core's
    /// certificate policies: the bridge (`lg_thinq`, its CSR's CN as LG's SDK makes it) and
    /// the simulator (`thinq-sim`) may do anything until [`Mosquitto::deny_subscribe`].
    pub async fn start_with_access_rules(
        devices: Vec<SimDevice>,
        control_delay: Duration,
    ) -> anyhow::Result<Self> {
        PushCloud::start_on(devices, control_delay, true).await
    }

    async fn start_on(
        devices: Vec<SimDevice>,
        control_delay: Duration,
        access_rules: bool,
    ) -> anyhow::Result<Self> {
        thinq_addon::install_crypto_provider();
        let ca = Arc::new(TestCa::generate()?);
        let (cert, key) = ca.server_cert(&["127.0.0.1", "localhost"])?;
        let broker = if access_rules {
            let clients = ["lg_thinq", "thinq-sim"];
            Mosquitto::mutual_tls_with_access_rules(&ca.ca_pem(), &cert, &key, &clients)?
        } else {
            Mosquitto::mutual_tls(&ca.ca_pem(), &cert, &key)?
        };
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

    /// The fixture devices, carrying out a control after 20 ms.
    pub async fn with_fixtures() -> PushCloud {
        PushCloud::start(SimDevice::fixture_set(), Duration::from_millis(20))
            .await
            .expect("cloud")
    }

    /// A cloud without appliances, for tests of certificates and the broker.
    pub async fn empty() -> PushCloud {
        PushCloud::start(Vec::new(), Duration::ZERO)
            .await
            .expect("cloud")
    }

    /// The usual start of a push test: [`with_fixtures`](Self::with_fixtures), and a
    /// client `client_id` subscribed for a day to the air conditioner's events.
    pub async fn watching_ac(client_id: &str) -> (PushCloud, LgClient, Subscriber) {
        let cloud = PushCloud::with_fixtures().await;
        let (lg, subscriber) = cloud.events_client(client_id, AIR_CONDITIONER_ID).await;
        (cloud, lg, subscriber)
    }

    /// [`client`](Self::client), subscribed for a day to the events of `device_id`.
    pub async fn events_client(&self, client_id: &str, device_id: &str) -> (LgClient, Subscriber) {
        let (lg, subscriber) = self.client(client_id).await;
        lg.event_subscribe(device_id, 24)
            .await
            .expect("event subscription");
        (lg, subscriber)
    }

    /// Registers `client_id`, gets its certificate, and connects a subscriber on the first
    /// topic of its certificate answer (as the SDK does).
    pub async fn client(&self, client_id: &str) -> (LgClient, Subscriber) {
        let lg = LgClient::new(&self.sim.api_url(), client_id);
        let (cert, key, topic) = lg.certify().await.expect("certificate");
        let subscriber = self.subscribe(client_id, &topic, (&cert, &key)).await;
        (lg, subscriber)
    }

    /// A subscriber on `topic` as `client_id`, presenting `identity` (certificate and key
    /// PEM); fails the test with the broker's log when the broker refuses it.
    pub async fn subscribe(
        &self,
        client_id: &str,
        topic: &str,
        identity: (&str, &str),
    ) -> Subscriber {
        self.try_subscribe(client_id, topic, identity)
            .await
            .unwrap_or_else(|err| panic!("subscriber: {err:#}\n{}", self.broker.log()))
    }

    /// [`subscribe`](Self::subscribe), or the error when the broker refuses the client or
    /// the subscription. Each call makes a fresh TLS config: a resumed TLS session is not
    /// checked again, so a reused one would carry a certificate past its end.
    pub async fn try_subscribe(
        &self,
        client_id: &str,
        topic: &str,
        identity: (&str, &str),
    ) -> anyhow::Result<Subscriber> {
        let tls = tls_client_config(&self.ca.ca_pem(), Some(identity))?;
        Subscriber::connect(self.broker.port(), client_id, topic, Some(tls), None).await
    }

    /// Publishes a marker to `client_id` and asserts it is the next message: whatever the
    /// cloud sent before it on the same connection would have arrived first. ("Nothing
    /// arrived" is shown this way, never by waiting.)
    pub async fn next_is_marker(&self, subscriber: &mut Subscriber, client_id: &str) {
        let marker = format!("marker-{}", uuid::Uuid::new_v4().simple());
        self.sim
            .publish_raw(client_id, marker.clone().into_bytes())
            .await;
        let (_, payload) = subscriber.next(WAIT).await.expect("the marker arrives");
        assert_eq!(String::from_utf8_lossy(&payload), marker);
    }
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
