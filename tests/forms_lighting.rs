//! Lights, covers, locks, sirens and plugs in the form a Home Assistant user expects (issue 10),
//! built from LG's developer-site examples: the platform, the discovery keys Home Assistant
//! needs (checked against the abbreviations Home Assistant 2025.4 knows), the state published
//! for the example status, and Home Assistant's own command payloads turned into control bodies
//! the simulated LG cloud's independent profile check accepts.

#[path = "support/fixtures.rs"]
mod fixtures;

use fixtures::assert_holds;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use thinq_addon::hass::DeviceModel;

/// Discovery keys a light / cover / lock / siren / switch component may carry: Home
/// Assistant's abbreviations (`homeassistant/components/mqtt/abbreviations.py`) and the
/// full names it takes unabbreviated (`schema`, `brightness`, `name`, …).
const HA_KEYS: &[&str] = &[
    "p",
    "uniq_id",
    "name",
    "ic",
    "ent_cat",
    "en",
    "dev_cla",
    "cmd_t",
    "stat_t",
    "schema",
    "brightness",
    "bri_scl",
    "sup_clrm",
    "whit_scl",
    "clr_temp_k",
    "min_k",
    "max_k",
    "effect",
    "fx_list",
    "pos_t",
    "set_pos_t",
    "pos_open",
    "pos_clsd",
    "pl_open",
    "pl_cls",
    "pl_stop",
    "pl_lock",
    "pl_unlk",
    "sup_vol",
    "sup_dur",
    "av_tones",
    "json_attr_t",
];

struct Example {
    model: DeviceModel,
    profile: Value,
    status: Value,
    id: String,
}

impl Example {
    fn load(folder: &str) -> Example {
        let (device, profile, status) = fixtures::lg_example(folder);
        let id = device.device_id.clone();
        let model = DeviceModel::new(device, &profile).expect("profile parses");
        Example {
            model,
            profile,
            status,
            id,
        }
    }

    /// Discovery components by key, every key checked against Home Assistant's.
    fn components(&self) -> BTreeMap<String, Value> {
        let ctx = fixtures::ctx();
        let payload = self.model.discovery_payload(&ctx);
        let cmps = payload["cmps"].as_object().expect("cmps").clone();
        for (key, c) in &cmps {
            if ["light", "cover", "lock", "siren", "switch"].contains(&c["p"].as_str().unwrap()) {
                for k in c.as_object().unwrap().keys() {
                    assert!(HA_KEYS.contains(&k.as_str()), "{key}: {k} is no HA key");
                }
            }
        }
        cmps.into_iter().collect()
    }

    fn component(&self, key: &str) -> Value {
        self.components()
            .remove(key)
            .unwrap_or_else(|| panic!("{}: no component {key}", self.id))
    }

    /// The value published on `<entity>/<feature>` for the example status.
    fn state(&self, entity: &str, feature: &str) -> Value {
        self.model
            .state_values(&self.status)
            .into_iter()
            .find(|(e, f, _)| *e == entity && *f == feature)
            .map(|(_, _, v)| v)
            .unwrap_or_else(|| panic!("{}: no state {entity}/{feature}", self.id))
    }

    /// The control body for a Home Assistant command, after the simulator accepted it.
    fn command(&self, topic: &str, payload: &str) -> Value {
        self.command_at(topic, payload, &self.status)
    }

    fn command_at(&self, topic: &str, payload: &str, status: &Value) -> Value {
        let (entity, feature) = self.target(topic);
        let body = self
            .model
            .command(entity, feature, payload, status)
            .unwrap_or_else(|e| panic!("{}: {payload}: {e}", self.id));
        thinq_addon::sim::check_control(&self.profile, &body)
            .unwrap_or_else(|e| panic!("{}: {body} refused: {e:?}", self.id));
        body
    }

    fn refused(&self, topic: &str, payload: &str) -> bool {
        let (entity, feature) = self.target(topic);
        self.model
            .command(entity, feature, payload, &self.status)
            .is_err()
    }

    /// `(entity, feature)` of one of this device's command topics.
    fn target<'a>(&self, topic: &'a str) -> (&'a str, &'a str) {
        fixtures::command_target(topic, &self.id)
            .unwrap_or_else(|| panic!("{topic}: no command topic of {}", self.id))
    }
}

