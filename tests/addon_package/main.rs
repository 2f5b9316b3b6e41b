//! The add-on package at the repository root, checked the way the Supervisor and frenck's
//! add-on linter would check it (ha-addon.md §1), so a broken package fails `cargo test`
//! instead of a user's install.
//!
//! config.yaml is checked here; `schema`, `image` and `repository` check the rest, with the
//! readers in `files`.

mod files;
mod image;
mod repository;
mod schema;

use std::collections::BTreeSet;

use serde_yaml::Value;

use files::*;

#[test]
fn config_has_the_required_keys_and_only_known_ones() {
    let config = config();
    for key in ["name", "version", "slug", "description", "arch"] {
        assert!(get(&config, key).is_some(), "config.yaml lacks `{key}`");
    }
    let known = keys(&linter_keys());
    for key in keys(&config) {
        assert!(
            known.contains(key.as_str()),
            "config.yaml: unknown key `{key}`"
        );
    }
}

#[test]
fn config_sets_no_key_to_its_default() {
    let config = config();
    for (key, default) in linter_keys() {
        let key = key.as_str().expect("a key");
        let Some(value) = get(&config, key).filter(|_| !default.is_null()) else {
            continue;
        };
        assert_ne!(
            value, &default,
            "config.yaml: `{key}` is set to its default; remove it"
        );
    }
}

#[test]
fn config_avoids_what_the_linter_rejects() {
    let config = config();
    for key in [
        "watchdog",
        "auto_uart",
        "codenotary",
        "advanced",
        "full_access",
        "host_network",
    ] {
        assert!(
            get(&config, key).is_none(),
            "config.yaml must not set `{key}`"
        );
    }
    let enums: &[(&str, &[&str])] = &[
        ("boot", &["auto", "manual", "manual_only"]),
        (
            "startup",
            &["application", "initialize", "once", "services", "system"],
        ),
        ("stage", &["deprecated", "experimental", "stable"]),
        ("backup", &["hot", "cold"]),
        (
            "hassio_role",
            &["admin", "backup", "default", "homeassistant", "manager"],
        ),
    ];
    for (key, allowed) in enums {
        if let Some(value) = get(&config, key) {
            let value = value.as_str().unwrap_or_default();
            assert!(
                allowed.contains(&value),
                "config.yaml: `{key}: {value}` not allowed"
            );
        }
    }
    for service in get(&config, "services")
        .and_then(Value::as_sequence)
        .expect("services list")
    {
        let service = service.as_str().expect("service is a string");
        let (name, right) = service.split_once(':').expect("service:right");
        assert!(matches!(name, "mqtt" | "mysql"), "{service}");
        assert!(matches!(right, "provide" | "want" | "need"), "{service}");
    }
}

#[test]
fn config_arch_is_a_subset_of_the_supported_ones() {
    let config = config();
    let arch: Vec<&str> = get(&config, "arch")
        .and_then(Value::as_sequence)
        .expect("arch is a list")
        .iter()
        .map(|a| a.as_str().expect("arch entries are strings"))
        .collect();
    assert!(!arch.is_empty());
    for a in &arch {
        assert!(matches!(*a, "aarch64" | "amd64"), "unsupported arch {a}");
    }
    assert_eq!(
        arch.iter().collect::<BTreeSet<_>>().len(),
        arch.len(),
        "duplicate arch"
    );
}

#[test]
fn config_describes_this_addon() {
    let config = config();
    assert_eq!(
        str_of(&config, "version"),
        env!("CARGO_PKG_VERSION"),
        "config.yaml version != Cargo.toml"
    );
    assert_eq!(str_of(&config, "name"), "LG ThinQ");
    assert_eq!(str_of(&config, "slug"), "thinq_addon");
    assert!(
        str_of(&config, "slug")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    );
    assert_eq!(
        str_of(&config, "url"),
        "https://github.com/thinq-addon/thinq-addon"
    );
    // The oldest release tools/ha_*.py really ran on (issue 17).
    assert_eq!(str_of(&config, "homeassistant"), "2025.4.4");
    assert_eq!(
        get(&config, "init"),
        Some(&Value::Bool(false)),
        "s6-overlay needs init: false"
    );
    assert_eq!(str_of(&config, "image"), "ghcr.io/thinq-addon/thinq-addon");
    let services = get(&config, "services")
        .and_then(Value::as_sequence)
        .unwrap();
    assert!(services.contains(&Value::String("mqtt:need".into())));
}
