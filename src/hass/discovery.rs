//! Device-based discovery payloads (`<prefix>/device/<object id>/config`). The schema rules
//! Home Assistant applies to them are checked in [`schema`], so that tests (and the bridge, if
//! it wants) can refuse a payload Home Assistant would drop.
//!
//! One payload per Home Assistant device: `dev` (the device registry entry, attached to the
//! bridge device via `via_device`), `o` (origin), the shared availability (bridge and device,
//! both must be online) and `cmps`, one component per entity.
//!
//! An appliance made of sub-devices (LG's pattern D: the WashTower's `washer` and `dryer`) is
//! one device per unit, each attached to the appliance with `via_device` (see
//! [`device_payloads`]): a user finds "WashTower Washer" and "WashTower Dryer", each with its
//! own state and controls, under the tower.

use super::DiscoveryContext;
use super::entities::Entity;
use super::entities::component::Component;
use super::topics::{BRIDGE_ID, Topics};
use crate::labels::Labels;
use crate::thinq::DeviceSummary;
use serde_json::{Map, Value, json};

pub use super::removals::{components, removed_components, with_removals};
pub use schema::{check_device_payload, is_removal_marker, is_valid_id, state_topics};

mod schema;

/// `dev.mf` of every appliance.
pub const MANUFACTURER: &str = "LG Electronics";
/// `o.name`: who published the payload (Home Assistant logs it).
pub const ORIGIN_NAME: &str = "thinq-addon";

/// The device identifier (`dev.ids[0]`) of a ThinQ appliance.
pub fn device_identifier(device_id: &str) -> String {
    format!("thinq_{}", Topics::object_id(device_id))
}

/// The id a sub-device (`washer` of a WashTower) is known by: the appliance's device id and
/// the unit's name, so it is stable for as long as LG's device id is. Topics and `dev.ids` are
/// made from it as from a device id.
pub fn sub_device_id(device_id: &str, sub_device: &str) -> String {
    format!("{device_id}_{}", super::entities::common::snake(sub_device))
}

/// The `dev` block. The name is the alias from the ThinQ app (what users call the appliance),
/// falling back to the device type, in `labels`' language, when the alias is empty.
pub fn device_block(device: &DeviceSummary, labels: &Labels) -> Value {
    let mut dev = Map::new();
    dev.insert("ids".into(), json!([device_identifier(&device.device_id)]));
    dev.insert("name".into(), json!(device_name(device, labels)));
    dev.insert("mf".into(), json!(MANUFACTURER));
    if !device.device_info.model_name.is_empty() {
        dev.insert("mdl".into(), json!(device.device_info.model_name));
    }
    dev.insert("via_device".into(), json!(BRIDGE_ID));
    Value::Object(dev)
}

/// What the appliance is called: its alias, else its device type made readable (in `labels`'
/// language).
fn device_name(device: &DeviceSummary, labels: &Labels) -> String {
    let info = &device.device_info;
    if info.alias.trim().is_empty() {
        labels.name(&super::entities::common::humanize(
            info.device_type.trim_start_matches("DEVICE_"),
        ))
    } else {
        info.alias.clone()
    }
}

/// The `dev` block of a sub-device: "<appliance name> <unit name>" (the unit name already in
/// the add-on's language), the appliance's model, attached to `parent` (the appliance's
/// identifier, or the bridge when the appliance has no device of its own in Home Assistant).
fn sub_device_block(
    device: &DeviceSummary,
    sub_device: &str,
    unit_name: &str,
    parent: &str,
    labels: &Labels,
) -> Value {
    let mut dev = Map::new();
    dev.insert(
        "ids".into(),
        json!([device_identifier(&sub_device_id(
            &device.device_id,
            sub_device
        ))]),
    );
    dev.insert(
        "name".into(),
        json!(format!("{} {unit_name}", device_name(device, labels))),
    );
    dev.insert("mf".into(), json!(MANUFACTURER));
    if !device.device_info.model_name.is_empty() {
        dev.insert("mdl".into(), json!(device.device_info.model_name));
    }
    dev.insert("via_device".into(), json!(parent));
    Value::Object(dev)
}

/// The `o` block.
pub fn origin_block(ctx: &DiscoveryContext) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(ORIGIN_NAME));
    o.insert("sw".into(), json!(ctx.sw_version));
    let url = env!("CARGO_PKG_REPOSITORY");
    if !url.is_empty() {
        o.insert("url".into(), json!(url));
    }
    Value::Object(o)
}

