//! `light` entities (bulbs, LED lines, sync box lighting, star projectors, wall light
//! switches), in Home Assistant's JSON schema.
//!
//! Why JSON and not one topic per value: Home Assistant sends a turn-on with brightness and
//! colour as *one* message in the JSON schema (the default schema sends one message per
//! topic), so one command becomes one LG control body: power, light mode and the colour
//! resource together, as LG groups them. The state is likewise one JSON object on one topic,
//! with no template (Home Assistant reads the keys itself).
//!
//! Scales: brightness travels in LG's own range (`brightness_scale` = the range's maximum,
//! Home Assistant converts to its 0…255); colour temperature in kelvin (`color_temp_kelvin`),
//! offered only when LG's range is in kelvin; hue in degrees and saturation in percent, which is
//! what both sides use.

use super::common::{self, EntityBase, PowerControl, entity_kind};
use super::component::Component;
use super::{Commands, Entity};
use crate::hass::topics::STATE;
use crate::thinq::control::Write;
use crate::thinq::profile::{Property, RangeSpec, ValueSpec};
use serde_json::{Map, Value, json};

/// The command feature: `<entity>/json/set`, a JSON command (plain `ON` / `OFF` too).
pub const FEATURE: &str = "json";

/// The feature of the light's attributes topic (`json_attributes_topic`): what LG reports that
/// the light's own state has no place for (the LG light mode, the brightness stored for the
/// mode not shown).
pub const ATTRIBUTES: &str = "attributes";

/// A writable range of the light (brightness, hue, …) with its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeControl {
    pub property: Property,
    pub range: RangeSpec,
}

impl RangeControl {
    /// The writable range of a property, `None` when it has none.
    pub fn new(property: &Property) -> Option<RangeControl> {
        match &property.spec {
            ValueSpec::Range { write: Some(r), .. } if property.writable && r.max > r.min => {
                Some(RangeControl {
                    property: property.clone(),
                    range: r.clone(),
                })
            }
            _ => None,
        }
    }

    pub fn read(&self, state: &Value) -> Option<f64> {
        common::read_number(&self.property, state)
    }

    /// A write of `value`, clamped into the range and put on its step, so Home Assistant's
    /// rounding never makes LG refuse a value.
    pub fn write(&self, value: f64) -> Write {
        let r = &self.range;
        let mut v = value.clamp(r.min, r.max);
        if r.step > 0.0 {
            v = r.min + ((v - r.min) / r.step).round() * r.step;
            v = v.min(r.max);
        }
        common::write_to(&self.property, common::json_number(v))
    }

