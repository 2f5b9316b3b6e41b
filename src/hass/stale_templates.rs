//! Clearing the value templates an older version left inside Home Assistant.
//!
//! Versions before one plain topic per value gave Home Assistant's entities value templates
//! (`{{ value_json.devices }}`). Home Assistant (checked in Core 2025.4) keeps an MQTT
//! sensor's value template, and any entity's JSON-attributes template, when a discovery
//! update no longer has one: `sensor.py` only sets the template `if value_template :=
//! config.get(...)`. So after an upgrade those entities go on rendering the old template on
//! the new plain payloads — template warnings in the log and a value that never changes
//! again — until Home Assistant restarts and builds them from the retained payload.
//!
//! The cure: until Home Assistant has restarted once since this layout was first published,
//! every discovery payload is followed by a *non-retained* copy whose sensors and attribute
//! topics carry a pass-through template (`{{ value }}`). That replaces the old template in the
//! running entity and renders the plain payload unchanged. The broker keeps only the plain
//! payload, so the entities Home Assistant builds at its next start have no template at all.
//! Home Assistant's birth message is that restart: from then on, and in every later run (a
//! marker in the data directory says so), only the plain payloads are sent.

use serde_json::{Value, json};
use std::path::Path;

/// The discovery layout this version publishes: 2 is "one plain topic per value, no
/// templates". Raise it when a change needs the same treatment again.
pub const LAYOUT: u32 = 2;
/// The marker in the data directory: the layout Home Assistant is known to have built its
/// entities from (it restarted after we published it).
pub const MARKER_FILE: &str = "discovery-layout";
/// A template that renders the payload as it is.
pub const PASS_THROUGH: &str = "{{ value }}";

/// Whether Home Assistant may still hold templates of an older layout. An absent or
/// unreadable marker counts as "may": a fresh data directory can sit beside a broker that
/// still holds an older install's discovery.
pub fn carryover_needed(data_dir: &Path) -> bool {
    std::fs::read_to_string(data_dir.join(MARKER_FILE))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        != Some(LAYOUT)
}

/// Records that Home Assistant has built its entities from this layout.
pub fn mark_cleared(data_dir: &Path) -> std::io::Result<()> {
    crate::thinq::credentials::write_atomic(
        data_dir,
        MARKER_FILE,
        format!("{LAYOUT}\n").as_bytes(),
        0o644,
    )
    .map_err(std::io::Error::other)
}

/// The discovery payload with a pass-through template wherever Home Assistant would keep an
/// old one: the value of every sensor, the attributes of every entity that has an attribute
/// topic. Anything else is returned as it was.
pub fn with_pass_through(payload: &Value) -> Value {
    let mut payload = payload.clone();
    let Some(components) = payload.get_mut("cmps").and_then(Value::as_object_mut) else {
        return payload;
    };
    for component in components.values_mut() {
        let Some(c) = component.as_object_mut() else {
            continue;
        };
        if c.get("p").and_then(Value::as_str) == Some("sensor") && c.contains_key("stat_t") {
            c.entry("val_tpl").or_insert(json!(PASS_THROUGH));
        }
        if c.contains_key("json_attr_t") {
            c.entry("json_attr_tpl").or_insert(json!(PASS_THROUGH));
        }
    }
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensors_and_attribute_topics_get_a_pass_through_template_and_nothing_else_changes() {
        let plain = json!({
            "dev": {"ids": ["x"]},
            "cmps": {
                "temp": {"p": "sensor", "stat_t": "t/temp/state", "json_attr_t": "t/temp/attributes"},
                "mode": {"p": "select", "stat_t": "t/mode/state", "cmd_t": "t/mode/set"},
                "ok": {"p": "binary_sensor", "stat_t": "t/ok/state", "json_attr_t": "t/ok/attributes"},
                "ring": {"p": "event", "stat_t": "t/ring/state"}
            }
        });
        let patched = with_pass_through(&plain);
        let cmps = &patched["cmps"];
        assert_eq!(cmps["temp"]["val_tpl"], PASS_THROUGH);
        assert_eq!(cmps["temp"]["json_attr_tpl"], PASS_THROUGH);
        assert_eq!(cmps["ok"]["json_attr_tpl"], PASS_THROUGH);
        assert!(cmps["ok"].get("val_tpl").is_none());
        assert_eq!(cmps["mode"], plain["cmps"]["mode"]);
        assert_eq!(cmps["ring"], plain["cmps"]["ring"]);
        assert_eq!(patched["dev"], plain["dev"]);
    }

    #[test]
    fn the_marker_says_whether_home_assistant_may_still_hold_old_templates() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(carryover_needed(dir.path()), "no marker: maybe");
        std::fs::write(dir.path().join(MARKER_FILE), "1\n").expect("write");
        assert!(carryover_needed(dir.path()), "an older layout: yes");
        mark_cleared(dir.path()).expect("mark");
        assert!(!carryover_needed(dir.path()));
        std::fs::write(dir.path().join(MARKER_FILE), "garbage").expect("write");
        assert!(carryover_needed(dir.path()), "unreadable: maybe");
    }
}
