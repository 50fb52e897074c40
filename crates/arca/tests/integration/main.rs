//! Integration tests: a real `arca server` process on a loopback port, driven by the official
//! AWS SDK for Rust (and plain HTTP where the SDK would hide the bad input).
//!
//! One test binary (modules below) keeps link time low on small CI machines.

mod harness;

mod accounts;
mod acls;
mod auth;
mod buckets;
mod cli;
mod crash;
mod customer_keys;
mod encryption;
mod kms;
mod lifecycle;
mod listing;
mod multipart;
pub mod negative;
mod objects;
mod policies;
mod roles;
mod server;
mod streaming;
mod tiers;
mod versioning;