    /// `value` from a scale of `1..=scale` into this range (brightness of the other mode).
    fn write_scaled(&self, value: f64, scale: f64) -> Write {
        if (scale - self.range.max).abs() < f64::EPSILON || scale <= 0.0 {
            return self.write(value);
        }
        self.write(value / scale * self.range.max)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LightEntity {
    pub base: EntityBase,
    pub power: PowerControl,
    /// Light-mode enum with LG's white and colour values.
    pub mode: Option<Property>,
    pub white_mode: String,
    pub color_mode: String,
    pub white_brightness: Option<RangeControl>,
    /// Colour temperature in kelvin.
    pub color_temperature: Option<RangeControl>,
    /// Hue and saturation, both writable.
    pub hs: Option<(RangeControl, RangeControl)>,
    pub color_brightness: Option<RangeControl>,
    /// `(LG mode value, HA effect)` for writable mode values that are neither white nor colour.
    pub effects: Vec<(String, String)>,
    /// `(LG mode value, label)` for every mode value, to show a read-only mode as the effect.
    pub mode_labels: Vec<(String, String)>,
}

impl LightEntity {
    /// Home Assistant colour modes this light offers (its rules: `onoff` and `brightness`
    /// alone; `white` only beside a colour mode).
    pub fn color_modes(&self) -> Vec<&'static str> {
        let mut modes = Vec::new();
        if self.hs.is_some() {
            modes.push("hs");
        }
        if self.color_temperature.is_some() {
            modes.push("color_temp");
        }
        let white_writable = self
            .mode
            .as_ref()
            .is_some_and(|m| common::enum_values(m).1.contains(&self.white_mode) && m.writable);
        if self.hs.is_some()
            && self.color_temperature.is_none()
            && self.white_brightness.is_some()
            && white_writable
        {
            modes.push("white");
        }
        if modes.is_empty() {
            modes.push(
                if self.white_brightness.is_some() || self.color_brightness.is_some() {
                    "brightness"
                } else {
                    "onoff"
                },
            );
        }
        modes
    }

    /// The brightness range Home Assistant's `brightness_scale` refers to.
    fn primary_brightness(&self) -> Option<&RangeControl> {
        self.color_brightness
            .as_ref()
            .or(self.white_brightness.as_ref())
    }

    fn scale(&self) -> f64 {
        self.primary_brightness().map_or(100.0, |b| b.range.max)
    }

    fn current_mode(&self, state: &Value) -> Option<String> {
        common::read_text(self.mode.as_ref()?, state)
    }

    /// Whether the light shows its white side now (white mode, or no colour at all).
    fn in_white(&self, state: &Value) -> bool {
        match self.current_mode(state) {
            Some(mode) => mode == self.white_mode,
            None => self.hs.is_none(),
        }
    }

    /// The JSON state object Home Assistant's JSON light reads.
    pub fn state_object(&self, state: &Value) -> Value {
        let mut s = Map::new();
        s.insert(
            "state".into(),
            self.power.is_on(state).map_or(Value::Null, common::on_off),
        );
        let modes = self.color_modes();
        let white = self.in_white(state);
        let (color_mode, brightness) = if white && modes.contains(&"white") {
            ("white", self.white_brightness.as_ref())
        } else if white && modes.contains(&"color_temp") {
            ("color_temp", self.white_brightness.as_ref())
        } else if modes.contains(&"hs") {
            ("hs", self.color_brightness.as_ref())
        } else {
            (modes[0], self.primary_brightness())
        };
        s.insert("color_mode".into(), json!(color_mode));
        if let Some(b) = brightness.and_then(|b| b.read(state)) {
            // Home Assistant reads brightness on the light's one scale.
            let scale = self.scale();
            let max = brightness.map_or(scale, |r| r.range.max);
            s.insert(
                "brightness".into(),
                common::json_number((b / max * scale).round()),
            );
        }
        if color_mode == "hs"
            && let Some((hue, sat)) = &self.hs
            && let (Some(h), Some(sv)) = (hue.read(state), sat.read(state))
        {
            s.insert(
                "color".into(),
                json!({"h": common::json_number(h), "s": common::json_number(sv)}),
            );
        }
        if let Some(k) = self.color_temperature.as_ref().and_then(|c| c.read(state)) {
            s.insert("color_temp".into(), common::json_number(k));
        }
        if !self.effects.is_empty() || self.mode.is_some() {
            let effect = self.current_mode(state).and_then(|m| {
                (m != self.white_mode && m != self.color_mode)
                    .then(|| {
                        self.mode_labels
                            .iter()
                            .find(|(lg, _)| *lg == m)
                            .map(|(_, l)| l.clone())
                    })
                    .flatten()
            });
            s.insert("effect".into(), effect.map_or(Value::Null, |e| json!(e)));
        }
        Value::Object(s)
    }

    /// The attributes object; `None` when the light has nothing beyond its state.
    fn attributes(&self, state: &Value) -> Option<Value> {
        let both = self.white_brightness.is_some() && self.color_brightness.is_some();
        if self.mode.is_none() && !both {
            return None;
        }
        let mut a = Map::new();
        if self.mode.is_some() {
            let label = self.current_mode(state).map(|m| {
                self.mode_labels
                    .iter()
                    .find(|(lg, _)| *lg == m)
                    .map_or(m.clone(), |(_, l)| l.clone())
            });
            a.insert("light_mode".into(), label.map_or(Value::Null, |l| json!(l)));
        }
        if both {
            for (name, range) in [
                ("white_brightness", &self.white_brightness),
                ("color_brightness", &self.color_brightness),
            ] {
                let value = range.as_ref().and_then(|r| r.read(state));
                a.insert(name.into(), value.map_or(Value::Null, common::json_number));
            }
        }
        Some(Value::Object(a))
    }

    fn brightness_target(&self, white: bool) -> Option<&RangeControl> {
        if white {
            self.white_brightness
                .as_ref()
                .or(self.color_brightness.as_ref())
        } else {
            self.color_brightness
                .as_ref()
                .or(self.white_brightness.as_ref())
        }
    }

    /// The writes for one Home Assistant command (see the module doc for the one-body rule).
    fn writes_for(&self, command: &Map<String, Value>, state: &Value) -> Commands {
        let key = &self.base.key;
        let on = match command.get("state").and_then(Value::as_str) {
            Some(s) => common::parse_on_off(key, s)?,
            None => true,
        };
        if !on {
            return Ok(vec![self.power.write(false)]);
        }
        let mut writes = Vec::new();
        let mut target_mode: Option<String> = None;
        let number = |name: &str| command.get(name).and_then(common::as_number);
        if let Some(color) = command.get("color").and_then(Value::as_object) {
            let (hue, sat) = self.base.part_for("color", self.hs.as_ref())?;
            let h = color.get("h").and_then(common::as_number);
            let s = color.get("s").and_then(common::as_number);
            if let (Some(h), Some(s)) = (h, s) {
                writes.push(hue.write(h));
                writes.push(sat.write(s));
                target_mode = Some(self.color_mode.clone());
            }
        }
        // A colour temperature (kelvin) or a white level is a white-mode value.
        let white_parts = [
            ("color_temp", &self.color_temperature),
            ("white", &self.white_brightness),
        ];
        for (feature, part) in white_parts {
            if let Some(value) = number(feature) {
                writes.push(self.base.part_for(feature, part.as_ref())?.write(value));
                target_mode = Some(self.white_mode.clone());
            }
        }
        if let Some(effect) = command.get("effect").and_then(Value::as_str) {
            let lg = common::lg_for_option(&self.effects, effect)
                .ok_or_else(|| common::not_an_option(key, effect, &self.effects))?;
            target_mode = Some(lg.to_owned());
        }
        if let Some(level) = number("brightness") {
            let white = match &target_mode {
                Some(m) => *m == self.white_mode,
                None => self.in_white(state),
            };
            if let Some(b) = self.brightness_target(white) {
                writes.push(b.write_scaled(level, self.scale()));
            }
        }
        if let (Some(mode), Some(target)) = (&self.mode, &target_mode)
            && self.current_mode(state).as_ref() != Some(target)
            && mode.writable
            && common::enum_values(mode).1.contains(target)
        {
            writes.push(common::write_to(mode, json!(target)));
        }
        if writes.is_empty() || self.power.is_on(state) != Some(true) {
            writes.insert(0, self.power.write(true));
        }
        Ok(writes)
    }
}

entity_kind!(LightEntity, "light");

impl Entity for LightEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.insert("schema", json!("json"));
        c.value_control(FEATURE, true);
        if self.attributes(&Value::Null).is_some() {
            c.state("json_attr_t", ATTRIBUTES);
        }
        let modes = self.color_modes();
        c.insert("sup_clrm", json!(modes));
        if !matches!(modes.as_slice(), ["onoff"]) {
            c.insert("brightness", json!(true));
            c.insert("bri_scl", common::json_number(self.scale()));
        }
        if let Some(b) = self
            .white_brightness
            .as_ref()
            .filter(|_| modes.contains(&"white"))
        {
            c.insert("whit_scl", common::json_number(b.range.max));
        }
        if let Some(ct) = &self.color_temperature {
            c.insert("clr_temp_k", json!(true));
            c.insert("min_k", common::json_number(ct.range.min));
            c.insert("max_k", common::json_number(ct.range.max));
        }
        if !self.effects.is_empty() {
            c.insert("effect", json!(true));
            c.insert("fx_list", common::ha_options(&self.effects));
        }
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        out.push((STATE, self.state_object(state)));
        if let Some(attributes) = self.attributes(state) {
            out.push((ATTRIBUTES, attributes));
        }
    }

    fn command(&self, feature: &str, payload: &str, state: &Value) -> Commands {
        self.base.expect_feature(feature, FEATURE)?;
        match serde_json::from_str::<Value>(payload.trim()) {
            Ok(Value::Object(command)) => self.writes_for(&command, state),
            // A plain `ON` / `OFF` (what a switch would send) works too.
            _ => Ok(vec![
                self.power
                    .write(common::parse_on_off(&self.base.key, payload)?),
            ]),
        }
    }

    fn describe(&self, state: &Value) -> String {
        let s = self.state_object(state);
        let mut text = common::on_off_text(self.power.is_on(state)).to_owned();
        if let Some(b) = s.get("brightness") {
            text.push_str(&format!(", brightness {b}/{}", self.scale()));
        }
        if let Some(c) = s.get("color") {
            text.push_str(&format!(", hue {} saturation {}", c["h"], c["s"]));
        }
        if let Some(k) = s.get("color_temp") {
            text.push_str(&format!(", {k} K"));
        }
        if let Some(Value::String(e)) = s.get("effect") {
            text.push_str(&format!(", {e}"));
        }
        text
    }
}
