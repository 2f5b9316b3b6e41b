//! `siren` entities. Home Assistant sends a turn-on as one JSON message (`{"state": "ON",
//! "volume_level": 0.5, "duration": 30}`, no command template), so on/off, volume and duration
//! go to LG in one control body. The state is the same JSON shape on one topic (no template):
//! on/off plus the current volume and duration, which Home Assistant shows as attributes.

use super::common::{self, EntityBase, PowerControl, entity_kind};
use super::component::Component;
use super::light::RangeControl;
use super::{Commands, Entity};
use crate::hass::topics::STATE;
use crate::thinq::profile::Property;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct SirenEntity {
    pub base: EntityBase,
    pub power: PowerControl,
    /// The volume enum and its writable values from silent to loudest.
    pub volume: Option<(Property, Vec<String>)>,
    /// Alarm duration in seconds.
    pub duration: Option<RangeControl>,
}

impl SirenEntity {
    /// Volume value `i` of `n` as Home Assistant's 0…1 level.
    fn level(i: usize, n: usize) -> f64 {
        if n <= 1 {
            1.0
        } else {
            ((i as f64 / (n - 1) as f64) * 100.0).round() / 100.0
        }
    }

    fn state_object(&self, state: &Value) -> Value {
        let mut s = Map::new();
        s.insert(
            "state".into(),
            self.power.is_on(state).map_or(Value::Null, common::on_off),
        );
        // Only values Home Assistant's turn-on schema accepts: a bad one drops the message.
        if let Some((property, order)) = &self.volume
            && let Some(v) = common::read_text(property, state)
            && let Some(i) = order.iter().position(|o| o.eq_ignore_ascii_case(&v))
        {
            s.insert("volume_level".into(), json!(Self::level(i, order.len())));
        }
        if let Some(seconds) = self
            .duration
            .as_ref()
            .and_then(|d| d.read(state))
            .filter(|s| *s >= 0.0)
        {
            s.insert("duration".into(), common::json_number(seconds.round()));
        }
        Value::Object(s)
    }
}

entity_kind!(SirenEntity, "siren");

impl Entity for SirenEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.value_control(STATE, self.power.property.readable);
        c.insert("sup_vol", json!(self.volume.is_some()));
        c.insert("sup_dur", json!(self.duration.is_some()));
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        if self.power.property.readable {
            out.push((STATE, self.state_object(state)));
        }
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, STATE)?;
        let key = &self.base.key;
        let command = match serde_json::from_str::<Value>(payload.trim()) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Ok(vec![self.power.write(common::parse_on_off(key, payload)?)]);
            }
        };
        let on = match command.get("state").and_then(Value::as_str) {
            Some(s) => common::parse_on_off(key, s)?,
            None => true,
        };
        let mut writes = vec![self.power.write(on)];
        if !on {
            return Ok(writes);
        }
        if let Some(level) = command.get("volume_level").and_then(common::as_number) {
            let (property, order) = self.base.part_for("volume_level", self.volume.as_ref())?;
            if !order.is_empty() {
                let i = (level.clamp(0.0, 1.0) * (order.len() - 1) as f64).round() as usize;
                let value = &order[i.min(order.len() - 1)];
                writes.push(common::write_to(property, json!(value)));
            }
        }
        if let Some(seconds) = command.get("duration").and_then(common::as_number) {
            let duration = self.base.part_for("duration", self.duration.as_ref())?;
            writes.push(duration.write(seconds));
        }
        Ok(writes)
    }

    fn describe(&self, state: &Value) -> String {
        let s = self.state_object(state);
        let mut text = common::on_off_text(self.power.is_on(state)).to_owned();
        if let Some(v) = s.get("volume_level") {
            text.push_str(&format!(", volume {v}"));
        }
        if let Some(d) = s.get("duration") {
            text.push_str(&format!(", {d} s"));
        }
        text
    }
}
