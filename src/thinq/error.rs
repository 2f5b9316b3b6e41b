//! Typed ThinQ API errors: every documented code, and what each means for the bridge.
//!
//! LG answers a failed call with `{"error": {"code": "1222", "message": "…"}}` and an HTTP
//! status that does not always tell the story: the live API sends "Exceeded User API calls"
//! (1314) with **HTTP 401**, so a client that treats every 401 as a bad PAT would tell the user
//! to replace a token that is fine. The bridge therefore decides on the *code*, through the
//! `is_*` helpers on [`ApiError`]. Codes and names: `reference/thinq-api.md` §1.4.

use std::fmt;

/// Declares [`ErrorCode`] with its code string and help text in one table, so the three can
/// never drift apart.
macro_rules! error_codes {
    ($( $variant:ident = $code:literal => $meaning:literal, )*) => {
        /// A ThinQ API error code (the 4-digit string of the error envelope).
        ///
        /// `Display` prints the code itself (`1222`); [`ErrorCode::meaning`] gives a short text a
        /// user can act on. Codes LG may add later are kept as [`ErrorCode::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $variant, )*
            /// A code this client does not know, kept verbatim.
            Other(String),
        }

        impl ErrorCode {
            /// Every documented code, in LG's order (for tests and documentation).
            pub const KNOWN: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// Parses the envelope's `code` string; unknown codes become [`ErrorCode::Other`].
            pub fn from_code(code: &str) -> ErrorCode {
                match code.trim() {
                    $( $code => ErrorCode::$variant, )*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }

            /// The 4-digit code as LG sends it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $code, )*
                    ErrorCode::Other(code) => code,
                }
            }

            /// What the code means, in words a user of the add-on can act on.
            pub fn meaning(&self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $meaning, )*
                    ErrorCode::Other(_) => "an error code this add-on does not know; see LG's message",
                }
            }
        }
    };
}

