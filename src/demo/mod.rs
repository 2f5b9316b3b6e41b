//! Demo: the whole product on one machine, without an LG account or external services.

pub mod broker;
