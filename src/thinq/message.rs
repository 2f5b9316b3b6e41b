//! Push messages as LG sends them on the AWS IoT topic.
//!
//! Two shapes exist for the same fields (`reference/thinq-api.md` §3.2): the flat form HA and
//! the SDK consumers read (`{"pushType": …, "deviceId": …}`), and the form of LG's
//! documentation, which wraps the fields in `{"messageId", "timestamp", "event": {…}}` (status)
//! or `{"messageId", "timestamp", "push": {…}}` (everything else). Both are accepted: when an
//! `event` or `push` member is an object it is used, otherwise the top level is.

use serde_json::{Map, Value};

/// One message from LG's push topic.
#[derive(Debug, Clone, PartialEq)]
pub enum PushMessage {
    /// `DEVICE_STATUS`: a *partial* state report, keyed like `GET state` (merge it).
    Status {
        device_id: String,
        device_type: Option<String>,
        report: Value,
    },
    /// `DEVICE_PUSH`: a one-shot notification such as `WASHING_IS_COMPLETE`.
    Push {
        device_id: String,
        device_type: Option<String>,
        push_code: String,
    },
    /// `DEVICE_REGISTERED`: an appliance was added to the account.
    Registered {
        device_id: String,
        device_type: Option<String>,
        model_name: Option<String>,
        alias: Option<String>,
    },
    /// `DEVICE_UNREGISTERED`: an appliance was removed from the account.
    Unregistered { device_id: String },
    /// `DEVICE_ALIAS_CHANGED`: the user renamed an appliance in the ThinQ app.
    AliasChanged { device_id: String, alias: String },
}

/// Why a payload is not a push message we understand.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MessageError {
    #[error("payload is not JSON: {0}")]
    NotJson(String),
    #[error("payload is not a JSON object")]
    NotAnObject,
    #[error("message lacks `{0}`")]
    MissingField(&'static str),
    #[error("`{field}` should be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("unknown pushType {0:?}")]
    UnknownPushType(String),
}

impl PushMessage {
    /// Parses one MQTT payload. Never panics, whatever the bytes.
    pub fn parse(payload: &[u8]) -> Result<PushMessage, MessageError> {
        let value: Value =
            serde_json::from_slice(payload).map_err(|e| MessageError::NotJson(e.to_string()))?;
        let outer = value.as_object().ok_or(MessageError::NotAnObject)?;
        let fields = ["event", "push"]
            .iter()
            .find_map(|wrapper| outer.get(*wrapper).and_then(Value::as_object))
            .unwrap_or(outer);

        let push_type = required_str(fields, "pushType")?;
        let device_id = required_str(fields, "deviceId")?.to_owned();
        if device_id.is_empty() {
            return Err(MessageError::MissingField("deviceId"));
        }
        let device_type = optional_str(fields, "deviceType")?.map(str::to_owned);

        match push_type {
            "DEVICE_STATUS" => {
                let report = match fields.get("report") {
                    None | Some(Value::Null) => return Err(MessageError::MissingField("report")),
                    Some(report @ (Value::Object(_) | Value::Array(_))) => report.clone(),
                    Some(_) => {
                        return Err(MessageError::WrongType {
                            field: "report",
                            expected: "an object or an array",
                        });
                    }
                };
                Ok(PushMessage::Status {
                    device_id,
                    device_type,
                    report,
                })
            }
            "DEVICE_PUSH" => {
                let push_code = required_str(fields, "pushCode")?.to_owned();
                Ok(PushMessage::Push {
                    device_id,
                    device_type,
                    push_code,
                })
            }
            "DEVICE_REGISTERED" => Ok(PushMessage::Registered {
                device_id,
                device_type,
                model_name: optional_str(fields, "modelName")?.map(str::to_owned),
                alias: optional_str(fields, "alias")?.map(str::to_owned),
            }),
            "DEVICE_UNREGISTERED" => Ok(PushMessage::Unregistered { device_id }),
            "DEVICE_ALIAS_CHANGED" => {
                let alias = required_str(fields, "alias")?.to_owned();
                Ok(PushMessage::AliasChanged { device_id, alias })
            }
            other => Err(MessageError::UnknownPushType(other.to_owned())),
        }
    }

