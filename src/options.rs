//! The add-on options (`/data/options.json`): read and validated, nothing more. Where the
//! Home Assistant broker is, when the options do not say, is `crate::supervisor`'s job.
//!
//! The Supervisor validates the options against `config.yaml`'s schema before it starts us,
//! but a developer can run the binary with any file, and the Supervisor's grammar cannot say
//! everything (that the country is one LG serves, that a topic has no wildcard). So every
//! key is checked again here, and each problem becomes one log line that names the key —
//! never the PAT or a password.

use crate::hass::broker_address::BrokerAddress;
use crate::labels::Language;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::secret::Secret;
use crate::thinq::region::is_supported_country;

/// Validated add-on options. Optional keys whose value was absent, `null` or an empty string
/// are `None`; defaults are already applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The ThinQ Connect personal access token.
    pub pat: Secret,
    /// ISO 3166 alpha-2, upper-cased, one that ThinQ Connect serves.
    pub country: String,
    /// The installation's ThinQ client id; generated and kept in the data dir when `None`.
    pub client_id: Option<String>,
    /// The broker `mqtt_host` names, with `mqtt_port` (1883 when empty), `mqtt_username` and
    /// `mqtt_password`. `None` when `mqtt_host` is empty: the Supervisor's broker is used, and
    /// the other three keys, checked all the same, are not.
    pub mqtt: Option<BrokerAddress>,
    /// Home Assistant's discovery prefix (`homeassistant` unless changed in HA too).
    pub discovery_prefix: String,
    /// The root of this add-on's own topics (state, commands, availability).
    pub base_topic: String,
    /// One of `trace`, `debug`, `info`, `warning`, `error`.
    pub log_level: String,
    /// The language of entity names and state labels (`en` when empty). Unique ids and topics
    /// do not depend on it, so changing it renames entities without losing their history.
    pub language: Language,
}

/// The default discovery prefix, the one Home Assistant's MQTT integration listens on.
pub const DEFAULT_DISCOVERY_PREFIX: &str = "homeassistant";
/// The default root of our own topics.
pub const DEFAULT_BASE_TOPIC: &str = "thinq";
/// The default log level.
pub const DEFAULT_LOG_LEVEL: &str = "info";
/// The levels `log_level` accepts, as `config.yaml` lists them.
pub const LOG_LEVELS: [&str; 5] = ["trace", "debug", "info", "warning", "error"];
/// The MQTT port used when `mqtt_host` is set without `mqtt_port`.
pub const DEFAULT_MQTT_PORT: u16 = 1883;

/// Everything that can be wrong with the options or with finding the broker. Each message is
/// one line naming the file or key and what to do; values of secret keys are never included.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("cannot read the options file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the options file {} is not valid JSON: {reason}", path.display())]
    NotJsonFile { path: PathBuf, reason: String },
    #[error("the options are not valid JSON: {reason}")]
    NotJson { reason: String },
    #[error("the options must be a JSON object, not {found}")]
    NotAnObject { found: &'static str },
    #[error("option `{key}` is required: set it in the add-on's Configuration tab")]
    Missing { key: &'static str },
    #[error("option `{key}` must be {expected}")]
    WrongType {
        key: &'static str,
        expected: &'static str,
    },
    #[error("option `country` must be a two-letter ISO 3166 country code such as US, DE or KR")]
    CountryFormat,
    #[error(
        "option `country`: {country} is not a country LG ThinQ Connect serves; use the country your ThinQ account and PAT were made for"
    )]
    UnsupportedCountry { country: String },
    #[error(
        "option `client_id` may only hold letters, digits, '-', '_' and '.', at most 128 characters (leave it empty to have one generated)"
    )]
    ClientIdFormat,
    #[error("option `{key}` {problem}")]
    TopicFormat {
        key: &'static str,
        problem: &'static str,
    },
    #[error("option `mqtt_port` must be a port number from 1 to 65535")]
    PortRange,
    #[error("option `log_level` must be one of trace, debug, info, warning, error")]
    LogLevel,
    #[error("option `language` must be one of en, ko")]
    Language,
    #[error(
        "option `mqtt_host` is empty and SUPERVISOR_TOKEN is not set: outside Home Assistant, set mqtt_host to your broker"
    )]
    NoSupervisorToken,
    #[error(
        "the Supervisor refused the MQTT service lookup (HTTP 403): the add-on's config.yaml must declare `services: [\"mqtt:need\"]`"
    )]
    MqttServiceForbidden,
    #[error("the Supervisor rejected SUPERVISOR_TOKEN (HTTP 401) during the MQTT service lookup")]
    SupervisorUnauthorized,
    #[error(
        "no MQTT broker after {waited_secs} s of asking the Supervisor (last answer: {last}); install and start the Mosquitto broker add-on, or set mqtt_host"
    )]
    MqttServiceUnavailable { waited_secs: u64, last: String },
    #[error("stopped while waiting for the Supervisor's MQTT service")]
    Cancelled,
    #[error("cannot build the HTTP client for the Supervisor: {reason}")]
    HttpClient { reason: String },
}

