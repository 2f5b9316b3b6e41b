//! The bridge: LG's cloud on one side, Home Assistant's broker on the other.
//!
//! [`run`] does the start-up in the order that fails fastest on bad input (options, PAT) and
//! then runs one loop that owns every device's state. Everything that happens arrives in that
//! loop as a message: a push from LG ([`PushEvent`]), a command or birth from Home Assistant
//! ([`HassEvent`]), the outcome of a control ([`pacing::ControlOutcome`]), a timer. One owner,
//! no locks around device state.

pub mod health;
pub mod pacing;
mod registry;

use crate::hass::session::{self, BrokerAddress, HassEvent, HassPublisher};
use crate::hass::topics::Topics;
use crate::hass::{DiscoveryContext, bridge_device};
use crate::options::{self, Options};
use crate::supervisor::{self, Supervisor};
use crate::thinq::api::{ApiConfig, ThinqApi};
use crate::thinq::credentials::{CredentialError, CredentialStore};
use crate::thinq::error::ApiError;
use crate::thinq::message::PushMessage;
use crate::thinq::push::{self, PushConfig, PushEvent, RootCa};
use registry::Registry;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Event subscriptions are asked for this long (what the official SDK sends) and renewed daily,
/// as Home Assistant's own integration does.
pub const EVENT_SUBSCRIPTION_HOURS: u32 = 4464;
pub const EVENT_RENEWAL: Duration = Duration::from_secs(24 * 3600);
/// Push is the source of state; this rare full read is the safety net for a push channel
/// that stays connected but silently stops delivering (the failure users of Home Assistant's
/// own integration report). Six-hourly keeps it far below LG's hourly call limits.
pub const SAFETY_REFRESH: Duration = Duration::from_secs(6 * 3600);
/// Back-off after LG says "too many calls" (1306 / 1314): start here, double, cap.
const RATE_LIMIT_FIRST_WAIT: Duration = Duration::from_secs(60);
const RATE_LIMIT_LONGEST_WAIT: Duration = Duration::from_secs(3600);
/// Back-off for network errors at start-up.
const NETWORK_FIRST_WAIT: Duration = Duration::from_secs(2);

/// What the bridge needs to start.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    pub options: Options,
    pub data_dir: PathBuf,
    pub supervisor: Supervisor,
    /// Explicit stand-ins for LG's endpoints (the demo); `None` means the environment
    /// overrides (`THINQ_API_URL`, `THINQ_ROOT_CA`) or LG's real ones.
    pub api_base_url: Option<String>,
    pub push_root_ca_pem: Option<Vec<u8>>,
}

