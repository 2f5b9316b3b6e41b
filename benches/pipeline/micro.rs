//! The in-memory work the bridge does, without sockets: per push, per device at start-up,
//! per command. Each row calls the library functions the bridge itself calls, in its order.

use crate::measure::{self, Budget, Summary};
use anyhow::{Context as _, anyhow};
use serde_json::{Value, json};
use std::hint::black_box;
use thinq_addon::hass::topics::Topics;
use thinq_addon::hass::{DeviceModel, DiscoveryContext};
use thinq_addon::sim::SimDevice;
use thinq_addon::sim::devices::AIR_CONDITIONER_ID;
use thinq_addon::thinq::message::PushMessage;
use thinq_addon::thinq::state::merge_report;

/// The context the bridge uses with the default options.
fn context() -> DiscoveryContext {
    DiscoveryContext {
        topics: Topics::new("homeassistant", "thinq"),
        sw_version: thinq_addon::VERSION.to_owned(),
    }
}

/// A `DEVICE_STATUS` as LG sends it in the flat form (the simulator's default, and what the
/// SDK consumers read): the room temperature moved in both units and the air-quality sensor
/// has new readings — the kind of report an air conditioner sends every few minutes.
pub fn status_push(device_id: &str, celsius: i64) -> Vec<u8> {
    let push = json!({
        "pushType": "DEVICE_STATUS",
        "serviceId": "SVC202-SIM-0001",
        "deviceId": device_id,
        "deviceType": "DEVICE_AIR_CONDITIONER",
        "report": {
            "temperatureInUnits": [
                {"currentTemperature": celsius, "unit": "C"},
                {"currentTemperature": celsius * 9 / 5 + 32, "unit": "F"}
            ],
            "airQualitySensor": {"PM1": 14, "PM10": 9, "PM2": 22, "humidity": 41}
        },
        "userList": ["US2411290001SIM"]
    });
    // A `Value` always serialises.
    serde_json::to_vec(&push).unwrap_or_default()
}

fn air_conditioner(devices: &[SimDevice]) -> anyhow::Result<&SimDevice> {
    devices
        .iter()
        .find(|d| d.id() == AIR_CONDITIONER_ID)
        .ok_or_else(|| anyhow!("the fixture set has no air conditioner {AIR_CONDITIONER_ID}"))
}

/// The report inside a parsed push (the bench's own input, so a mismatch is a bench bug).
fn report_of(message: &PushMessage) -> Option<&Value> {
    match message {
        PushMessage::Status { report, .. } => Some(report),
        _ => None,
    }
}

/// Push handling, stage by stage and as a whole. Returns the rows and the payload sizes.
pub fn push_path() -> anyhow::Result<(Vec<Summary>, usize, usize)> {
    let devices = SimDevice::fixture_set();
    let ac = air_conditioner(&devices)?;
    let model = DeviceModel::new(ac.summary.clone(), &ac.profile).context("AC profile")?;
    let topics = context().topics;
    let payload = status_push(ac.id(), 26);
    let message = PushMessage::parse(&payload).context("the bench's own push")?;
    let report = report_of(&message)
        .ok_or_else(|| anyhow!("not a status push"))?
        .clone();
    let mut state = ac.state.clone();
    merge_report(&mut state, &report);
    let messages = model.state_messages(&topics, &state);
    let state_bytes: usize = messages.iter().map(|(t, p)| t.len() + p.len()).sum();

    let mut rows = vec![
        measure::run("PushMessage::parse", Budget::MICRO, || {
            PushMessage::parse(black_box(&payload))
        }),
        measure::run("state::merge_report", Budget::MICRO, || {
            merge_report(black_box(&mut state), black_box(&report))
        }),
        measure::run("DeviceModel::state_values", Budget::MICRO, || {
            model.state_values(black_box(&state)).len()
        }),
        measure::run("DeviceModel::state_messages", Budget::MICRO, || {
            model.state_messages(&topics, black_box(&state))
        }),
    ];
    // The whole of `Registry::on_status` minus the publish: parse, merge into the cache,
    // render every value with its topic (the publisher then sends only those that changed).
    let mut cache = ac.state.clone();
    rows.push(measure::run(
        "whole push (parse+merge+state messages)",
        Budget::MICRO,
        || {
            let Ok(PushMessage::Status {
                device_id, report, ..
            }) = PushMessage::parse(black_box(&payload))
            else {
                return None;
            };
            merge_report(&mut cache, &report);
            Some((device_id, model.state_messages(&topics, &cache)))
        },
    ));
    Ok((rows, payload.len(), state_bytes))
}

