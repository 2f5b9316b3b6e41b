//! `lock` entities: door locks. The state is LG's enum mapped to Home Assistant's lock states
//! (published with Home Assistant's default payloads, so no `stat_*` keys are needed); lock,
//! unlock and open write the LG values the catalog names, each only when the profile lets it
//! be written. `open` is offered (Home Assistant's OPEN feature) only when LG can open.

use super::Commands;
use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::one_value::OneValue;
use crate::hass::topics::STATE;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct LockEntity {
    pub base: EntityBase,
    pub property: Property,
    /// LG value → Home Assistant state payload (`LOCKED`, `UNLOCKED`, `OPEN`, `JAMMED`, …).
    pub states: Vec<(String, String)>,
    pub lock: Option<String>,
    pub unlock: Option<String>,
    pub open: Option<String>,
}

entity_kind!(LockEntity, "lock");

impl OneValue for LockEntity {
    fn value(&self, state: &Value) -> Value {
        common::option_state(&self.property, &self.states, state)
    }

    fn readable(&self) -> bool {
        self.property.readable
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_control(STATE, self.readable());
        // Home Assistant always offers lock and unlock (payloads LOCK / UNLOCK); it offers
        // open only when `pl_open` is set.
        if self.open.is_some() {
            c.insert("pl_open", json!("OPEN"));
        }
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, STATE)?;
        let key = &self.base.key;
        let (wanted, what) = match payload.trim().to_ascii_uppercase().as_str() {
            "LOCK" => (&self.lock, "lock"),
            "UNLOCK" => (&self.unlock, "unlock"),
            "OPEN" => (&self.open, "open"),
            _ => {
                return Err(CommandError::WrongType {
                    property: key.clone(),
                    expected: "LOCK, UNLOCK or OPEN",
                    got: payload.to_owned(),
                });
            }
        };
        let value = wanted
            .as_ref()
            .ok_or_else(|| CommandError::NotWritable(format!("{key}: LG cannot {what} it")))?;
        Ok(vec![common::write_to(&self.property, json!(value))])
    }
}
