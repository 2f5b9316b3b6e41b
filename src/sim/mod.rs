//! A faithful simulated LG ThinQ Connect cloud, for the integration tests and for
//! `thinq-addon demo`.
//!
//! LG's cloud cannot be reached from tests, so this stands in for it as closely as the
//! public sources allow (see `reference/thinq-api.md`): the real headers are required and
//! checked, answers come in LG's envelope with LG's four-digit codes and HTTP statuses, CSRs
//! are really parsed, verified and signed by a test CA, controls are checked against the
//! device profile independently of the add-on's own code, and the appliances' reactions
//! travel as real MQTT pushes over mutual TLS to a broker standing in for AWS IoT Core.
//!
//! * [`http`] — the HTTP/1 server, header checks and routing;
//! * [`cloud`] — the account: devices, clients, subscriptions;
//! * [`control`] — profile check of control bodies and the device's reaction;
//! * [`state`] — merging partial reports into a state;
//! * [`push`] — publishing pushes to the broker;
//! * [`certificate`] — the certificate answer and its topics;
//! * [`events`] — event subscriptions with LG's 1–24 h lifetime, and the simulator's clock;
//! * [`energy`] — appliance energy profile and usage, on a clock tests move;
//! * [`quota`] — the account's hourly call quota (1314 beyond it), when one is set;
//! * [`ca`], [`devices`], [`envelope`], [`faults`], [`life`].

pub mod ca;
mod certificate;
mod cloud;
mod control;
pub mod devices;
mod energy;
pub mod envelope;
pub mod events;
pub mod faults;
mod http;
mod life;
mod push;
pub mod quota;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use ca::TestCa;
pub use certificate::{publication_topics, push_topic, subscription_topics};
pub use cloud::RecordedRequest;
/// The cloud's profile check of a control body, for tests that hold the bridge's bodies to it.
pub use control::check as check_control;
pub use devices::SimDevice;
pub use energy::DEFAULT_ENERGY_CLOCK;
pub use faults::Fault;
pub use http::API_KEY;
pub use life::room_temperature_report;
pub use push::SentPush;
pub use quota::Quota;

use cloud::{Cloud, Outgoing};
use push::Publisher;

/// The MQTT broker the simulator publishes pushes to: the stand-in for AWS IoT Core. It must
/// speak TLS with a certificate from the same [`TestCa`] and accept client certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushBroker {
    pub host: String,
    pub port: u16,
}

/// What the simulated cloud holds and how it behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The personal access tokens it accepts (all on one account).
    pub pats: Vec<String>,
    /// The account's appliances.
    pub devices: Vec<SimDevice>,
    /// Where pushes go; without one they are only recorded ([`SimHandle::pushes`]).
    pub push_broker: Option<PushBroker>,
    /// How long an appliance takes to carry out a control and report it by `DEVICE_STATUS`.
    pub control_delay: Duration,
}

impl SimConfig {
    /// One PAT, the fixture devices, no broker, a short control delay.
    pub fn with_pat(pat: &str) -> SimConfig {
        SimConfig {
            pats: vec![pat.to_owned()],
            devices: SimDevice::fixture_set(),
            push_broker: None,
            control_delay: Duration::from_millis(50),
        }
    }
}

/// Starts simulated clouds.
pub struct Simulator;

impl Simulator {
    /// Binds the REST API on `bind` (use port 0 for a free port), connects to the push
    /// broker in the background, and returns a handle to observe and steer the cloud.
    pub async fn start(
        cfg: SimConfig,
        ca: Arc<TestCa>,
        bind: SocketAddr,
    ) -> anyhow::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("binding the simulator on {bind}"))?;
        let address = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let publisher = Publisher::start(cfg.push_broker.as_ref(), &ca, cancel.clone(), &tracker)?;
        let untrusted_ca = TestCa::generate().context("making the untrusted CA")?;
        let shared = Arc::new(Shared {
            cloud: Mutex::new(Cloud::new(cfg.pats, cfg.devices)),
            energy: Mutex::default(),
            publisher,
            ca,
            untrusted_ca,
            control_delay: cfg.control_delay,
            api_url: format!("http://{address}"),
            push_broker: cfg.push_broker,
            cancel: cancel.clone(),
            tracker: tracker.clone(),
        });
        tracker.spawn(http::serve(listener, shared.clone(), cancel));
        tracing::info!(url = %shared.api_url, "simulated ThinQ cloud listening");
        Ok(SimHandle { shared })
    }
}