error_codes! {
    UnknownError = "0000" => "undefined error on LG's server; try again later",
    BadRequest = "1000" => "LG refused the request as malformed",
    MissingParameters = "1101" => "a required field was missing from the request",
    UnacceptableParameters = "1102" => "a field of the request has a value LG does not accept",
    InvalidToken = "1103" => "the personal access token (PAT) is invalid; create a new one at https://connect-pat.lgthinq.com",
    InvalidMessageId = "1104" => "the x-message-id header was malformed",
    NotRegisteredAdmin = "1201" => "not a registered administrator",
    NotRegisteredUser = "1202" => "the LG account is not registered with ThinQ Connect",
    NotRegisteredService = "1203" => "the service is not registered",
    NotSubscribedEvent = "1204" => "there is no event subscription for this device",
    NotExistDevice = "1205" => "the device does not exist on this LG account",
    NotSubscribedPush = "1206" => "there is no push subscription for this device",
    AlreadySubscribedPush = "1207" => "already subscribed (harmless)",
    NotRegisteredServiceByAdmin = "1208" => "the service was not registered by an administrator",
    NotRegisteredUserInService = "1209" => "the user is not registered in the service",
    NotRegisteredDeviceInService = "1210" => "the device is not registered in the service",
    NotRegisteredDeviceByUser = "1211" => "the device is not registered by this user",
    NotOwnedDevice = "1212" => "the device belongs to another LG account",
    NotRegisteredDevice = "1213" => "the device is not registered",
    NotSubscribableDevice = "1214" => "the device does not support push or event subscriptions",
    IncorrectHeader = "1216" => "a request header was missing or wrong",
    AlreadyDeviceDeleted = "1217" => "the device was already deleted",
    InvalidTokenAgain = "1218" => "the personal access token (PAT) is invalid; create a new one at https://connect-pat.lgthinq.com",
    NotSupportedModel = "1219" => "this appliance model is not supported by ThinQ Connect",
    NotSupportedFeature = "1220" => "this feature is not supported",
    NotSupportedProduct = "1221" => "this product is not supported by ThinQ Connect",
    NotConnectedDevice = "1222" => "the appliance is offline (not connected to LG's cloud); check its Wi-Fi and power",
    InvalidStatusDevice = "1223" => "the appliance is in a state that does not allow this",
    InvalidDeviceId = "1224" => "the device id is invalid",
    DuplicateDeviceId = "1225" => "the device id is duplicated",
    InvalidServiceKey = "1301" => "the service key (x-api-key) was refused",
    NotFoundToken = "1302" => "the personal access token (PAT) is unknown to LG; create a new one at https://connect-pat.lgthinq.com",
    NotFoundUser = "1303" => "the LG user was not found",
    NotAcceptableTerms = "1304" => "LG's terms of use must be accepted again: open the LG ThinQ app and accept them",
    NotAllowedApi = "1305" => "this API is not allowed for this account",
    ExceededApiCalls = "1306" => "too many API calls; LG throttles per hour, the add-on waits and retries",
    NotSupportedCountry = "1307" => "the country does not match the PAT's country; check the country option",
    NoControlAuthority = "1308" => "this appliance cannot be controlled remotely (older ThinQ v1 appliances)",
    NotAllowedApiAgain = "1309" => "the PAT lacks a permission for this call; create a PAT with all five scopes ticked",
    NotSupportedDomain = "1310" => "the domain is not supported",
    BadRequestFormat = "1311" => "the request format was wrong",
    ExceededNumberOfEventSubscription = "1312" => "too many event subscriptions on this account",
    ExceededUserApiCalls = "1314" => "too many API calls for this user (\"Exceeded User API calls\"); the add-on waits and retries",
    InternalServerError = "2000" => "internal error on LG's server; try again later",
    NotSupportedModelAgain = "2101" => "this appliance model is not supported",
    NotProvidedFeature = "2201" => "this feature is not provided for the appliance",
    NotSupportedProductAgain = "2202" => "this product is not supported",
    NotExistentModelJson = "2203" => "LG has no model description for this appliance",
    InvalidDeviceStatus = "2205" => "the appliance reported an invalid status",
    InvalidCommandError = "2207" => "the command was not valid for this appliance",
    FailDeviceControl = "2208" => "the appliance did not carry out the command",
    DeviceResponseDelay = "2209" => "the appliance answered too slowly; try again",
    RetryRequest = "2210" => "LG asks to retry the request",
    Syncing = "2212" => "the appliance is syncing with LG's cloud; try again shortly",
    RetryAfterDeletingDevice = "2213" => "remove the appliance from the ThinQ app, add it again, then retry",
    FailRequest = "2214" => "the request failed",
    CommandNotSupportedInRemoteOff = "2301" => "remote control is switched off on the appliance; enable it on the appliance",
    CommandNotSupportedInState = "2302" => "the appliance cannot do this in its current state",
    CommandNotSupportedInError = "2303" => "the appliance is in an error state",
    CommandNotSupportedInPowerOff = "2304" => "the appliance is off; this command needs it on",
    CommandNotSupportedInMode = "2305" => "the appliance cannot do this in its current mode",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a call to LG's REST API failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// LG answered with its error envelope.
    #[error("ThinQ API error {code} (HTTP {status}): {message} — {}", code.meaning())]
    Api {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    /// No answer within the 15 s request timeout.
    #[error("the ThinQ API did not answer in time")]
    Timeout,
    /// The request never got an HTTP answer (DNS, TCP, TLS…).
    #[error("could not reach the ThinQ API: {0}")]
    Transport(String),
    /// An HTTP answer that is not LG's envelope (or not the shape the endpoint promises).
    #[error("unexpected answer from the ThinQ API (HTTP {status}): {detail}")]
    InvalidResponse { status: u16, detail: String },
    /// The configured country is not in LG's region table.
    #[error(
        "country {0:?} is not supported by LG ThinQ Connect (use an ISO 3166 alpha-2 code such as DE or US)"
    )]
    UnsupportedCountry(String),
    /// The configuration cannot work (bad `THINQ_API_URL`, empty PAT, HTTP client setup).
    #[error("invalid ThinQ API configuration: {0}")]
    Config(String),
    /// The bridge did not send the call (LG rejects the token; the call budget holds it).
    #[error("not sent to LG: {0}")]
    NotSent(String),
}

