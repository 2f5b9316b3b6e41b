//! The client id, private key and certificate kept under the data dir.
