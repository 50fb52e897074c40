//! ACLs and Object Ownership: Get/PutBucketAcl, Get/PutObjectAcl,
//! Put/Get/DeleteBucketOwnershipControls, and the ACL a write asks for (`x-amz-acl`,
//! `x-amz-grant-*`) on CreateBucket, PutObject, CopyObject, CreateMultipartUpload and POST
//! forms.
//!
//! A request names an ACL in one of three ways — a canned ACL, grant headers, or (for the ACL
//! operations) an `AccessControlPolicy` body — and never two at once. What it names becomes the
//! stored grants beyond the owner's own full control (see `arca_store::acl`). Two settings of
//! the bucket then decide whether it may be set:
//! - Object Ownership `BucketOwnerEnforced` (the default) disables ACLs: only an ACL that
//!   gives nothing beyond the bucket owner's full control is accepted (and changes nothing);
//!   anything else is `400 AccessControlListNotSupported`.
//! - Block Public Access `BlockPublicAcls` (the bucket's, or its owner account's) refuses an
//!   ACL that grants to everyone or to every signed request: `403 AccessDenied`.
//!
//! Who owns a new object follows Object Ownership too: the bucket's owner under
//! `BucketOwnerEnforced`, the writer's account under `ObjectWriter`, and under
//! `BucketOwnerPreferred` the bucket's owner when the write says `bucket-owner-full-control`.
//! The server's access hook evaluates the grants (`arca-server/src/access.rs`).

use arca_store::{Acl, Grant, Grantee, ObjectOwnership, Owner, Permission, PublicAccessBlock};
use s3s::dto;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::common::owner_dto;
use crate::error::StoreResultExt;

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// Most grants an ACL may have, as in S3.
const MAX_GRANTS: usize = 100;

/// What an ACL is set on: the canned ACLs and grant headers differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AclTarget {
    Bucket,
    Object,
}

/// The ACL a request names, in whichever form it used.
#[derive(Debug, Default)]
pub(crate) struct RequestedAcl<'a> {
    pub(crate) canned: Option<&'a str>,
    pub(crate) read: Option<&'a str>,
    pub(crate) write: Option<&'a str>,
    pub(crate) read_acp: Option<&'a str>,
    pub(crate) write_acp: Option<&'a str>,
    pub(crate) full_control: Option<&'a str>,
    pub(crate) body: Option<&'a AccessControlPolicy>,
}

/// [`RequestedAcl`] from an input with the object grant headers (no `x-amz-grant-write`).
#[macro_export]
macro_rules! requested_object_acl {
    ($input:expr) => {
        $crate::acl::RequestedAcl {
            canned: $input.acl.as_ref().map(|a| a.as_str()),
            read: $input.grant_read.as_deref(),
            read_acp: $input.grant_read_acp.as_deref(),
            write_acp: $input.grant_write_acp.as_deref(),
            full_control: $input.grant_full_control.as_deref(),
            ..Default::default()
        }
    };
}

/// [`RequestedAcl`] from an input with the bucket grant headers.
#[macro_export]
macro_rules! requested_bucket_acl {
    ($input:expr) => {
        $crate::acl::RequestedAcl {
            canned: $input.acl.as_ref().map(|a| a.as_str()),
            read: $input.grant_read.as_deref(),
            write: $input.grant_write.as_deref(),
            read_acp: $input.grant_read_acp.as_deref(),
            write_acp: $input.grant_write_acp.as_deref(),
            full_control: $input.grant_full_control.as_deref(),
            body: None,
        }
    };
}

