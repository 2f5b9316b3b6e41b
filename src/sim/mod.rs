//! Simulated ThinQ cloud.