/// Why the bridge stopped before its time. Each is one log line for the user.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error(
        "LG rejected the personal access token ({0}). Create a new token at https://connect-pat.lgthinq.com and paste it into the add-on options"
    )]
    PatRejected(ApiError),
    #[error(
        "the country is not accepted by LG for this token ({0}). Choose the country the token was created for"
    )]
    CountryRejected(ApiError),
    #[error("cannot set up the ThinQ API client: {0}")]
    Api(ApiError),
    #[error("cannot keep the ThinQ credentials in the data directory: {0}")]
    Credentials(#[from] CredentialError),
    #[error("{0}")]
    Options(#[from] options::OptionsError),
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
}

/// Runs the bridge until `shutdown` is cancelled (clean stop, `Ok`) or a fatal error.
pub async fn run(cfg: BridgeConfig, shutdown: CancellationToken) -> Result<(), Fatal> {
    let options = &cfg.options;
    std::fs::create_dir_all(&cfg.data_dir).map_err(|e| Fatal::DataDir(cfg.data_dir.clone(), e))?;
    let store = CredentialStore::new(&cfg.data_dir);
    let client_id = store.client_id(options.client_id.as_deref())?;
    let mut api_config = ApiConfig::for_country(options.pat.clone(), &options.country, &client_id)
        .map_err(Fatal::Api)?;
    if let Some(url) = &cfg.api_base_url {
        api_config.base_url = url.trim_end_matches('/').to_owned();
    }
    let api = ThinqApi::new(api_config).map_err(Fatal::Api)?;
    info!(country = %options.country, %client_id, "starting thinq-addon {}", crate::VERSION);

    // The device list doubles as the PAT check: a bad token stops us here, before anything
    // is published to Home Assistant.
    let Some(devices) = retry_startup_call(&shutdown, || api.devices()).await? else {
        return Ok(());
    };
    info!(
        count = devices.len(),
        "LG lists {} appliance(s)",
        devices.len()
    );

    let Some(mqtt) = supervisor::resolve_mqtt(options, &cfg.supervisor, &shutdown)
        .await
        .map(Some)
        .or_else(|e| {
            if shutdown.is_cancelled() {
                Ok(None)
            } else {
                Err(e)
            }
        })?
    else {
        return Ok(());
    };
    let topics = Topics::new(&options.discovery_prefix, &options.base_topic);
    let ctx = DiscoveryContext {
        topics: topics.clone(),
        sw_version: crate::VERSION.to_owned(),
    };
    let broker: BrokerAddress = mqtt;
    let (hass_tx, hass_rx) = mpsc::channel(256);
    let (publisher, hass_task) = session::connect(
        &broker,
        &format!("{client_id}-ha"),
        topics.clone(),
        hass_tx,
        shutdown.clone(),
    );

    let (outcome_tx, outcome_rx) = mpsc::channel(64);
    let mut registry = Registry::new(
        api.clone(),
        publisher.clone(),
        ctx,
        outcome_tx,
        shutdown.clone(),
    );
    for device in devices {
        registry.add(device).await;
    }

    let (push_tx, push_rx) = mpsc::channel(256);
    let mut push_task = None;
    if let Some(task) = start_push(
        &api,
        &store,
        cfg.push_root_ca_pem.clone(),
        push_tx.clone(),
        &shutdown,
    )
    .await?
    {
        push_task = Some(task);
    }
    registry.subscribe_all().await;

    let mut bridge = Loop {
        api,
        store,
        registry,
        publisher,
        data_dir: cfg.data_dir.clone(),
        push_tx,
        push_task,
        push_root_ca_pem: cfg.push_root_ca_pem.clone(),
        hass_connected: false,
        push_connected: false,
        push_was_connected: false,
        shutdown: shutdown.clone(),
    };
    bridge.run(hass_rx, push_rx, outcome_rx).await;

    // Shutdown: the Home Assistant session publishes `offline` and disconnects; the push
    // session disconnects. LG subscriptions and the client registration stay, so the next
    // start needs no new certificate.
    let _ = tokio::time::timeout(Duration::from_secs(5), hass_task).await;
    if let Some(task) = bridge.push_task.take() {
        let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
    }
    info!("stopped");
    Ok(())
}

/// Calls a start-up API, waiting out rate limits and network trouble; auth and country
/// refusals are fatal. `Ok(None)` when shut down while waiting.
async fn retry_startup_call<T, F, Fut>(
    shutdown: &CancellationToken,
    mut call: F,
) -> Result<Option<T>, Fatal>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut rate_wait = RATE_LIMIT_FIRST_WAIT;
    let mut net_wait = NETWORK_FIRST_WAIT;
    loop {
        let wait = match call().await {
            Ok(value) => return Ok(Some(value)),
            Err(err) if err.is_auth_failure() => return Err(Fatal::PatRejected(err)),
            Err(err) if err.code().map(|c| c.to_string()) == Some("1307".into()) => {
                return Err(Fatal::CountryRejected(err));
            }
            Err(err) if err.is_rate_limited() => {
                warn!(%err, wait = ?rate_wait, "LG rate limit reached; waiting before trying again");
                let w = rate_wait;
                rate_wait = (rate_wait * 2).min(RATE_LIMIT_LONGEST_WAIT);
                w
            }
            Err(err) => {
                warn!(%err, wait = ?net_wait, "ThinQ API call failed; trying again");
                let w = net_wait;
                net_wait = (net_wait * 2).min(Duration::from_secs(60));
                w
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(None),
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Route, identity (stored or newly issued) and the push session.
async fn start_push(
    api: &ThinqApi,
    store: &CredentialStore,
    root_ca_pem: Option<Vec<u8>>,
    events: mpsc::Sender<PushEvent>,
    shutdown: &CancellationToken,
) -> Result<Option<tokio::task::JoinHandle<()>>, Fatal> {
    let Some(route) = retry_startup_call(shutdown, || api.route()).await? else {
        return Ok(None);
    };
    let Some((host, port)) = route.mqtt_host_port() else {
        error!(mqtt_server = %route.mqtt_server, "LG's route has no usable MQTT server; live updates are off");
        return Ok(None);
    };
    let (identity, issued) = loop {
        match store.identity(api).await {
            Ok(found) => break found,
            Err(CredentialError::Api(err)) if err.is_auth_failure() => {
                return Err(Fatal::PatRejected(err));
            }
            Err(CredentialError::Api(err)) => {
                warn!(%err, "cannot get an MQTT certificate from LG yet; trying again in 30 s");
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(None),
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
            }
            Err(other) => return Err(Fatal::Credentials(other)),
        }
    };
    if issued {
        info!("LG issued a new MQTT certificate; it is kept in the data directory");
    } else {
        info!("reusing the stored MQTT certificate");
    }
    let root_ca = match root_ca_pem {
        Some(pem) => RootCa::Pem(pem),
        None => RootCa::from_env()
            .map_err(|e| Fatal::Credentials(CredentialError::Key(e.to_string())))?,
    };
    let config = PushConfig {
        host,
        port,
        root_ca,
        identity,
        keep_alive: Duration::from_secs(30),
    };
    Ok(Some(push::spawn(config, events, shutdown.clone())))
}

/// The running bridge: owns the registry and reacts to every event.
struct Loop {
    api: ThinqApi,
    store: CredentialStore,
    registry: Registry,
    publisher: HassPublisher,
    data_dir: PathBuf,
    push_tx: mpsc::Sender<PushEvent>,
    push_task: Option<tokio::task::JoinHandle<()>>,
    push_root_ca_pem: Option<Vec<u8>>,
    hass_connected: bool,
    push_connected: bool,
    /// Set once the push session has been up; a later `Connected` is a reconnect.
    push_was_connected: bool,
    shutdown: CancellationToken,
}

impl Loop {
    async fn run(
        &mut self,
        mut hass_rx: mpsc::Receiver<HassEvent>,
        mut push_rx: mpsc::Receiver<PushEvent>,
        mut outcome_rx: mpsc::Receiver<pacing::ControlOutcome>,
    ) {
        let mut health_tick = tokio::time::interval(health::WRITE_INTERVAL);
        let mut renewal =
            tokio::time::interval_at(tokio::time::Instant::now() + EVENT_RENEWAL, EVENT_RENEWAL);
        let mut safety_refresh =
            tokio::time::interval_at(tokio::time::Instant::now() + SAFETY_REFRESH, SAFETY_REFRESH);
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => break,
                Some(event) = hass_rx.recv() => self.on_hass(event).await,
                Some(event) = push_rx.recv() => self.on_push(event).await,
                Some(outcome) = outcome_rx.recv() => self.registry.on_control_outcome(outcome).await,
                _ = health_tick.tick() => self.write_health(),
                _ = renewal.tick() => self.registry.renew_event_subscriptions().await,
                _ = safety_refresh.tick() => self.registry.refresh_all().await,
            }
        }
        self.hass_connected = false;
        self.push_connected = false;
        self.write_health();
    }

    fn write_health(&self) {
        if let Err(err) = health::write(&self.data_dir, self.hass_connected, self.push_connected) {
            warn!(%err, "cannot write the health file");
        }
    }

    async fn on_hass(&mut self, event: HassEvent) {
        match event {
            HassEvent::Connected | HassEvent::HomeAssistantOnline => {
                self.hass_connected = true;
                self.publish_bridge().await;
                self.registry.publish_all().await;
                self.write_health();
            }
            HassEvent::Disconnected { .. } => {
                self.hass_connected = false;
                self.write_health();
            }
            HassEvent::Command { topic, payload } => {
                self.registry.on_command(&topic, &payload).await
            }
        }
    }

    async fn publish_bridge(&self) {
        let ctx = self.registry.context();
        let payload = bridge_device::discovery_payload(ctx);
        self.publisher
            .retained(&ctx.topics.bridge_discovery(), payload.to_string())
            .await;
        self.publish_bridge_state().await;
    }

    async fn publish_bridge_state(&self) {
        let ctx = self.registry.context();
        let state = bridge_device::state_payload(
            self.push_connected,
            self.registry.len(),
            self.registry.last_error(),
        );
        self.publisher
            .retained(&bridge_device::state_topic(ctx), state.to_string())
            .await;
    }

    async fn on_push(&mut self, event: PushEvent) {
        match event {
            PushEvent::Connected => {
                info!("connected to LG's push broker");
                self.push_connected = true;
                if self.push_was_connected {
                    // Messages sent while we were away are lost: read the state again.
                    self.registry.refresh_all().await;
                }
                self.push_was_connected = true;
                self.publish_bridge_state().await;
                self.write_health();
            }
            PushEvent::Disconnected { reason } => {
                warn!(%reason, "lost LG's push broker; reconnecting");
                self.push_connected = false;
                self.publish_bridge_state().await;
                self.write_health();
            }
            PushEvent::Message(message) => self.on_message(message).await,
            PushEvent::Malformed { reason } => {
                warn!(%reason, "ignored a malformed push message from LG")
            }
            PushEvent::CertificateRejected => {
                warn!("LG's broker refused our certificate; asking LG for a new one");
                self.push_connected = false;
                if let Some(task) = self.push_task.take() {
                    task.abort();
                }
                if let Err(err) = self.store.forget_certificate() {
                    error!(%err, "cannot remove the refused certificate");
                }
                match start_push(
                    &self.api,
                    &self.store,
                    self.push_root_ca_pem.clone(),
                    self.push_tx.clone(),
                    &self.shutdown,
                )
                .await
                {
                    Ok(task) => self.push_task = task,
                    Err(err) => error!(%err, "cannot restart the push session"),
                }
            }
        }
    }

    async fn on_message(&mut self, message: PushMessage) {
        match message {
            PushMessage::Status {
                device_id, report, ..
            } => self.registry.on_status(&device_id, &report).await,
            PushMessage::Push {
                device_id,
                push_code,
                ..
            } => self.registry.on_notification(&device_id, &push_code).await,
            PushMessage::Registered { device_id, .. } => {
                self.registry.on_registered(&device_id).await;
                self.publish_bridge_state().await;
            }
            PushMessage::Unregistered { device_id } => {
                self.registry.remove(&device_id).await;
                self.publish_bridge_state().await;
            }
            PushMessage::AliasChanged { device_id, alias } => {
                self.registry.rename(&device_id, &alias).await
            }
        }
    }
}
