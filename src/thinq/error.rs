//! Typed ThinQ API errors: every documented code, and what each means for the bridge.
