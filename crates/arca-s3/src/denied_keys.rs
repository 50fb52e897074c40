//! The keys of a DeleteObjects request that the requester may not delete.
//!
//! S3 decides a DeleteObjects key by key: a key the requester may not delete is an
//! `AccessDenied` entry in the result, and the others are deleted. The server's access hook
//! decides (it knows the policies), takes those keys out of the request and leaves them here,
//! in the request's extensions, for the operation to answer.

/// Keys (with their version ids) of a DeleteObjects request refused by the access hook, in
/// request order.
#[derive(Debug, Clone, Default)]
pub struct DeniedKeys(pub Vec<(String, Option<String>)>);
