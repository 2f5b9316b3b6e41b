//! Where the Home Assistant MQTT broker is: from the options when `mqtt_host` is set,
//! otherwise from the Supervisor's MQTT service (`GET /services/mqtt`), which the Mosquitto
//! add-on fills in.
//!
//! Its own module because it is network I/O with a retry policy, while `crate::options` only
//! validates what the user typed. The Supervisor does not start us after the broker, so the
//! lookup is retried for a while before giving up. Its failures are `OptionsError`s: to the
//! user they are all "no usable broker configured", and they end the process the same way.

use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::hass::broker_address::BrokerAddress;
use crate::options::{DEFAULT_MQTT_PORT, Options, OptionsError};
use crate::secret::Secret;

/// How to reach the Supervisor API from inside the add-on container.
#[derive(Debug, Clone, PartialEq)]
pub struct Supervisor {
    /// Base URL without a trailing slash, `http://supervisor` in production.
    pub url: String,
    pub token: Option<Secret>,
}

impl Supervisor {
    /// `SUPERVISOR_URL` (default `http://supervisor`) and `SUPERVISOR_TOKEN`, which the
    /// Supervisor injects into every add-on container.
    pub fn from_env() -> Supervisor {
        let url = std::env::var("SUPERVISOR_URL")
            .ok()
            .map(|url| url.trim().trim_end_matches('/').to_owned())
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| "http://supervisor".to_owned());
        let token = std::env::var("SUPERVISOR_TOKEN")
            .ok()
            .map(Secret::new)
            .filter(|token| !token.is_empty());
        Supervisor { url, token }
    }
}

/// How long to keep asking the Supervisor for the MQTT service.
///
/// The waits are counted, not timed, so how long the give-up takes does not depend on how
/// slow the Supervisor answers; tests use tiny waits.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The first wait; each further wait doubles, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Give up once the waits so far add up to more than this.
    pub give_up_after: Duration,
    /// Timeout of one request to the Supervisor.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// 2 s doubling to 16 s, about two minutes in all: long enough for the Mosquitto add-on to
    /// come up after a host reboot, short enough that a missing broker shows in the log soon.
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(16),
            give_up_after: Duration::from_secs(120),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Finds the broker: from the options when `mqtt_host` is set, otherwise from the
/// Supervisor's MQTT service, retried with [`RetryPolicy::default`].
pub async fn resolve_mqtt(
    options: &Options,
    supervisor: &Supervisor,
    shutdown: &CancellationToken,
) -> Result<BrokerAddress, OptionsError> {
    resolve_mqtt_with_policy(options, supervisor, shutdown, &RetryPolicy::default()).await
}

/// [`resolve_mqtt`] with an explicit retry policy.
pub async fn resolve_mqtt_with_policy(
    options: &Options,
    supervisor: &Supervisor,
    shutdown: &CancellationToken,
    policy: &RetryPolicy,
) -> Result<BrokerAddress, OptionsError> {
    if let Some(broker) = &options.mqtt {
        return Ok(broker.clone());
    }
    let token = supervisor
        .token
        .as_ref()
        .ok_or(OptionsError::NoSupervisorToken)?;
    crate::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(policy.request_timeout)
        .build()
        .map_err(|error| OptionsError::HttpClient {
            reason: error.to_string(),
        })?;
    let url = format!("{}/services/mqtt", supervisor.url.trim_end_matches('/'));

    let mut delay = policy.first_delay;
    let mut waited = Duration::ZERO;
    loop {
        let attempt = tokio::select! {
            () = shutdown.cancelled() => return Err(OptionsError::Cancelled),
            attempt = ask_supervisor(&client, &url, token) => attempt,
        };
        let reason = match attempt {
            Attempt::Found(settings) => {
                tracing::info!(
                    host = %settings.host,
                    port = settings.port,
                    tls = settings.tls,
                    "using the MQTT broker the Supervisor announces"
                );
                return Ok(settings);
            }
            Attempt::Fatal(error) => return Err(error),
            Attempt::NotYet(reason) => reason,
        };
        if waited + delay > policy.give_up_after {
            return Err(OptionsError::MqttServiceUnavailable {
                waited_secs: waited.as_secs(),
                last: reason,
            });
        }
        tracing::info!(
            "MQTT service not available yet ({reason}); asking the Supervisor again in {} s",
            delay.as_secs_f32()
        );
        tokio::select! {
            () = shutdown.cancelled() => return Err(OptionsError::Cancelled),
            () = tokio::time::sleep(delay) => {}
        }
        waited += delay;
        delay = (delay * 2).min(policy.max_delay);
    }
}