/// State shared by the server, the background tasks and every [`SimHandle`].
pub(crate) struct Shared {
    cloud: Mutex<Cloud>,
    /// The simulated local clock of the energy endpoints (see [`energy`]).
    energy: Mutex<energy::EnergyClock>,
    publisher: Publisher,
    ca: Arc<TestCa>,
    /// Signs certificates the push broker must refuse ([`Fault::UntrustedCertificate`]).
    untrusted_ca: TestCa,
    control_delay: Duration,
    api_url: String,
    push_broker: Option<PushBroker>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Shared {
    /// Runs `f` with the account locked. Never held across an await.
    fn with_cloud<R>(&self, f: impl FnOnce(&mut Cloud) -> R) -> R {
        let mut cloud = self
            .cloud
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut cloud)
    }

    fn send(&self, outgoing: Vec<Outgoing>) {
        for message in outgoing {
            match serde_json::to_vec(&message.payload) {
                Ok(payload) => self.publish(&message.client_id, payload),
                Err(err) => tracing::warn!(%err, "simulator could not encode a push"),
            }
        }
    }

    /// Publishes on the client's topic chosen by [`SimHandle::set_push_topic_index`].
    fn publish(&self, client_id: &str, payload: Vec<u8>) {
        let topic = self.with_cloud(|c| c.push_topic_for(client_id));
        self.publisher.publish(client_id, topic, payload);
    }

    /// `GET /route`: the broker address (like AWS IoT's `mqtts://…-ats…:8883`).
    fn route_answer(&self) -> Value {
        let (host, port) = self
            .push_broker
            .as_ref()
            .map(|b| (b.host.clone(), b.port))
            .unwrap_or_else(|| ("127.0.0.1".to_owned(), 8883));
        json!({
            "apiServer": self.api_url,
            "mqttServer": format!("mqtts://{host}:{port}"),
            "webSocketServer": format!("wss://{host}:{port}/mqtt"),
        })
    }

    /// After the control delay, the appliance reports what the control changed.
    fn schedule_report(self: &Arc<Self>, device_id: &str, report: Value) {
        if state::is_empty_report(&report) {
            return;
        }
        let shared = self.clone();
        let device_id = device_id.to_owned();
        self.tracker.spawn(async move {
            tokio::select! {
                _ = shared.cancel.cancelled() => {}
                _ = tokio::time::sleep(shared.control_delay) => {
                    let outgoing = shared.with_cloud(|c| c.apply_report(&device_id, &report));
                    shared.send(outgoing);
                }
            }
        });
    }
}

