//! `cover` entities: blinds and curtains. LG's open / close / stop enum is both the command and
//! the state; the position range is read and written as LG gives it, its minimum closed and its
//! maximum open (`pos_clsd` / `pos_open`: Home Assistant shows 0…100 % from them).

use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::light::RangeControl;
use super::{Commands, Entity};
use crate::hass::topics::STATE;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};

/// The position state and command feature.
pub const POSITION: &str = "position";

#[derive(Debug, Clone, PartialEq)]
pub struct CoverEntity {
    pub base: EntityBase,
    pub device_class: Option<String>,
    /// The open / close / stop enum.
    pub property: Property,
    /// LG value → Home Assistant state (`open`, `closed`, `stopped`, `opening`, `closing`).
    pub states: Vec<(String, String)>,
    /// The LG values Home Assistant's open / close / stop write, when LG takes them.
    pub open: Option<String>,
    pub close: Option<String>,
    pub stop: Option<String>,
    pub position: Option<RangeControl>,
}

impl CoverEntity {
    fn state_value(&self, state: &Value) -> Value {
        let Some(lg) = self.property.read(state) else {
            return Value::Null;
        };
        let ha = common::option_for_lg(&self.states, &lg);
        // Home Assistant turns `stopped` into "open" unless it saw the cover closing, whatever
        // the position says (a blind stopped at 0 read "open"). With a position at hand, a
        // stopped cover is closed at the closed end and open anywhere else.
        match (ha, &self.position, self.position_value(state).as_f64()) {
            (Some("stopped"), Some(p), Some(position)) => {
                json!(if position <= p.range.min {
                    "closed"
                } else {
                    "open"
                })
            }
            (Some(ha), ..) => json!(ha),
            (None, ..) => Value::Null,
        }
    }

    fn position_value(&self, state: &Value) -> Value {
        common::number_state(self.position.as_ref().map(|p| &p.property), state)
    }
}

entity_kind!(CoverEntity, "cover");

impl Entity for CoverEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.insert_some("dev_cla", self.device_class.as_deref());
        c.value_control(STATE, self.property.readable);
        // Home Assistant's default payloads are OPEN / CLOSE / STOP; one LG does not take is
        // switched off (null), so Home Assistant shows no button for it.
        for (abbr, value) in [
            ("pl_open", &self.open),
            ("pl_cls", &self.close),
            ("pl_stop", &self.stop),
        ] {
            if value.is_none() {
                c.insert(abbr, Value::Null);
            }
        }
        if let Some(p) = &self.position {
            c.state("pos_t", POSITION);
            c.command("set_pos_t", POSITION);
            c.insert("pos_clsd", common::json_number(p.range.min));
            c.insert("pos_open", common::json_number(p.range.max));
        }
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        if self.property.readable {
            out.push((STATE, self.state_value(state)));
        }
        if self.position.is_some() {
            out.push((POSITION, self.position_value(state)));
        }
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        let key = &self.base.key;
        match feature {
            STATE => {
                let wanted = match payload.trim().to_ascii_uppercase().as_str() {
                    "OPEN" => &self.open,
                    "CLOSE" => &self.close,
                    "STOP" => &self.stop,
                    _ => &None,
                };
                let value = wanted.as_ref().ok_or_else(|| CommandError::WrongType {
                    property: key.clone(),
                    expected: "OPEN, CLOSE or STOP (as LG takes them)",
                    got: payload.to_owned(),
                })?;
                Ok(vec![common::write_to(&self.property, json!(value))])
            }
            POSITION => {
                let position = self.base.part_for(feature, self.position.as_ref())?;
                Ok(vec![position.write(common::parse_number(key, payload)?)])
            }
            _ => Err(self.base.unknown_feature(feature)),
        }
    }

    fn describe(&self, state: &Value) -> String {
        let mut text = common::render(&self.state_value(state));
        if self.position.is_some() {
            text.push_str(&format!(
                ", position {}",
                common::render(&self.position_value(state))
            ));
        }
        text
    }
}
