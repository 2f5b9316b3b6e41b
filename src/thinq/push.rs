//! The mutual-TLS MQTT session with LG's AWS IoT Core broker.
