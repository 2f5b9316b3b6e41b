//! The ThinQ Connect REST client.