impl Options {
    /// Reads and validates the options file the Supervisor writes (normally `/data/options.json`).
    pub fn load(path: &Path) -> Result<Options, OptionsError> {
        let text = std::fs::read_to_string(path).map_err(|source| OptionsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let value: Value =
            serde_json::from_str(&text).map_err(|error| OptionsError::NotJsonFile {
                path: path.to_path_buf(),
                reason: error.to_string(),
            })?;
        Self::from_value(value)
    }

    /// Validates options given as JSON text (what [`Options::load`] does after reading).
    pub fn from_json(text: &str) -> Result<Options, OptionsError> {
        let value: Value = serde_json::from_str(text).map_err(|error| OptionsError::NotJson {
            reason: error.to_string(),
        })?;
        Self::from_value(value)
    }

    fn from_value(value: Value) -> Result<Options, OptionsError> {
        let map = match value {
            Value::Object(map) => map,
            other => {
                return Err(OptionsError::NotAnObject {
                    found: crate::json_kind(&other),
                });
            }
        };
        // Unknown keys are ignored on purpose: the Supervisor or a newer config.yaml may add
        // some, and refusing to start over them would help nobody.
        let pat = optional_string(&map, "pat")?
            .map(Secret::new)
            .ok_or(OptionsError::Missing { key: "pat" })?;
        let country = parse_country(optional_string(&map, "country")?)?;
        let client_id = optional_string(&map, "client_id")?;
        if let Some(id) = &client_id {
            check_client_id(id)?;
        }
        let discovery_prefix = optional_string(&map, "discovery_prefix")?
            .unwrap_or_else(|| DEFAULT_DISCOVERY_PREFIX.to_owned());
        check_topic_root("discovery_prefix", &discovery_prefix)?;
        let base_topic =
            optional_string(&map, "base_topic")?.unwrap_or_else(|| DEFAULT_BASE_TOPIC.to_owned());
        check_topic_root("base_topic", &base_topic)?;
        let log_level = match optional_string(&map, "log_level")? {
            None => DEFAULT_LOG_LEVEL.to_owned(),
            Some(level) => {
                let level = level.to_ascii_lowercase();
                if !LOG_LEVELS.contains(&level.as_str()) {
                    return Err(OptionsError::LogLevel);
                }
                level
            }
        };
        let mqtt_host = optional_string(&map, "mqtt_host")?;
        let mqtt_port = optional_port(&map, "mqtt_port")?;
        let username = optional_string(&map, "mqtt_username")?;
        let password = optional_string(&map, "mqtt_password")?.map(Secret::new);
        let mqtt = mqtt_host.map(|host| BrokerAddress {
            host,
            port: mqtt_port.unwrap_or(DEFAULT_MQTT_PORT),
            username,
            password,
            tls: false,
        });
        Ok(Options {
            pat,
            country,
            client_id,
            mqtt,
            discovery_prefix,
            base_topic,
            log_level,
            language: match optional_string(&map, "language")? {
                None => Language::default(),
                Some(code) => Language::parse(&code).ok_or(OptionsError::Language)?,
            },
        })
    }
}

/// The value of a string key, trimmed; absent, `null` and empty all mean `None`, because the
/// add-on UI writes an emptied field as `""` or drops it.
fn optional_string(
    map: &Map<String, Value>,
    key: &'static str,
) -> Result<Option<String>, OptionsError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let text = text.trim();
            Ok((!text.is_empty()).then(|| text.to_owned()))
        }
        Some(_) => Err(OptionsError::WrongType {
            key,
            expected: "a string",
        }),
    }
}

