//! The demo's text: the device/entity table and the lines of the live log.
//!
//! Pure formatting over [`HaView`], so it is tested without a broker. Widths are counted in
//! characters (names carry `·`, `µ`, `°`), and every column is cut to fit the terminal, so a
//! long composite state never wraps the table.

use super::view::{Change, DeviceView, EntityView, HaView, Observation, render_shown};

/// Width used when the terminal does not say (`COLUMNS` unset).
pub const DEFAULT_WIDTH: usize = 100;
/// The table never gets narrower or wider than this.
const MIN_WIDTH: usize = 80;
const MAX_WIDTH: usize = 160;
/// Entity names longer than this are cut, so the state column keeps room.
const MAX_NAME_WIDTH: usize = 30;

/// The output width: `COLUMNS` when the shell exports it, clamped to a readable range.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_WIDTH)
        .clamp(MIN_WIDTH, MAX_WIDTH)
}

/// One device as Home Assistant lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub name: String,
    pub model: Option<String>,
    pub entities: Vec<EntityRow>,
}

/// One entity as Home Assistant lists it: its platform, its name on the device's page, its
/// state (with unit), and the attributes its other state topics set (with units).
///
/// The state is Home Assistant's: `on` / `off`, a number, an option, `unknown`,
/// `unavailable` while its availability topics do not say `online`, `disabled` for an
/// entity registered disabled; an event's is the type of its last event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRow {
    pub platform: String,
    pub name: String,
    pub state: String,
    pub attributes: Vec<(String, String)>,
}

/// Every device Home Assistant shows: appliances by name, then the bridge's own device
/// (`bridge_topic`).
pub fn rows(view: &HaView, bridge_topic: &str) -> Vec<DeviceRow> {
    let mut devices = view.merged_devices();
    devices.sort_by(|a, b| {
        (a.discovery_topic == bridge_topic, &a.name)
            .cmp(&(b.discovery_topic == bridge_topic, &b.name))
    });
    devices
        .iter()
        .map(|device| DeviceRow {
            name: device.name.clone(),
            model: device.model.clone(),
            entities: device
                .entities
                .iter()
                .map(|e| entity_row(view, device, e))
                .collect(),
        })
        .collect()
}

fn entity_row(view: &HaView, device: &DeviceView, entity: &EntityView) -> EntityRow {
    let mut row = EntityRow {
        platform: entity.platform.clone(),
        name: entity.display_name(&device.name).to_owned(),
        state: String::new(),
        attributes: Vec::new(),
    };
    row.state = if !entity.enabled {
        "disabled".into()
    } else if !view.available(entity) {
        "unavailable".into()
    } else if entity.platform == "event" {
        entity
            .last_event
            .clone()
            .unwrap_or_else(|| "unknown".into())
    } else {
        for reading in entity.readings.iter().filter(|r| r.attribute != "state") {
            row.attributes.push((
                reading.attribute.to_owned(),
                render_shown(entity.value(reading.attribute), reading.unit.as_deref()),
            ));
        }
        let unit = entity.reading("state").and_then(|r| r.unit.as_deref());
        render_shown(entity.value("state"), unit)
    };
    row
}

/// An entity's state as one line of text (`cool, target 19 °C, now 25 °C`).
pub fn entity_state(row: &EntityRow) -> String {
    let state = match (row.platform.as_str(), row.state.as_str()) {
        ("button", "unknown") => "(press to send)".to_owned(),
        ("event", "unknown") => "— (no event yet)".to_owned(),
        (_, "") => "—".to_owned(),
        (_, state) => state.to_owned(),
    };
    let mut parts = vec![state];
    for (attribute, value) in &row.attributes {
        parts.push(format!("{} {value}", short_label(attribute)));
    }
    parts.join(", ")
}

/// How a composite's state names an attribute (`target`, `now`, `fan`).
fn short_label(attribute: &str) -> String {
    match attribute {
        "temperature" | "humidity" => "target".into(),
        "current_temperature" => "now".into(),
        "current_humidity" => "humidity".into(),
        "target_temp_low" => "low".into(),
        "target_temp_high" => "high".into(),
        "fan_mode" => "fan".into(),
        "swing_mode" => "swing".into(),
        "swing_horizontal_mode" => "h-swing".into(),
        "preset_mode" => "preset".into(),
        "percentage" => "speed".into(),
        "current_position" => "position".into(),
        other => other.replace('_', " "),
    }
}

