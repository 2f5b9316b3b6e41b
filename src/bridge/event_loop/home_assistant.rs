//! The event loop's Home Assistant side: the bridge device (its discovery, state and
//! problem), what Home Assistant tells the loop (connection, birth, commands), the health
//! file, and the end of the pass-through template copies once Home Assistant has restarted.

use super::{Loop, Problem};
use crate::bridge::health;
use crate::bridge::pacing::ControlOutcome;
use crate::hass::session::HassEvent;
use crate::hass::{bridge_device, stale_templates};
use tracing::{info, warn};

impl Loop {
    pub(super) fn write_health(&self) {
        if let Err(err) = health::write(&self.data_dir, self.hass_connected, self.push_connected) {
            warn!(%err, "cannot write the health file");
        }
    }

    pub(super) fn publish_bridge(&self) {
        let ctx = self.registry.context();
        let payload = bridge_device::discovery_payload(ctx);
        self.publisher
            .discovery(&ctx.topics.bridge_discovery(), &payload);
        self.publish_bridge_state();
        self.energy.publish_all();
    }

    pub(super) fn publish_bridge_state(&self) {
        let ctx = self.registry.context();
        let budget = self.budget.status();
        let (waiting_ha, _) = self.publisher.backlog();
        let status = bridge_device::BridgeStatus {
            lg_push: self.push_connected,
            devices: self.registry.len(),
            devices_waiting: self.registry.pending(),
            devices_ready: self.registry.ready_count().0,
            last_error: self.registry.last_error().to_owned(),
            calls_last_hour: budget.calls_last_hour,
            hourly_limit: budget.hourly_limit,
            calls_waiting: budget.waiting,
            calls_waiting_by_class: [
                budget.waiting_by_class.ready,
                budget.waiting_by_class.upkeep,
                budget.waiting_by_class.periodic,
            ],
            calls_wait_for: budget.waits_for(),
            rate_limited_for: budget.paused_for,
            problem: self.problem.as_ref().map(|(_, text)| text.clone()),
            messages_waiting: waiting_ha,
        };
        self.publisher.retained(
            &bridge_device::state_topic(ctx),
            bridge_device::state_payload(&status).to_string(),
        );
        for (topic, payload) in bridge_device::value_messages(ctx, &status) {
            self.publisher.retained(&topic, payload);
        }
    }

    /// Home Assistant restarted. If every device's discovery was on the broker by then, it
    /// built its entities from our plain payloads: no old template is left to replace. (A
    /// restart earlier in our start may have met an older version's retained payloads, so the
    /// copies go on until the next one.)
    pub(super) fn end_template_carryover(&self) {
        if !self.publisher.template_carryover()
            || self.registry.len() == 0
            || self.registry.pending() > 0
        {
            return;
        }
        self.publisher.set_template_carryover(false);
        match stale_templates::mark_cleared(&self.data_dir) {
            Ok(()) => info!(
                "Home Assistant restarted on the current discovery payloads; no template copies from now on"
            ),
            Err(err) => {
                warn!(%err, "cannot record that Home Assistant's old templates are gone; the copies continue next start")
            }
        }
    }

    /// Shows `text` as the bridge's problem, caused by `cause` (in place of any other).
    pub(super) fn set_problem(&mut self, cause: Problem, text: String) {
        let problem = Some((cause, text));
        if self.problem != problem {
            self.problem = problem;
            self.publish_bridge_state();
        }
    }

    /// Clears the problem shown if `cause` caused it: the end of one cause never clears
    /// another's (a token accepted again while LG's broker still refuses our subscription).
    pub(super) fn clear_problem(&mut self, cause: Problem) {
        if self.has_problem(cause) {
            self.problem = None;
            self.publish_bridge_state();
        }
    }

    pub(super) fn has_problem(&self, cause: Problem) -> bool {
        self.problem
            .as_ref()
            .is_some_and(|(shown, _)| *shown == cause)
    }

    pub(super) fn on_hass(&mut self, event: HassEvent) {
        match event {
            HassEvent::Connected => {
                self.hass_connected = true;
                // The session resends every retained topic itself; the bridge's own state
                // may be newer.
                self.publish_bridge();
                if self.publisher.template_carryover() {
                    // Copies queued during an outage may have been dropped (non-retained
                    // messages are bounded); Home Assistant may still need them.
                    self.registry.republish_discovery();
                }
                self.write_health();
            }
            HassEvent::HomeAssistantOnline => {
                self.end_template_carryover();
                self.publish_bridge();
                self.publisher.republish_all();
            }
            HassEvent::Disconnected { .. } => {
                self.hass_connected = false;
                self.write_health();
            }
            HassEvent::Command { topic, .. } if self.energy.is_refresh(&topic) => {
                self.energy.refresh(&self.budget)
            }
            HassEvent::Command { topic, payload } => self.registry.on_command(&topic, &payload),
            HassEvent::DiscoveryHeld(held) => self.registry.on_discovery_held(held),
            HassEvent::OversizedCommand { topic, bytes } => {
                self.registry.on_oversized_command(&topic, bytes)
            }
        }
    }

    pub(super) fn on_control_outcome(&mut self, outcome: ControlOutcome) {
        self.registry.on_control_outcome(outcome);
    }
}
