//! Reading the package's files: the repository root, YAML with only the keys it may have,
//! and the option keys of the design contract.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_yaml::{Mapping, Value};

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn read(name: &str) -> String {
    let path = root().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn yaml(name: &str) -> Mapping {
    match serde_yaml::from_str::<Value>(&read(name)) {
        Ok(Value::Mapping(map)) => map,
        Ok(other) => panic!("{name} is not a mapping: {other:?}"),
        Err(e) => panic!("{name}: {e}"),
    }
}

/// The YAML mapping of file `name`, asserting it has no key but `allowed`.
pub(crate) fn yaml_with_only(name: &str, allowed: &[&str]) -> Mapping {
    let map = yaml(name);
    for key in keys(&map) {
        assert!(allowed.contains(&key.as_str()), "{name}: `{key}`");
    }
    map
}

pub(crate) fn config() -> Mapping {
    yaml("config.yaml")
}

pub(crate) fn get<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.get(Value::String(key.to_owned()))
}

pub(crate) fn str_of<'a>(map: &'a Mapping, key: &str) -> &'a str {
    get(map, key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{key}` missing or not a string"))
}

pub(crate) fn keys(map: &Mapping) -> BTreeSet<String> {
    map.keys()
        .map(|k| {
            k.as_str()
                .unwrap_or_else(|| panic!("non-string key {k:?}"))
                .to_owned()
        })
        .collect()
}

pub(crate) fn schema() -> Mapping {
    get(&config(), "schema")
        .and_then(Value::as_mapping)
        .cloned()
        .expect("config.yaml has a schema mapping")
}

/// Every top-level key frenck's linter knows (its JSON schema has additionalProperties false),
/// with the default the linter refuses to see spelled out (`null` where there is none): the
/// table in tests/addon-linter-keys.yaml.
pub(crate) fn linter_keys() -> Mapping {
    yaml("tests/addon-linter-keys.yaml")
}

/// The option keys of the design contract (design.md, "Contract other tools rely on").
pub(crate) const OPTION_KEYS: &[&str] = &[
    "pat",
    "country",
    "client_id",
    "mqtt_host",
    "mqtt_port",
    "mqtt_username",
    "mqtt_password",
    "discovery_prefix",
    "base_topic",
    "log_level",
    "language",
];
