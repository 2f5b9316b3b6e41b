//! Every REST call the bridge makes, as data.
//!
//! The loop that owns device state never calls LG itself: it names the call it wants as a
//! [`Call`], the [call budget](super::budget) runs it when its turn comes, and the answer comes
//! back to the loop as an [`Answer`]. Calls as values can be queued, ordered by priority,
//! de-duplicated ("read this device's state" once, however often it is asked for), counted,
//! and shown to the user ("3 calls wait").

use crate::energy::{self, EnergyRead, call::EnergyAnswer};
use crate::thinq::DeviceSummary;
use crate::thinq::api::{Route, ThinqApi};
use crate::thinq::credentials::{CredentialError, CredentialStore, MqttIdentity};
use crate::thinq::error::ApiError;
use serde_json::Value;

/// Hours an event subscription is asked for: LG's maximum (thinq-api.md §9). Renewed well
/// before it lapses, see [`super::timings::Timings::event_renewal`].
pub const EVENT_SUBSCRIPTION_HOURS: u32 = 24;

/// Who waits for a call, most urgent first. A user's command is not a [`Call`]: it has its
/// own lane in the budget and never waits behind these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// What makes an appliance ready — its profile, its state, and the event subscription
    /// that keeps it live — or right again (a state that may be stale after a reconnect or a
    /// missed change). The number is a rank: 0 for the account's own calls a start needs
    /// (device list, route, certificate), then each appliance's place in LG's list, so that
    /// the first appliance is ready before the second's profile is read, and so on: a large
    /// home fills in one appliance at a time instead of all profiles first.
    Ready(u32),
    /// Keeping the push channel complete: notification (pushCode) subscriptions, the
    /// device-list subscription, renewals, LG's subscription lists.
    Upkeep,
    /// Checks that find nothing wrong most of the time; energy.
    Periodic,
}

impl Priority {
    /// The account's own calls that a start needs: before any appliance's.
    pub const ACCOUNT: Priority = Priority::Ready(0);

    /// The class of call, for "what waits" on the bridge device.
    pub fn class(&self) -> CallClass {
        match self {
            Priority::Ready(_) => CallClass::Ready,
            Priority::Upkeep => CallClass::Upkeep,
            Priority::Periodic => CallClass::Periodic,
        }
    }
}

/// [`Priority`] without the rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallClass {
    Ready,
    Upkeep,
    Periodic,
}

/// One REST call (or, for [`Call::Identity`], the two that issue a certificate).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Call {
    Devices,
    Profile(String),
    State(String),
    PushSubscribe(String),
    EventSubscribe(String),
    PushDevicesSubscribe,
    /// `GET /event`: the devices with a live event subscription.
    EventList,
    /// `GET /push`: the devices with a push subscription.
    PushList,
    Route,
    /// Register the client and have LG sign a new key's CSR.
    Identity,
    /// An energy profile or usage read the energy tracker planned.
    Energy(EnergyRead),
}

impl Call {
    /// REST requests this call costs.
    pub fn cost(&self) -> u32 {
        match self {
            Call::Identity => 2,
            _ => 1,
        }
    }

    /// Whether running it twice does no harm, so a failure may be retried by itself.
    pub fn is_retryable(&self) -> bool {
        true
    }

    /// Short text for the log.
    pub fn describe(&self) -> String {
        match self {
            Call::Devices => "device list".into(),
            Call::Profile(id) => format!("profile of {id}"),
            Call::State(id) => format!("state of {id}"),
            Call::PushSubscribe(id) => format!("push subscription of {id}"),
            Call::EventSubscribe(id) => format!("event subscription of {id}"),
            Call::PushDevicesSubscribe => "device-list subscription".into(),
            Call::EventList => "event subscription list".into(),
            Call::PushList => "push subscription list".into(),
            Call::Route => "route".into(),
            Call::Identity => "MQTT certificate".into(),
            Call::Energy(EnergyRead::Profile { device_id }) => {
                format!("energy profile of {device_id}")
            }
            Call::Energy(EnergyRead::Usage(read)) => {
                format!("energy usage of {} ({})", read.device_id, read.property)
            }
        }
    }
}

/// What a call answered.
#[derive(Debug)]
pub enum Answer {
    Devices(Vec<DeviceSummary>),
    Json(Value),
    /// Device ids (the subscription lists).
    Ids(Vec<String>),
    Route(Route),
    Identity(MqttIdentity),
    Energy(EnergyAnswer),
    Done,
}

/// Why a call failed: LG's answer, or (for [`Call::Identity`]) keeping the files.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{0}")]
    Credentials(String),
}

impl CallError {
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            CallError::Api(err) => Some(err),
            CallError::Credentials(_) => None,
        }
    }
}

/// Runs one call against LG.
pub async fn execute(
    api: &ThinqApi,
    store: &CredentialStore,
    call: &Call,
) -> Result<Answer, CallError> {
    Ok(match call {
        Call::Devices => Answer::Devices(api.devices().await?),
        Call::Profile(id) => Answer::Json(api.profile(id).await?),
        Call::State(id) => Answer::Json(api.state(id).await?),
        Call::PushSubscribe(id) => {
            already_ok(api.push_subscribe(id).await)?;
            Answer::Done
        }
        Call::EventSubscribe(id) => {
            already_ok(api.event_subscribe(id, EVENT_SUBSCRIPTION_HOURS).await)?;
            Answer::Done
        }
        Call::PushDevicesSubscribe => {
            already_ok(api.push_devices_subscribe().await)?;
            Answer::Done
        }
        Call::EventList => Answer::Ids(api.event_list().await?),
        Call::PushList => Answer::Ids(api.push_list().await?),
        Call::Route => Answer::Route(api.route().await?),
        Call::Energy(read) => energy_answer(energy::call::run(api, read.clone()).await)?,
        Call::Identity => match store.issue_identity(api).await {
            Ok(identity) => Answer::Identity(identity),
            Err(CredentialError::Api(err)) => return Err(CallError::Api(err)),
            Err(other) => return Err(CallError::Credentials(other.to_string())),
        },
    })
}

/// The tracker handles what an energy answer means for the device (406, 1221, a missing
/// scope); what concerns the whole budget — a rate limit, a rejected token, a network error to
/// retry — goes to the budget like any other call's error.
fn energy_answer(answer: EnergyAnswer) -> Result<Answer, CallError> {
    let for_budget =
        |err: &ApiError| err.is_rate_limited() || err.is_auth_failure() || err.is_transient();
    match answer {
        EnergyAnswer::Profile {
            result: Err(err), ..
        } if for_budget(&err) => Err(CallError::Api(err)),
        EnergyAnswer::Usage {
            result: Err(err), ..
        } if for_budget(&err) => Err(CallError::Api(err)),
        answer => Ok(Answer::Energy(answer)),
    }
}

/// 1207 "already subscribed" is the state we wanted.
fn already_ok(result: Result<(), ApiError>) -> Result<(), ApiError> {
    match result {
        Err(err) if err.is_already_subscribed() => Ok(()),
        other => other,
    }
}
