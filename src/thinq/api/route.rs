//! The answer of `GET /route`, and the MQTT broker's host and port read from its
//! `mqttServer` (`mqtts://host:8883`, an IPv6 literal, or no port at all).
//!
//! Apart from the endpoints because it is a value with its own parsing rules, read by the
//! push link long after the call.

use serde::Deserialize;

/// The answer of `GET /route`: where the MQTT broker is.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Route {
    pub api_server: String,
    /// `mqtts://<host>:8883`.
    pub mqtt_server: String,
    pub web_socket_server: String,
}

impl Route {
    /// `mqtts://host:port` → `(host, port)`, with 8883 when no port is given. `None` when
    /// there is no host or the port is not a number.
    pub fn mqtt_host_port(&self) -> Option<(String, u16)> {
        let server = self.mqtt_server.trim();
        let without_scheme = server.split_once("://").map_or(server, |(_, rest)| rest);
        let authority = without_scheme
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            // IPv6 literal: [::1]:8883
            let (host, after) = rest.split_once(']')?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return None;
        }
        let port = match port {
            None => 8883,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
        };
        Some((host.to_owned(), port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thinq::api::transport::decode;
    use serde_json::json;

    #[test]
    fn mqtt_host_port_from_route() {
        let route = |s: &str| Route {
            mqtt_server: s.into(),
            ..Route::default()
        };
        for (server, expected) in [
            (
                "mqtts://abc-ats.iot.ap-northeast-2.amazonaws.com:8883",
                Some(("abc-ats.iot.ap-northeast-2.amazonaws.com", 8883)),
            ),
            ("mqtts://host.example", Some(("host.example", 8883))),
            ("mqtts://127.0.0.1:443/", Some(("127.0.0.1", 443))),
            ("host.example:1234", Some(("host.example", 1234))),
            ("mqtts://[::1]:8884", Some(("::1", 8884))),
            ("", None),
            ("mqtts://", None),
            ("mqtts://host:port", None),
            ("mqtts://host:0", None),
        ] {
            let expected = expected.map(|(host, port)| (host.to_owned(), port));
            assert_eq!(route(server).mqtt_host_port(), expected, "{server:?}");
        }
    }

    #[test]
    fn route_decodes_lg_field_names() {
        let route: Route = decode(
            json!({"apiServer": "https://api-eic.lgthinq.com", "mqttServer": "mqtts://h:8883", "webSocketServer": "wss://w"}),
            "route",
        )
        .unwrap();
        assert_eq!(route.mqtt_server, "mqtts://h:8883");
        assert_eq!(route.web_socket_server, "wss://w");
    }
}
