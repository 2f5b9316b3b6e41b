//! The bridge's side of LG's push channel: the route, the certificate, and the session task.
//!
//! The session needs two things from LG — the broker's address (`GET /route`) and a
//! certificate (`POST /client` + `POST /client/certificate`) — and both are kept in the data
//! directory, so a restart needs neither. When one is missing, the loop asks the call budget
//! for it and hands the answer here. A certificate is renewed a day before its `notAfter`;
//! one the broker refuses is replaced at once the first time and with a doubling wait after
//! that (minutes to hours; the budget also caps certificates per day): never a tight loop.

use super::known;
use super::timings::Timings;
use crate::thinq::api::Route;
use crate::thinq::credentials::{CredentialStore, MqttIdentity};
use crate::thinq::push::{self, PushConfig, PushEvent, RootCa};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Push events waiting for the loop; the session waits when the loop is behind, which only
/// delays reading from LG's broker (it keeps QoS 1 messages for a persistent session).
const PUSH_QUEUE: usize = 256;

pub struct PushLink {
    data_dir: PathBuf,
    store: CredentialStore,
    client_id: String,
    root_ca_pem: Option<Vec<u8>>,
    timings: Timings,
    shutdown: CancellationToken,
    route: Option<Route>,
    identity: Option<MqttIdentity>,
    /// The running session: its stop token (a child of shutdown) and task.
    session: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
    events_tx: mpsc::Sender<PushEvent>,
    pub events: mpsc::Receiver<PushEvent>,
    /// Refusals of our certificate in a row (reset once a session stays up).
    refusals: u32,
}

impl PushLink {
    pub fn new(
        data_dir: &Path,
        store: CredentialStore,
        client_id: String,
        root_ca_pem: Option<Vec<u8>>,
        timings: Timings,
        shutdown: CancellationToken,
    ) -> PushLink {
        let (events_tx, events) = mpsc::channel(PUSH_QUEUE);
        let identity = store.stored_identity(&client_id);
        PushLink {
            data_dir: data_dir.to_owned(),
            store,
            client_id,
            root_ca_pem,
            timings,
            shutdown,
            route: known::load_route(data_dir),
            identity,
            session: None,
            events_tx,
            events,
            refusals: 0,
        }
    }

    pub fn needs_route(&self) -> bool {
        self.route.is_none()
    }

    pub fn needs_identity(&self) -> bool {
        self.identity.is_none()
    }

    pub fn is_running(&self) -> bool {
        self.session.is_some()
    }

    /// When the certificate should be renewed (a day before `notAfter`), if we have one.
    pub fn renew_at(&self) -> Option<Instant> {
        let not_after = self.identity.as_ref()?.not_after;
        let left = not_after
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        Some(Instant::now() + left.saturating_sub(self.timings.certificate_renew_before))
    }

    pub fn set_route(&mut self, route: Route) {
        if route.mqtt_host_port().is_none() {
            error!(mqtt_server = %route.mqtt_server, "LG's route has no usable MQTT server; live updates are off");
            return;
        }
        known::save_route(&self.data_dir, &route);
        let changed = self.route.as_ref() != Some(&route);
        self.route = Some(route);
        if changed && self.is_running() {
            info!("LG's push broker moved; reconnecting there");
            self.stop_session();
        }
    }

    pub fn set_identity(&mut self, identity: MqttIdentity) {
        info!("LG issued a new MQTT certificate; it is kept in the data directory");
        self.identity = Some(identity);
        self.stop_session();
    }

    /// Starts the session when route and identity are known and none runs.
    pub fn ensure_running(&mut self) {
        if self.session.is_some() {
            return;
        }
        let (Some(route), Some(identity)) = (&self.route, &self.identity) else {
            return;
        };
        let Some((host, port)) = route.mqtt_host_port() else {
            return;
        };
        let root_ca = match &self.root_ca_pem {
            Some(pem) => RootCa::Pem(pem.clone()),
            None => match RootCa::from_env() {
                Ok(root) => root,
                Err(e) => {
                    error!("cannot read the push broker's root CA: {e}; live updates are off");
                    return;
                }
            },
        };
        let config = PushConfig {
            host,
            port,
            root_ca,
            identity: identity.clone(),
            keep_alive: Duration::from_secs(30),
            backoff: self.timings.push,
        };
        let stop = self.shutdown.child_token();
        let task = push::spawn(config, self.events_tx.clone(), stop.clone());
        self.session = Some((stop, task));
    }

    /// Stops the session (it is started again by [`Self::ensure_running`]).
    pub fn stop_session(&mut self) {
        if let Some((stop, _task)) = self.session.take() {
            stop.cancel();
        }
    }

    /// The session task ended after the broker refused our certificate. Returns how long to
    /// wait before asking LG for a new one.
    pub fn certificate_refused(&mut self) -> Duration {
        self.session = None;
        self.identity = None;
        if let Err(err) = self.store.forget_certificate() {
            error!(%err, "cannot remove the refused certificate");
        }
        self.refusals += 1;
        if self.refusals == 1 {
            return Duration::ZERO;
        }
        let wait = self
            .timings
            .certificate_first
            .saturating_mul(1 << (self.refusals - 2).min(16))
            .min(self.timings.certificate_longest);
        warn!(
            refusals = self.refusals,
            ?wait,
            "LG's broker refused our certificate again; waiting before asking for another"
        );
        wait
    }

    /// The session stayed up: certificate refusals start counting from zero again.
    pub fn session_stable(&mut self) {
        self.refusals = 0;
    }

    /// The client id LG's broker knows us by.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Ends the session cleanly (shutdown).
    pub async fn stop(&mut self) {
        if let Some((stop, task)) = self.session.take() {
            stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
        }
    }
}
