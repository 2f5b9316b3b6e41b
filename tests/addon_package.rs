//! The add-on package at the repository root, checked the way the Supervisor and frenck's
//! add-on linter would check it (ha-addon.md §1), so a broken package fails `cargo test`
//! instead of a user's install.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};
use thinq_addon::labels::Language;
use thinq_addon::options::{LOG_LEVELS, Options};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> String {
    let path = root().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(name: &str) -> Mapping {
    match serde_yaml::from_str::<Value>(&read(name)) {
        Ok(Value::Mapping(map)) => map,
        Ok(other) => panic!("{name} is not a mapping: {other:?}"),
        Err(e) => panic!("{name}: {e}"),
    }
}

/// The YAML mapping of file `name`, asserting it has no key but `allowed`.
fn yaml_with_only(name: &str, allowed: &[&str]) -> Mapping {
    let map = yaml(name);
    for key in keys(&map) {
        assert!(allowed.contains(&key.as_str()), "{name}: `{key}`");
    }
    map
}

fn config() -> Mapping {
    yaml("config.yaml")
}

fn get<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.get(Value::String(key.to_owned()))
}

fn str_of<'a>(map: &'a Mapping, key: &str) -> &'a str {
    get(map, key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{key}` missing or not a string"))
}

fn keys(map: &Mapping) -> BTreeSet<String> {
    map.keys()
        .map(|k| {
            k.as_str()
                .unwrap_or_else(|| panic!("non-string key {k:?}"))
                .to_owned()
        })
        .collect()
}

fn schema() -> Mapping {
    get(&config(), "schema")
        .and_then(Value::as_mapping)
        .cloned()
        .expect("config.yaml has a schema mapping")
}

/// Every top-level key frenck's linter knows (its JSON schema has additionalProperties false),
/// with the default the linter refuses to see spelled out (`null` where there is none): the
/// table in tests/addon-linter-keys.yaml.
fn linter_keys() -> Mapping {
    yaml("tests/addon-linter-keys.yaml")
}

/// The option keys of the design contract (design.md, "Contract other tools rely on").
const OPTION_KEYS: &[&str] = &[
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

#[test]
fn build_yaml_has_the_legacy_shape() {
    let build = yaml_with_only("build.yaml", &["build_from", "args", "labels"]);
    let build_from = get(&build, "build_from")
        .and_then(Value::as_mapping)
        .expect("build_from map");
    let arch: BTreeSet<String> = get(&config(), "arch")
        .and_then(Value::as_sequence)
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys(build_from), arch, "build_from arches != config arches");
    let dockerfile_base = dockerfile_build_from();
    for (arch, image) in build_from {
        let image = image.as_str().expect("image string");
        assert_eq!(
            image, dockerfile_base,
            "build_from.{arch:?} differs from the Dockerfile base"
        );
    }
    if let Some(labels) = get(&build, "labels") {
        for (k, v) in labels.as_mapping().expect("labels mapping") {
            assert!(k.is_string() && v.is_string(), "labels are strings");
        }
    }
}

fn dockerfile_build_from() -> String {
    let dockerfile = read("Dockerfile");
    let arg = dockerfile
        .lines()
        .find_map(|line| line.trim().strip_prefix("ARG BUILD_FROM="))
        .expect("Dockerfile declares ARG BUILD_FROM=<base>");
    arg.trim().to_owned()
}

#[test]
fn dockerfile_names_its_base_and_builds_with_the_shared_script() {
    let dockerfile = read("Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).collect();
    let first_from = lines
        .iter()
        .position(|l| l.starts_with("FROM "))
        .expect("a FROM");
    let arg = lines
        .iter()
        .position(|l| l.starts_with("ARG BUILD_FROM="))
        .expect("ARG BUILD_FROM");
    assert!(
        arg < first_from,
        "ARG BUILD_FROM must come before the first FROM"
    );
    assert_eq!(
        dockerfile_build_from(),
        "ghcr.io/home-assistant/base:3.24-2026.08.0"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("FROM rust:") && l.contains("-alpine AS build"))
    );
    assert!(
        lines.contains(&"FROM ${BUILD_FROM}"),
        "final stage FROM ${{BUILD_FROM}}"
    );
    assert!(
        dockerfile.contains(".ci/build-static.sh"),
        "the build runs .ci/build-static.sh"
    );
    assert!(dockerfile.contains("/usr/bin/thinq-addon"));
    assert!(
        dockerfile.contains("HEALTHCHECK")
            && dockerfile.contains(r#"["/usr/bin/thinq-addon", "health"]"#)
    );
    assert_eq!(
        lines.iter().rev().find(|l| l.starts_with("CMD")),
        Some(&r#"CMD ["/run.sh"]"#)
    );
    for label in [
        "io.hass.type",
        "io.hass.arch",
        "io.hass.version",
        "org.opencontainers.image.source",
    ] {
        assert!(dockerfile.contains(label), "Dockerfile lacks label {label}");
    }
    // Cargo.toml and Cargo.lock are copied on their own first, for the dependency layer.
    let manifests = dockerfile
        .find("COPY Cargo.toml Cargo.lock")
        .expect("manifests copied");
    let sources = dockerfile.find("COPY . .").expect("sources copied");
    assert!(manifests < sources);
    let ignore = read(".dockerignore");
    assert!(
        ignore.lines().any(|l| l.trim() == "target/"),
        ".dockerignore must hold target/"
    );
}

#[test]
fn build_script_is_executable_and_checks_static_linking() {
    let path = root().join(".ci/build-static.sh");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_ne!(mode & 0o111, 0, ".ci/build-static.sh must be executable");
    let script = read(".ci/build-static.sh");
    // The image carries the add-on only: no simulator, HTTP server or demo broker.
    assert!(script.contains("cargo build --release --locked --no-default-features --target"));
    assert!(script.contains("PT_INTERP"));
}

#[test]
fn run_sh_is_executable_and_execs_the_binary() {
    let path = root().join("run.sh");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_ne!(
        mode & 0o111,
        0,
        "run.sh must be executable (git update-index --chmod=+x)"
    );
    let script = read("run.sh");
    assert_eq!(
        script.lines().next(),
        Some("#!/usr/bin/with-contenv bashio")
    );
    let last = script
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    assert_eq!(
        last,
        "exec /usr/bin/thinq-addon run --options /data/options.json --data-dir /data"
    );
}

#[test]
fn no_other_file_is_named_like_an_addon_config() {
    // The Supervisor tries every config.{yaml,yml,json} in the repository as an add-on.
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                if name != "target" && name != ".git" {
                    walk(&path, found);
                }
            } else if matches!(name.as_ref(), "config.yaml" | "config.yml" | "config.json") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&root(), &mut found);
    assert_eq!(found, vec![root().join("config.yaml")]);
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(name: &str) -> (u32, u32) {
    let bytes = std::fs::read(root().join(name)).unwrap();
    assert_eq!(
        bytes.get(..8),
        Some(&b"\x89PNG\r\n\x1a\n"[..]),
        "{name} is not a PNG"
    );
    assert_eq!(bytes.get(12..16), Some(&b"IHDR"[..]), "{name}: no IHDR");
    let be = |range: std::ops::Range<usize>| u32::from_be_bytes(bytes[range].try_into().unwrap());
    (be(16..20), be(20..24))
}

#[test]
fn icon_is_a_square_png_and_logo_a_wide_one() {
    let (w, h) = png_size("icon.png");
    assert_eq!(w, h, "icon.png must be square");
    assert!(w >= 128, "icon.png should be at least 128 px");
    let (w, h) = png_size("logo.png");
    assert!(
        w > h * 2 && w <= 500,
        "logo.png should be about 250x100, is {w}x{h}"
    );
}

#[test]
fn apparmor_profile_is_named_after_the_slug() {
    let profile = read("apparmor.txt");
    let slug = str_of(&config(), "slug").to_owned();
    let top = profile
        .lines()
        .find(|l| l.starts_with("profile "))
        .expect("a top-level profile");
    assert_eq!(top.split_whitespace().nth(1), Some(slug.as_str()));
    assert!(
        profile.contains("/usr/bin/thinq-addon cx ->"),
        "the binary runs in a child profile"
    );
    assert!(profile.contains("/data/** rw"));
    assert!(profile.contains("network inet stream"));
    assert_eq!(
        profile.matches('{').count(),
        profile.matches('}').count(),
        "unbalanced braces"
    );
}

#[test]
fn repository_yaml_points_at_the_project() {
    let repository = yaml_with_only("repository.yaml", &["name", "url", "maintainer"]);
    assert!(!str_of(&repository, "name").is_empty());
    assert_eq!(
        str_of(&repository, "url"),
        "https://github.com/thinq-addon/thinq-addon"
    );
}

#[test]
fn docs_explain_the_token_and_every_thinq_error_code() {
    let docs = read("DOCS.md");
    assert!(docs.contains("https://connect-pat.lgthinq.com"));
    assert!(
        docs.contains("QR"),
        "DOCS.md must warn about QR-code logins"
    );
    for scope in [
        "Permission to view all devices",
        "Permission to view all device statuses",
        "All device control rights",
        "All device event subscription rights",
        "All device push notification permissions",
    ] {
        assert!(docs.contains(scope), "DOCS.md lacks the scope {scope}");
    }
    // thinq-api.md §1.4: the SDK's codes plus 1314 (live rate limit) and the local 0001.
    let codes = "0000 0001 1000 1101 1102 1103 1104 1201 1202 1203 1204 1205 1206 1207 1208 1209 \
                 1210 1211 1212 1213 1214 1216 1217 1218 1219 1220 1221 1222 1223 1224 1225 1301 \
                 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312 1314 2000 2101 2201 2202 \
                 2203 2205 2207 2208 2209 2210 2212 2213 2214 2301 2302 2303 2304 2305";
    for code in codes.split_whitespace() {
        assert!(
            docs.contains(&format!("| {code} |")),
            "DOCS.md lacks a row for error {code}"
        );
    }
    for key in OPTION_KEYS {
        assert!(
            docs.contains(&format!("`{key}`")),
            "DOCS.md does not explain `{key}`"
        );
    }
}

#[test]
fn changelog_has_this_version() {
    let changelog = read("CHANGELOG.md");
    let heading = format!("## [{}]", env!("CARGO_PKG_VERSION"));
    assert!(
        changelog.lines().any(|l| l.starts_with(&heading)),
        "CHANGELOG.md lacks {heading}"
    );
}

/// The release workflow must publish exactly what the Supervisor will pull: config.yaml's
/// `image:` at config.yaml's version, for config.yaml's architectures. A mismatch means
/// "image not found" on every install, so it fails here rather than after a release.
#[test]
fn release_workflow_publishes_the_image_and_version_config_yaml_names() {
    let config = config();
    let workflow: Mapping = serde_yaml::from_str(&read(".github/workflows/release.yaml"))
        .expect("release.yaml is YAML");
    let env = get(&workflow, "env")
        .and_then(Value::as_mapping)
        .expect("release.yaml has a top-level env");
    let published = format!(
        "{}/{}",
        str_of(env, "REGISTRY_PREFIX"),
        str_of(env, "IMAGE_NAME")
    );
    assert_eq!(
        published,
        str_of(&config, "image"),
        "workflow image != config.yaml image"
    );

    let architectures: BTreeSet<String> =
        serde_json::from_str(str_of(env, "ARCHITECTURES")).expect("ARCHITECTURES is JSON");
    let config_arch: BTreeSet<String> = get(&config, "arch")
        .and_then(Value::as_sequence)
        .expect("arch list")
        .iter()
        .map(|a| a.as_str().expect("arch string").to_owned())
        .collect();
    assert_eq!(
        architectures, config_arch,
        "workflow architectures != config.yaml arch"
    );

    let on = get(&workflow, "on")
        .and_then(Value::as_mapping)
        .expect("on:");
    let tags = on
        .get("push")
        .and_then(|push| push.get("tags"))
        .and_then(Value::as_sequence)
        .expect("on.push.tags");
    assert!(
        tags.contains(&Value::String("v*".into())),
        "released on v* tags"
    );
    assert!(on.contains_key("workflow_dispatch"), "can be run by hand");

    // The tag is the version, read from config.yaml (whose version equals Cargo.toml's, see
    // config_describes_this_addon), and that version is the image tag.
    let text = read(".github/workflows/release.yaml");
    assert!(text.contains("version=$(yq -r '.version' config.yaml)"));
    assert!(text.contains(r#"[ "$REF_NAME" != "v$version" ]"#));
    assert_eq!(
        text.matches("image-tags: |\n            ${{ needs.prepare.outputs.version }}\n")
            .count(),
        2,
        "the per-arch images and the manifest are tagged with the version"
    );
    for action in [
        "prepare-multi-arch-matrix",
        "build-image",
        "publish-multi-arch-manifest",
    ] {
        assert!(
            text.contains(&format!("uses: home-assistant/builder/actions/{action}@")),
            "release.yaml does not use the builder's {action}"
        );
    }
}
