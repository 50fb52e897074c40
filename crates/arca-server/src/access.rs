//! Who may do what: the server's answer to s3s's access hook, asked after a request's
//! signature is checked and before its input is read.
//!
//! The signers are accounts' root users, IAM users (see [`crate::identity`]) and nobody
//! (unsigned requests). A bucket belongs to one account. The rules, in the order they are
//! applied, as AWS evaluates a request:
//! - `x-amz-expected-bucket-owner` (and, for copies, `x-amz-source-expected-bucket-owner`)
//!   must name the account that owns the bucket the request acts on;
//! - an explicit `Deny`, in the bucket policy or the user's own policies, refuses — the
//!   owning account's root user too, except for reading, replacing or deleting the bucket
//!   policy itself, so that an owner cannot lock themselves out;
//! - the owning account's root user may do everything else;
//! - within the owning account, an IAM user needs an `Allow` from their own policies or one
//!   from the bucket policy that names them (or everyone);
//! - from another account, both sides must allow: the bucket policy must name the requester
//!   (or their account, or everyone), and a requester who is an IAM user needs an `Allow`
//!   from their own policies too; with a public policy, a bucket whose Block Public Access
//!   restricts public buckets lets no other account in;
//! - an anonymous request needs a bucket policy that allows it by naming everyone, and is
//!   refused anyway when the policy is public and the bucket's Block Public Access restricts
//!   public buckets.
//!
//! A request on no bucket (ListBuckets) or on one that does not exist is judged as one within
//! the requester's own account: the operation then answers `NoSuchBucket`.
//!
//! Everything refused is `403 AccessDenied`, whatever the reason: the requester learns
//! nothing of the policies. The reason goes to the log, and the denial, explained statement by
//! statement, to the ring `arca admin explain` reads ([`crate::explain`]).

use std::net::IpAddr;
use std::sync::Arc;

use arca_iam::{ConditionContext, KeySet, Policy, PrincipalMatch, Request, RequestKey, ResourceKind};
use arca_s3::aws_error::AwsError;
use arca_s3::denied_keys::DeniedKeys;
use arca_s3::requester::{OPERATIONS_THAT_NEED_IT, RequesterAccount};
use arca_store::{Acl, BucketAccess, ObjectVersion, Owner, PublicAccessBlock, Store};
use http::{HeaderMap, HeaderName, Uri};
use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::{CopyObjectInput, CopySource, DeleteObjectsInput, UploadPartCopyInput};
use s3s::{S3Request, S3Result};

use crate::acl_grants::{self, AclOf};
use crate::explain::{DecisionLog, Explanation, PolicyReport, context_report};
use crate::identity::{Identities, Signer, signer_keys};
use crate::request_id::RequestId;

/// The connection a request came on, put into each request by the listener.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Client {
    /// The peer's address (`aws:SourceIp`).
    pub(crate) ip: IpAddr,
    /// Whether the connection is TLS (`aws:SecureTransport`).
    pub(crate) secure: bool,
}

/// The access rules, over the store that knows each bucket's owner and policy. Cheap to
/// clone: the admin API holds one too, to explain and simulate decisions.
#[derive(Clone)]
pub(crate) struct Access {
    store: Arc<Store>,
    identities: Arc<Identities>,
    denials: Arc<DecisionLog>,
}

/// A made-up request for [`Access::simulate`].
pub(crate) struct Simulated<'a> {
    pub(crate) signer: &'a Signer,
    pub(crate) action: &'a str,
    pub(crate) resource: &'a str,
    /// The bucket whose policy applies, if the resource is in one.
    pub(crate) bucket: Option<&'a str>,
    pub(crate) context: ConditionContext,
}

impl Access {
    pub(crate) fn new(store: Arc<Store>, identities: Arc<Identities>) -> Self {
        Access {
            store,
            identities,
            denials: Arc::new(DecisionLog::default()),
        }
    }

