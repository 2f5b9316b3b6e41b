//! Commands from Home Assistant and their outcomes: a command is checked against the device's
//! profile and queued on the device's control queue; LG's refusal is logged, shown on the
//! bridge's Last error and published on `thinq/<device>/error`, and an appliance LG reports
//! offline is marked unavailable.

use super::Registry;
use crate::bridge::pacing::ControlOutcome;
use crate::hass::topics::CommandTopic;
use serde_json::json;
use tracing::{Span, info, warn};

impl Registry {
    /// A command from Home Assistant: validate against the profile, build the body, queue it.
    pub fn on_command(&mut self, topic: &CommandTopic, payload: &str) {
        let Some(device_id) = self.by_object_id.get(&topic.device).cloned() else {
            warn!(device = %topic.device, "command for an unknown device ignored");
            return;
        };
        let Some(entry) = self.devices.get(&device_id) else {
            return;
        };
        let command = format!("{}/{} = {payload}", topic.entity, topic.feature);
        let built = entry
            .model
            .command(&topic.entity, &topic.feature, payload, &entry.state);
        let span = entry.span.clone();
        let result = match built {
            Ok(body) => {
                span.in_scope(|| info!(%command, %body, "sending command"));
                entry
                    .controls
                    .push(command.clone(), body)
                    .map_err(|e| e.to_string())
            }
            Err(err) => Err(err.to_string()),
        };
        if let Err(reason) = result {
            span.in_scope(|| warn!(%command, %reason, "command refused"));
            self.publish_error(&device_id, &command, &reason, None);
        }
    }

    /// A command payload too large to be one: refused unread.
    pub fn on_oversized_command(&mut self, topic: &CommandTopic, bytes: usize) {
        let Some(device_id) = self.by_object_id.get(&topic.device).cloned() else {
            return;
        };
        let command = format!("{}/{}", topic.entity, topic.feature);
        let reason = format!(
            "the command payload has {bytes} bytes; at most {} are accepted",
            crate::hass::session::MAX_COMMAND_BYTES
        );
        warn!(device = %device_id, %command, %reason, "command refused");
        self.publish_error(&device_id, &command, &reason, None);
    }

    /// What became of a control: failures are logged and published on the error topic.
    pub fn on_control_outcome(&mut self, outcome: ControlOutcome) {
        let Err(err) = &outcome.result else {
            if let Some(entry) = self.devices.get(&outcome.device_id) {
                entry
                    .span
                    .in_scope(|| info!(command = %outcome.command, "LG accepted the command"));
            }
            return;
        };
        let span = self
            .devices
            .get(&outcome.device_id)
            .map(|e| e.span.clone())
            .unwrap_or_else(Span::none);
        span.in_scope(|| warn!(command = %outcome.command, %err, "LG refused the command"));
        if err.is_device_offline() {
            if let Some(entry) = self.devices.get_mut(&outcome.device_id) {
                entry.online = false;
            }
            if let Some(entry) = self.devices.get(&outcome.device_id) {
                self.publish_availability(entry);
            }
        }
        let code = err.code().map(|c| c.to_string());
        self.publish_error(&outcome.device_id, &outcome.command, &err.to_string(), code);
    }

    pub(super) fn publish_error(
        &mut self,
        device_id: &str,
        command: &str,
        reason: &str,
        code: Option<String>,
    ) {
        let alias = self
            .devices
            .get(device_id)
            .map(|e| e.model.device.device_info.alias.clone())
            .unwrap_or_default();
        self.note_error(format!("{alias}: {reason}"));
        let payload = json!({ "command": command, "error": reason, "code": code });
        self.publisher
            .transient(&self.topics().error(device_id), payload.to_string());
    }
}