impl RequestedAcl<'_> {
    fn has_grant_headers(&self) -> bool {
        [self.read, self.write, self.read_acp, self.write_acp, self.full_control]
            .iter()
            .any(Option::is_some)
    }

    /// The grants asked for on a `target` owned by `owner`, in a bucket owned by
    /// `bucket_owner`; `None` when the request names no ACL. `known` says whether a canonical
    /// user id is an account's.
    pub(crate) fn resolve(
        &self,
        target: AclTarget,
        owner: &str,
        bucket_owner: &str,
        known: &dyn Fn(&str) -> bool,
    ) -> S3Result<Option<Acl>> {
        let forms = [self.canned.is_some(), self.has_grant_headers(), self.body.is_some()];
        match forms.iter().filter(|f| **f).count() {
            0 => return Ok(None),
            1 => {}
            _ => {
                return Err(AwsError::InvalidRequest.with_message(
                    "Specifying more than one of a canned ACL, grant headers and an ACL body is not allowed",
                ));
            }
        }
        let mut grants = Vec::new();
        if let Some(canned) = self.canned {
            grants = canned_grants(canned, target, bucket_owner)?;
        }
        for (header, permission) in [
            (self.read, Permission::Read),
            (self.write, Permission::Write),
            (self.read_acp, Permission::ReadAcp),
            (self.write_acp, Permission::WriteAcp),
            (self.full_control, Permission::FullControl),
        ] {
            if let Some(value) = header {
                for grantee in grantees_of_header(value)? {
                    grants.push(Grant { grantee, permission });
                }
            }
        }
        if let Some(body) = self.body {
            if let Some(id) = body.owner.as_ref().and_then(|o| o.id.as_deref())
                && id != owner
            {
                return Err(AwsError::AccessDenied.error());
            }
            for g in body.grants.iter().flatten() {
                grants.push(grant_of_xml(g)?);
            }
        }
        if grants.len() > MAX_GRANTS {
            return Err(AwsError::MalformedACLError.with_message(format!("An ACL has at most {MAX_GRANTS} grants")));
        }
        for g in &grants {
            if let Grantee::CanonicalUser(id) = &g.grantee
                && !known(id)
            {
                return Err(AwsError::InvalidArgument.with_message("Invalid id"));
            }
        }
        // The owner's full control is implied; a grant to the owner adds nothing.
        grants.retain(|g| g.grantee != Grantee::CanonicalUser(owner.to_string()));
        let mut unique: Vec<Grant> = Vec::with_capacity(grants.len());
        for g in grants {
            if !unique.contains(&g) {
                unique.push(g);
            }
        }
        Ok(Some(Acl { grants: unique }))
    }
}

/// The grants of a canned ACL.
fn canned_grants(canned: &str, target: AclTarget, bucket_owner: &str) -> S3Result<Vec<Grant>> {
    let grant = |grantee: Grantee, permission| Grant { grantee, permission };
    let bucket_owner = || Grantee::CanonicalUser(bucket_owner.to_string());
    Ok(match (canned, target) {
        ("private", _) => Vec::new(),
        ("public-read", _) => vec![grant(Grantee::AllUsers, Permission::Read)],
        ("public-read-write", _) => vec![
            grant(Grantee::AllUsers, Permission::Read),
            grant(Grantee::AllUsers, Permission::Write),
        ],
        ("authenticated-read", _) => vec![grant(Grantee::AuthenticatedUsers, Permission::Read)],
        ("bucket-owner-read", AclTarget::Object) => vec![grant(bucket_owner(), Permission::Read)],
        ("bucket-owner-full-control", AclTarget::Object) => vec![grant(bucket_owner(), Permission::FullControl)],
        ("log-delivery-write", AclTarget::Bucket) => vec![
            grant(Grantee::LogDelivery, Permission::Write),
            grant(Grantee::LogDelivery, Permission::ReadAcp),
        ],
        ("aws-exec-read", _) => {
            return Err(AwsError::NotImplemented.with_message("The aws-exec-read canned ACL is not supported by Arca"));
        }
        (other, _) => {
            return Err(AwsError::InvalidArgument.with_message(format!("Invalid canned ACL: {other}")));
        }
    })
}

