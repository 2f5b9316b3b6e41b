//! The options schema: the Supervisor's grammar, the option contract, what the form can
//! produce, and its translations.

use std::collections::BTreeSet;

use serde_yaml::Value;
use thinq_addon::labels::Language;
use thinq_addon::options::{LOG_LEVELS, Options};

use crate::files::*;

/// The Supervisor's leaf grammar (`RE_SCHEMA_ELEMENT` in supervisor/apps/options.py).
fn is_schema_type(text: &str) -> bool {
    let t = text.strip_suffix('?').unwrap_or(text);
    let bounded = |name: &str, bound: fn(&str) -> bool| {
        t.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('('))
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|inner| inner.split_once(','))
            .is_some_and(|(min, max)| bound(min) && bound(max))
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let integer = |s: &str| {
        s.strip_prefix('-')
            .unwrap_or(s)
            .chars()
            .all(|c| c.is_ascii_digit())
    };
    let decimal = |s: &str| {
        s.strip_prefix('-')
            .unwrap_or(s)
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
    };
    match t {
        "bool" | "email" | "url" | "port" | "password" | "str" | "device" => true,
        _ if t.starts_with("str(") => bounded("str", digits),
        _ if t.starts_with("password(") => bounded("password", digits),
        _ if t.starts_with("int(") => bounded("int", integer),
        _ if t.starts_with("float(") => bounded("float", decimal),
        _ if t.starts_with("device(") => t
            .strip_prefix("device(subsystem=")
            .and_then(|rest| rest.strip_suffix(')'))
            .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase())),
        _ if t.starts_with("match(") => t.ends_with(')'),
        _ if t.starts_with("list(") => t
            .strip_prefix("list(")
            .and_then(|rest| rest.strip_suffix(')'))
            .is_some_and(|items| items.split('|').all(|item| !item.is_empty())),
        _ => false,
    }
}

/// Schema values: a leaf type, a list of one element, or a mapping; at most two levels deep.
fn check_schema_value(key: &str, value: &Value, depth: usize) {
    assert!(depth <= 2, "schema `{key}` nests deeper than 2");
    match value {
        Value::String(t) => assert!(
            is_schema_type(t),
            "schema `{key}`: `{t}` is not a schema type"
        ),
        Value::Sequence(items) => {
            assert_eq!(items.len(), 1, "schema list `{key}` must have one element");
            assert!(
                !matches!(items[0], Value::Sequence(_)),
                "schema `{key}`: list in list"
            );
            check_schema_value(key, &items[0], depth + 1);
        }
        Value::Mapping(map) => {
            for (k, v) in map {
                check_schema_value(
                    &format!("{key}.{}", k.as_str().unwrap_or("?")),
                    v,
                    depth + 1,
                );
            }
        }
        other => panic!("schema `{key}`: {other:?} is not a schema type"),
    }
}

#[test]
fn schema_grammar_check_knows_right_from_wrong() {
    for good in [
        "str",
        "str?",
        "str(3,)",
        "password(,64)?",
        "int(-10,)",
        "float(0.5,2)",
        "port?",
        "bool",
        "email",
        "url",
        "device(subsystem=tty)",
        "match(^[A-Z]{2}$)",
        "list(a|b)?",
    ] {
        assert!(is_schema_type(good), "{good}");
    }
    for bad in [
        "string",
        "str(a,)",
        "int(1)",
        "list()",
        "list(a||b)",
        "match(x",
        "device(tty)",
        "?",
    ] {
        assert!(!is_schema_type(bad), "{bad}");
    }
}

#[test]
fn schema_values_follow_the_supervisor_grammar() {
    for (key, value) in schema() {
        check_schema_value(key.as_str().unwrap(), &value, 0);
    }
}

#[test]
fn schema_is_the_option_contract() {
    let schema = schema();
    let expected: BTreeSet<String> = OPTION_KEYS.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(keys(&schema), expected);
    assert_eq!(
        str_of(&schema, "pat"),
        "password",
        "the PAT is required and masked"
    );
    assert_eq!(str_of(&schema, "country"), "match(^[A-Za-z]{2}$)");
    assert_eq!(str_of(&schema, "mqtt_password"), "password?");
    assert_eq!(str_of(&schema, "mqtt_port"), "port?");
    let levels = str_of(&schema, "log_level");
    assert_eq!(levels, format!("list({})?", LOG_LEVELS.join("|")));
    let languages: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
    assert_eq!(
        str_of(&schema, "language"),
        format!("list({})?", languages.join("|"))
    );
    for key in OPTION_KEYS
        .iter()
        .filter(|k| !matches!(**k, "pat" | "country"))
    {
        assert!(
            str_of(&schema, key).ends_with('?'),
            "`{key}` must be optional"
        );
    }
}

#[test]
fn options_are_in_the_schema_and_leave_required_ones_to_the_user() {
    let config = config();
    let options = get(&config, "options")
        .and_then(Value::as_mapping)
        .expect("options mapping");
    let schema = schema();
    for key in keys(options) {
        assert!(
            get(&schema, &key).is_some(),
            "option `{key}` is not in the schema"
        );
    }
    // Required keys are listed (so the form shows them) but without a value: no country or
    // token is right for everybody, and the Supervisor refuses to start until they are set.
    for key in ["pat", "country"] {
        assert_eq!(
            get(options, key),
            Some(&Value::Null),
            "options.{key} should be null"
        );
    }
    for (key, value) in options {
        let key = key.as_str().unwrap();
        let optional = str_of(&schema, key).ends_with('?');
        assert!(
            !optional || !value.is_null(),
            "optional `{key}` needs no null default"
        );
    }
}

#[test]
fn what_the_form_can_produce_is_accepted_by_the_binary() {
    // One value of each schema type, as the Supervisor writes them to /data/options.json.
    let options = serde_json::json!({
        "pat": "thinqpat_example", "country": "kr", "client_id": "home-assistant-1",
        "mqtt_host": "192.168.1.10", "mqtt_port": 1883, "mqtt_username": "user",
        "mqtt_password": "pw", "discovery_prefix": "homeassistant", "base_topic": "thinq",
        "log_level": "warning"
    });
    let parsed = Options::from_json(&options.to_string()).expect("valid options");
    assert_eq!(parsed.country, "KR");
    for level in LOG_LEVELS {
        let options = serde_json::json!({"pat": "p", "country": "US", "log_level": level});
        assert_eq!(
            Options::from_json(&options.to_string()).unwrap().log_level,
            level
        );
    }
}

#[test]
fn every_schema_key_is_translated_in_english_and_korean() {
    let schema_keys = keys(&schema());
    for file in ["translations/en.yaml", "translations/ko.yaml"] {
        let translations = yaml(file);
        let configuration = get(&translations, "configuration")
            .and_then(Value::as_mapping)
            .unwrap_or_else(|| panic!("{file}: no configuration mapping"));
        assert_eq!(
            keys(configuration),
            schema_keys,
            "{file}: keys differ from the schema"
        );
        for (key, entry) in configuration {
            let entry = entry
                .as_mapping()
                .unwrap_or_else(|| panic!("{file}: {key:?} not a mapping"));
            let name = str_of(entry, "name");
            assert!(!name.trim().is_empty(), "{file}: {key:?} has an empty name");
            assert!(!str_of(entry, "description").trim().is_empty());
            if file.ends_with("ko.yaml") {
                let hangul = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c);
                assert!(
                    name.chars().any(hangul),
                    "{file}: {key:?} name is not Korean: {name}"
                );
            }
        }
    }
}