/// A port given as a number (what the Supervisor writes for `port?`) or a numeric string.
fn optional_port(map: &Map<String, Value>, key: &'static str) -> Result<Option<u16>, OptionsError> {
    let number = match map.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) => number.as_u64().ok_or(OptionsError::PortRange)?,
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::String(text)) => text
            .trim()
            .parse::<u64>()
            .map_err(|_| OptionsError::PortRange)?,
        Some(_) => {
            return Err(OptionsError::WrongType {
                key,
                expected: "a port number",
            });
        }
    };
    match u16::try_from(number) {
        Ok(port) if port != 0 => Ok(Some(port)),
        _ => Err(OptionsError::PortRange),
    }
}

fn parse_country(value: Option<String>) -> Result<String, OptionsError> {
    let value = value.ok_or(OptionsError::Missing { key: "country" })?;
    if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(OptionsError::CountryFormat);
    }
    let country = value.to_ascii_uppercase();
    if !is_supported_country(&country) {
        return Err(OptionsError::UnsupportedCountry { country });
    }
    Ok(country)
}

/// The client id goes into an HTTP header and is the MQTT client id at AWS IoT (at most 128
/// characters there), and Mosquitto refuses `+ # /` in client ids: keep it to a safe alphabet.
fn check_client_id(id: &str) -> Result<(), OptionsError> {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.len() > 128 || !id.chars().all(safe) {
        return Err(OptionsError::ClientIdFormat);
    }
    Ok(())
}