/// The grantees of an `x-amz-grant-*` header: `id="…", uri="…"`, comma-separated.
fn grantees_of_header(value: &str) -> S3Result<Vec<Grantee>> {
    let invalid = || AwsError::InvalidArgument.with_message(format!("Invalid grant header: {value}"));
    let mut out = Vec::new();
    for part in value.split(',') {
        let (kind, quoted) = part.trim().split_once('=').ok_or_else(invalid)?;
        let v = quoted.trim().trim_matches('"');
        if v.is_empty() {
            return Err(invalid());
        }
        out.push(match kind.trim() {
            "id" => Grantee::CanonicalUser(v.to_string()),
            "uri" => group(v)?,
            "emailAddress" => return Err(AwsError::UnresolvableGrantByEmailAddress.error()),
            _ => return Err(invalid()),
        });
    }
    Ok(out)
}

fn group(uri: &str) -> S3Result<Grantee> {
    match uri {
        ALL_USERS => Ok(Grantee::AllUsers),
        AUTHENTICATED_USERS => Ok(Grantee::AuthenticatedUsers),
        LOG_DELIVERY => Ok(Grantee::LogDelivery),
        other => Err(AwsError::InvalidArgument.with_message(format!("Invalid group uri: {other}"))),
    }
}

fn grant_of_xml(g: &dto::Grant) -> S3Result<Grant> {
    let malformed = || AwsError::MalformedACLError.error();
    let grantee = g.grantee.as_ref().ok_or_else(malformed)?;
    let grantee = match grantee.type_.as_str() {
        Type::CANONICAL_USER => Grantee::CanonicalUser(grantee.id.clone().ok_or_else(malformed)?),
        Type::GROUP => group(grantee.uri.as_deref().ok_or_else(malformed)?)?,
        Type::AMAZON_CUSTOMER_BY_EMAIL => return Err(AwsError::UnresolvableGrantByEmailAddress.error()),
        _ => return Err(malformed()),
    };
    let permission = match g.permission.as_ref().map(|p| p.as_str()) {
        Some("READ") => Permission::Read,
        Some("WRITE") => Permission::Write,
        Some("READ_ACP") => Permission::ReadAcp,
        Some("WRITE_ACP") => Permission::WriteAcp,
        Some("FULL_CONTROL") => Permission::FullControl,
        _ => return Err(malformed()),
    };
    Ok(Grant { grantee, permission })
}

/// Refuses an ACL the bucket's settings do not allow (see the module docs). `bucket_owner`
/// is the bucket's owner's canonical id.
pub(crate) fn admit(
    acl: &Acl,
    ownership: Option<ObjectOwnership>,
    blocks: Option<PublicAccessBlock>,
    bucket_owner: &str,
) -> S3Result<()> {
    if ObjectOwnership::effective(ownership) == ObjectOwnership::BucketOwnerEnforced {
        let owner_only = acl.grants.iter().all(|g| {
            g.permission == Permission::FullControl && g.grantee == Grantee::CanonicalUser(bucket_owner.to_string())
        });
        if !owner_only {
            return Err(AwsError::AccessControlListNotSupported.error());
        }
    }
    if acl.is_public() && blocks.is_some_and(|b| b.block_public_acls) {
        return Err(AwsError::AccessDenied.error());
    }
    Ok(())
}

/// Who owns an object `writer` writes into a bucket owned by `bucket_owner` (anonymous
/// writers: the bucket's owner).
pub(crate) fn object_owner(
    ownership: Option<ObjectOwnership>,
    bucket_owner: &Owner,
    writer: Option<&Owner>,
    canned: Option<&str>,
) -> Owner {
    let writer = writer.unwrap_or(bucket_owner);
    match ObjectOwnership::effective(ownership) {
        ObjectOwnership::BucketOwnerEnforced => bucket_owner.clone(),
        ObjectOwnership::BucketOwnerPreferred if canned == Some("bucket-owner-full-control") => bucket_owner.clone(),
        _ => writer.clone(),
    }
}