impl ApiError {
    /// The LG error code, when LG sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            ApiError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// LG is throttling this account (1306 from the SDK enum, 1314 as seen live with HTTP 401,
    /// or a bare HTTP 429): back off, do not tell the user the PAT is bad.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            ApiError::Api { code, .. } => {
                matches!(
                    code,
                    ErrorCode::ExceededApiCalls | ErrorCode::ExceededUserApiCalls
                )
            }
            ApiError::InvalidResponse { status, .. } => *status == 429,
            _ => false,
        }
    }

    /// The PAT cannot be used at all, so retrying is pointless and the user must act.
    ///
    /// 1103, 1218 and 1302 say the token itself is invalid or unknown. 1304 (terms not
    /// accepted) is included too: no call works until the user accepts LG's terms in the app,
    /// which is the same situation for the bridge. 1309 is **not** included: it means one
    /// missing PAT scope, and other calls may still work — see [`Self::is_permission_denied`].
    /// The HTTP status is ignored on purpose (1314 arrives with 401 and is a rate limit).
    pub fn is_auth_failure(&self) -> bool {
        // LG also rejects a PAT with a bare HTTP 401 and no body (thinq-api.md §9).
        if let ApiError::InvalidResponse { status: 401, .. } = self {
            return true;
        }
        matches!(
            self.code(),
            Some(
                ErrorCode::InvalidToken
                    | ErrorCode::InvalidTokenAgain
                    | ErrorCode::NotFoundToken
                    | ErrorCode::NotAcceptableTerms
            )
        )
    }

    /// The PAT lacks the scope for this one call (1309) or the API is not allowed (1305).
    pub fn is_permission_denied(&self) -> bool {
        matches!(
            self.code(),
            Some(ErrorCode::NotAllowedApiAgain | ErrorCode::NotAllowedApi)
        )
    }

    /// The appliance is offline (1222): mark it unavailable rather than failing.
    pub fn is_device_offline(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::NotConnectedDevice))
    }

    /// The subscription already exists (1207): the wanted state, not a failure.
    pub fn is_already_subscribed(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::AlreadySubscribedPush))
    }

    /// A later retry of the same call may succeed without anyone acting: timeouts, network
    /// failures, 5xx answers without an LG code, and the codes where LG itself says "retry".
    /// Rate limits are excluded: they need a long backoff, see [`Self::is_rate_limited`].
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Timeout | ApiError::Transport(_) => true,
            ApiError::InvalidResponse { status, .. } => *status >= 500,
            ApiError::Api { code, .. } => matches!(
                code,
                ErrorCode::UnknownError
                    | ErrorCode::InternalServerError
                    | ErrorCode::DeviceResponseDelay
                    | ErrorCode::RetryRequest
                    | ErrorCode::Syncing
            ),
            ApiError::UnsupportedCountry(_) | ApiError::Config(_) | ApiError::NotSent(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn api(status: u16, code: &str) -> ApiError {
        ApiError::Api {
            status,
            code: ErrorCode::from_code(code),
            message: "m".into(),
        }
    }

    #[test]
    fn every_documented_code_round_trips_and_has_help_text() {
        // 61 codes in the SDK enum (§1.4) plus the live-only 1314.
        assert_eq!(ErrorCode::KNOWN.len(), 61);
        let mut seen = HashSet::new();
        for code in ErrorCode::KNOWN {
            let text = code.to_string();
            assert_eq!(text.len(), 4, "{text}");
            assert!(text.chars().all(|c| c.is_ascii_digit()), "{text}");
            assert!(seen.insert(text.clone()), "{text} listed twice");
            assert_eq!(&ErrorCode::from_code(&text), code);
            assert!(!code.meaning().is_empty());
        }
    }

    #[test]
    fn unknown_codes_are_kept_verbatim() {
        let code = ErrorCode::from_code("9999");
        assert_eq!(code, ErrorCode::Other("9999".into()));
        assert_eq!(code.to_string(), "9999");
        assert!(!code.meaning().is_empty());
    }

    #[test]
    fn http_401_with_1314_is_a_rate_limit_not_an_auth_failure() {
        let err = api(401, "1314");
        assert!(err.is_rate_limited());
        assert!(!err.is_auth_failure());
        assert!(!err.is_transient());
    }

    #[test]
    fn classification_follows_the_code() {
        assert!(api(429, "1306").is_rate_limited());
        for code in ["1103", "1218", "1302", "1304"] {
            assert!(api(401, code).is_auth_failure(), "{code}");
            assert!(!api(401, code).is_rate_limited(), "{code}");
        }
        assert!(!api(403, "1309").is_auth_failure());
        assert!(api(403, "1309").is_permission_denied());
        assert!(api(400, "1222").is_device_offline());
        assert!(!api(400, "1222").is_auth_failure());
        assert!(api(400, "1207").is_already_subscribed());
        assert!(api(500, "2209").is_transient());
        assert!(ApiError::Timeout.is_transient());
        assert!(
            ApiError::InvalidResponse {
                status: 429,
                detail: String::new()
            }
            .is_rate_limited()
        );
        assert!(
            ApiError::InvalidResponse {
                status: 502,
                detail: String::new()
            }
            .is_transient()
        );
        assert_eq!(ApiError::Timeout.code(), None);
        assert_eq!(
            api(400, "1222").code(),
            Some(&ErrorCode::NotConnectedDevice)
        );
    }

    #[test]
    fn display_names_the_code_and_its_meaning() {
        let text = api(400, "1222").to_string();
        assert!(text.contains("1222") && text.contains("offline"), "{text}");
    }
}
