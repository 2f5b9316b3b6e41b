//! The JSON envelope every ThinQ answer travels in, and the error codes the simulator uses.
//!
//! LG wraps a success as `{"messageId","timestamp","response"}` and a failure as
//! `{"messageId","timestamp","error":{"code","message"}}`, with the code a string of four
//! digits (thinq-api.md §1.3, §1.4). The simulator builds both here so that every route
//! answers in exactly the same shape.

use base64::Engine as _;
use serde_json::{Value, json};

/// A ThinQ error answer: the HTTP status and the four-digit code LG sends with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}, ThinQ error {code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    /// An error with the HTTP status and message LG uses for `code`.
    pub fn new(code: &str) -> Self {
        ApiError {
            status: http_status_for(code),
            code: code.to_owned(),
            message: message_for(code).to_owned(),
        }
    }

    /// The same error with a more precise message (the code and status stay LG's).
    pub fn with_message(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            message: message.into(),
            ..ApiError::new(code)
        }
    }
}

/// Error codes the simulator answers with (names as in the official SDK's enum).
pub mod code {
    pub const BAD_REQUEST: &str = "1000";
    pub const MISSING_PARAMETERS: &str = "1101";
    pub const UNACCEPTABLE_PARAMETERS: &str = "1102";
    pub const INVALID_TOKEN: &str = "1103";
    pub const INVALID_MESSAGE_ID: &str = "1104";
    pub const NOT_SUBSCRIBED_EVENT: &str = "1204";
    pub const NOT_EXIST_DEVICE: &str = "1205";
    pub const NOT_SUBSCRIBED_PUSH: &str = "1206";
    pub const ALREADY_SUBSCRIBED_PUSH: &str = "1207";
    /// Used when a client id asks for a certificate (or is deleted) before `POST /client`.
    /// LG's exact code for this is not documented; this is the closest name in the SDK enum.
    pub const NOT_REGISTERED_DEVICE_IN_SERVICE: &str = "1210";
    pub const INCORRECT_HEADER: &str = "1216";
    pub const NOT_CONNECTED_DEVICE: &str = "1222";
    /// Used for `POST /client` without `allowExist` when the id is already registered
    /// (LG registers the client as a device of type 607; the code is our guess).
    pub const DUPLICATE_DEVICE_ID: &str = "1225";
    pub const EXCEEDED_API_CALLS: &str = "1306";
    pub const NOT_SUPPORTED_COUNTRY: &str = "1307";
    pub const EXCEEDED_NUMBER_OF_EVENT_SUBSCRIPTION: &str = "1312";
    pub const EXCEEDED_USER_API_CALLS: &str = "1314";
    pub const INTERNAL_SERVER_ERROR: &str = "2000";
    pub const INVALID_COMMAND_ERROR: &str = "2207";
    pub const COMMAND_NOT_SUPPORTED_IN_REMOTE_OFF: &str = "2301";
    pub const COMMAND_NOT_SUPPORTED_IN_STATE: &str = "2302";
    pub const COMMAND_NOT_SUPPORTED_IN_POWER_OFF: &str = "2304";
}

/// The HTTP status that goes with a code.
///
/// LG documents only part of this table (1000–1104 → 400, 1201 → 404, 0000 → 500) and the
/// live API answers 1314 with 401. The rest follows the code families: 13xx are authority
/// errors (401), "not found" style 12xx codes are 404, other 12xx/22xx/23xx are 400, and
/// 0000/2000 are server errors.
pub fn http_status_for(code: &str) -> u16 {
    match code {
        "0000" | "2000" => 500,
        "1103" | "1218" | "1302" => 401,
        "1201" | "1202" | "1203" | "1205" | "1213" => 404,
        c if c.starts_with("13") => 401,
        c if c.starts_with("10") || c.starts_with("11") || c.starts_with("12") => 400,
        c if c.starts_with("22") || c.starts_with("23") || c.starts_with("21") => 400,
        _ => 500,
    }
}

/// A short message in LG's style for a code (the SDK's constant names, spelled out).
pub fn message_for(code: &str) -> &'static str {
    match code {
        "0000" => "Unknown error",
        "1000" => "Bad request",
        "1101" => "Missing parameters",
        "1102" => "Unacceptable parameters",
        "1103" => "Invalid token",
        "1104" => "Invalid message id",
        "1204" => "Not subscribed event",
        "1205" => "Not exist device",
        "1206" => "Not subscribed push",
        "1207" => "Already subscribed push",
        "1210" => "Not registered device in service",
        "1216" => "Incorrect header",
        "1222" => "Not connected device",
        "1225" => "Duplicate device id",
        "1306" => "Exceeded API calls",
        "1307" => "Not supported country",
        "1312" => "Exceeded number of event subscription",
        "1314" => "Exceeded User API calls",
        "2000" => "Internal server error",
        "2207" => "Invalid command error",
        "2208" => "Fail device control",
        "2301" => "Command not supported in remote off",
        "2302" => "Command not supported in state",
        "2303" => "Command not supported in error",
        "2304" => "Command not supported in power off",
        "2305" => "Command not supported in mode",
        _ => "Error",
    }
}

/// A fresh message id the way LG makes them: the 16 bytes of a UUIDv4 as URL-safe base64
/// without padding (22 characters).
pub fn message_id() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

/// Whether `value` is a well-formed `x-message-id`: exactly 22 URL-safe base64 characters.
pub fn is_valid_message_id(value: &str) -> bool {
    value.len() == 22
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The envelope timestamp: UTC, microseconds, no zone suffix (`2023-12-27T05:28:17.739840`).
pub fn timestamp() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000000"))
}

/// A success envelope around `response`.
pub fn success(response: Value) -> Value {
    json!({"messageId": message_id(), "timestamp": timestamp(), "response": response})
}

/// An error envelope for `error`.
pub fn failure(error: &ApiError) -> Value {
    json!({
        "messageId": message_id(),
        "timestamp": timestamp(),
        "error": {"code": error.code, "message": error.message},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_22_urlsafe_characters() {
        for _ in 0..100 {
            let id = message_id();
            assert!(is_valid_message_id(&id), "{id}");
        }
        assert!(!is_valid_message_id("too-short"));
        assert!(!is_valid_message_id("AAAAAAAAAAAAAAAAAAAAA="));
        assert!(!is_valid_message_id("AAAAAAAAAAAAAAAAAAAA+A"));
    }

    #[test]
    fn statuses_follow_lg() {
        assert_eq!(http_status_for("1314"), 401);
        assert_eq!(http_status_for("1103"), 401);
        assert_eq!(http_status_for("1104"), 400);
        assert_eq!(http_status_for("1216"), 400);
        assert_eq!(http_status_for("1205"), 404);
        assert_eq!(http_status_for("2000"), 500);
        assert_eq!(http_status_for("2207"), 400);
    }

    #[test]
    fn timestamp_has_microseconds_and_no_zone() {
        let ts = timestamp();
        assert_eq!(ts.len(), 26, "{ts}");
        assert_eq!(ts.get(10..11), Some("T"));
        assert_eq!(ts.get(19..20), Some("."));
    }
}