/// An ACL as S3 answers it: the owner with full control, then the grants.
fn acl_dto(owner: &Owner, acl: Option<&Acl>) -> (Option<dto::Owner>, Option<Grants>) {
    let canonical = |id: &str, name: Option<&str>| dto::Grantee {
        display_name: name.map(str::to_string),
        email_address: None,
        id: Some(id.to_string()),
        type_: Type::from_static(Type::CANONICAL_USER),
        uri: None,
    };
    let group = |uri: &str| dto::Grantee {
        display_name: None,
        email_address: None,
        id: None,
        type_: Type::from_static(Type::GROUP),
        uri: Some(uri.to_string()),
    };
    let mut grants = vec![dto::Grant {
        grantee: Some(canonical(&owner.id, Some(&owner.display_name))),
        permission: Some(dto::Permission::from_static(dto::Permission::FULL_CONTROL)),
    }];
    for g in acl.map(|a| a.grants.as_slice()).unwrap_or_default() {
        let grantee = match &g.grantee {
            Grantee::CanonicalUser(id) => canonical(id, None),
            Grantee::AllUsers => group(ALL_USERS),
            Grantee::AuthenticatedUsers => group(AUTHENTICATED_USERS),
            Grantee::LogDelivery => group(LOG_DELIVERY),
        };
        grants.push(dto::Grant {
            grantee: Some(grantee),
            permission: Some(dto::Permission::from(g.permission.as_str().to_string())),
        });
    }
    (Some(owner_dto(owner)), Some(grants))
}

impl ArcaS3 {
    /// The owner and stored ACL of an object `writer` writes into `bucket`, with the ACL the
    /// request names (see the module docs). `NoSuchBucket` if there is no such bucket.
    pub(crate) fn new_object_acl(
        &self,
        bucket: &str,
        writer: Option<&Owner>,
        requested: &RequestedAcl<'_>,
    ) -> S3Result<(Owner, Option<Acl>)> {
        let access = self
            .store
            .bucket_access(bucket)
            .ok_or_else(|| crate::error::store_error(arca_store::StoreError::NoSuchBucket(bucket.to_string())))?;
        let owner = object_owner(access.ownership, &access.owner, writer, requested.canned);
        let Some(acl) = requested.resolve(AclTarget::Object, &owner.id, &access.owner.id, &|id| {
            self.is_account(id)
        })?
        else {
            return Ok((owner, None));
        };
        let blocks = self
            .store
            .blocks_in_force(access.public_access_block, &access.owner.id)
            .s3()?;
        admit(&acl, access.ownership, blocks, &access.owner.id)?;
        let stored = (access.acls_enabled() && !acl.is_private()).then_some(acl);
        Ok((owner, stored))
    }

    /// The Object Ownership (`x-amz-object-ownership`, else `BucketOwnerEnforced`) and stored
    /// ACL of a bucket `owner` creates. A new bucket blocks public access: a public ACL is
    /// `InvalidBucketAclWithBlockPublicAccessError`, and any ACL beyond the owner's under
    /// `BucketOwnerEnforced` is `InvalidBucketAclWithObjectOwnership`, as in AWS.
    pub(crate) fn new_bucket_acl(
        &self,
        input: &CreateBucketInput,
        owner: &Owner,
    ) -> S3Result<(ObjectOwnership, Option<Acl>)> {
        let ownership = match &input.object_ownership {
            None => ObjectOwnership::BucketOwnerEnforced,
            Some(o) => ObjectOwnership::parse(o.as_str()).ok_or_else(|| {
                AwsError::InvalidArgument.with_message(format!("Invalid x-amz-object-ownership header: {}", o.as_str()))
            })?,
        };
        let requested = crate::requested_bucket_acl!(input);
        let Some(acl) = requested.resolve(AclTarget::Bucket, &owner.id, &owner.id, &|id| self.is_account(id))? else {
            return Ok((ownership, None));
        };
        if acl.is_private() {
            return Ok((ownership, None));
        }
        if ownership == ObjectOwnership::BucketOwnerEnforced {
            return Err(AwsError::InvalidBucketAclWithObjectOwnership.error());
        }
        if acl.is_public() {
            return Err(AwsError::InvalidBucketAclWithBlockPublicAccessError.error());
        }
        Ok((ownership, Some(acl)))
    }

