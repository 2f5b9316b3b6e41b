//! The bridge: LG's cloud on one side, Home Assistant's broker on the other.
//!
//! [`run`] checks what can be checked without LG (options, data directory, the Home
//! Assistant broker's address), connects to Home Assistant, and hands over to one loop
//! ([`event_loop`]) that owns every device's state. That loop never waits for the network:
//! REST calls go through the [call budget](budget) and come back as events, the push session
//! ([`push_link`]) and the Home Assistant session report as events, and publishing never
//! blocks. So commands, pushes and SIGTERM are handled at once in every state — during a long
//! broker outage, a rate-limit pause or a certificate re-issue.

pub mod budget;
pub mod calls;
mod energy_link;
mod event_loop;
pub mod health;
pub mod known;
pub mod pacing;
mod push_link;
mod registry;
pub mod timings;

use crate::hass::DiscoveryContext;
use crate::hass::session::{self, BrokerAddress};
use crate::hass::topics::Topics;
use crate::options::{self, Options};
use crate::supervisor::{self, Supervisor};
use crate::thinq::api::{API_URL_ENV, ApiConfig, ThinqApi};
use crate::thinq::credentials::{CredentialError, CredentialStore};
use crate::thinq::error::ApiError;
use crate::thinq::push::ROOT_CA_ENV;
use budget::Budget;
use std::path::PathBuf;
use std::time::Duration;
use timings::Timings;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

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
    /// Every interval the bridge keeps; [`Timings::production`] outside tests.
    pub timings: Timings,
    /// The user's UTC offset: LG's energy figures are per local day. Read before the async
    /// runtime starts (the `time` crate cannot read it safely in a multi-threaded process).
    pub utc_offset: time::UtcOffset,
}

/// Why the bridge stopped before its time. Each is one log line for the user.
///
/// A token or country LG rejects is not among them: the bridge stays up, shows the problem on
/// its device in Home Assistant and tries again now and then.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
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
    warn_about_overrides(&cfg);
    let store = CredentialStore::new(&cfg.data_dir);
    let client_id = store.client_id(options.client_id.as_deref())?;
    let mut api_config = ApiConfig::for_country(options.pat.clone(), &options.country, &client_id)
        .map_err(Fatal::Api)?;
    if let Some(url) = &cfg.api_base_url {
        api_config.base_url = url.trim_end_matches('/').to_owned();
    }
    let api = ThinqApi::new(api_config).map_err(Fatal::Api)?;
    info!(country = %options.country, %client_id, "starting thinq-addon {}", crate::VERSION);

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
        topics,
        hass_tx,
        shutdown.clone(),
    );

    let (budget, gate_rx) = Budget::start(
        api,
        store.clone(),
        &cfg.data_dir,
        cfg.timings,
        shutdown.clone(),
    );
    let push = push_link::PushLink::new(
        &cfg.data_dir,
        store,
        client_id,
        cfg.push_root_ca_pem.clone(),
        cfg.timings,
        shutdown.clone(),
    );
    let mut bridge = event_loop::Loop::new(
        budget,
        publisher,
        ctx,
        push,
        cfg.data_dir.clone(),
        cfg.timings,
        cfg.utc_offset,
        shutdown.clone(),
    );
    bridge.run(hass_rx, gate_rx).await;

    // Shutdown: the Home Assistant session publishes `offline` and disconnects; the push
    // session disconnects. LG subscriptions and the client registration stay, so the next
    // start needs no new certificate.
    let _ = tokio::time::timeout(Duration::from_secs(5), hass_task).await;
    bridge.stop_push().await;
    info!("stopped");
    Ok(())
}

/// The development overrides are never needed in production: say so when one is set.
fn warn_about_overrides(cfg: &BridgeConfig) {
    if cfg.api_base_url.is_some() {
        return; // the demo sets its own, on purpose
    }
    for name in [API_URL_ENV, ROOT_CA_ENV, timings::TIME_SCALE_ENV] {
        if std::env::var(name).is_ok_and(|v| !v.trim().is_empty()) {
            warn!(
                "{name} is set: this is for development and tests only, not for a real installation"
            );
        }
    }
}
