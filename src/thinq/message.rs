//! Push messages as LG sends them on the AWS IoT topic.
