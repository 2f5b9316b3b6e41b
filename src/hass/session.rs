//! The session with the Home Assistant broker (Mosquitto).