fn topic(c: &Value, key: &str) -> String {
    c[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {c}"))
        .to_owned()
}

/// The feature part of a state topic `thinq/<device>/<entity>/<feature>`.
fn feature_of(topic: &str) -> &str {
    topic.rsplit('/').next().unwrap()
}

#[test]
fn colour_bulbs_are_hs_lights_with_a_white_mode() {
    for folder in ["bulb_color", "line_led"] {
        let ex = Example::load(folder);
        let c = ex.component("run_state_current_state");
        assert_holds(
            &c,
            &json!({
                "p": "light",
                "schema": "json",
                // The device's main entity.
                "name": null,
                "sup_clrm": ["hs", "white"],
                "brightness": true,
                // LG's brightness range 1…100.
                "bri_scl": 100,
                "whit_scl": 100
            }),
        );
        assert!(
            c.get("effect").is_none(),
            "WHITE and COLOR are colour modes"
        );
        // No separate switch, mode buttons or numbers for what the light shows.
        let comps = ex.components();
        assert!(!comps.contains_key("color_light_hue"));
        assert!(!comps.contains_key("mode_light_mode_white"));

        // Status: off, COLOR mode, hue 0, saturation 100, colour brightness 100.
        let state = ex.state("run_state_current_state", feature_of(&topic(&c, "stat_t")));
        assert_eq!(
            state,
            json!({"state": "OFF", "color_mode": "hs", "brightness": 100,
                   "color": {"h": 0, "s": 100}, "effect": null})
        );

        // What the light's state has no place for: LG's mode, the white side's brightness.
        assert_eq!(
            ex.state(
                "run_state_current_state",
                feature_of(&topic(&c, "json_attr_t"))
            ),
            json!({"light_mode": "Color", "white_brightness": 7, "color_brightness": 100})
        );
        // Turn on with colour and brightness: one body, power + colour together.
        let cmd = topic(&c, "cmd_t");
        let body = ex.command(
            &cmd,
            r#"{"state":"ON","color":{"h":200.4,"s":55.6},"brightness":40}"#,
        );
        assert_eq!(
            body,
            json!({"runState": {"currentState": "POWER_ON"},
                   "colorLight": {"hue": 200, "saturation": 56, "brightness": 40}})
        );
        // White: the white brightness and the mode switch, in one body.
        let body = ex.command(&cmd, r#"{"state":"ON","white":30}"#);
        assert_eq!(body["whiteLight"], json!({"brightness": 30}));
        assert_eq!(body["mode"], json!({"lightMode": "WHITE"}));
        // Off, and the plain payload a switch would send.
        assert_eq!(
            ex.command(&cmd, r#"{"state":"OFF"}"#),
            json!({"runState": {"currentState": "POWER_OFF"}})
        );
        assert_eq!(
            ex.command(&cmd, "ON"),
            json!({"runState": {"currentState": "POWER_ON"}})
        );
    }
}

#[test]
fn white_bulb_has_kelvin_colour_temperature() {
    let ex = Example::load("bulb_white");
    let c = ex.component("run_state_current_state");
    assert_holds(
        &c,
        &json!({
            "p": "light",
            "sup_clrm": ["color_temp"],
            "clr_temp_k": true,
            "min_k": 3000,
            "max_k": 6500
        }),
    );
    assert_holds(
        &ex.state("run_state_current_state", "state"),
        &json!({"color_mode": "color_temp", "color_temp": 4500, "brightness": 7}),
    );
    let body = ex.command(
        &topic(&c, "cmd_t"),
        r#"{"state":"ON","color_temp":2700,"brightness":255}"#,
    );
    // Clamped into LG's range rather than refused.
    assert_eq!(
        body,
        json!({"runState": {"currentState": "POWER_ON"},
               "whiteLight": {"colorTemperature": 3000, "brightness": 100}})
    );
}

#[test]
fn sync_boxes_offer_music_as_an_effect() {
    let ex = Example::load("sync_box");
    let c = ex.component("run_state_current_state");
    assert_eq!(c["sup_clrm"], json!(["hs"]));
    assert_eq!(c["effect"], true);
    assert_eq!(c["fx_list"], json!(["Music"]));
    let state = ex.state("run_state_current_state", "state");
    assert_eq!(state["effect"], "Music", "status lightMode MUSIC");
    // Already playing music: the effect asks for nothing but power.
    let body = ex.command(&topic(&c, "cmd_t"), r#"{"state":"ON","effect":"Music"}"#);
    assert_eq!(body, json!({"runState": {"currentState": "POWER_ON"}}));
    let mut in_colour = ex.status.clone();
    in_colour["mode"]["lightMode"] = json!("COLOR");
    let body = ex.command_at(
        &topic(&c, "cmd_t"),
        r#"{"state":"ON","effect":"Music"}"#,
        &in_colour,
    );
    assert_eq!(body["mode"], json!({"lightMode": "MUSIC"}));
    // A colour while the box plays music switches it back to colour mode.
    let body = ex.command(&topic(&c, "cmd_t"), r#"{"color":{"h":10,"s":20}}"#);
    assert_eq!(body["mode"], json!({"lightMode": "COLOR"}));

    // The sub light's colour temperature is 1…100, not kelvin: it keeps its own number.
    let sub = Example::load("sync_box_sub");
    let c = sub.component("run_state_current_state");
    assert_eq!(c["sup_clrm"], json!(["hs", "white"]));
    assert!(c.get("clr_temp_k").is_none());
    assert_eq!(
        sub.components()["white_light_color_temperature"]["p"],
        "number"
    );
    let state = sub.state("run_state_current_state", "state");
    assert_eq!(state["state"], "ON");
}

#[test]
fn starlight_has_a_colour_light_and_a_laser_light() {
    let ex = Example::load("starlight");
    let main = ex.component("run_state_current_state");
    assert_eq!(
        (main["p"].clone(), main["sup_clrm"].clone()),
        (json!("light"), json!(["hs"]))
    );
    let laser = ex.component("switch_state_switch_laser");
    assert_holds(
        &laser,
        &json!({"p": "light", "name": "Laser", "sup_clrm": ["brightness"]}),
    );
    assert_eq!(
        ex.state("switch_state_switch_laser", "state"),
        json!({"state": "OFF", "color_mode": "brightness", "brightness": 70})
    );
    let body = ex.command(&topic(&laser, "cmd_t"), r#"{"state":"ON","brightness":50}"#);
    assert_eq!(
        body,
        json!({"switchState": {"switchLaser": "ON"}, "laserLight": {"brightness": 50}})
    );
    // The read-only light mode stays a sensor.
    assert_eq!(ex.components()["mode_light_mode"]["p"], "sensor");
}

#[test]
fn wall_light_switch_relays_are_on_off_lights() {
    let ex = Example::load("light_switch");
    for (n, expected) in [(1, "ON"), (2, "OFF"), (3, "ON")] {
        let key = format!("switch_{n}_switch_state_current_switch");
        let c = ex.component(&key);
        assert_holds(
            &c,
            &json!({"p": "light", "sup_clrm": ["onoff"], "name": format!("Switch {n}")}),
        );
        assert!(c.get("brightness").is_none());
        assert_eq!(ex.state(&key, "state")["state"], expected);
        let body = ex.command(&topic(&c, "cmd_t"), r#"{"state":"OFF"}"#);
        assert_eq!(
            body,
            json!({"switchState": {"switchName": format!("SWITCH_{n}"), "currentSwitch": "OFF"}})
        );
    }
}

#[test]
fn blinds_and_curtains_are_covers_with_position() {
    // The blind reports STOP at position 0: Home Assistant must read it closed (it shows a
    // bare `stopped` as "open").
    for (folder, class, state) in [
        ("blind_motor", "blind", "closed"),
        ("curtain_ctrl", "curtain", "closed"),
    ] {
        let ex = Example::load(folder);
        let c = ex.component("open_close_state_current_state");
        assert_holds(
            &c,
            &json!({"p": "cover", "dev_cla": class, "pos_clsd": 0, "pos_open": 100}),
        );
        assert!(
            c.get("pl_stop").is_none(),
            "LG takes STOP: Home Assistant's default"
        );
        assert_eq!(ex.state("open_close_state_current_state", "state"), state);
        assert_eq!(ex.state("open_close_state_current_state", "position"), 0);
        let cmd = topic(&c, "cmd_t");
        for (payload, lg) in [("OPEN", "OPEN"), ("CLOSE", "CLOSE"), ("STOP", "STOP")] {
            assert_eq!(
                ex.command(&cmd, payload),
                json!({"openCloseState": {"currentState": lg}})
            );
        }
        assert_eq!(
            ex.command(&topic(&c, "set_pos_t"), "42"),
            json!({"openCloseState": {"level": 42}})
        );
        assert!(!ex.components().contains_key("open_close_state_level"));
    }
}

#[test]
fn door_locks_are_locks_that_lg_can_open_but_not_lock() {
    for folder in ["door_lock", "push_pull_door_lock"] {
        let ex = Example::load(folder);
        let c = ex.component("door_state_current_state");
        assert_eq!(c["p"], "lock");
        assert_eq!(c["pl_open"], "OPEN", "the open feature: LG writes OPEN");
        assert!(c.get("pl_lock").is_none());
        assert_eq!(ex.state("door_state_current_state", "state"), "UNLOCKED");
        let cmd = topic(&c, "cmd_t");
        for payload in ["UNLOCK", "OPEN"] {
            assert_eq!(
                ex.command(&cmd, payload),
                json!({"doorState": {"currentState": "OPEN"}})
            );
        }
        assert!(ex.refused(&cmd, "LOCK"), "LG cannot lock it remotely");
        assert!(
            !ex.components()
                .contains_key("door_state_current_state_open")
        );
        let locked = json!({"doorState": {"currentState": "CLOSE"}, "battery": {"percent": 10}});
        let state = ex
            .model
            .state_values(&locked)
            .into_iter()
            .find(|(e, _, _)| *e == "door_state_current_state")
            .map(|(_, _, v)| v);
        assert_eq!(state, Some(json!("LOCKED")));
    }
}

#[test]
fn siren_takes_volume_and_duration_in_one_body() {
    let ex = Example::load("siren");
    let c = ex.component("switch_state_current_switch");
    assert_holds(&c, &json!({"p": "siren", "sup_vol": true, "sup_dur": true}));
    assert_eq!(
        ex.state("switch_state_current_switch", "state"),
        json!({"state": "OFF", "volume_level": 0.0, "duration": 0})
    );
    let cmd = topic(&c, "cmd_t");
    assert_eq!(
        ex.command(&cmd, r#"{"state":"ON","volume_level":0.7,"duration":90}"#),
        json!({"switchState": {"currentSwitch": "ON"},
               "alarm": {"volume": "MID", "time": 90}})
    );
    assert_eq!(
        ex.command(&cmd, r#"{"state":"OFF"}"#),
        json!({"switchState": {"currentSwitch": "OFF"}})
    );
    // The stored volume and time keep their own select and number.
    let comps = ex.components();
    assert_eq!(comps["alarm_volume"]["p"], "select");
    assert_eq!(comps["alarm_time"]["p"], "number");
}

#[test]
fn plugs_and_strip_outlets_are_outlet_switches_with_power_sensors() {
    for folder in ["plug", "plug_mini", "switch_strip"] {
        let ex = Example::load(folder);
        let comps = ex.components();
        let outlets: Vec<&Value> = comps.values().filter(|c| c["p"] == "switch").collect();
        assert!(!outlets.is_empty(), "{folder}");
        for c in &outlets {
            assert_eq!(c["dev_cla"], "outlet", "{folder}: {c}");
        }
        if folder != "switch_strip" {
            for (key, class, unit) in [
                ("electricity_power", "power", "W"),
                ("electricity_voltage", "voltage", "V"),
                ("electricity_current", "current", "mA"),
            ] {
                assert_eq!(comps[key]["dev_cla"], class, "{folder}");
                assert_eq!(comps[key]["unit_of_meas"], unit, "{folder}");
                assert_eq!(comps[key]["stat_cla"], "measurement", "{folder}");
            }
        }
    }
    let strip = Example::load("switch_strip");
    let c = strip.component("switch_usb_switch_state_current_switch");
    let body = strip.command_at(&topic(&c, "cmd_t"), "OFF", &strip.status);
    assert_eq!(
        body,
        json!({"switchState": {"switchName": "SWITCH_USB", "currentSwitch": "OFF"}})
    );
}
