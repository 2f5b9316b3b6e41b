//! The one piece of energy code that talks to LG: it makes a call the tracker planned and
//! brings the answer back as a value, so the bridge's REST worker can run it under the call
//! budget and post the [`EnergyAnswer`] to the loop that owns the tracker (which never awaits
//! the network).

use time::OffsetDateTime;

use super::{EnergyRead, EnergyTracker, EnergyUpdate, UsageRead};
use crate::thinq::api::ThinqApi;
use crate::thinq::energy_api::UsageRow;
use crate::thinq::error::ApiError;

/// The answer to one [`EnergyRead`], for [`EnergyTracker::on_answer`].
#[derive(Debug)]
pub enum EnergyAnswer {
    Profile {
        device_id: String,
        result: Result<Vec<String>, ApiError>,
    },
    Usage {
        read: UsageRead,
        result: Result<Vec<UsageRow>, ApiError>,
    },
}

/// Makes the call `read` stands for (one REST call).
pub async fn run(api: &ThinqApi, read: EnergyRead) -> EnergyAnswer {
    match read {
        EnergyRead::Profile { device_id } => {
            let result = api.energy_profile(&device_id).await;
            EnergyAnswer::Profile { device_id, result }
        }
        EnergyRead::Usage(read) => {
            let result = api
                .energy_usage(
                    &read.device_id,
                    &read.property,
                    read.period,
                    read.start,
                    read.end,
                )
                .await;
            EnergyAnswer::Usage { read, result }
        }
    }
}

impl EnergyTracker {
    /// Takes an answer made by [`run`]: [`on_profile`](Self::on_profile) or
    /// [`on_usage`](Self::on_usage), whichever it is.
    pub fn on_answer(&mut self, now: OffsetDateTime, answer: EnergyAnswer) -> Vec<EnergyUpdate> {
        match answer {
            EnergyAnswer::Profile { device_id, result } => self.on_profile(now, &device_id, result),
            EnergyAnswer::Usage { read, result } => self.on_usage(now, &read, result),
        }
    }
}
