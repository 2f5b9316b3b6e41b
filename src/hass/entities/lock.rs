//! `lock` entities: door locks. The state is LG's enum mapped to Home Assistant's lock states
//! (published with Home Assistant's default payloads, so no `stat_*` keys are needed); lock,
//! unlock and open write the LG values the catalog names, each only when the profile lets it
//! be written. `open` is offered (Home Assistant's OPEN feature) only when LG can open.

use super::Entity;
use super::common::{self, EntityBase};
use crate::hass::DiscoveryContext;
use crate::hass::topics::STATE;
use crate::thinq::control::Write;
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

impl LockEntity {
    fn state_value(&self, state: &Value) -> Value {
        let Some(Value::String(lg)) = self.property.read(state) else {
            return Value::Null;
        };
        self.states
            .iter()
            .find(|(v, _)| v.eq_ignore_ascii_case(&lg))
            .map_or(Value::Null, |(_, ha)| json!(ha))
    }
}

impl Entity for LockEntity {
    fn key(&self) -> &str {
        &self.base.key
    }

    fn platform(&self) -> &'static str {
        "lock"
    }

    fn component(&self, device_id: &str, ctx: &DiscoveryContext) -> Value {
        let mut c = self.base.component(self.platform(), device_id);
        self.base
            .add_control(&mut c, STATE, self.property.readable, device_id, ctx);
        // Home Assistant always offers lock and unlock (payloads LOCK / UNLOCK); it offers
        // open only when `pl_open` is set.
        if self.open.is_some() {
            c.insert("pl_open".into(), json!("OPEN"));
        }
        Value::Object(c)
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        if self.property.readable {
            out.push((STATE, self.state_value(state)));
        }
    }

    fn command(
        &self,
        feature: &str,
        payload: &str,
        _state: &Value,
    ) -> Result<Vec<Write>, CommandError> {
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

    fn describe(&self, state: &Value) -> (String, String) {
        (
            self.base.display_name(),
            common::render(&self.state_value(state)),
        )
    }
}