    /// Who signed a request (with its session token, for a session's key).
    fn signer_of(
        &self,
        credentials: Option<&s3s::auth::Credentials>,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> S3Result<Signer> {
        let access_key = credentials.map(|c| c.access_key.as_str());
        let token = access_key
            .filter(|k| crate::sessions::is_session_key(k))
            .and_then(|_| crate::sessions::token_of(headers, uri));
        self.identities
            .signer(access_key, token.as_deref())
            .map_err(|refusal| refusal.error())
    }

    /// The recent denials, by request id.
    pub(crate) fn denials(&self) -> &DecisionLog {
        &self.denials
    }

    /// `expected` is an account id, as in AWS. A bucket that does not exist is not refused
    /// here: the operation answers NoSuchBucket.
    fn require_owner(&self, bucket: &str, expected: &str) -> S3Result<()> {
        match self.store.bucket_access(bucket) {
            Some(b) if !self.identities.account_owns(expected, &b.owner) => Err(AwsError::AccessDenied.error()),
            _ => Ok(()),
        }
    }

    /// The decision for one action of a request: the signer's, on `asked.resource`, under the
    /// policy of `asked.bucket` if it has one. A denial is logged and explained (see
    /// [`crate::explain`]).
    fn decide(&self, asked: &Asked<'_>) -> S3Result<()> {
        let stored = asked.access;
        // The common case costs no evaluation: the owner's root user, no bucket policy.
        if owners_root_without_policy(asked.signer, stored) {
            return Ok(());
        }
        let signer = asked.signer;
        let identity = self.identities.identity(signer);
        let policy = self.parsed_policy(asked.bucket, stored);
        // Gather only the request keys the policies at hand read.
        let reads = policy
            .as_ref()
            .map_or(KeySet::default(), |p| p.reads)
            .union(self.identities.keys_read(signer));
        let mut context = condition_context(asked.headers, asked.uri, asked.client, signer, reads);
        signer_keys(&mut context, identity, signer, reads);
        let request = Request {
            identity,
            action: asked.action,
            resource: asked.resource,
            context: &context,
        };
        let object = self.governing_object(stored, asked);
        // The ACL of an object being written is its writer's to set where the writer will own
        // it (ACLs enabled): the object is then theirs.
        let writer = signer
            .account()
            .filter(|_| asked.new_object && stored.is_some_and(BucketAccess::acls_enabled));
        let target = Target {
            bucket: stored,
            blocks: self.blocks_in_force(stored),
            object: match writer {
                Some(w) => Some((&w.owner, None)),
                None => object.as_ref().map(|o| (&o.owner, o.acl.as_ref())),
            },
        };
        let Some(why) = self.judge(signer, &request, &target, policy.as_deref(), None) else {
            return Ok(());
        };
        let principal = identity.arn().unwrap_or_else(|| "anonymous".into());
        let request_id = asked.request_id.map(RequestId::text).unwrap_or_default();
        tracing::info!(principal, action = asked.action, resource = %asked.resource, why, request_id, "access denied");
        // Explaining costs a second evaluation, with traces: paid by denials only.
        let mut policies = Vec::new();
        self.judge(
            signer,
            &request,
            &target,
            policy.as_deref(),
            Some((&mut policies, asked.bucket)),
        );
        self.denials.record(Explanation {
            request_id,
            time: now_rfc3339(),
            decision: "denied",
            reason: why.to_string(),
            principal,
            action: asked.action.to_string(),
            resource: asked.resource.to_string(),
            context: context_report(&context),
            policies,
        });
        Err(denied())
    }

    /// The object whose owner and ACL govern `asked`, if the bucket's ACLs count and an
    /// object's ACL governs the action. (A store read, paid only on such buckets.)
    fn governing_object(&self, bucket: Option<&BucketAccess>, asked: &Asked<'_>) -> Option<ObjectVersion> {
        bucket.filter(|b| b.acls_enabled())?;
        let (AclOf::Object, _) = acl_grants::needed(asked.action)? else {
            return None;
        };
        let (name, key) = (asked.bucket?, asked.key?);
        match asked.version_id {
            Some(id) => self.store.get_version(name, key, id).ok(),
            None => self.store.get_object(name, key).ok(),
        }
    }

    /// The Block Public Access in force for `bucket`: its own and its owner account's.
    fn blocks_in_force(&self, bucket: Option<&BucketAccess>) -> Option<PublicAccessBlock> {
        let bucket = bucket?;
        PublicAccessBlock::either(
            bucket.public_access_block,
            self.identities.account_blocks(&bucket.owner.id),
        )
    }

    /// `bucket`'s policy, parsed (`None` if it has none, or no bucket).
    fn parsed_policy(&self, name: Option<&str>, bucket: Option<&BucketAccess>) -> Option<Arc<Policy>> {
        match (name, bucket.and_then(|b| b.policy.as_ref())) {
            (Some(name), Some(text)) => self.identities.bucket_policy(name, text),
            _ => None,
        }
    }

    /// The rules applied to one request on `bucket` (see the module docs): `Some(why)` if it
    /// is denied. With `reports`, each policy is evaluated with its trace and reported (the
    /// bucket's name labels its policy).
    fn judge(
        &self,
        signer: &Signer,
        request: &Request<'_>,
        target: &Target<'_>,
        policy: Option<&Policy>,
        mut reports: Option<(&mut Vec<PolicyReport>, Option<&str>)>,
    ) -> Option<&'static str> {
        let bucket = target.bucket;
        let bucket_answer = policy.map(|p| match &mut reports {
            Some((reports, bucket)) => {
                let answer = p.evaluate(request);
                let source = format!("bucket policy of {}", bucket.unwrap_or("the bucket"));
                reports.push(PolicyReport::new(source, p, &answer));
                answer
            }
            None => p.answer(request),
        });
        let identity_answer = self
            .identities
            .identity_answer(signer, request, reports.as_mut().map(|(r, _)| &mut **r));
        let own_policy = matches!(
            request.action,
            "s3:GetBucketPolicy" | "s3:PutBucketPolicy" | "s3:DeleteBucketPolicy"
        );
        let denied_by_bucket = bucket_answer.as_ref().is_some_and(|a| a.denies);
        let denied_by_identity = identity_answer.as_ref().is_some_and(|a| a.denies);
        let restricted =
            target.blocks.is_some_and(|p| p.restrict_public_buckets) && policy.is_some_and(|p| p.is_public());
        let by_policy = bucket_answer.as_ref().map_or(PrincipalMatch::No, |a| a.allows);
        let by_acl = target.acl_answer(request);
        // What the resource side allows a stranger (anonymous, another account): a public
        // policy restricted by Block Public Access allows them nothing.
        let resource_allows = if restricted { by_acl } else { by_policy.max(by_acl) };
        let Some(account) = signer.account() else {
            // Anonymous.
            return if denied_by_bucket {
                Some("an explicit Deny of the bucket policy")
            } else if resource_allows == PrincipalMatch::Direct {
                None
            } else if restricted {
                Some("anonymous request: Block Public Access restricts this public bucket")
            } else {
                Some("anonymous request: no statement of the bucket policy or ACL grant allows it")
            };
        };
        // Whose resource it is: an object's owner where its ACL governs the action (under
        // `ObjectWriter`, another account may own an object in the bucket), else the bucket's.
        let own_bucket = match (target.object, bucket) {
            (Some((owner, _)), _) => account.owns(owner),
            (None, Some(b)) => account.owns(&b.owner),
            (None, None) => true,
        };
        let is_root = matches!(signer, Signer::Root(_));
        if is_root && own_bucket {
            return (denied_by_bucket && !own_policy).then_some("an explicit Deny of the bucket policy");
        }
        if denied_by_bucket {
            return Some("an explicit Deny of the bucket policy");
        }
        if denied_by_identity {
            return Some("an explicit Deny of the user's policies");
        }
        // A root user's own account allows it everything; a user's, what their policies do.
        let by_identity = is_root || identity_answer.as_ref().is_some_and(|a| a.allows != PrincipalMatch::No);
        if own_bucket {
            return (!by_identity && by_policy.max(by_acl) != PrincipalMatch::Direct)
                .then_some("no statement of the user's policies, the bucket policy or an ACL grant allows it");
        }
        // Another account's resource: both sides must allow.
        if resource_allows != PrincipalMatch::No {
            (!by_identity).then_some(
                "another account's bucket: its policy or ACL allows it, but no statement of the user's own policies does",
            )
        } else if restricted {
            Some("another account's bucket: Block Public Access restricts this public bucket to its own account")
        } else {
            Some("another account's bucket: no statement of its bucket policy or ACL grant allows it")
        }
    }

