//! How ACL grants answer a request, where a bucket's Object Ownership lets ACLs count.
//!
//! A grant is a resource-side allow, like a bucket policy statement that names its grantee:
//! everyone (`AllUsers`), every signed request (`AuthenticatedUsers`), or an account by its
//! canonical user id — which, as a policy naming an account, lets the account's root user in
//! directly and its IAM users only as far as their own policies allow. Which ACL and which
//! permission an action needs is AWS's mapping ("Mapping of ACL permissions and access policy
//! permissions" in the S3 user guide): a bucket's ACL governs listing it, writing and
//! deleting objects in it, and its own ACL; an object's ACL governs reading the object and its
//! ACL.

use arca_iam::{Identity, PrincipalMatch};
use arca_store::{Acl, Grantee, Permission};

/// Whose ACL governs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AclOf {
    Bucket,
    Object,
}

/// The ACL and permission `action` needs, if an ACL can grant it at all.
pub(crate) fn needed(action: &str) -> Option<(AclOf, Permission)> {
    use AclOf::*;
    use Permission::*;
    Some(match action {
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => (Bucket, Read),
        "s3:PutObject" | "s3:DeleteObject" | "s3:DeleteObjectVersion" | "s3:AbortMultipartUpload" => (Bucket, Write),
        "s3:GetBucketAcl" => (Bucket, ReadAcp),
        "s3:PutBucketAcl" => (Bucket, WriteAcp),
        "s3:GetObject" | "s3:GetObjectVersion" => (Object, Read),
        "s3:GetObjectAcl" | "s3:GetObjectVersionAcl" => (Object, ReadAcp),
        "s3:PutObjectAcl" | "s3:PutObjectVersionAcl" => (Object, WriteAcp),
        _ => return None,
    })
}

/// How `acl`'s grants of `wanted` name `who`. With `ignore_public` (Block Public Access's
/// `IgnorePublicAcls`), grants to everyone and to every signed request count for nothing.
pub(crate) fn grants(acl: &Acl, who: &Identity, wanted: Permission, ignore_public: bool) -> PrincipalMatch {
    let signed = !matches!(who, Identity::Anonymous);
    let canonical = who.canonical_id();
    let through_account = if matches!(who, Identity::Root { .. }) {
        PrincipalMatch::Direct
    } else {
        PrincipalMatch::Account
    };
    acl.grants
        .iter()
        .filter(|g| g.permission.covers(wanted))
        .map(|g| match &g.grantee {
            Grantee::AllUsers if !ignore_public => PrincipalMatch::Direct,
            Grantee::AuthenticatedUsers if !ignore_public && signed => PrincipalMatch::Direct,
            Grantee::CanonicalUser(id) if Some(id.as_str()) == canonical => through_account,
            _ => PrincipalMatch::No,
        })
        .max()
        .unwrap_or(PrincipalMatch::No)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arca_store::Grant;

    fn acl(grants: &[(Grantee, Permission)]) -> Acl {
        Acl {
            grants: grants
                .iter()
                .map(|(grantee, permission)| Grant {
                    grantee: grantee.clone(),
                    permission: *permission,
                })
                .collect(),
        }
    }

    fn root(id: &str) -> Identity {
        Identity::Root {
            account: "111122223333".into(),
            canonical_id: id.into(),
        }
    }

    fn user(id: &str) -> Identity {
        Identity::User {
            account: "111122223333".into(),
            canonical_id: id.into(),
            name: "u".into(),
            id: "AIDA".into(),
        }
    }

    #[test]
    fn grants_name_groups_and_accounts() {
        let public_read = acl(&[(Grantee::AllUsers, Permission::Read)]);
        assert_eq!(
            grants(&public_read, &Identity::Anonymous, Permission::Read, false),
            PrincipalMatch::Direct
        );
        assert_eq!(
            grants(&public_read, &Identity::Anonymous, Permission::Read, true),
            PrincipalMatch::No,
            "IgnorePublicAcls"
        );
        assert_eq!(
            grants(&public_read, &Identity::Anonymous, Permission::ReadAcp, false),
            PrincipalMatch::No
        );
        let signed_read = acl(&[(Grantee::AuthenticatedUsers, Permission::Read)]);
        assert_eq!(
            grants(&signed_read, &Identity::Anonymous, Permission::Read, false),
            PrincipalMatch::No
        );
        assert_eq!(
            grants(&signed_read, &user("c"), Permission::Read, false),
            PrincipalMatch::Direct
        );
        let to_account = acl(&[(Grantee::CanonicalUser("c".into()), Permission::FullControl)]);
        assert_eq!(
            grants(&to_account, &root("c"), Permission::WriteAcp, false),
            PrincipalMatch::Direct
        );
        assert_eq!(
            grants(&to_account, &user("c"), Permission::Read, false),
            PrincipalMatch::Account,
            "a user needs their own policies too"
        );
        assert_eq!(
            grants(&to_account, &root("d"), Permission::Read, false),
            PrincipalMatch::No
        );
    }

    #[test]
    fn actions_map_to_the_acl_that_governs_them() {
        assert_eq!(needed("s3:GetObject"), Some((AclOf::Object, Permission::Read)));
        assert_eq!(needed("s3:PutObject"), Some((AclOf::Bucket, Permission::Write)));
        assert_eq!(needed("s3:ListBucket"), Some((AclOf::Bucket, Permission::Read)));
        assert_eq!(needed("s3:PutBucketAcl"), Some((AclOf::Bucket, Permission::WriteAcp)));
        assert_eq!(needed("s3:PutBucketPolicy"), None, "only the owner");
    }
}
