//! The `vacuum` entity of a robot cleaner: activity from LG's run state, start / pause /
//! stop / return home written to LG's operation enum.
//!
//! Home Assistant's MQTT vacuum reads its state topic as a JSON object (`{"state": "docked"}`),
//! without a template; that object is the one value of the `state` feature. The battery is not
//! part of it: Home Assistant deprecates the vacuum's battery in favour of a battery sensor of
//! the same device, which the robot's `battery` attributes already are.

use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::{Commands, Entity};
use crate::hass::topics::STATE;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};

/// The command feature (`<base>/<device>/<key>/command/set`); the payload names the command.
pub const COMMAND: &str = "command";

/// Home Assistant's command payloads (its defaults) and the supported feature each stands for.
const HA_COMMANDS: [(&str, &str); 4] = [
    ("start", "start"),
    ("pause", "pause"),
    ("stop", "stop"),
    ("return_to_base", "return_home"),
];

#[derive(Debug, Clone, PartialEq)]
pub struct VacuumEntity {
    pub base: EntityBase,
    /// The run-state enum and `(LG value, HA activity)`.
    pub state: Property,
    pub activities: Vec<(String, String)>,
    /// The operation enum and `(HA command payload, LG value)`, only values LG accepts.
    pub command: Property,
    pub commands: Vec<(String, String)>,
}

impl VacuumEntity {
    fn activity(&self, state: &Value) -> Value {
        common::option_state(&self.state, &self.activities, state)
    }
}

entity_kind!(VacuumEntity, "vacuum");

impl Entity for VacuumEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.value_state();
        c.command("cmd_t", COMMAND);
        // Without the list Home Assistant assumes stop, clean spot and battery, which LG's
        // operation enum may not have.
        let features: Vec<&str> = HA_COMMANDS
            .iter()
            .filter(|(payload, _)| self.commands.iter().any(|(p, _)| p == payload))
            .map(|(_, feature)| *feature)
            .collect();
        c.insert("sup_feat", json!(features));
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        out.push((STATE, json!({ "state": self.activity(state) })));
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, COMMAND)?;
        let payload = payload.trim();
        let lg = self
            .commands
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(payload))
            .map(|(_, lg)| lg)
            .ok_or_else(|| CommandError::NotInEnum {
                property: self.base.key.clone(),
                value: payload.to_owned(),
                allowed: self.commands.iter().map(|(p, _)| p.clone()).collect(),
            })?;
        Ok(vec![common::write_to(&self.command, json!(lg))])
    }

    fn describe(&self, state: &Value) -> String {
        let activity = self.activity(state);
        activity.as_str().unwrap_or("unknown").to_owned()
    }
}