    /// The decision for a made-up request, explained: what `arca admin policy simulate` asks.
    pub(crate) fn simulate(&self, asked: &Simulated<'_>) -> Explanation {
        let stored = asked.bucket.and_then(|b| self.store.bucket_access(b));
        let target = Target {
            bucket: stored.as_deref(),
            object: None,
            blocks: self.blocks_in_force(stored.as_deref()),
        };
        let policy = self.parsed_policy(asked.bucket, stored.as_deref());
        let identity = self.identities.identity(asked.signer);
        let mut context = asked.context.clone();
        signer_keys(&mut context, identity, asked.signer, KeySet::ALL);
        let request = Request {
            identity,
            action: asked.action,
            resource: asked.resource,
            context: &context,
        };
        let mut policies = Vec::new();
        let why = self.judge(
            asked.signer,
            &request,
            &target,
            policy.as_deref(),
            Some((&mut policies, asked.bucket)),
        );
        Explanation {
            request_id: "simulated".into(),
            time: now_rfc3339(),
            decision: if why.is_some() { "denied" } else { "allowed" },
            reason: why.map_or_else(
                || match asked.signer {
                    Signer::Root(a) if stored.as_ref().is_none_or(|b| a.owns(&b.owner)) => {
                        "the owner's root user, and no explicit Deny".to_string()
                    }
                    _ => "a statement allows it and none denies it".to_string(),
                },
                str::to_string,
            ),
            principal: identity.arn().unwrap_or_else(|| "anonymous".into()),
            action: asked.action.to_string(),
            resource: asked.resource.to_string(),
            context: context_report(&context),
            policies,
        }
    }