/// The whole table: appliances by name, then the bridge's own device (`bridge_topic`).
pub fn render_table(view: &HaView, bridge_topic: &str, width: usize) -> String {
    let devices = rows(view, bridge_topic);
    let entities = devices.iter().flat_map(|d| &d.entities);
    let platform_width = entities
        .clone()
        .map(|e| e.platform.chars().count())
        .max()
        .unwrap_or(0);
    let name_width = entities
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_NAME_WIDTH);
    let state_width = width
        .saturating_sub(2 + platform_width + 2 + name_width + 2)
        .max(10);

    let mut out = String::new();
    for device in &devices {
        let mut header = device.name.clone();
        if let Some(model) = &device.model {
            header.push_str(&format!("  ·  {model}"));
        }
        let count = device.entities.len();
        header.push_str(&format!(
            "  ·  {count} entit{}",
            if count == 1 { "y" } else { "ies" }
        ));
        out.push_str(&fit(&header, width));
        out.push('\n');
        for entity in &device.entities {
            let line = format!(
                "  {:<pw$}  {:<nw$}  {}",
                entity.platform,
                fit(&entity.name, name_width),
                fit(&entity_state(entity), state_width),
                pw = platform_width,
                nw = name_width,
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// Cuts `text` to `width` characters, marking the cut with `…`.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    let mut cut = kept.trim_end().to_owned();
    cut.push('…');
    cut
}

/// `HH:MM:SS  Device · entity: old → new`
pub fn change_line(time: &str, change: &Change) -> String {
    format!(
        "{time}  {} · {}: {} → {}",
        change.device, change.entity, change.old, change.new
    )
}

/// The log lines for one observation; discoveries and removals after the table are shown
/// too (a device added or removed on the account while the demo runs).
pub fn observation_lines(time: &str, observation: &Observation) -> Vec<String> {
    match observation {
        Observation::Changed(changes) => changes.iter().map(|c| change_line(time, c)).collect(),
        Observation::Event {
            device,
            entity,
            event_type,
        } => vec![format!("{time}  {device} · {entity}: event {event_type}")],
        Observation::Error { device, message } => {
            vec![format!("{time}  {device} · error: {message}")]
        }
        Observation::Availability { device, status } => {
            vec![format!("{time}  {device} · availability: {status}")]
        }
        Observation::Discovered { device } => {
            vec![format!(
                "{time}  {device} · discovery payload (re)published"
            )]
        }
        Observation::Removed { device } => {
            vec![format!("{time}  {device} · removed from Home Assistant")]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view() -> HaView {
        let mut view = HaView::new("homeassistant", "thinq");
        let ac = json!({
            "dev": {"name": "Living room AC", "mdl": "PAC"},
            "o": {"name": "thinq-addon"},
            "avty": [{"t": "thinq/AC/availability"}],
            "cmps": {
                "climate": {"p": "climate", "name": null, "modes": ["off", "cool"],
                    "mode_stat_t": "thinq/AC/climate/mode",
                    "temp_stat_t": "thinq/AC/climate/target_temperature",
                    "curr_temp_t": "thinq/AC/climate/current_temperature"},
                "pm2": {"p": "sensor", "name": "PM2.5", "stat_t": "thinq/AC/pm2/state",
                        "unit_of_meas": "µg/m³"},
                "start": {"p": "button", "name": "A very long button name that goes on and on",
                          "cmd_t": "thinq/AC/start/press/set"},
                "notification": {"p": "event", "name": "Notification", "stat_t": "thinq/AC/n/event",
                                 "evt_typ": ["done"]},
                "door": {"p": "binary_sensor", "name": "Door", "stat_t": "thinq/AC/door/state"},
                "filter": {"p": "sensor", "name": "Filter", "stat_t": "thinq/AC/filter/state",
                           "en": false},
                "washer_state": {"p": "sensor"}
            }
        });
        let bridge = json!({
            "dev": {"name": "LG ThinQ bridge"}, "o": {"name": "thinq-addon"},
            "cmps": {"devices": {"p": "sensor", "name": "Appliances",
                                 "stat_t": "thinq/bridge/devices/state"}}
        });
        view.on_json("homeassistant/device/thinq_bridge/config", &bridge);
        view.on_json("homeassistant/device/thinq_AC/config", &ac);
        for (topic, payload) in [
            ("thinq/AC/climate/mode", "cool"),
            ("thinq/AC/climate/target_temperature", "19"),
            ("thinq/AC/climate/current_temperature", "25.5"),
            ("thinq/AC/pm2/state", "12"),
            ("thinq/AC/door/state", "OFF"),
            ("thinq/AC/availability", "online"),
            ("thinq/bridge/devices/state", "1"),
        ] {
            view.on_message(topic, payload.as_bytes());
        }
        view
    }

    #[test]
    fn table_lists_devices_by_name_with_the_bridge_last_and_fits_the_width() {
        let table = render_table(&view(), "homeassistant/device/thinq_bridge/config", 80);
        let expected = "\
Living room AC  ·  PAC  ·  6 entities
  climate        Living room AC                  cool, target 19 °C, now 25.5 °C
  sensor         PM2.5                           12 µg/m³
  button         A very long button name that…   (press to send)
  event          Notification                    — (no event yet)
  binary_sensor  Door                            off
  sensor         Filter                          disabled

LG ThinQ bridge  ·  1 entity
  sensor         Appliances                      1

";
        assert_eq!(table, expected);
        assert!(table.lines().all(|l| l.chars().count() <= 80));
        assert!(!table.contains("(main)"), "a removal marker is no entity");
    }

    #[test]
    fn an_entity_shows_unavailable_until_its_availability_says_online() {
        let mut view = view();
        view.on_message("thinq/AC/availability", b"offline");
        let rows = rows(&view, "homeassistant/device/thinq_bridge/config");
        let climate = &rows[0].entities[0];
        assert_eq!(climate.state, "unavailable");
        assert!(climate.attributes.is_empty());
        assert_eq!(
            rows[1].entities[0].state, "1",
            "the bridge has no availability"
        );
    }

    #[test]
    fn a_long_state_is_cut_not_wrapped() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab cdef", 4), "ab…");
        assert_eq!(fit("°°°", 3), "°°°");
        assert_eq!(fit("", 0), "");
    }

    #[test]
    fn log_lines_read_like_the_brief() {
        let change = Change {
            device: "Living room AC".into(),
            entity: "current temperature".into(),
            old: "25 °C".into(),
            new: "24 °C".into(),
        };
        assert_eq!(
            change_line("12:00:03", &change),
            "12:00:03  Living room AC · current temperature: 25 °C → 24 °C"
        );
        let event = Observation::Event {
            device: "Washer".into(),
            entity: "Notification".into(),
            event_type: "washing_is_complete".into(),
        };
        assert_eq!(
            observation_lines("12:00:04", &event),
            ["12:00:04  Washer · Notification: event washing_is_complete"]
        );
    }
}