/// A topic root must be usable both to publish and inside subscription filters, so no MQTT
/// wildcards, and no leading or trailing `/` (that would make empty topic levels).
fn check_topic_root(key: &'static str, topic: &str) -> Result<(), OptionsError> {
    let problem = if topic.contains(['+', '#']) {
        Some("must not contain the MQTT wildcards '+' or '#'")
    } else if topic.starts_with('/') || topic.ends_with('/') {
        Some("must not start or end with '/'")
    } else if topic.contains("//") {
        Some("must not contain an empty level ('//')")
    } else if topic.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some("must not contain spaces or control characters")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(OptionsError::TopicFormat { key, problem }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PAT: &str = "thinqpat_0123456789abcdef";

    fn minimal() -> Value {
        json!({"pat": PAT, "country": "de"})
    }

    fn with(key: &str, value: Value) -> Result<Options, OptionsError> {
        let mut options = minimal();
        options[key] = value;
        Options::from_json(&options.to_string())
    }

    /// Every error message must stay one line and never carry the PAT.
    fn assert_clean(error: &OptionsError) {
        let message = error.to_string();
        assert!(!message.contains(PAT), "PAT leaked: {message}");
        assert!(!message.contains('\n'), "not one line: {message}");
    }

    /// What every optional key left out (or left empty) reads as.
    fn assert_defaults(options: &Options) {
        assert_eq!(options.client_id, None);
        assert_eq!(options.mqtt, None);
        assert_eq!(options.discovery_prefix, "homeassistant");
        assert_eq!(options.base_topic, "thinq");
        assert_eq!(options.log_level, "info");
    }

    #[test]
    fn minimal_options_get_defaults() {
        let options = Options::from_json(&minimal().to_string()).unwrap();
        assert_eq!(options.pat.expose(), PAT);
        assert_eq!(options.country, "DE");
        assert_defaults(&options);
    }

    #[test]
    fn all_keys_are_read_and_unknown_keys_ignored() {
        let text = json!({
            "pat": PAT, "country": "KR", "client_id": "home-assistant-1234",
            "mqtt_host": "core-mosquitto", "mqtt_port": 8883, "mqtt_username": "addons",
            "mqtt_password": "pw", "discovery_prefix": "ha", "base_topic": "lg/thinq",
            "log_level": "debug", "something_new": [1, 2]
        })
        .to_string();
        let options = Options::from_json(&text).unwrap();
        assert_eq!(options.country, "KR");
        assert_eq!(options.client_id.as_deref(), Some("home-assistant-1234"));
        let broker = options.mqtt.expect("mqtt_host is set");
        assert_eq!(broker.host, "core-mosquitto");
        assert_eq!(broker.port, 8883);
        assert_eq!(broker.username.as_deref(), Some("addons"));
        assert_eq!(broker.password.as_ref().map(Secret::expose), Some("pw"));
        assert!(!broker.tls);
        assert_eq!(options.discovery_prefix, "ha");
        assert_eq!(options.base_topic, "lg/thinq");
        assert_eq!(options.log_level, "debug");
    }

    #[test]
    fn empty_strings_and_null_count_as_absent() {
        let text = json!({
            "pat": PAT, "country": "US", "client_id": "", "mqtt_host": "  ", "mqtt_port": null,
            "mqtt_username": "", "mqtt_password": "", "discovery_prefix": "", "base_topic": null,
            "log_level": ""
        })
        .to_string();
        let options = Options::from_json(&text).unwrap();
        assert_defaults(&options);
    }

    #[test]
    fn missing_pat_is_refused() {
        for options in [
            json!({"country": "DE"}),
            json!({"pat": "", "country": "DE"}),
        ] {
            let error = Options::from_json(&options.to_string()).unwrap_err();
            assert!(
                matches!(error, OptionsError::Missing { key: "pat" }),
                "{error}"
            );
            assert!(error.to_string().contains("`pat`"));
        }
    }

    #[test]
    fn missing_country_is_refused() {
        let error = Options::from_json(&json!({"pat": PAT}).to_string()).unwrap_err();
        assert!(
            matches!(error, OptionsError::Missing { key: "country" }),
            "{error}"
        );
        assert_clean(&error);
    }

    #[test]
    fn malformed_country_is_refused_without_echoing_it() {
        // A PAT pasted into the wrong field must not end up in the log.
        for bad in ["DEU", "D", "1A", PAT, "ü1"] {
            let error = with("country", json!(bad)).unwrap_err();
            assert!(
                matches!(error, OptionsError::CountryFormat),
                "{bad}: {error}"
            );
            assert_clean(&error);
        }
    }

    #[test]
    fn unsupported_country_is_named() {
        let error = with("country", json!("aq")).unwrap_err();
        assert!(matches!(&error, OptionsError::UnsupportedCountry { country } if country == "AQ"));
        assert!(error.to_string().contains("AQ"));
    }

    #[test]
    fn every_country_of_the_shared_table_is_accepted_in_any_case() {
        for (country, _region) in crate::thinq::region::supported_countries() {
            let lower = country.to_ascii_lowercase();
            assert_eq!(with("country", json!(lower)).unwrap().country, country);
        }
    }

    #[test]
    fn wrong_types_name_the_key() {
        for key in [
            "pat",
            "country",
            "client_id",
            "mqtt_host",
            "mqtt_username",
            "mqtt_password",
            "log_level",
        ] {
            let error = with(key, json!(42)).unwrap_err();
            assert!(
                matches!(error, OptionsError::WrongType { key: k, .. } if k == key),
                "{key}: {error}"
            );
            assert!(error.to_string().contains(&format!("`{key}`")));
            assert_clean(&error);
        }
        let error = with("mqtt_port", json!(true)).unwrap_err();
        assert!(matches!(
            error,
            OptionsError::WrongType {
                key: "mqtt_port",
                ..
            }
        ));
    }

    #[test]
    fn ports_out_of_range_are_refused() {
        for bad in [json!(0), json!(65536), json!(-1), json!(1.5), json!("http")] {
            let error = with("mqtt_port", bad.clone()).unwrap_err();
            assert!(matches!(error, OptionsError::PortRange), "{bad}: {error}");
        }
        let port_of = |port: Value| {
            let mut options = minimal();
            options["mqtt_host"] = json!("broker.lan");
            options["mqtt_port"] = port;
            Options::from_json(&options.to_string())
                .unwrap()
                .mqtt
                .unwrap()
                .port
        };
        assert_eq!(port_of(json!("1884")), 1884);
        assert_eq!(port_of(json!("")), DEFAULT_MQTT_PORT);
    }

    #[test]
    fn bad_client_ids_are_refused() {
        for bad in ["has space", "a/b", "a+b", "x".repeat(129).as_str()] {
            let error = with("client_id", json!(bad)).unwrap_err();
            assert!(
                matches!(error, OptionsError::ClientIdFormat),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn bad_topics_are_refused() {
        for key in ["discovery_prefix", "base_topic"] {
            for bad in ["a/#", "+", "/thinq", "thinq/", "a//b", "a b"] {
                let error = with(key, json!(bad)).unwrap_err();
                assert!(
                    matches!(error, OptionsError::TopicFormat { key: k, .. } if k == key),
                    "{key}={bad}: {error}"
                );
            }
        }
    }

    #[test]
    fn language_is_en_by_default_and_only_en_or_ko() {
        assert_eq!(with("language", json!("")).unwrap().language, Language::En);
        assert_eq!(
            with("language", json!("KO")).unwrap().language,
            Language::Ko
        );
        let error = with("language", json!("de")).unwrap_err();
        assert!(matches!(error, OptionsError::Language), "{error}");
        assert!(matches!(
            with("language", json!(1)).unwrap_err(),
            OptionsError::WrongType {
                key: "language",
                ..
            }
        ));
    }

    #[test]
    fn bad_log_level_is_refused() {
        let error = with("log_level", json!("verbose")).unwrap_err();
        assert!(matches!(error, OptionsError::LogLevel));
        assert_eq!(
            with("log_level", json!("WARNING")).unwrap().log_level,
            "warning"
        );
    }

    #[test]
    fn non_json_and_non_object_are_refused() {
        let error = Options::from_json(&format!("{{\"pat\": \"{PAT}\"")).unwrap_err();
        assert!(matches!(error, OptionsError::NotJson { .. }), "{error}");
        assert_clean(&error);
        let error = Options::from_json("[1]").unwrap_err();
        assert!(matches!(
            error,
            OptionsError::NotAnObject { found: "an array" }
        ));
    }

    #[test]
    fn load_reads_a_file_and_names_it_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("options.json");
        std::fs::write(&path, minimal().to_string()).unwrap();
        assert_eq!(Options::load(&path).unwrap().country, "DE");

        std::fs::write(&path, "not json").unwrap();
        let error = Options::load(&path).unwrap_err();
        assert!(matches!(error, OptionsError::NotJsonFile { .. }));
        assert!(error.to_string().contains(&path.display().to_string()));

        let missing = dir.path().join("absent.json");
        let error = Options::load(&missing).unwrap_err();
        assert!(matches!(error, OptionsError::Read { .. }));
        assert!(error.to_string().contains("absent.json"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let options = with("mqtt_password", json!("hunter2")).unwrap();
        let debug = format!("{options:?}");
        assert!(
            !debug.contains(PAT) && !debug.contains("hunter2"),
            "{debug}"
        );
    }
}
