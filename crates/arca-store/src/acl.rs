//! Access control lists and Object Ownership, as stored with buckets and object versions.
//!
//! An ACL here holds only the grants beyond the owner's own: the owner of a bucket or object
//! always has full control, so a private ACL is an empty list (and a record without one reads
//! as private). Who the owner is lives in the record itself (`owner`). Whether ACLs count at
//! all is the bucket's Object Ownership: under `BucketOwnerEnforced` (the default for a new
//! bucket, as in AWS since 2023) they are kept but neither set nor evaluated.

use serde::{Deserialize, Serialize};

/// Who owns the objects written into a bucket, and whether ACLs count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectOwnership {
    /// The bucket's owner owns every object; ACLs are disabled.
    BucketOwnerEnforced,
    /// The bucket's owner owns objects written with the `bucket-owner-full-control` ACL;
    /// the writer owns the others. ACLs count.
    BucketOwnerPreferred,
    /// The writer owns what it writes. ACLs count. (Also how a bucket whose ownership
    /// controls were deleted behaves.)
    ObjectWriter,
}

impl ObjectOwnership {
    /// Its name in S3's XML and headers.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::ObjectWriter => "ObjectWriter",
        }
    }

    /// The setting S3 calls `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [
            ObjectOwnership::BucketOwnerEnforced,
            ObjectOwnership::BucketOwnerPreferred,
            ObjectOwnership::ObjectWriter,
        ]
        .into_iter()
        .find(|o| o.as_str() == name)
    }

    /// How a bucket behaves under `controls` (`None`: deleted, as buckets made before 2023).
    pub fn effective(controls: Option<ObjectOwnership>) -> ObjectOwnership {
        controls.unwrap_or(ObjectOwnership::ObjectWriter)
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// An account, by canonical user id.
    CanonicalUser(String),
    /// Everyone, signed or not (`http://acs.amazonaws.com/groups/global/AllUsers`).
    AllUsers,
    /// Every signed request (`http://acs.amazonaws.com/groups/global/AuthenticatedUsers`).
    AuthenticatedUsers,
    /// S3's log delivery (`http://acs.amazonaws.com/groups/s3/LogDelivery`): no request of
    /// Arca is made by it; kept and shown as written.
    LogDelivery,
}

impl Grantee {
    /// Whether the grant makes what it covers public (AWS's definition: to everyone, or to
    /// every signed request).
    pub fn is_public(&self) -> bool {
        matches!(self, Grantee::AllUsers | Grantee::AuthenticatedUsers)
    }
}

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// A bucket's listing, or an object's bytes.
    Read,
    /// Writing objects into a bucket (buckets only).
    Write,
    /// Reading the ACL.
    ReadAcp,
    /// Replacing the ACL.
    WriteAcp,
    /// All of the above.
    FullControl,
}

impl Permission {
    /// Its name in S3's XML.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::FullControl => "FULL_CONTROL",
        }
    }

    /// Whether a grant of `self` includes `wanted`.
    pub fn covers(self, wanted: Permission) -> bool {
        self == Permission::FullControl || self == wanted
    }
}

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Who it is for.
    pub grantee: Grantee,
    /// What it allows them.
    pub permission: Permission,
}

/// The grants of a bucket or object beyond its owner's full control.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    /// In the order they were given, without repeats.
    pub grants: Vec<Grant>,
}

impl Acl {
    /// Whether any grant is public (see [`Grantee::is_public`]).
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| g.grantee.is_public())
    }

    /// Whether the ACL is its owner's alone.
    pub fn is_private(&self) -> bool {
        self.grants.is_empty()
    }
}

/// The default of `BucketRecord::ownership`: a new bucket's (and one written before the field
/// existed, whose ACLs were never evaluated).
pub(crate) fn enforced() -> Option<ObjectOwnership> {
    Some(ObjectOwnership::BucketOwnerEnforced)
}

pub(crate) fn is_enforced(v: &Option<ObjectOwnership>) -> bool {
    *v == enforced()
}