    /// The decision for reading `key` (a version of it with `version_id`) of `bucket` as the
    /// source of a copy.
    fn decide_copy_source(&self, req: &S3Request<impl Send>, source: &CopySource) -> S3Result<()> {
        let CopySource::Bucket {
            bucket,
            key,
            version_id,
        } = source
        else {
            return Err(denied());
        };
        let signer = self.signer_of(req.credentials.as_ref(), &req.headers, &req.uri)?;
        let access = self.store.bucket_access(bucket);
        self.decide(&Asked {
            signer: &signer,
            action: if version_id.is_some() {
                "s3:GetObjectVersion"
            } else {
                "s3:GetObject"
            },
            bucket: Some(bucket),
            access: access.as_deref(),
            key: Some(key),
            version_id: version_id.as_deref(),
            new_object: false,
            resource: &arca_iam::s3_resource_arn(bucket, Some(key)),
            headers: &req.headers,
            uri: &req.uri,
            client: req.extensions.get::<Client>().copied(),
            request_id: req.extensions.get::<RequestId>().copied(),
        })
    }
}

/// What an access decision needs of a request, whichever hook asks.
struct Asked<'a> {
    signer: &'a Signer,
    action: &'static str,
    bucket: Option<&'a str>,
    /// `bucket`'s owner and settings, looked up once by the hook that asks (`None`: no bucket,
    /// or none of that name).
    access: Option<&'a BucketAccess>,
    /// The object's key and version id, for an action on one.
    key: Option<&'a str>,
    version_id: Option<&'a str>,
    /// Whether the action sets the ACL of an object the request writes (not yet stored).
    new_object: bool,
    resource: &'a str,
    headers: &'a HeaderMap,
    uri: &'a Uri,
    client: Option<Client>,
    request_id: Option<RequestId>,
}

