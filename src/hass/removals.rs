//! What Home Assistant must remove when a device payload replaces an older one on the same
//! topic, and the one-time payload that says so.
//!
//! Home Assistant removes a component of a device payload only when it sees it reduced to
//! its platform, and only one it has discovered (`mqtt/discovery.py`); a component a payload
//! leaves out stays. The registry sends such markers once, when it knows of a component to
//! remove (`bridge::registry`), so the retained payloads never carry them.

use super::discovery::is_removal_marker;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The components of a device payload that stand for an entity, as component id →
/// platform. Removal markers and anything without a platform are left out. Reads network
/// data too (a retained payload of an older version): never fails, an odd payload has none.
pub fn components(payload: &Value) -> BTreeMap<String, String> {
    let Some(cmps) = payload
        .get("cmps")
        .or_else(|| payload.get("components"))
        .and_then(Value::as_object)
    else {
        return BTreeMap::new();
    };
    cmps.iter()
        .filter(|(_, c)| !is_removal_marker(c))
        .filter_map(|(key, c)| {
            let c = c.as_object()?;
            let platform = c.get("p").or_else(|| c.get("platform"))?.as_str()?;
            Some((key.clone(), platform.to_owned()))
        })
        .collect()
}

/// What Home Assistant must remove when `now` replaces `before` on one discovery topic: every
/// component `before` had that `now` lacks, or has on another platform (Home Assistant knows
/// a component by platform and id, so a switch that became a light is a removal and an
/// addition), as component id → the platform to remove.
pub fn removed_components(
    before: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    before
        .iter()
        .filter(|(key, platform)| now.get(*key) != Some(*platform))
        .map(|(key, platform)| (key.clone(), platform.clone()))
        .collect()
}

/// `payload` with a removal marker (`{"p": platform}`, Home Assistant's way of saying "remove
/// this component", `mqtt/discovery.py`) for each of `removed`, in place of the component
/// when the id is still in use on another platform. Home Assistant removes a component only
/// when it sees such a marker (a component left out of a device payload stays), and only one
/// it has discovered; so this goes out once, not retained, before the plain payload, which
/// the broker keeps (`bridge::registry`).
pub fn with_removals(payload: &Value, removed: &BTreeMap<String, String>) -> Value {
    let mut payload = payload.clone();
    if let Some(cmps) = payload.get_mut("cmps").and_then(Value::as_object_mut) {
        for (key, platform) in removed {
            cmps.insert(key.clone(), json!({ "p": platform }));
        }
    }
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_are_what_the_older_payload_had_and_this_one_lacks() {
        let older = json!({"cmps": {
            "washer_state": {"p": "sensor", "uniq_id": "u1", "stat_t": "t/1"},
            "delay": {"p": "switch", "uniq_id": "u2", "stat_t": "t/2"},
            "kept": {"p": "sensor", "uniq_id": "u3", "stat_t": "t/3"},
            "gone_before": {"p": "button"},
            "odd": "not a component"
        }});
        let newer = json!({"cmps": {
            "delay": {"p": "number", "uniq_id": "u2", "stat_t": "t/2"},
            "kept": {"p": "sensor", "uniq_id": "u3", "stat_t": "t/3"},
            "added": {"p": "sensor", "uniq_id": "u4", "stat_t": "t/4"}
        }});
        let before = components(&older);
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            ["delay", "kept", "washer_state"],
            "a marker or a non-object is no component"
        );
        let removed = removed_components(&before, &components(&newer));
        assert_eq!(
            removed,
            BTreeMap::from([
                ("delay".to_owned(), "switch".to_owned()),
                ("washer_state".to_owned(), "sensor".to_owned())
            ])
        );
        let once = with_removals(&newer, &removed);
        assert_eq!(once["cmps"]["washer_state"], json!({"p": "sensor"}));
        assert_eq!(
            once["cmps"]["delay"],
            json!({"p": "switch"}),
            "the old platform's entity goes first; the plain payload brings the new one"
        );
        assert_eq!(once["cmps"]["kept"], newer["cmps"]["kept"]);
        assert_eq!(once["cmps"]["added"], newer["cmps"]["added"]);
        assert!(components(&json!("junk")).is_empty());
        assert!(components(&json!({"cmps": []})).is_empty());
    }
}
