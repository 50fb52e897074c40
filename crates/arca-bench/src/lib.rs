//! # arca-bench
//!
//! A warp-style load generator for any S3 endpoint, and a null HTTP server that answers without
//! storing anything so every figure can be put next to this machine's HTTP ceiling.
//!
//! The client is deliberately lean (hyper + aws-sigv4, `UNSIGNED-PAYLOAD`, keep-alive
//! connections): on a small machine that runs client and server together, a heavy client would
//! measure itself.
//!
//! Workloads: `put`, `get`, `mixed` (45% GET, 30% HEAD, 15% PUT, 10% DELETE), `list`,
//! `multipart` (parallel part upload, then parallel ranged download), `kms` (GenerateDataKey
//! through KMS's JSON API). Each reports ops/s,
//! MiB/s, p50/p90/p99 latency and, for GETs, time to first byte.

pub mod cli;
mod client;
mod null_server;
mod report;
mod workloads;

pub use cli::{BenchArgs, run};