/// Whether `signer` is the root user of the account that owns `bucket` (or of any account,
/// for a request on no bucket), the bucket has no policy and its ACLs do not count: then
/// nothing can refuse.
fn owners_root_without_policy(signer: &Signer, bucket: Option<&BucketAccess>) -> bool {
    match signer {
        Signer::Root(account) => {
            bucket.is_none_or(|b| b.policy.is_none() && !b.acls_enabled() && account.owns(&b.owner))
        }
        _ => false,
    }
}

/// The resource a request acts on, as the rules see it.
struct Target<'a> {
    bucket: Option<&'a BucketAccess>,
    /// The object's owner and ACL, where the bucket's ACLs count and an object's ACL governs
    /// the action ([`acl_grants::needed`]).
    object: Option<(&'a Owner, Option<&'a Acl>)>,
    /// Block Public Access in force: the bucket's and its owner account's.
    blocks: Option<PublicAccessBlock>,
}

impl Target<'_> {
    /// How the governing ACL's grants name the requester (never, where ACLs do not count).
    fn acl_answer(&self, request: &Request<'_>) -> PrincipalMatch {
        let Some(bucket) = self.bucket.filter(|b| b.acls_enabled()) else {
            return PrincipalMatch::No;
        };
        let Some((of, permission)) = acl_grants::needed(request.action) else {
            return PrincipalMatch::No;
        };
        let acl = match of {
            AclOf::Bucket => bucket.acl.as_ref(),
            AclOf::Object => self.object.and_then(|(_, acl)| acl),
        };
        let ignore_public = self.blocks.is_some_and(|b| b.ignore_public_acls);
        acl.map_or(PrincipalMatch::No, |acl| {
            acl_grants::grants(acl, request.identity, permission, ignore_public)
        })
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn denied() -> s3s::S3Error {
    AwsError::AccessDenied.error()
}

/// `ip` as `aws:SourceIp` holds it. An IPv4 address is written digit by digit: through
/// `Display` it costs ten times as much, on every request a policy reads it for.
fn ip_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut text = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

/// The condition keys a policy may test (those it `reads`), from the request as it arrived.
fn condition_context(
    headers: &HeaderMap,
    uri: &Uri,
    client: Option<Client>,
    signer: &Signer,
    reads: KeySet,
) -> ConditionContext {
    let mut c = ConditionContext::new();
    // Values are made only for the keys read.
    let mut set = |key: RequestKey, value: &dyn Fn() -> String| {
        if reads.contains(key) {
            c.set(key.name(), value());
        }
    };
    if let Some(client) = client {
        set(RequestKey::SourceIp, &|| ip_text(client.ip));
        set(RequestKey::SecureTransport, &|| client.secure.to_string());
    }
    if reads.contains(RequestKey::CurrentTime) || reads.contains(RequestKey::EpochTime) {
        let now = time::OffsetDateTime::now_utc();
        let rfc3339 = &time::format_description::well_known::Rfc3339;
        set(RequestKey::CurrentTime, &|| now.format(rfc3339).unwrap_or_default());
        set(RequestKey::EpochTime, &|| now.unix_timestamp().to_string());
    }
    for (key, header) in [
        (RequestKey::UserAgent, http::header::USER_AGENT),
        (RequestKey::Referer, http::header::REFERER),
        (RequestKey::Acl, ACL),
        (RequestKey::ServerSideEncryption, SERVER_SIDE_ENCRYPTION),
        (RequestKey::ContentSha256, CONTENT_SHA256),
        (RequestKey::StorageClass, STORAGE_CLASS),
    ] {
        if reads.contains(key)
            && let Some(v) = headers.get(header).and_then(|v| v.to_str().ok())
        {
            set(key, &|| v.to_string());
        }
    }
    let query = uri.query().unwrap_or("");
    if !matches!(signer, Signer::Anonymous) {
        let presigned = query.contains("X-Amz-Signature=") || query.contains("Signature=");
        let how = if presigned { "REST-QUERY-STRING" } else { "REST-HEADER" };
        set(RequestKey::AuthType, &|| how.to_string());
    }
    let listing = [RequestKey::Prefix, RequestKey::Delimiter, RequestKey::MaxKeys];
    if listing.iter().any(|k| reads.contains(*k)) {
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = match name {
                "prefix" => RequestKey::Prefix,
                "delimiter" => RequestKey::Delimiter,
                "max-keys" => RequestKey::MaxKeys,
                _ => continue,
            };
            set(key, &|| {
                percent_encoding::percent_decode_str(value)
                    .decode_utf8_lossy()
                    .into_owned()
            });
        }
    }
    c
}

