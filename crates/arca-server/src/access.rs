//! Who may do what: the server's answer to s3s's access hook, asked after a request's
//! signature is checked and before its input is read.
//!
//! Arca has one identity that signs today, the root user, owner of every bucket; unsigned
//! requests are anonymous. The rules, in the order they are applied:
//! - `x-amz-expected-bucket-owner` (and, for copies, `x-amz-source-expected-bucket-owner`)
//!   must name the owner of the bucket the request acts on;
//! - a bucket policy's explicit `Deny` refuses anyone it applies to, the root user too —
//!   except for reading, replacing or deleting the policy itself, so that an owner cannot
//!   lock themselves out;
//! - the root user may do everything else;
//! - an anonymous request needs a bucket policy that allows it by naming everyone, and is
//!   refused anyway when the policy is public and the bucket's Block Public Access restricts
//!   public buckets.
//!
//! Everything refused is `403 AccessDenied`, whatever the reason: the requester learns
//! nothing of the policy. IAM users, identity policies and ACLs (issue 12) are decided here
//! too.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use arca_iam::{ConditionContext, Identity, Policy, PolicyKind, PrincipalMatch, Request, ResourceKind};
use arca_s3::aws_error::AwsError;
use arca_store::{BucketPolicy, Store, StoreError};
use http::HeaderName;
use s3s::S3Result;
use s3s::access::{S3Access, S3AccessContext};

/// The account id of the root user's account, until accounts exist: bucket policies name the
/// root as `arn:aws:iam::000000000000:root` or `000000000000`.
pub(crate) const ROOT_ACCOUNT: &str = "000000000000";

/// The connection a request came on, put into each request by the listener.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Client {
    /// The peer's address (`aws:SourceIp`).
    pub(crate) ip: IpAddr,
    /// Whether the connection is TLS (`aws:SecureTransport`).
    pub(crate) secure: bool,
}

/// A bucket policy parsed, with the stored text it was parsed from (`None`: it no longer
/// parses).
type ParsedPolicy = (Arc<str>, Option<Arc<Policy>>);

/// The access rules, over the store that knows each bucket's owner and policy.
pub(crate) struct Access {
    store: Arc<Store>,
    root: Identity,
    /// Parsed policies by bucket, with the stored text they were parsed from: a policy is
    /// parsed once, not per request.
    parsed: Mutex<HashMap<String, ParsedPolicy>>,
}

impl Access {
    pub(crate) fn new(store: Arc<Store>, owner_id: String) -> Self {
        Access {
            store,
            root: Identity::Root {
                account: ROOT_ACCOUNT.to_string(),
                canonical_id: owner_id,
            },
            parsed: Mutex::new(HashMap::new()),
        }
    }

    /// A bucket that does not exist is not refused here: the operation answers NoSuchBucket.
    fn require_owner(&self, bucket: &str, expected: &str) -> S3Result<()> {
        match self.store.get_bucket(bucket) {
            Ok(b) if b.owner.id == expected => Ok(()),
            Ok(_) => Err(AwsError::AccessDenied.error()),
            Err(StoreError::NoSuchBucket(_)) => Ok(()),
            Err(e) => Err(arca_s3::error::store_error(e)),
        }
    }

    /// The bucket's policy, parsed. `None` if the stored text no longer parses (a stricter
    /// parser than the one that stored it): such a policy grants and denies nothing.
    fn policy(&self, bucket: &str, stored: &BucketPolicy) -> Option<Arc<Policy>> {
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((text, policy)) = parsed.get(bucket)
            && Arc::ptr_eq(text, &stored.policy)
        {
            return policy.clone();
        }
        let kind = PolicyKind::Bucket {
            bucket: bucket.to_string(),
        };
        let policy = match Policy::parse(&stored.policy, &kind) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                tracing::warn!(bucket, error = %e, "stored bucket policy no longer parses; ignoring it");
                None
            }
        };
        parsed.insert(bucket.to_string(), (stored.policy.clone(), policy.clone()));
        policy
    }

    /// The bucket policy's part in the decision.
    fn check_policy(&self, cx: &mut S3AccessContext<'_>, bucket: &str, stored: &BucketPolicy) -> S3Result<()> {
        let anonymous = cx.credentials().is_none();
        let client = cx.extensions_mut().get::<Client>().copied();
        let Some(policy) = self.policy(bucket, stored) else {
            return if anonymous { Err(denied()) } else { Ok(()) };
        };
        let versioned = cx
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("versionId=")));
        let operation = cx.s3_op().name();
        let Some((action, kind)) = arca_iam::s3_action(operation, versioned) else {
            return if anonymous { Err(denied()) } else { Ok(()) };
        };
        let resource = match kind {
            ResourceKind::Object => arca_iam::s3_resource_arn(bucket, cx.s3_path().get_object_key()),
            ResourceKind::Bucket => arca_iam::s3_resource_arn(bucket, None),
            ResourceKind::Service => "*".to_string(),
        };
        let identity = if anonymous { &Identity::Anonymous } else { &self.root };
        let context = condition_context(cx, client, identity);
        let answer = policy.evaluate(&Request {
            identity,
            action,
            resource: &resource,
            context: &context,
        });
        let own_policy = matches!(operation, "GetBucketPolicy" | "PutBucketPolicy" | "DeleteBucketPolicy");
        if answer.denies && !(own_policy && !anonymous && stored.owner_id == self.root_canonical_id()) {
            tracing::info!(
                bucket,
                action,
                resource,
                "denied by an explicit Deny of the bucket policy"
            );
            return Err(denied());
        }
        if !anonymous {
            return Ok(());
        }
        if answer.allows != PrincipalMatch::Direct {
            tracing::info!(
                bucket,
                action,
                resource,
                "anonymous request: no statement of the bucket policy allows it"
            );
            return Err(denied());
        }
        if stored.public_access_block.is_some_and(|b| b.restrict_public_buckets) && policy.is_public() {
            tracing::info!(
                bucket,
                action,
                resource,
                "anonymous request: Block Public Access restricts this public bucket"
            );
            return Err(denied());
        }
        Ok(())
    }

    fn root_canonical_id(&self) -> &str {
        match &self.root {
            Identity::Root { canonical_id, .. } => canonical_id,
            _ => "",
        }
    }
}