    /// Whether `id` is the canonical user id of an account.
    pub(crate) fn is_account(&self, id: &str) -> bool {
        self.store.account_by_canonical_id(id).ok().flatten().is_some()
    }

    pub(crate) fn get_bucket_acl_impl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        let bucket = self.store.get_bucket(&req.input.bucket).s3()?;
        let (owner, grants) = acl_dto(&bucket.owner, bucket.acl.as_ref());
        Ok(S3Response::new(GetBucketAclOutput { grants, owner }))
    }

    pub(crate) async fn put_bucket_acl_impl(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        let input = &req.input;
        let bucket = self.store.get_bucket(&input.bucket).s3()?;
        let requested = RequestedAcl {
            body: input.access_control_policy.as_ref(),
            ..crate::requested_bucket_acl!(input)
        };
        let owner = &bucket.owner.id;
        let acl = requested
            .resolve(AclTarget::Bucket, owner, owner, &|id| self.is_account(id))?
            .ok_or_else(|| AwsError::MissingSecurityHeader.error())?;
        let blocks = self.store.blocks_in_force(bucket.public_access_block, owner).s3()?;
        admit(&acl, bucket.ownership, blocks, owner)?;
        if ObjectOwnership::effective(bucket.ownership) == ObjectOwnership::BucketOwnerEnforced {
            // Only the owner's own full control got past `admit`: nothing to store.
            return Ok(S3Response::new(PutBucketAclOutput {}));
        }
        self.store
            .update_bucket_access(&input.bucket, move |b| {
                b.acl = (!acl.is_private()).then_some(acl);
                Ok::<(), ()>(())
            })
            .await
            .s3()?
            .ok();
        Ok(S3Response::new(PutBucketAclOutput {}))
    }

    pub(crate) fn get_object_acl_impl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        let input = &req.input;
        let v = self.read_version(&input.bucket, &input.key, input.version_id.as_deref())?;
        // Under `BucketOwnerEnforced` the bucket's owner owns every object, those another
        // account wrote before ACLs were disabled too, and object ACLs count for nothing.
        let (owner, acl) = match self.store.bucket_access(&input.bucket) {
            Some(b) if !b.acls_enabled() => (b.owner.clone(), None),
            _ => (v.owner.clone(), v.acl.as_ref()),
        };
        let (owner, grants) = acl_dto(&owner, acl);
        Ok(S3Response::new(GetObjectAclOutput {
            grants,
            owner,
            request_charged: None,
        }))
    }

    pub(crate) async fn put_object_acl_impl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        let input = &req.input;
        let bucket = self.store.get_bucket(&input.bucket).s3()?;
        let v = self.read_version(&input.bucket, &input.key, input.version_id.as_deref())?;
        let requested = RequestedAcl {
            body: input.access_control_policy.as_ref(),
            ..crate::requested_object_acl!(input)
        };
        let acl = requested
            .resolve(AclTarget::Object, &v.owner.id, &bucket.owner.id, &|id| {
                self.is_account(id)
            })?
            .ok_or_else(|| AwsError::MissingSecurityHeader.error())?;
        let blocks = self
            .store
            .blocks_in_force(bucket.public_access_block, &bucket.owner.id)
            .s3()?;
        admit(&acl, bucket.ownership, blocks, &bucket.owner.id)?;
        if ObjectOwnership::effective(bucket.ownership) == ObjectOwnership::BucketOwnerEnforced {
            return Ok(S3Response::new(PutObjectAclOutput { request_charged: None }));
        }
        let stored = (!acl.is_private()).then_some(acl);
        self.update_named_version(&input.bucket, &input.key, input.version_id.as_deref(), move |v| {
            v.acl = stored
        })
        .await?;
        Ok(S3Response::new(PutObjectAclOutput { request_charged: None }))
    }

    pub(crate) fn get_bucket_ownership_controls_impl(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        let bucket = self.store.get_bucket(&req.input.bucket).s3()?;
        let ownership = bucket
            .ownership
            .ok_or_else(|| AwsError::OwnershipControlsNotFoundError.error())?;
        Ok(S3Response::new(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: dto::ObjectOwnership::from(ownership.as_str().to_string()),
                }],
            }),
        }))
    }

    pub(crate) async fn put_bucket_ownership_controls_impl(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        let input = req.input;
        let [rule] = input.ownership_controls.rules.as_slice() else {
            return Err(AwsError::MalformedXML.error());
        };
        let ownership = ObjectOwnership::parse(rule.object_ownership.as_str()).ok_or_else(|| {
            AwsError::MalformedXML.with_message(format!("Invalid ObjectOwnership: {}", rule.object_ownership.as_str()))
        })?;
        self.set_ownership(&input.bucket, Some(ownership)).await?;
        Ok(S3Response::new(PutBucketOwnershipControlsOutput {}))
    }

    pub(crate) async fn delete_bucket_ownership_controls_impl(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        self.set_ownership(&req.input.bucket, None).await?;
        Ok(S3Response::new(DeleteBucketOwnershipControlsOutput {}))
    }

    /// Sets a bucket's Object Ownership. ACLs cannot be disabled while the bucket's own ACL
    /// grants beyond its owner (AWS's rule: the grants would silently stop working).
    async fn set_ownership(&self, bucket: &str, ownership: Option<ObjectOwnership>) -> S3Result<()> {
        self.store
            .update_bucket_access(bucket, move |b| {
                let disables = ObjectOwnership::effective(ownership) == ObjectOwnership::BucketOwnerEnforced;
                if disables && b.acl.as_ref().is_some_and(|a| !a.is_private()) {
                    return Err(AwsError::InvalidBucketAclWithObjectOwnership.error());
                }
                b.ownership = ownership;
                Ok(())
            })
            .await
            .s3()??;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: &str) -> bool {
        matches!(id, "owner" | "bucket-owner" | "friend")
    }

    fn resolve(r: &RequestedAcl<'_>, target: AclTarget) -> S3Result<Option<Acl>> {
        r.resolve(target, "owner", "bucket-owner", &known)
    }

    fn code(r: S3Result<Option<Acl>>) -> String {
        r.unwrap_err().code().as_str().to_string()
    }

    fn canned(c: &str) -> RequestedAcl<'_> {
        RequestedAcl {
            canned: Some(c),
            ..Default::default()
        }
    }

    #[test]
    fn canned_acls_grant_what_aws_documents() {
        let grants = |c: &str, t| resolve(&canned(c), t).unwrap().unwrap().grants;
        assert!(grants("private", AclTarget::Object).is_empty());
        assert_eq!(
            grants("public-read", AclTarget::Object),
            [Grant {
                grantee: Grantee::AllUsers,
                permission: Permission::Read
            }]
        );
        assert_eq!(grants("public-read-write", AclTarget::Bucket).len(), 2);
        assert_eq!(
            grants("bucket-owner-full-control", AclTarget::Object),
            [Grant {
                grantee: Grantee::CanonicalUser("bucket-owner".into()),
                permission: Permission::FullControl
            }]
        );
        assert_eq!(grants("log-delivery-write", AclTarget::Bucket).len(), 2);
        assert_eq!(
            code(resolve(&canned("log-delivery-write"), AclTarget::Object)),
            "InvalidArgument"
        );
        assert_eq!(
            code(resolve(&canned("bucket-owner-read"), AclTarget::Bucket)),
            "InvalidArgument"
        );
        assert_eq!(
            code(resolve(&canned("world-writable"), AclTarget::Object)),
            "InvalidArgument"
        );
        assert_eq!(
            code(resolve(&canned("aws-exec-read"), AclTarget::Object)),
            "NotImplemented"
        );
    }

    #[test]
    fn grant_headers_parse_ids_and_groups_and_refuse_the_rest() {
        let r = RequestedAcl {
            read: Some(r#"id="friend", uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers""#),
            full_control: Some(r#"id="owner""#),
            ..Default::default()
        };
        let acl = resolve(&r, AclTarget::Object).unwrap().unwrap();
        assert_eq!(acl.grants.len(), 2, "the owner's own grant is implied: {acl:?}");
        assert!(acl.is_public());
        for bad in [
            r#"id="stranger""#,
            r#"uri="http://example.com/groups/Everyone""#,
            r#"id="""#,
            "friend",
            r#"name="friend""#,
        ] {
            let r = RequestedAcl {
                read: Some(bad),
                ..Default::default()
            };
            assert_eq!(code(resolve(&r, AclTarget::Object)), "InvalidArgument", "{bad}");
        }
        let r = RequestedAcl {
            read: Some(r#"emailAddress="a@example.com""#),
            ..Default::default()
        };
        assert_eq!(code(resolve(&r, AclTarget::Object)), "UnresolvableGrantByEmailAddress");
        let both = RequestedAcl {
            canned: Some("private"),
            read: Some(r#"id="friend""#),
            ..Default::default()
        };
        assert_eq!(code(resolve(&both, AclTarget::Object)), "InvalidRequest");
        assert!(resolve(&RequestedAcl::default(), AclTarget::Object).unwrap().is_none());
    }

    #[test]
    fn enforced_ownership_admits_only_the_owners_acl_and_block_public_acls_refuses_public_ones() {
        let enforced = Some(ObjectOwnership::BucketOwnerEnforced);
        let owner_only = resolve(&canned("bucket-owner-full-control"), AclTarget::Object)
            .unwrap()
            .unwrap();
        assert!(admit(&owner_only, enforced, None, "bucket-owner").is_ok());
        assert!(admit(&Acl::default(), enforced, None, "bucket-owner").is_ok());
        let public = resolve(&canned("public-read"), AclTarget::Object).unwrap().unwrap();
        let refused = |r: S3Result<()>| r.unwrap_err().code().as_str().to_string();
        assert_eq!(
            refused(admit(&public, enforced, None, "bucket-owner")),
            "AccessControlListNotSupported"
        );
        let writer = Some(ObjectOwnership::ObjectWriter);
        assert!(admit(&public, writer, None, "bucket-owner").is_ok());
        assert_eq!(
            refused(admit(&public, writer, Some(PublicAccessBlock::ALL), "bucket-owner")),
            "AccessDenied"
        );
        assert!(
            admit(&public, None, None, "bucket-owner").is_ok(),
            "deleted controls: ObjectWriter"
        );
    }

    #[test]
    fn objects_belong_to_whom_object_ownership_says() {
        let bucket = Owner {
            id: "bucket-owner".into(),
            display_name: "b".into(),
        };
        let writer = Owner {
            id: "friend".into(),
            display_name: "f".into(),
        };
        let owner = |o, canned| object_owner(Some(o), &bucket, Some(&writer), canned).id;
        assert_eq!(owner(ObjectOwnership::BucketOwnerEnforced, None), "bucket-owner");
        assert_eq!(owner(ObjectOwnership::ObjectWriter, None), "friend");
        assert_eq!(
            owner(ObjectOwnership::ObjectWriter, Some("bucket-owner-full-control")),
            "friend"
        );
        assert_eq!(owner(ObjectOwnership::BucketOwnerPreferred, None), "friend");
        assert_eq!(
            owner(ObjectOwnership::BucketOwnerPreferred, Some("bucket-owner-full-control")),
            "bucket-owner"
        );
        assert_eq!(
            object_owner(Some(ObjectOwnership::ObjectWriter), &bucket, None, None).id,
            "bucket-owner",
            "anonymous writes belong to the bucket's owner"
        );
    }
}
