//! Every S3 operation's action name and the kind of resource it acts on, as the AWS service
//! authorization reference lists them. The one table the evaluator, the validator (is this
//! an action at all? does it apply to any of the statement's resources?) and the server's
//! access hook share.

use std::sync::OnceLock;

/// What an action's resource ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// `arn:aws:s3:::bucket`
    Bucket,
    /// `arn:aws:s3:::bucket/key`
    Object,
    /// No resource of its own (`s3:ListAllMyBuckets`, `s3:CreateBucket` is a bucket's): `*`.
    Service,
}

use ResourceKind::{Bucket, Object, Service};

/// (S3 operation, action, resource kind), sorted by operation (looked up through a hash map
/// on every request). An operation on a given version (`versionId`) asks for the `…Version…`
/// action instead: see [`s3_action`].
const OPERATIONS: &[(&str, &str, ResourceKind)] = &[
    ("AbortMultipartUpload", "s3:AbortMultipartUpload", Object),
    ("CompleteMultipartUpload", "s3:PutObject", Object),
    ("CopyObject", "s3:PutObject", Object),
    ("CreateBucket", "s3:CreateBucket", Bucket),
    ("CreateMultipartUpload", "s3:PutObject", Object),
    ("DeleteBucket", "s3:DeleteBucket", Bucket),
    ("DeleteBucketCors", "s3:PutBucketCORS", Bucket),
    ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration", Bucket),
    ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", Bucket),
    ("DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", Bucket),
    ("DeleteBucketPolicy", "s3:DeleteBucketPolicy", Bucket),
    ("DeleteBucketReplication", "s3:PutReplicationConfiguration", Bucket),
    ("DeleteBucketTagging", "s3:PutBucketTagging", Bucket),
    ("DeleteBucketWebsite", "s3:DeleteBucketWebsite", Bucket),
    ("DeleteObject", "s3:DeleteObject", Object),
    ("DeleteObjectTagging", "s3:DeleteObjectTagging", Object),
    ("DeleteObjects", "s3:DeleteObject", Object),
    ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", Bucket),
    (
        "GetBucketAccelerateConfiguration",
        "s3:GetAccelerateConfiguration",
        Bucket,
    ),
    ("GetBucketAcl", "s3:GetBucketAcl", Bucket),
    ("GetBucketCors", "s3:GetBucketCORS", Bucket),
    ("GetBucketEncryption", "s3:GetEncryptionConfiguration", Bucket),
    (
        "GetBucketLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
        Bucket,
    ),
    ("GetBucketLocation", "s3:GetBucketLocation", Bucket),
    ("GetBucketLogging", "s3:GetBucketLogging", Bucket),
    ("GetBucketNotificationConfiguration", "s3:GetBucketNotification", Bucket),
    ("GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", Bucket),
    ("GetBucketPolicy", "s3:GetBucketPolicy", Bucket),
    ("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", Bucket),
    ("GetBucketReplication", "s3:GetReplicationConfiguration", Bucket),
    ("GetBucketRequestPayment", "s3:GetBucketRequestPayment", Bucket),
    ("GetBucketTagging", "s3:GetBucketTagging", Bucket),
    ("GetBucketVersioning", "s3:GetBucketVersioning", Bucket),
    ("GetBucketWebsite", "s3:GetBucketWebsite", Bucket),
    ("GetObject", "s3:GetObject", Object),
    ("GetObjectAcl", "s3:GetObjectAcl", Object),
    ("GetObjectAttributes", "s3:GetObjectAttributes", Object),
    ("GetObjectLegalHold", "s3:GetObjectLegalHold", Object),
    (
        "GetObjectLockConfiguration",
        "s3:GetBucketObjectLockConfiguration",
        Bucket,
    ),
    ("GetObjectRetention", "s3:GetObjectRetention", Object),
    ("GetObjectTagging", "s3:GetObjectTagging", Object),
    ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", Bucket),
    ("HeadBucket", "s3:ListBucket", Bucket),
    ("HeadObject", "s3:GetObject", Object),
    ("ListBuckets", "s3:ListAllMyBuckets", Service),
    ("ListMultipartUploads", "s3:ListBucketMultipartUploads", Bucket),
    ("ListObjectVersions", "s3:ListBucketVersions", Bucket),
    ("ListObjects", "s3:ListBucket", Bucket),
    ("ListObjectsV2", "s3:ListBucket", Bucket),
    ("ListParts", "s3:ListMultipartUploadParts", Object),
    ("PostObject", "s3:PutObject", Object),
    ("PutBucketAcl", "s3:PutBucketAcl", Bucket),
    ("PutBucketCors", "s3:PutBucketCORS", Bucket),
    ("PutBucketEncryption", "s3:PutEncryptionConfiguration", Bucket),
    (
        "PutBucketLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        Bucket,
    ),
    ("PutBucketLogging", "s3:PutBucketLogging", Bucket),
    ("PutBucketNotificationConfiguration", "s3:PutBucketNotification", Bucket),
    ("PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", Bucket),
    ("PutBucketPolicy", "s3:PutBucketPolicy", Bucket),
    ("PutBucketReplication", "s3:PutReplicationConfiguration", Bucket),
    ("PutBucketRequestPayment", "s3:PutBucketRequestPayment", Bucket),
    ("PutBucketTagging", "s3:PutBucketTagging", Bucket),
    ("PutBucketVersioning", "s3:PutBucketVersioning", Bucket),
    ("PutBucketWebsite", "s3:PutBucketWebsite", Bucket),
    ("PutObject", "s3:PutObject", Object),
    ("PutObjectAcl", "s3:PutObjectAcl", Object),
    ("PutObjectLegalHold", "s3:PutObjectLegalHold", Object),
    (
        "PutObjectLockConfiguration",
        "s3:PutBucketObjectLockConfiguration",
        Bucket,
    ),
    ("PutObjectRetention", "s3:PutObjectRetention", Object),
    ("PutObjectTagging", "s3:PutObjectTagging", Object),
    ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", Bucket),
    ("RestoreObject", "s3:RestoreObject", Object),
    ("SelectObjectContent", "s3:GetObject", Object),
    ("UploadPart", "s3:PutObject", Object),
    ("UploadPartCopy", "s3:PutObject", Object),
];