    /// The appliance the message is about.
    pub fn device_id(&self) -> &str {
        match self {
            PushMessage::Status { device_id, .. }
            | PushMessage::Push { device_id, .. }
            | PushMessage::Registered { device_id, .. }
            | PushMessage::Unregistered { device_id }
            | PushMessage::AliasChanged { device_id, .. } => device_id,
        }
    }

    /// LG's `pushType` for this message.
    pub fn push_type(&self) -> &'static str {
        match self {
            PushMessage::Status { .. } => "DEVICE_STATUS",
            PushMessage::Push { .. } => "DEVICE_PUSH",
            PushMessage::Registered { .. } => "DEVICE_REGISTERED",
            PushMessage::Unregistered { .. } => "DEVICE_UNREGISTERED",
            PushMessage::AliasChanged { .. } => "DEVICE_ALIAS_CHANGED",
        }
    }
}

/// A string field that must be there (and not `null`).
fn required_str<'a>(
    fields: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, MessageError> {
    optional_str(fields, field)?.ok_or(MessageError::MissingField(field))
}

/// A string field that may be left out or `null`; any other type is an error.
fn optional_str<'a>(
    fields: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, MessageError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(MessageError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::path::PathBuf;

    fn fixture(name: &str) -> Vec<u8> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mqtt")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn lg_example_device_status() {
        let msg = PushMessage::parse(&fixture("DEVICE_STATUS.json")).unwrap();
        assert_eq!(
            msg,
            PushMessage::Status {
                device_id: "HW1-69C3EDD9-1993-4442-B139-794CA5997ECA".into(),
                device_type: Some("DEVICE_WASHER".into()),
                report: json!({"operation": {"airConOperationMode": "POWER_ON"}}),
            }
        );
    }

    #[test]
    fn lg_example_device_push() {
        let msg = PushMessage::parse(&fixture("DEVICE_PUSH.json")).unwrap();
        assert_eq!(
            msg,
            PushMessage::Push {
                device_id: "HW1-69C3EDD9-1993-4442-B139-794CA5997ECA".into(),
                device_type: Some("DEVICE_WASHER".into()),
                push_code: "WASHING_IS_COMPLETE".into(),
            }
        );
    }

    #[test]
    fn lg_example_device_registered() {
        let msg = PushMessage::parse(&fixture("DEVICE_REGISTERED.json")).unwrap();
        assert_eq!(
            msg,
            PushMessage::Registered {
                device_id: "87e78580-7117-11d3-a99e-30a9de10016f".into(),
                device_type: Some("DEVICE_WASHER".into()),
                model_name: Some("FH0D7DDNK0_WIFI".into()),
                alias: Some("t10_test".into()),
            }
        );
    }

    #[test]
    fn lg_example_device_unregistered() {
        let msg = PushMessage::parse(&fixture("DEVICE_UNREGISTERED.json")).unwrap();
        assert_eq!(
            msg,
            PushMessage::Unregistered {
                device_id: "87e78580-7117-11d3-a99e-30a9de10016f".into()
            }
        );
    }

    #[test]
    fn lg_example_device_alias_changed() {
        let msg = PushMessage::parse(&fixture("DEVICE_ALIAS_CHANGED.json")).unwrap();
        assert_eq!(
            msg,
            PushMessage::AliasChanged {
                device_id: "87e78580-7117-11d3-a99e-30a9de10016f".into(),
                alias: "MyDishWasher".into(),
            }
        );
        assert_eq!(msg.push_type(), "DEVICE_ALIAS_CHANGED");
    }

    /// The flat form (what HA reads) gives the same result as LG's wrapped examples.
    #[test]
    fn flat_form_equals_wrapped_form() {
        for name in [
            "DEVICE_STATUS.json",
            "DEVICE_PUSH.json",
            "DEVICE_REGISTERED.json",
            "DEVICE_UNREGISTERED.json",
            "DEVICE_ALIAS_CHANGED.json",
        ] {
            let wrapped: Value = serde_json::from_slice(&fixture(name)).unwrap();
            let inner = wrapped
                .get("event")
                .or_else(|| wrapped.get("push"))
                .unwrap();
            let flat = serde_json::to_vec(inner).unwrap();
            assert_eq!(
                PushMessage::parse(&flat).unwrap(),
                PushMessage::parse(&fixture(name)).unwrap(),
                "{name}"
            );
        }
    }

    #[test]
    fn malformed_messages_are_errors() {
        let cases: &[(&[u8], MessageError)] = &[
            (b"", MessageError::NotJson(String::new())),
            (b"[1,2]", MessageError::NotAnObject),
            (
                br#"{"deviceId":"a"}"#,
                MessageError::MissingField("pushType"),
            ),
            (
                br#"{"pushType":"DEVICE_STATUS"}"#,
                MessageError::MissingField("deviceId"),
            ),
            (
                br#"{"pushType":"DEVICE_STATUS","deviceId":""}"#,
                MessageError::MissingField("deviceId"),
            ),
            (
                br#"{"pushType":"DEVICE_STATUS","deviceId":"a"}"#,
                MessageError::MissingField("report"),
            ),
            (
                br#"{"pushType":"DEVICE_STATUS","deviceId":"a","report":5}"#,
                MessageError::WrongType {
                    field: "report",
                    expected: "an object or an array",
                },
            ),
            (
                br#"{"pushType":"DEVICE_PUSH","deviceId":"a"}"#,
                MessageError::MissingField("pushCode"),
            ),
            (
                br#"{"pushType":"DEVICE_PUSH","deviceId":7,"pushCode":"X"}"#,
                MessageError::WrongType {
                    field: "deviceId",
                    expected: "a string",
                },
            ),
            (
                br#"{"pushType":"DEVICE_ALIAS_CHANGED","deviceId":"a"}"#,
                MessageError::MissingField("alias"),
            ),
            (
                br#"{"push":{"pushType":"DEVICE_GONE_FISHING","deviceId":"a"}}"#,
                MessageError::UnknownPushType("DEVICE_GONE_FISHING".into()),
            ),
        ];
        for (payload, expected) in cases {
            let got = PushMessage::parse(payload).unwrap_err();
            match (expected, &got) {
                (MessageError::NotJson(_), MessageError::NotJson(_)) => {}
                _ => assert_eq!(&got, expected, "{}", String::from_utf8_lossy(payload)),
            }
        }
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            prop_oneof![
                Just("DEVICE_STATUS".to_owned()),
                Just("DEVICE_PUSH".to_owned()),
                Just("DEVICE_REGISTERED".to_owned()),
                Just("DEVICE_UNREGISTERED".to_owned()),
                Just("DEVICE_ALIAS_CHANGED".to_owned()),
                ".*",
            ]
            .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            let key = prop_oneof![
                Just("pushType".to_owned()),
                Just("deviceId".to_owned()),
                Just("deviceType".to_owned()),
                Just("report".to_owned()),
                Just("pushCode".to_owned()),
                Just("alias".to_owned()),
                Just("modelName".to_owned()),
                Just("event".to_owned()),
                Just("push".to_owned()),
                "[a-z]{1,6}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key, inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = PushMessage::parse(&bytes);
        }

        #[test]
        fn parse_never_panics_on_json(value in arbitrary_json()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            if let Ok(msg) = PushMessage::parse(&bytes) {
                // Whatever parses names a non-empty device.
                prop_assert!(!msg.device_id().is_empty());
            }
        }
    }
}