/// Whether a SigV4 request was signed for another service than S3 (its credential scope
/// names `iam` or `sts`): such a signature is not one for an S3 operation.
fn signed_for_another_service(cx: &S3AccessContext<'_>) -> bool {
    let scope_of_header = cx
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("AWS4-"));
    let scope = scope_of_header.or_else(|| cx.uri().query().filter(|q| q.contains("X-Amz-Credential=")));
    scope.is_some_and(|s| !(s.contains("/s3/aws4_request") || s.contains("%2Fs3%2Faws4_request")))
}

// Header names made once: a lookup by `&str` would parse and validate the name per request.
const EXPECTED_OWNER: HeaderName = HeaderName::from_static("x-amz-expected-bucket-owner");
const SOURCE_EXPECTED_OWNER: HeaderName = HeaderName::from_static("x-amz-source-expected-bucket-owner");
const COPY_SOURCE: HeaderName = HeaderName::from_static("x-amz-copy-source");
const ACL: HeaderName = HeaderName::from_static("x-amz-acl");
const SERVER_SIDE_ENCRYPTION: HeaderName = HeaderName::from_static("x-amz-server-side-encryption");
const CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
const STORAGE_CLASS: HeaderName = HeaderName::from_static("x-amz-storage-class");

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
        if cx.credentials().is_some() && signed_for_another_service(cx) {
            return Err(AwsError::AccessDenied.with_message("The request is not signed for S3"));
        }
        let signer = self.signer_of(cx.credentials(), cx.headers(), cx.uri())?;
        if OPERATIONS_THAT_NEED_IT.contains(&cx.s3_op().name())
            && let Some(account) = signer.account()
        {
            cx.extensions_mut().insert(RequesterAccount(account.owner.clone()));
        }
        // A bucket's owner and policy govern the requests on it, but not the creation of one of
        // its name: names are global, and taking one is BucketAlreadyExists.
        let governing = cx
            .s3_path()
            .get_bucket_name()
            .filter(|_| cx.s3_op().name() != "CreateBucket");
        // The common case costs no more than a lookup: the owner's root user, no bucket policy.
        let stored = governing.and_then(|b| self.store.bucket_access(b));
        if owners_root_without_policy(&signer, stored.as_deref()) {
            return Ok(());
        }
        let operation = cx.s3_op().name();
        if operation == "DeleteObjects" {
            // Each key is its own s3:DeleteObject: decided in `delete_objects` below, once the
            // body names them.
            return Ok(());
        }
        let version_id = cx.uri().query().and_then(|q| {
            q.split('&')
                .find_map(|p| p.strip_prefix("versionId="))
                .map(|v| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
        });
        let Some((action, kind)) = arca_iam::s3_action(operation, version_id.is_some()) else {
            return match signer {
                Signer::Root(a) if stored.is_none_or(|b| a.owns(&b.owner)) => Ok(()),
                _ => Err(denied()),
            };
        };
        let resource = match (kind, cx.s3_path().get_bucket_name()) {
            (ResourceKind::Object, Some(b)) => arca_iam::s3_resource_arn(b, cx.s3_path().get_object_key()),
            (ResourceKind::Bucket, Some(b)) => arca_iam::s3_resource_arn(b, None),
            _ => "*".to_string(),
        };
        let governing = governing.map(str::to_string);
        // A write that also sets an ACL needs the right to set it, as in S3: otherwise
        // s3:PutObject alone could make an object public.
        let sets_acl = cx
            .headers()
            .keys()
            .any(|h| h == ACL || h.as_str().starts_with("x-amz-grant-"));
        let acl_action = match operation {
            "PutObject" | "CopyObject" | "CreateMultipartUpload" if sets_acl => Some("s3:PutObjectAcl"),
            "CreateBucket" if sets_acl => Some("s3:PutBucketAcl"),
            _ => None,
        };
        let client = cx.extensions_mut().get::<Client>().copied();
        let request_id = cx.extensions_mut().get::<RequestId>().copied();
        for (action, new_object) in [(action, false)].into_iter().chain(acl_action.map(|a| (a, true))) {
            self.decide(&Asked {
                signer: &signer,
                action,
                bucket: governing.as_deref(),
                access: stored.as_deref(),
                key: cx.s3_path().get_object_key(),
                version_id: version_id.as_deref(),
                new_object,
                resource: &resource,
                headers: cx.headers(),
                uri: cx.uri(),
                client,
                request_id,
            })?;
        }
        Ok(())
    }

    /// Each key is its own `s3:DeleteObject` (or `…Version`): a key refused is taken out of
    /// the request and answered `AccessDenied` in the result, as S3 does; the others go on.
    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        let signer = self.signer_of(req.credentials.as_ref(), &req.headers, &req.uri)?;
        let client = req.extensions.get::<Client>().copied();
        let request_id = req.extensions.get::<RequestId>().copied();
        let bucket = req.input.bucket.as_str();
        let access = self.store.bucket_access(bucket);
        let allowed: Vec<bool> = req
            .input
            .delete
            .objects
            .iter()
            .map(|object| {
                self.decide(&Asked {
                    signer: &signer,
                    action: if object.version_id.is_some() {
                        "s3:DeleteObjectVersion"
                    } else {
                        "s3:DeleteObject"
                    },
                    bucket: Some(bucket),
                    access: access.as_deref(),
                    key: Some(&object.key),
                    version_id: object.version_id.as_deref(),
                    new_object: false,
                    resource: &arca_iam::s3_resource_arn(bucket, Some(&object.key)),
                    headers: &req.headers,
                    uri: &req.uri,
                    client,
                    request_id,
                })
                .is_ok()
            })
            .collect();
        if allowed.contains(&false) {
            let mut denied = Vec::new();
            let mut verdicts = allowed.into_iter();
            req.input.delete.objects.retain(|o| {
                let keep = verdicts.next().unwrap_or(true);
                if !keep {
                    denied.push((o.key.clone(), o.version_id.clone()));
                }
                keep
            });
            req.extensions.insert(DeniedKeys(denied));
        }
        Ok(())
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        self.decide_copy_source(req, &req.input.copy_source)
    }

    async fn upload_part_copy(&self, req: &mut S3Request<UploadPartCopyInput>) -> S3Result<()> {
        self.decide_copy_source(req, &req.input.copy_source)
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

    #[test]
    fn source_ip_text_is_the_display_text() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "10.9.99.100",
            "255.255.255.255",
            "192.168.1.20",
            "::1",
            "fe80::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(ip), ip.to_string());
        }
    }
}
