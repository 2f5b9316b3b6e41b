//! The ThinQ cloud client against real local parts: a minimal HTTP server that checks LG's
//! headers and answers in LG's envelope (the full simulator lives in `src/sim`), a test CA
//! that really signs our CSRs, and a real mosquitto with `require_certificate true` standing
//! in for AWS IoT Core.

mod api;
mod credentials;
mod fake_lg;
mod push;
#[path = "../support/mod.rs"]
mod support;
