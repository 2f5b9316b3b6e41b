//! Control pacing: at least [`CONTROL_GAP`] between two controls to one appliance.
//!
//! LG's own Home Assistant bridge waits 3 s between control POSTs to the same device; faster
//! bursts (a slider dragged in Home Assistant) get refused or rate-limited. Each device gets a
//! small worker with a bounded queue; a control is sent once, never retried by itself, because
//! a control that timed out may still have run on the appliance. Controls take the call
//! budget's first lane ([`Budget::control`]): they never wait behind other calls.

use super::budget::Budget;
use crate::thinq::error::ApiError;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The minimum time between two control POSTs to one device.
pub const CONTROL_GAP: Duration = Duration::from_secs(3);
/// Commands waiting for one device; beyond this a new command is refused, not queued.
pub const QUEUE_DEPTH: usize = 8;

/// A control that was sent (or failed to be).
#[derive(Debug)]
pub struct ControlOutcome {
    pub device_id: String,
    /// What the command was, for the log and the error topic.
    pub command: String,
    pub body: Value,
    pub result: Result<(), ApiError>,
}

/// The queue in front of one device's worker.
pub struct ControlQueue {
    sender: mpsc::Sender<(String, Value)>,
}

/// Why a control could not be queued.
#[derive(Debug, thiserror::Error)]
#[error("too many commands waiting for this device ({QUEUE_DEPTH}); try again in a few seconds")]
pub struct QueueFull;

impl ControlQueue {
    /// Starts the worker for one device.
    pub fn start(
        budget: Budget,
        device_id: String,
        outcomes: mpsc::Sender<ControlOutcome>,
        shutdown: CancellationToken,
    ) -> ControlQueue {
        let (sender, mut receiver) = mpsc::channel::<(String, Value)>(QUEUE_DEPTH);
        let span = tracing::info_span!("control", device = %device_id);
        tokio::spawn(
            async move {
                while let Some((command, body)) = tokio::select! {
                    _ = shutdown.cancelled() => None,
                    next = receiver.recv() => next,
                } {
                    let result = budget.control(&device_id, &body).await;
                    let outcome = ControlOutcome {
                        device_id: device_id.clone(),
                        command,
                        body,
                        result,
                    };
                    if outcomes.send(outcome).await.is_err() {
                        break;
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(CONTROL_GAP) => {}
                    }
                }
            }
            .instrument(span),
        );
        ControlQueue { sender }
    }

    /// Queues a control body; refuses when the device already has [`QUEUE_DEPTH`] waiting.
    pub fn push(&self, command: String, body: Value) -> Result<(), QueueFull> {
        self.sender.try_send((command, body)).map_err(|_| QueueFull)
    }
}