/// One fixture device's start-up figures.
pub struct DeviceRow {
    pub device_type: String,
    pub entities: usize,
    pub new: Summary,
    pub discovery: Summary,
    pub discovery_bytes: usize,
}

/// Start-up: profile parse + entities, and discovery payloads, over every fixture device.
pub fn startup() -> anyhow::Result<(Vec<Summary>, Vec<DeviceRow>)> {
    let devices = SimDevice::fixture_set();
    let ctx = context();
    let models = devices
        .iter()
        .map(|d| DeviceModel::new(d.summary.clone(), &d.profile))
        .collect::<Result<Vec<_>, _>>()
        .context("a fixture profile does not parse")?;
    let count = devices.len();
    let rows = vec![
        measure::run(
            &format!("DeviceModel::new, all {count} devices"),
            Budget::MICRO,
            || {
                devices
                    .iter()
                    .map(|d| DeviceModel::new(d.summary.clone(), &d.profile))
                    .collect::<Vec<_>>()
            },
        ),
        measure::run(
            &format!("discovery_payload+JSON, all {count} devices"),
            Budget::MICRO,
            || {
                models
                    .iter()
                    .map(|m| m.discovery_payload(&ctx).to_string())
                    .collect::<Vec<_>>()
            },
        ),
        measure::run(
            &format!("new+discovery+JSON, all {count} devices"),
            Budget::MICRO,
            || {
                devices
                    .iter()
                    .filter_map(|d| DeviceModel::new(d.summary.clone(), &d.profile).ok())
                    .map(|m| m.discovery_payload(&ctx).to_string())
                    .collect::<Vec<_>>()
            },
        ),
    ];
    let mut per_device = Vec::with_capacity(count);
    for (device, model) in devices.iter().zip(&models) {
        let kind = device
            .device_type()
            .trim_start_matches("DEVICE_")
            .to_owned();
        per_device.push(DeviceRow {
            entities: model.entities.len(),
            new: measure::run(&kind, Budget::SHORT, || {
                DeviceModel::new(device.summary.clone(), &device.profile)
            }),
            discovery: measure::run(&kind, Budget::SHORT, || {
                model.discovery_payload(&ctx).to_string()
            }),
            discovery_bytes: model.discovery_payload(&ctx).to_string().len(),
            device_type: kind,
        });
    }
    Ok((rows, per_device))
}

/// The command path: a Home Assistant temperature command for the air conditioner's
/// climate entity, to the control body sent to LG.
pub fn command_path() -> anyhow::Result<Vec<Summary>> {
    let devices = SimDevice::fixture_set();
    let ac = air_conditioner(&devices)?;
    let model = DeviceModel::new(ac.summary.clone(), &ac.profile).context("AC profile")?;
    let topics = context().topics;
    let topic = topics.command(ac.id(), "climate", "temperature");
    let state = &ac.state;
    model
        .command("climate", "temperature", "22", state)
        .context("the AC refuses 22 °C")?;
    Ok(vec![
        measure::run(
            "DeviceModel::command climate/temperature",
            Budget::MICRO,
            || model.command("climate", "temperature", black_box("22"), state),
        ),
        measure::run("topic parse + command + body JSON", Budget::MICRO, || {
            let parsed = topics.parse_command(black_box(&topic))?;
            let body = model
                .command(&parsed.entity, &parsed.feature, black_box("22"), state)
                .ok()?;
            Some(body.to_string())
        }),
    ])
}