/// Actions no operation above asks for by name but that policies may grant: the per-version
/// forms, and actions of features Arca answers elsewhere.
const OTHER_ACTIONS: &[(&str, ResourceKind)] = &[
    ("s3:GetObjectVersion", Object),
    ("s3:GetObjectVersionAcl", Object),
    ("s3:GetObjectVersionAttributes", Object),
    ("s3:GetObjectVersionTagging", Object),
    ("s3:PutObjectVersionAcl", Object),
    ("s3:PutObjectVersionTagging", Object),
    ("s3:DeleteObjectVersion", Object),
    ("s3:DeleteObjectVersionTagging", Object),
    ("s3:BypassGovernanceRetention", Object),
    ("s3:ReplicateObject", Object),
    ("s3:ReplicateDelete", Object),
    ("s3:ReplicateTags", Object),
    ("s3:ObjectOwnerOverrideToBucketOwner", Object),
    ("s3:PutAccountPublicAccessBlock", Service),
    ("s3:GetAccountPublicAccessBlock", Service),
];

/// The action and resource kind of S3 operation `operation` (s3s's operation name), on a
/// given version when `versioned` (a `versionId` in the request).
pub fn s3_action(operation: &str, versioned: bool) -> Option<(&'static str, ResourceKind)> {
    // Asked on every request a policy decides: a hash lookup, not a dozen string compares.
    static BY_OPERATION: OnceLock<foldhash::HashMap<&'static str, usize>> = OnceLock::new();
    let by_operation =
        BY_OPERATION.get_or_init(|| OPERATIONS.iter().enumerate().map(|(i, (op, _, _))| (*op, i)).collect());
    let (_, action, kind) = &OPERATIONS[*by_operation.get(operation)?];
    let action = match (*action, versioned) {
        ("s3:GetObject", true) if operation == "GetObject" || operation == "HeadObject" => "s3:GetObjectVersion",
        ("s3:GetObjectAcl", true) => "s3:GetObjectVersionAcl",
        ("s3:PutObjectAcl", true) => "s3:PutObjectVersionAcl",
        ("s3:GetObjectTagging", true) => "s3:GetObjectVersionTagging",
        ("s3:PutObjectTagging", true) => "s3:PutObjectVersionTagging",
        ("s3:DeleteObjectTagging", true) => "s3:DeleteObjectVersionTagging",
        ("s3:GetObjectAttributes", true) => "s3:GetObjectVersionAttributes",
        ("s3:DeleteObject", true) if operation == "DeleteObject" => "s3:DeleteObjectVersion",
        (a, _) => a,
    };
    Some((action, *kind))
}

/// Every S3 action Arca knows, with the kind of resource it applies to.
pub fn s3_actions() -> impl Iterator<Item = (&'static str, ResourceKind)> {
    let mut seen = std::collections::HashSet::new();
    OPERATIONS
        .iter()
        .map(|(_, a, k)| (*a, *k))
        .chain(OTHER_ACTIONS.iter().copied())
        .filter(move |(a, _)| seen.insert(*a))
}

/// The ARN of a bucket or of an object in it.
pub fn s3_resource_arn(bucket: &str, key: Option<&str>) -> String {
    // Built by hand: `format!` costs several times as much, on every request.
    const PREFIX: &str = "arn:aws:s3:::";
    let mut arn = String::with_capacity(PREFIX.len() + bucket.len() + key.map_or(0, |k| k.len() + 1));
    arn.push_str(PREFIX);
    arn.push_str(bucket);
    if let Some(k) = key {
        arn.push('/');
        arn.push_str(k);
    }
    arn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_ask_for_version_actions() {
        assert_eq!(s3_action("GetObject", false), Some(("s3:GetObject", Object)));
        assert_eq!(s3_action("HeadObject", true), Some(("s3:GetObjectVersion", Object)));
        assert_eq!(
            s3_action("DeleteObject", true),
            Some(("s3:DeleteObjectVersion", Object))
        );
        assert_eq!(s3_action("ListObjectsV2", true), Some(("s3:ListBucket", Bucket)));
        assert_eq!(s3_action("CopyObject", true), Some(("s3:PutObject", Object)));
        assert_eq!(s3_action("NoSuchOperation", false), None);
    }

    #[test]
    fn operations_are_sorted_for_the_binary_search() {
        assert!(OPERATIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn the_catalogue_has_no_action_twice() {
        let all: Vec<_> = s3_actions().collect();
        let mut names: Vec<_> = all.iter().map(|(a, _)| a.to_ascii_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }
}