/// Availability shared by every component: the bridge must be online (we are connected to
/// LG) and the device must be reachable in the ThinQ cloud.
pub fn availability(device_id: &str, ctx: &DiscoveryContext) -> Value {
    json!([
        { "t": ctx.topics.bridge_availability() },
        { "t": ctx.topics.device_availability(device_id) },
    ])
}

/// The whole device payload.
pub fn device_payload(
    device: &DeviceSummary,
    entities: &[Box<dyn Entity>],
    ctx: &DiscoveryContext,
    labels: &Labels,
) -> Value {
    let all: Vec<&dyn Entity> = entities.iter().map(|e| e.as_ref()).collect();
    payload(device_block(device, labels), &device.device_id, &all, ctx)
}

/// One Home Assistant device's discovery message: the device id its topic is made from
/// ([`Topics::device_discovery`]) and the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct DevicePayload {
    pub id: String,
    pub payload: Value,
}

/// A unit of an appliance that is a device of its own in Home Assistant.
#[derive(Debug, Clone, PartialEq)]
pub struct SubDevice {
    /// LG's name (`washer`): the prefix of its entities' keys, part of its device id.
    pub name: String,
    /// What the user reads after the appliance name ("Washer"), in the add-on's language.
    pub label: String,
}

/// The sub-device an entity key belongs to. Keys are made from the profile as
/// `[sub-device_][location_]resource_attribute` (see `entities::build`), so the prefix is
/// exactly the unit whose properties the entity shows.
pub fn sub_device_of<'a>(key: &str, sub_devices: &'a [SubDevice]) -> Option<&'a SubDevice> {
    let snake = |s: &SubDevice| super::entities::common::snake(&s.name);
    sub_devices.iter().find(|s| {
        key.strip_prefix(&snake(s))
            .is_some_and(|rest| rest.starts_with('_'))
    })
}

/// Every discovery message of an appliance: the appliance first, then one per sub-device.
///
/// Entity keys, unique ids and state / command topics stay those of the appliance (users'
/// history and automations keep working); only the device an entity belongs to changes.
/// The payloads hold only what the bridge shows now, never a removal marker: what an older
/// payload on the same topic had and this one lacks is removed by [`with_removals`], sent
/// once by the registry when it knows of such a component (`bridge::registry`).
pub fn device_payloads(
    device: &DeviceSummary,
    entities: &[Box<dyn Entity>],
    sub_devices: &[SubDevice],
    ctx: &DiscoveryContext,
    labels: &Labels,
) -> Vec<DevicePayload> {
    let device_id = device.device_id.as_str();
    let own: Vec<&dyn Entity> = entities
        .iter()
        .filter(|e| sub_device_of(e.key(), sub_devices).is_none())
        .map(|e| e.as_ref())
        .collect();
    let moved: Vec<&dyn Entity> = entities
        .iter()
        .filter(|e| sub_device_of(e.key(), sub_devices).is_some())
        .map(|e| e.as_ref())
        .collect();
    // A sub-device hangs under the appliance only when the appliance is a device in Home
    // Assistant (it has an entity); otherwise HA would make a nameless stub for it.
    let parent = if own.is_empty() {
        BRIDGE_ID.to_owned()
    } else {
        device_identifier(device_id)
    };
    let mut out = vec![DevicePayload {
        id: device_id.to_owned(),
        payload: payload(device_block(device, labels), device_id, &own, ctx),
    }];
    for sub in sub_devices {
        let members: Vec<&dyn Entity> = moved
            .iter()
            .copied()
            .filter(|e| sub_device_of(e.key(), sub_devices) == Some(sub))
            .collect();
        if members.is_empty() {
            continue;
        }
        out.push(DevicePayload {
            id: sub_device_id(device_id, &sub.name),
            payload: payload(
                sub_device_block(device, &sub.name, &sub.label, &parent, labels),
                device_id,
                &members,
                ctx,
            ),
        });
    }
    out
}

/// A payload with `entities` as components (topics of the appliance `device_id`).
fn payload(dev: Value, device_id: &str, entities: &[&dyn Entity], ctx: &DiscoveryContext) -> Value {
    let mut cmps = Map::new();
    for entity in entities {
        let mut component = Component::new(entity.base(), entity.platform(), device_id, ctx);
        entity.component(&mut component);
        cmps.insert(entity.key().to_owned(), component.into_value());
    }
    json!({
        "dev": dev,
        "o": origin_block(ctx),
        "avty": availability(device_id, ctx),
        "avty_mode": "all",
        "cmps": cmps,
    })
}
