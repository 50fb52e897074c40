//! Conditional writes (`If-None-Match`, `If-Match` on PUT and CompleteMultipartUpload).

use crate::error::{StoreError, StoreResult};
use crate::record::ObjectVersion;

/// A condition a write must meet, checked atomically inside its commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum WriteCondition {
    /// No condition.
    #[default]
    Always,
    /// `If-None-Match: *`: only if no object has the key.
    IfAbsent,
    /// `If-Match: *`: only if some object has the key.
    IfPresent,
    /// `If-Match: "etag"`: only if the current object has this ETag (unquoted).
    IfEtag(String),
}

impl WriteCondition {
    pub(crate) fn check(&self, current: Option<&ObjectVersion>) -> StoreResult<()> {
        match (self, current) {
            (WriteCondition::Always, _) | (WriteCondition::IfAbsent, None) => Ok(()),
            (WriteCondition::IfAbsent, Some(_)) => Err(StoreError::PreconditionFailed("object exists")),
            // S3 answers a failed If-Match on a missing key with NoSuchKey; the caller names it.
            (WriteCondition::IfPresent | WriteCondition::IfEtag(_), None) => Err(StoreError::NoSuchKey {
                bucket: String::new(),
                key: String::new(),
            }),
            (WriteCondition::IfPresent, Some(_)) => Ok(()),
            (WriteCondition::IfEtag(e), Some(cur)) if *e == cur.etag => Ok(()),
            (WriteCondition::IfEtag(_), Some(_)) => Err(StoreError::PreconditionFailed("etag differs")),
        }
    }
}