fn denied() -> s3s::S3Error {
    AwsError::AccessDenied.error()
}

/// The condition keys a bucket policy may test, from the request as it arrived.
fn condition_context(cx: &S3AccessContext<'_>, client: Option<Client>, identity: &Identity) -> ConditionContext {
    let mut c = ConditionContext::new();
    if let Some(client) = client {
        c.set("aws:SourceIp", client.ip.to_string());
        c.set("aws:SecureTransport", client.secure.to_string());
    }
    let now = time::OffsetDateTime::now_utc();
    if let Ok(t) = now.format(&time::format_description::well_known::Rfc3339) {
        c.set("aws:CurrentTime", t);
    }
    c.set("aws:EpochTime", now.unix_timestamp().to_string());
    for (key, header) in [
        ("aws:UserAgent", "user-agent"),
        ("aws:Referer", "referer"),
        ("s3:x-amz-acl", "x-amz-acl"),
        ("s3:x-amz-server-side-encryption", "x-amz-server-side-encryption"),
        ("s3:x-amz-content-sha256", "x-amz-content-sha256"),
        ("s3:x-amz-storage-class", "x-amz-storage-class"),
    ] {
        if let Some(v) = cx.headers().get(header).and_then(|v| v.to_str().ok()) {
            c.set(key, v);
        }
    }
    let query = cx.uri().query().unwrap_or("");
    let presigned = query.contains("X-Amz-Signature=");
    if cx.credentials().is_some() {
        c.set(
            "s3:authType",
            if presigned { "REST-QUERY-STRING" } else { "REST-HEADER" },
        );
    }
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = match name {
            "prefix" => "s3:prefix",
            "delimiter" => "s3:delimiter",
            "max-keys" => "s3:max-keys",
            _ => continue,
        };
        let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
        c.set(key, value.into_owned());
    }
    if let (Some(arn), Some(account)) = (identity.arn(), identity.account()) {
        c.set("aws:PrincipalArn", arn);
        c.set("aws:PrincipalAccount", account);
        c.set("aws:PrincipalType", "Account");
        c.set("aws:userid", account);
    } else {
        c.set("aws:PrincipalType", "Anonymous");
    }
    c
}

// Header names made once: a lookup by `&str` would parse and validate the name per request.
const EXPECTED_OWNER: HeaderName = HeaderName::from_static("x-amz-expected-bucket-owner");
const SOURCE_EXPECTED_OWNER: HeaderName = HeaderName::from_static("x-amz-source-expected-bucket-owner");
const COPY_SOURCE: HeaderName = HeaderName::from_static("x-amz-copy-source");

fn header<'a>(cx: &'a S3AccessContext<'_>, name: &HeaderName) -> Option<&'a str> {
    cx.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The bucket of an `x-amz-copy-source` value (`[/]bucket/key[?versionId=…]`).
fn copy_source_bucket(source: &str) -> Option<&str> {
    source
        .trim_start_matches('/')
        .split('/')
        .next()
        .filter(|b| !b.is_empty())
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if let Some(expected) = header(cx, &EXPECTED_OWNER)
            && let Some(bucket) = cx.s3_path().get_bucket_name()
        {
            self.require_owner(bucket, expected)?;
        }
        if let Some(expected) = header(cx, &SOURCE_EXPECTED_OWNER)
            && let Some(bucket) = header(cx, &COPY_SOURCE).and_then(copy_source_bucket)
        {
            self.require_owner(bucket, expected)?;
        }
        let bucket = cx.s3_path().get_bucket_name().map(str::to_string);
        match bucket.and_then(|b| Some((self.store.bucket_policy(&b)?, b))) {
            Some((stored, bucket)) => self.check_policy(cx, &bucket, &stored),
            None if cx.credentials().is_none() => Err(denied()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_bucket_is_the_first_segment() {
        assert_eq!(copy_source_bucket("/b/k/x?versionId=1"), Some("b"));
        assert_eq!(copy_source_bucket("b/k"), Some("b"));
        assert_eq!(copy_source_bucket("/"), None);
    }
}