/// The outcome of one `GET /services/mqtt`.
enum Attempt {
    Found(BrokerAddress),
    /// Worth asking again (broker add-on not started, Supervisor busy or unreachable).
    NotYet(String),
    /// Asking again cannot help.
    Fatal(OptionsError),
}

async fn ask_supervisor(client: &reqwest::Client, url: &str, token: &Secret) -> Attempt {
    let response = match client.get(url).bearer_auth(token.expose()).send().await {
        Ok(response) => response,
        Err(error) => return Attempt::NotYet(format!("Supervisor unreachable: {error}")),
    };
    let status = response.status();
    match status.as_u16() {
        401 => return Attempt::Fatal(OptionsError::SupervisorUnauthorized),
        403 => return Attempt::Fatal(OptionsError::MqttServiceForbidden),
        _ => {}
    }
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(error) => return Attempt::NotYet(format!("HTTP {status}, body unreadable: {error}")),
    };
    let envelope: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => return Attempt::NotYet(format!("HTTP {status}, answer is not JSON")),
    };
    let result = envelope.get("result").and_then(Value::as_str);
    if !status.is_success() || result != Some("ok") {
        let message = envelope
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message");
        return Attempt::NotYet(format!("HTTP {status}: {message}"));
    }
    match envelope.get("data").map(parse_service_data) {
        Some(Ok(settings)) => Attempt::Found(settings),
        Some(Err(problem)) => Attempt::NotYet(format!("MQTT service data {problem}")),
        None => Attempt::NotYet("MQTT service answer has no data".to_owned()),
    }
}

/// The `data` of `/services/mqtt`. Parsed leniently: `port` is a number in practice but a
/// string in the docs, the provider slug is `addon` (v1) or `app` (v2) and is not needed.
fn parse_service_data(data: &Value) -> Result<BrokerAddress, &'static str> {
    let host = data
        .get("host")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|host| !host.is_empty())
        .ok_or("has no host")?
        .to_owned();
    let port = match data.get("port") {
        None | Some(Value::Null) => DEFAULT_MQTT_PORT,
        Some(Value::Number(number)) => number
            .as_u64()
            .and_then(|port| u16::try_from(port).ok())
            .filter(|port| *port != 0)
            .ok_or("has an invalid port")?,
        Some(Value::String(text)) => text
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|port| *port != 0)
            .ok_or("has an invalid port")?,
        Some(_) => return Err("has an invalid port"),
    };
    let text = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    Ok(BrokerAddress {
        host,
        port,
        username: text("username"),
        password: text("password").map(Secret::new),
        tls: data.get("ssl").and_then(Value::as_bool).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PAT: &str = "thinqpat_0123456789abcdef";

    fn options(value: Value) -> Options {
        Options::from_json(&value.to_string()).unwrap()
    }

    /// [`resolve_mqtt`] with a Supervisor that cannot be reached and gave no token, so what it
    /// finds comes from the options alone.
    async fn resolve_offline(options: &Options) -> Result<BrokerAddress, OptionsError> {
        let unreachable = Supervisor {
            url: "http://127.0.0.1:1".into(),
            token: None,
        };
        resolve_mqtt(options, &unreachable, &CancellationToken::new()).await
    }

    #[tokio::test]
    async fn options_broker_wins_without_asking_the_supervisor() {
        let options = options(
            json!({"pat": PAT, "country": "de", "mqtt_host": "broker.lan", "mqtt_username": "user"}),
        );
        // An unusable Supervisor proves it is not consulted.
        let settings = resolve_offline(&options).await.unwrap();
        assert_eq!(
            settings,
            BrokerAddress {
                host: "broker.lan".into(),
                port: 1883,
                username: Some("user".into()),
                password: None,
                tls: false
            }
        );
    }

    #[tokio::test]
    async fn no_token_and_no_host_is_a_clear_error() {
        let options = options(json!({"pat": PAT, "country": "de"}));
        let error = resolve_offline(&options).await.unwrap_err();
        assert!(matches!(error, OptionsError::NoSupervisorToken), "{error}");
    }

    #[test]
    fn service_data_parsing() {
        let settings =
            parse_service_data(&json!({"host": "core-mosquitto", "port": "1884", "ssl": true}))
                .unwrap();
        assert_eq!(settings.port, 1884);
        assert!(settings.tls);
        assert_eq!(settings.username, None);
        assert_eq!(
            parse_service_data(&json!({"port": 1883})).unwrap_err(),
            "has no host"
        );
        assert_eq!(
            parse_service_data(&json!({"host": "h", "port": 70000})).unwrap_err(),
            "has an invalid port"
        );
        assert_eq!(
            parse_service_data(&json!({"host": "h", "port": [1]})).unwrap_err(),
            "has an invalid port"
        );
    }
}
