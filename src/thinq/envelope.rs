//! LG's answer envelope: `{"messageId", "timestamp", "response"}` on success,
//! `{"messageId", "timestamp", "error": {"code", "message"}}` on failure, and the inner
//! `{"resultCode", "result"}` some endpoints add. Kept apart from the client so every way an
//! answer can be malformed is handled, and tested, in one place.

use super::error::{ApiError, ErrorCode};
use serde_json::Value;

/// How much of a non-envelope body goes into an error message.
const DETAIL_LIMIT: usize = 200;

/// Turns an HTTP status and body into the `response` member or a typed error.
///
/// * 2xx with `{"response": …}` → that value; 2xx with an empty body or no `response`
///   → `Null` (the SDK ignores the body of control and subscribe calls).
/// * `{"error": {"code", "message"}}` (any status) → [`ApiError::Api`]; the code may be a
///   string or a number.
/// * anything else that is not 2xx (HTML from a proxy, an empty 502…) →
///   [`ApiError::InvalidResponse`] with the start of the body.
pub fn parse_envelope(status: u16, body: &[u8]) -> Result<Value, ApiError> {
    let success = (200..300).contains(&status);
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(error) = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .filter(|e| e.is_object())
    {
        let code = match error.get("code") {
            Some(Value::String(code)) => code.clone(),
            Some(Value::Number(code)) => format!("{code:0>4}"),
            _ => String::new(),
        };
        if !code.is_empty() {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(ApiError::Api {
                status,
                code: ErrorCode::from_code(&code),
                message: message.to_owned(),
            });
        }
    }
    if !success {
        return Err(ApiError::InvalidResponse {
            status,
            detail: body_excerpt(body),
        });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    match parsed {
        Some(Value::Object(mut envelope)) => Ok(envelope.remove("response").unwrap_or(Value::Null)),
        Some(other) => Err(ApiError::InvalidResponse {
            status,
            detail: format!(
                "expected the envelope object, got {}",
                crate::json_kind(&other)
            ),
        }),
        None => Err(ApiError::InvalidResponse {
            status,
            detail: body_excerpt(body),
        }),
    }
}

/// Unwraps the inner `{"resultCode": "0000", "result": {…}}` some endpoints add inside
/// `response`; a value without it is returned as it is. A `resultCode` other than `0000`
/// becomes an [`ApiError::Api`].
pub fn unwrap_result(response: Value) -> Result<Value, ApiError> {
    let Value::Object(mut map) = response else {
        return Ok(response);
    };
    if let Some(code) = map.get("resultCode").and_then(Value::as_str)
        && code != "0000"
    {
        let message = map
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return Err(ApiError::Api {
            status: 200,
            code: ErrorCode::from_code(code),
            message,
        });
    }
    match map.remove("result") {
        Some(result) => Ok(result),
        None => Ok(Value::Object(map)),
    }
}

fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .take(DETAIL_LIMIT)
        .collect();
    if text.trim().is_empty() {
        "(empty body)".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn success_envelope_yields_response() {
        let body =
            br#"{"messageId":"abc","timestamp":"2023-12-27T05:28:17.739840","response":{"a":1}}"#;
        assert_eq!(parse_envelope(200, body).unwrap(), json!({"a": 1}));
        assert_eq!(parse_envelope(204, b"").unwrap(), Value::Null);
        assert_eq!(
            parse_envelope(200, br#"{"messageId":"x"}"#).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn error_envelope_yields_typed_error() {
        let body = br#"{"messageId":"x","timestamp":"t","error":{"code":"1222","message":"Not connected device"}}"#;
        match parse_envelope(400, body).unwrap_err() {
            ApiError::Api {
                status,
                code,
                message,
            } => {
                assert_eq!(status, 400);
                assert_eq!(code, ErrorCode::NotConnectedDevice);
                assert_eq!(message, "Not connected device");
            }
            other => panic!("{other:?}"),
        }
        let live_1314 = br#"{"error":{"message":"Exceeded User API calls","code":"1314"}}"#;
        let err = parse_envelope(401, live_1314).unwrap_err();
        assert!(err.is_rate_limited() && !err.is_auth_failure(), "{err:?}");
        let numeric = br#"{"error":{"code":1103,"message":"Invalid token"}}"#;
        assert_eq!(
            parse_envelope(401, numeric).unwrap_err().code(),
            Some(&ErrorCode::InvalidToken)
        );
    }

    #[test]
    fn non_json_error_body_is_invalid_response() {
        let err = parse_envelope(502, b"<html><body>Bad Gateway</body></html>").unwrap_err();
        match &err {
            ApiError::InvalidResponse {
                status: 502,
                detail,
            } => assert!(detail.contains("Bad Gateway")),
            other => panic!("{other:?}"),
        }
        assert!(err.is_transient());
        assert!(matches!(
            parse_envelope(401, b"").unwrap_err(),
            ApiError::InvalidResponse { status: 401, .. }
        ));
        assert!(matches!(
            parse_envelope(200, b"not json").unwrap_err(),
            ApiError::InvalidResponse { status: 200, .. }
        ));
        assert!(matches!(
            parse_envelope(200, b"[1]").unwrap_err(),
            ApiError::InvalidResponse { status: 200, .. }
        ));
    }

    #[test]
    fn inner_result_wrapper_is_unwrapped() {
        let wrapped = json!({"resultCode": "0000", "result": {"certificatePem": "x"}});
        assert_eq!(
            unwrap_result(wrapped).unwrap(),
            json!({"certificatePem": "x"})
        );
        assert_eq!(
            unwrap_result(json!({"certificatePem": "x"})).unwrap(),
            json!({"certificatePem": "x"})
        );
        let failed = unwrap_result(json!({"resultCode": "2000"})).unwrap_err();
        assert_eq!(failed.code(), Some(&ErrorCode::InternalServerError));
    }
}
