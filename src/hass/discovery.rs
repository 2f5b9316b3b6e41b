//! Device-based discovery payloads.