/// A handle on a running simulated cloud: observe what the bridge did, and make the
/// appliances and the cloud do things. Cheap to clone.
#[derive(Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("api_url", &self.shared.api_url)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The REST base URL, `http://127.0.0.1:PORT` (what `THINQ_API_URL` is set to).
    pub fn api_url(&self) -> String {
        self.shared.api_url.clone()
    }

    /// The test CA the cloud signs certificates with.
    pub fn ca(&self) -> Arc<TestCa> {
        self.shared.ca.clone()
    }

    /// Every call answered so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.with_cloud(|c| c.requests.clone())
    }

    /// How many calls of `method` on `path` (exact, no query) were answered, e.g.
    /// `count("POST", "/client/certificate")`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.shared.with_cloud(|c| {
            c.requests
                .iter()
                .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
                .count()
        })
    }

    /// How many calls of `method` on a path starting with `prefix` were answered, e.g.
    /// `count_prefix("GET", "/devices/")` for every profile and state read. `method` `"*"`
    /// counts every method.
    pub fn count_prefix(&self, method: &str, prefix: &str) -> usize {
        self.shared.with_cloud(|c| {
            c.requests
                .iter()
                .filter(|r| method == "*" || r.method.eq_ignore_ascii_case(method))
                .filter(|r| r.path.starts_with(prefix))
                .count()
        })
    }

    /// A mark in the call record: pass it to [`calls_since`](Self::calls_since) to see only
    /// the calls answered after this point (for "at most N calls in this window" checks).
    pub fn call_mark(&self) -> usize {
        self.shared.with_cloud(|c| c.requests.len())
    }

    /// The calls answered since `mark` (from [`call_mark`](Self::call_mark)), in order.
    pub fn calls_since(&self, mark: usize) -> Vec<RecordedRequest> {
        self.shared.with_cloud(|c| {
            let start = mark.min(c.requests.len());
            c.requests[start..].to_vec()
        })
    }

    /// Calls refused because of [`Fault::InvalidToken`] or [`Fault::TokenRejectedEmptyBody`]
    /// since the start (not reset by [`clear_faults`](Self::clear_faults)).
    pub fn rejected_token_calls(&self) -> usize {
        self.shared.with_cloud(|c| c.token_rejections)
    }

    /// Every control body that passed the header checks, with its device id, in order,
    /// whether the cloud accepted it or not (see [`requests`](Self::requests) for the answer).
    pub fn controls(&self) -> Vec<(String, Value)> {
        self.shared.with_cloud(|c| c.controls.clone())
    }

    /// Every push sent so far (also when no broker is configured).
    pub fn pushes(&self) -> Vec<SentPush> {
        self.shared.publisher.sent()
    }

    /// A device's current state (`None` for an unknown device; also given while offline).
    pub fn device_state(&self, device_id: &str) -> Option<Value> {
        self.shared
            .with_cloud(|c| c.sim_device(device_id))
            .map(|d| d.state)
    }

    /// The ids of the account's devices, in list order.
    pub fn device_ids(&self) -> Vec<String> {
        self.shared.with_cloud(|c| c.device_ids())
    }

    /// Whether `client_id` is registered with `POST /client`.
    pub fn is_registered(&self, client_id: &str) -> bool {
        self.shared.with_cloud(|c| c.is_registered(client_id))
    }

    /// The clients with a live event subscription for a device.
    pub fn event_subscribers(&self, device_id: &str) -> Vec<String> {
        self.shared.with_cloud(|c| c.event_subscribers(device_id))
    }

    /// How long `client_id`'s event subscription for `device_id` has left by the
    /// simulator's clock (`None`: not subscribed, or lapsed). LG grants 1 to 24 hours and
    /// grants 24 for a longer `timer` (see [`events::MAX_EVENT_HOURS`]).
    pub fn event_subscription_remaining(
        &self,
        client_id: &str,
        device_id: &str,
    ) -> Option<Duration> {
        self.shared
            .with_cloud(|c| c.events.remaining(client_id, device_id))
    }

    /// Every event subscription lapses now, as LG switches one off when its time is up: no
    /// more `DEVICE_STATUS` pushes, `GET /event` lists nothing, until the client subscribes
    /// again. Returns how many lapsed.
    pub fn lapse_event_subscriptions(&self) -> usize {
        self.shared.with_cloud(|c| c.events.lapse(None))
    }

    /// Every client's event subscription for `device_id` lapses now (see
    /// [`lapse_event_subscriptions`](Self::lapse_event_subscriptions)). Returns how many.
    pub fn lapse_event_subscription(&self, device_id: &str) -> usize {
        self.shared.with_cloud(|c| c.events.lapse(Some(device_id)))
    }

    /// Moves the simulator's clock forward by `by`: event subscriptions whose time is up
    /// lapse, exactly as if that much time had passed. The simulator's clock is tokio's
    /// clock plus these advances, so `tokio::time::pause()` + `advance` works too; this one
    /// needs no paused runtime (real I/O and a paused clock do not mix well). It does not
    /// move certificate validity, which brokers check against the wall clock.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.with_cloud(|c| c.events.advance_clock(by));
    }

    /// Drops every client's push (pushCode) subscription for `device_id`, silently; only
    /// `GET /push` shows it. Returns how many were dropped.
    pub fn drop_push_subscription(&self, device_id: &str) -> usize {
        self.shared
            .with_cloud(|c| c.drop_push_subscriptions(Some(device_id)))
    }

    /// Whether the simulator's own link to the push broker is up. While it is down, pushes
    /// are lost, not queued (see [`SentPush::lost`]).
    pub fn push_link_up(&self) -> bool {
        self.shared.publisher.is_connected()
    }

    /// The appliance reports a change: `report` (shaped like its state, partial) is merged
    /// into the state and sent as a flat `DEVICE_STATUS` to the event subscribers.
    pub async fn report(&self, device_id: &str, report: Value) {
        let outgoing = self
            .shared
            .with_cloud(|c| c.apply_report(device_id, &report));
        self.shared.send(outgoing);
    }

    /// The appliance's state changes and no push goes out: `report` is merged into the
    /// state as by [`report`](Self::report), but nobody is told. That is what a bridge
    /// misses while its push channel is down or its event subscription has lapsed; only a
    /// `GET /devices/{id}/state` shows it. Returns false for an unknown device.
    pub fn set_state_silently(&self, device_id: &str, report: Value) -> bool {
        self.shared
            .with_cloud(|c| c.apply_report_silently(device_id, &report))
    }

    /// The appliance raises a notification (`DEVICE_PUSH` with `push_code`).
    pub async fn notify(&self, device_id: &str, push_code: &str) {
        let outgoing = self
            .shared
            .with_cloud(|c| c.notification(device_id, push_code));
        self.shared.send(outgoing);
    }

    /// Takes an appliance off the network (state and control answer 1222) or back.
    pub async fn set_online(&self, device_id: &str, online: bool) {
        self.shared.with_cloud(|c| c.set_online(device_id, online));
    }

    /// Adds an appliance to the account (`DEVICE_REGISTERED` to `/push/devices` subscribers).
    pub async fn add_device(&self, device: SimDevice) {
        let outgoing = self.shared.with_cloud(|c| c.add_device(device));
        self.shared.send(outgoing);
    }

    /// Removes an appliance (`DEVICE_UNREGISTERED`); its subscriptions go with it.
    pub async fn remove_device(&self, device_id: &str) {
        let outgoing = self.shared.with_cloud(|c| c.remove_device(device_id));
        self.shared.send(outgoing);
    }

    /// Adds an appliance and tells nobody: what a bridge finds only by reading `GET /devices`
    /// (the `DEVICE_REGISTERED` push went out while it was not listening, or its session
    /// with the queued push expired).
    pub fn add_device_silently(&self, device: SimDevice) {
        let _unsent = self.shared.with_cloud(|c| c.add_device(device));
    }

    /// Removes an appliance and tells nobody (see
    /// [`add_device_silently`](Self::add_device_silently)): a device removed while the
    /// add-on was stopped.
    pub fn remove_device_silently(&self, device_id: &str) {
        let _unsent = self.shared.with_cloud(|c| c.remove_device(device_id));
    }

    /// Replaces an appliance's profile, silently, as LG does when it fixes a profile on its
    /// servers (thinq-api.md §9, "Profiles change"). False for an unknown device.
    pub fn set_profile(&self, device_id: &str, profile: Value) -> bool {
        self.shared
            .with_cloud(|c| c.set_profile(device_id, profile))
    }

    /// Renames an appliance (`DEVICE_ALIAS_CHANGED`).
    pub async fn rename_device(&self, device_id: &str, alias: &str) {
        let outgoing = self
            .shared
            .with_cloud(|c| c.rename_device(device_id, alias));
        self.shared.send(outgoing);
    }

    /// Publishes `payload` as-is on a client's push topic: for malformed-push tests.
    pub async fn publish_raw(&self, client_id: &str, payload: Vec<u8>) {
        self.shared.publish(client_id, payload);
    }

    /// Publishes pushes on entry `index` of the certificate answer's `subscriptions`
    /// (`app/clients/<id>/push`, `app/clients/<id>/inbox`; default 0, the last entry when
    /// `index` is beyond them). Live answers list both (thinq-api.md §9) and LG does not
    /// say which carries what, so a bridge subscribed only to `subscriptions[0]` (the
    /// SDK's choice) misses everything at index 1.
    pub fn set_push_topic_index(&self, index: usize) {
        self.shared.with_cloud(|c| c.push_topic_index = index);
    }

    /// Certificates issued from now on are valid for `validity` (`notAfter` = issue time +
    /// `validity`, whole seconds; default ten years). LG documents no validity; a bridge
    /// must read `notAfter` and renew in time (§9). Brokers check it by the wall clock.
    pub fn set_certificate_validity(&self, validity: Duration) {
        self.shared
            .with_cloud(|c| c.certificate_validity = validity);
    }

    /// The CA that signs certificates under [`Fault::UntrustedCertificate`]: no broker
    /// trusts it (tests can check an issued certificate against it).
    pub fn untrusted_ca_pem(&self) -> String {
        self.shared.untrusted_ca.ca_pem()
    }

    /// Send pushes in the `{messageId,timestamp,event|push}` wrapper of LG's documentation
    /// instead of the flat form the SDK consumers read (default: flat).
    pub fn set_wrapped_pushes(&self, wrapped: bool) {
        self.shared.with_cloud(|c| c.wrapped_pushes = wrapped);
    }

    /// Sets (or, with `None`, lifts) the account's hourly call quota: calls beyond it answer
    /// 401 1314, commands included, as LG answers an account over its limit (see [`quota`]).
    pub fn set_quota(&self, quota: Option<Quota>) {
        self.shared.with_cloud(|c| c.quota.set(quota));
    }

    /// Every answer takes `latency` from now on, as LG's take 100–300 ms over the internet
    /// (default: none). A bridge that is as fast as loopback hides its call order behind it.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.with_cloud(|c| c.latency = latency);
    }

    /// Calls refused for the quota so far.
    pub fn quota_refusals(&self) -> usize {
        self.shared.with_cloud(|c| c.quota.refusals())
    }

    /// The most quota refusals within any one quota window so far.
    pub fn most_quota_refusals_in_a_window(&self) -> usize {
        self.shared
            .with_cloud(|c| c.quota.most_refusals_in_a_window())
    }

    /// Injects a fault (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.shared.with_cloud(|c| c.faults.add(fault));
    }

    /// Removes every pending fault, including the lasting ones ([`Fault::InvalidToken`],
    /// [`Fault::TokenRejectedEmptyBody`], [`Fault::RateLimitUntilCleared`]).
    pub fn clear_faults(&self) {
        self.shared.with_cloud(|c| c.faults.clear());
    }

    /// LG accepts the PAT again: ends [`Fault::InvalidToken`] and
    /// [`Fault::TokenRejectedEmptyBody`], leaving other faults in place.
    pub fn accept_token_again(&self) {
        self.shared.with_cloud(|c| c.faults.accept_token_again());
    }

    /// LG lifts the account's rate limit: ends [`Fault::RateLimitUntilCleared`], leaving
    /// other faults (counted 1314s included) in place.
    pub fn lift_rate_limit(&self) {
        self.shared.with_cloud(|c| c.faults.lift_rate_limit());
    }

    /// Makes the demo lively: every `tick` the air conditioner's room temperature moves a
    /// step toward its target, the washer moves through its cycle (and says
    /// `WASHING_IS_COMPLETE` at the end), and the refrigerator door opens and closes. Each
    /// change goes out as a `DEVICE_STATUS` push. Stops at [`shutdown`](Self::shutdown).
    pub fn start_life(&self, tick: Duration) -> tokio::task::JoinHandle<()> {
        self.shared
            .tracker
            .spawn(life::run(self.clone(), tick, self.shared.cancel.clone()))
    }

    /// Stops the server, the background tasks and the push connection.
    pub async fn shutdown(&self) {
        self.shared.cancel.cancel();
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }
}
