//! The demo's text: the device/entity table and the lines of the live log.
//!
//! Pure formatting over [`HaView`], so it is tested without a broker. Widths are counted in
//! characters (names carry `·`, `µ`, `°`), and every column is cut to fit the terminal, so a
//! long composite state never wraps the table.

use super::view::{Change, DeviceView, EntityView, HaView, Observation, render_value};

/// Width used when the terminal does not say (`COLUMNS` unset).
pub const DEFAULT_WIDTH: usize = 100;
/// The table never gets narrower or wider than this.
const MIN_WIDTH: usize = 80;
const MAX_WIDTH: usize = 160;
/// Entity names longer than this are cut, so the state column keeps room.
const MAX_NAME_WIDTH: usize = 30;
/// Shown for an entity that has no name of its own (Home Assistant shows the device name).
const MAIN_ENTITY: &str = "(main)";

/// The output width: `COLUMNS` when the shell exports it, clamped to a readable range.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_WIDTH)
        .clamp(MIN_WIDTH, MAX_WIDTH)
}

/// An entity's current state as one line of text (`cool, target 19 °C, now 25 °C`).
pub fn entity_state(view: &HaView, entity: &EntityView) -> String {
    if entity.platform == "event" {
        return entity
            .last_event
            .clone()
            .unwrap_or_else(|| "— (no event yet)".into());
    }
    match entity.readings.as_slice() {
        [] if entity.platform == "button" => "(press to send)".into(),
        [] => "—".into(),
        [only] => render_value(view.value(only), only.unit.as_deref()),
        many => many
            .iter()
            .map(|reading| {
                let value = render_value(view.value(reading), reading.unit.as_deref());
                match reading.short_label() {
                    label if label.is_empty() => value,
                    label => format!("{label} {value}"),
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The whole table: appliances by name, then the bridge's own device (`bridge_topic`).
pub fn render_table(view: &HaView, bridge_topic: &str, width: usize) -> String {
    let merged = view.merged_devices();
    let mut devices: Vec<&DeviceView> = merged.iter().collect();
    devices.sort_by(|a, b| {
        (a.discovery_topic == bridge_topic, &a.name)
            .cmp(&(b.discovery_topic == bridge_topic, &b.name))
    });
    let entities = devices.iter().flat_map(|d| &d.entities);
    let platform_width = entities
        .clone()
        .map(|e| e.platform.chars().count())
        .max()
        .unwrap_or(0);
    let name_width = entities
        .map(|e| display_name(e).chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_NAME_WIDTH);
    let state_width = width
        .saturating_sub(2 + platform_width + 2 + name_width + 2)
        .max(10);

    let mut out = String::new();
    for device in devices {
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
                fit(display_name(entity), name_width),
                fit(&entity_state(view, entity), state_width),
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

fn display_name(entity: &EntityView) -> &str {
    entity.name.as_deref().unwrap_or(MAIN_ENTITY)
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
            "cmps": {
                "climate": {"p": "climate", "name": null,
                    "mode_stat_t": "thinq/AC/climate/mode",
                    "temp_stat_t": "thinq/AC/climate/target_temperature",
                    "curr_temp_t": "thinq/AC/climate/current_temperature"},
                "pm2": {"p": "sensor", "name": "PM2.5", "stat_t": "thinq/AC/pm2/state",
                        "unit_of_meas": "µg/m³"},
                "start": {"p": "button", "name": "A very long button name that goes on and on",
                          "cmd_t": "thinq/AC/start/press/set"},
                "notification": {"p": "event", "name": "Notification", "stat_t": "thinq/AC/n/event"}
            }
        });
        let bridge = json!({
            "dev": {"name": "LG ThinQ bridge"}, "stat_t": "thinq/bridge/state",
            "cmps": {"devices": {"p": "sensor", "name": "Appliances", "val_tpl": "{{ value_json.devices }}"}}
        });
        view.on_message(
            "homeassistant/device/thinq_bridge/config",
            bridge.to_string().as_bytes(),
        );
        view.on_message(
            "homeassistant/device/thinq_AC/config",
            ac.to_string().as_bytes(),
        );
        for (topic, payload) in [
            ("thinq/AC/climate/mode", "cool"),
            ("thinq/AC/climate/target_temperature", "19"),
            ("thinq/AC/climate/current_temperature", "25.5"),
            ("thinq/AC/pm2/state", "12"),
        ] {
            view.on_message(topic, payload.as_bytes());
        }
        view.on_message("thinq/bridge/state", br#"{"devices":1}"#);
        view
    }

    #[test]
    fn table_lists_devices_by_name_with_the_bridge_last_and_fits_the_width() {
        let table = render_table(&view(), "homeassistant/device/thinq_bridge/config", 80);
        let expected = "\
Living room AC  ·  PAC  ·  4 entities
  climate  (main)                          cool, target 19 °C, now 25.5 °C
  sensor   PM2.5                           12 µg/m³
  button   A very long button name that…   (press to send)
  event    Notification                    — (no event yet)

LG ThinQ bridge  ·  1 entity
  sensor   Appliances                      1

";
        assert_eq!(table, expected);
        assert!(table.lines().all(|l| l.chars().count() <= 80));
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
