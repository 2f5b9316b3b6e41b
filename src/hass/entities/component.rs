//! A discovery component while an entity kind fills it in.
//!
//! Every topic of an entity is `<base>/<device>/<entity>/<feature>` (its state) or
//! `…/<feature>/set` (its command), see [`crate::hass::topics`]. The device and the entity are
//! the same for every key of one component, so they are said once, when the component is
//! started with the keys every component carries; an entity kind then names only the keys
//! Home Assistant reads and the features they point at. Keys keep the order they are added in
//! (it is the order of the discovery payload).

use super::common::{EntityBase, unique_id};
use crate::hass::DiscoveryContext;
use crate::hass::topics::STATE;
use serde_json::{Map, Value, json};

/// One entity's component config, being built.
pub struct Component<'a> {
    keys: Map<String, Value>,
    entity: &'a str,
    device_id: &'a str,
    ctx: &'a DiscoveryContext,
}

impl<'a> Component<'a> {
    /// A component with the keys every one carries: platform, unique id, name, icon,
    /// category, and `en: false` for an entity disabled by default.
    pub fn new(
        base: &'a EntityBase,
        platform: &str,
        device_id: &'a str,
        ctx: &'a DiscoveryContext,
    ) -> Component<'a> {
        let mut keys = Map::new();
        keys.insert("p".into(), json!(platform));
        keys.insert("uniq_id".into(), json!(unique_id(device_id, &base.key)));
        keys.insert(
            "name".into(),
            base.name.as_ref().map_or(Value::Null, |n| json!(n)),
        );
        if let Some(icon) = &base.icon {
            keys.insert("ic".into(), json!(icon));
        }
        if let Some(category) = &base.entity_category {
            keys.insert("ent_cat".into(), json!(category));
        }
        if !base.enabled {
            keys.insert("en".into(), json!(false));
        }
        Component {
            keys,
            entity: &base.key,
            device_id,
            ctx,
        }
    }

    /// Sets `key` (Home Assistant's abbreviation) to `value`.
    pub fn insert(&mut self, key: &str, value: Value) {
        self.keys.insert(key.into(), value);
    }

    /// Sets `key` to `value` when there is one: the optional keys (`dev_cla`,
    /// `unit_of_meas`, …) that Home Assistant defaults when they are left out.
    pub fn insert_some(&mut self, key: &str, value: Option<impl Into<Value>>) {
        if let Some(value) = value {
            self.insert(key, value.into());
        }
    }

    /// The value of `key`, when it was set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.keys.get(key)
    }

    /// `key` = the plain state topic of `feature`. No template goes with it: the payload is
    /// the value itself, which Home Assistant takes as it is.
    pub fn state(&mut self, key: &str, feature: &str) {
        let topic = self
            .ctx
            .topics
            .entity_state(self.device_id, self.entity, feature);
        self.insert(key, json!(topic));
    }

    /// `key` = the command topic of `feature`.
    pub fn command(&mut self, key: &str, feature: &str) {
        let topic = self
            .ctx
            .topics
            .command(self.device_id, self.entity, feature);
        self.insert(key, json!(topic));
    }

    /// A feature Home Assistant sets and reads under one name (`mode` ↔ `mode/set`): its
    /// command topic under `command_key`, and its state topic under `state_key` only when LG
    /// lets us read the value: without a state topic Home Assistant shows the last command.
    pub fn control(&mut self, [command_key, state_key]: [&str; 2], feature: &str, readable: bool) {
        self.command(command_key, feature);
        if readable {
            self.state(state_key, feature);
        }
    }

    /// `stat_t` = the entity's main value (`<entity>/state`): how every one-value entity
    /// (sensor, binary sensor, number, select, switch) shows its state.
    pub fn value_state(&mut self) {
        self.state("stat_t", STATE);
    }

    /// The command topic (`cmd_t`) of a one-feature control, and its main value as the state
    /// when LG lets us read it (see [`Component::control`]).
    pub fn value_control(&mut self, feature: &str, readable: bool) {
        self.command("cmd_t", feature);
        if readable {
            self.value_state();
        }
    }

    /// The state topic of a value a composite shows: the plain state topic of the entity that
    /// publishes it already (`published_by`, see [`super::Entity::read_from_others`]), else
    /// the composite's own `feature`.
    pub fn shared_state(&mut self, key: &str, feature: &str, published_by: Option<&str>) {
        match published_by {
            Some(owner) => {
                let topic = self.ctx.topics.entity_state(self.device_id, owner, STATE);
                self.insert(key, json!(topic));
            }
            None => self.state(key, feature),
        }
    }

    /// `stat_t` = the entity's event topic (`<entity>/event`, not retained).
    pub fn event_state(&mut self) {
        let topic = self.ctx.topics.event(self.device_id, self.entity);
        self.insert("stat_t", json!(topic));
    }

    /// The finished component config.
    pub fn into_value(self) -> Value {
        Value::Object(self.keys)
    }
}
