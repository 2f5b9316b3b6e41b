//! Home Assistant entities made from a device profile: one file per entity kind.
//!
//! An [`Entity`] knows three things: its discovery component, the values it publishes (one
//! topic each, see [`crate::hass::topics::Topics::entity_state`]), and how to turn a command
//! into attribute writes.
//! [`build::build_entities`] decides which entities a profile gets.

pub mod attributes;
pub mod binary_sensor;
pub mod build;
pub mod button;
pub mod choices;
pub mod climate;
pub mod common;
pub mod component;
pub mod cover;
pub mod event;
pub mod fan;
pub mod humidifier;
pub mod light;
pub mod limits;
pub mod lock;
pub mod names;
pub mod number;
pub mod one_value;
pub mod select;
pub mod sensor;
pub mod siren;
pub mod switch;
pub mod timer;
pub mod vacuum;
pub mod water_heater;
pub mod words;

use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, PropertyPath};
use common::EntityKind;
use component::Component;
use serde_json::Value;

/// What a command from Home Assistant becomes: the control writes LG is sent, or why the
/// payload cannot be sent (an unknown feature, a value outside the profile's range).
pub type Commands = Result<Vec<Write>, CommandError>;

/// One Home Assistant entity of a device.
///
/// Its platform, identity and presentation (key, name, icon, category) are its [`EntityKind`].
pub trait Entity: EntityKind + Send + Sync {
    /// Component id inside the device discovery payload; `[a-zA-Z0-9_-]`, unique per device,
    /// stable forever (it is part of the `unique_id`).
    fn key(&self) -> &str {
        &self.base().key
    }
    /// Adds this entity's keys (topics, options, limits) to its component config, which
    /// [`Component::new`] started with the keys every component carries.
    fn component(&self, c: &mut Component<'_>);
    /// Adds this entity's values as `(feature, value)`: each goes, plain, to the state topic
    /// of that feature, the one its discovery component names. Every value is listed whatever
    /// changed; the publisher sends only the payloads that differ from the last ones sent.
    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>);
    /// The writes a command on `<entity>/<feature>/set` asks for. Read-only entities keep
    /// this default: they publish no command topic, so every feature is refused.
    fn command(&self, feature: &str, _payload: &str, _state: &Value) -> Commands {
        Err(common::unknown_feature(self.key(), feature))
    }
    /// Values a `DEVICE_PUSH` code sets, as `(feature, value)` for the feature's topic: sent
    /// once and not retained (an event, a motion), so a republish after a reconnect or Home
    /// Assistant's birth never repeats them. Most entities take no pushes.
    fn on_push(&self, _push_code: &str, _out: &mut Vec<(&'static str, Value)>) {}
    /// The state as the entity table shows it (the name is [`common::EntityBase::display_name`]).
    fn describe(&self, state: &Value) -> String;
    /// `published_by(path)` names the entity of this device that publishes that property on
    /// its plain state topic already (a numeric sensor of its own). A composite that shows
    /// such a value too (an air conditioner's current humidity beside its Humidity sensor)
    /// points its discovery at that topic and publishes nothing: one message per change, and
    /// the sensor keeps the history. Default: nothing read from others.
    fn read_from_others(&mut self, _published_by: &dyn Fn(&PropertyPath) -> Option<String>) {}
}
