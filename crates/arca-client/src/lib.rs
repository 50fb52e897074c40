//! # arca-client
//!
//! The client half of the `arca` binary: `ls`, `cp`, `mv`, `sync`, `rm`, `mb`, `rb`, `cat`,
//! `stat`, `du`, `tree`, `presign`, `uploads` and `alias`, in the spirit of `aws s3`, against
//! Arca or any S3-compatible endpoint. [`cli`] declares them; each lives in a module of its
//! own under `commands/`.
//!
//! Where a command finds its endpoint and credentials ([`connect`]): a saved alias
//! (`arca alias set NAME URL KEY SECRET`, then `NAME/bucket/key`), or the AWS SDK's own chain
//! for `s3://bucket/key` — flags (`--endpoint-url`, `--profile`, `--region`), `AWS_*`
//! variables, `~/.aws/credentials` and `~/.aws/config` (including `endpoint_url`).
//!
//! Transfers ([`transfer`]) stream: above the multipart threshold uploads send parts in
//! parallel and downloads fetch ranges in parallel, with memory bounded by part size ×
//! concurrency whatever the file size.

pub mod alias;
mod bounded;
pub mod cli;
mod commands;
pub mod connect;
mod error;
pub mod filter;
pub mod flags;
mod location;
mod new_file;
mod output;
mod pages;
mod progress;
pub mod resume;
mod signed;
pub mod sync;
mod transfer;
mod trust;

pub use cli::{ClientCommand, run};
pub use error::ClientError;
pub use flags::ClientArgs;
