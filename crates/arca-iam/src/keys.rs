//! The request keys Arca gathers for conditions and policy variables, as a set a policy
//! computes once: a request gathers only the keys its policies read, so a policy without
//! conditions costs no clock read, no address formatting, no header lookup.

/// A request key Arca can gather (the condition keys of
/// [`docs/access-control.md`](../../../docs/access-control.md)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKey {
    /// `aws:SourceIp`
    SourceIp,
    /// `aws:SecureTransport`
    SecureTransport,
    /// `aws:CurrentTime`
    CurrentTime,
    /// `aws:EpochTime`
    EpochTime,
    /// `aws:UserAgent`
    UserAgent,
    /// `aws:Referer`
    Referer,
    /// `aws:PrincipalArn`
    PrincipalArn,
    /// `aws:PrincipalAccount`
    PrincipalAccount,
    /// `aws:PrincipalType`
    PrincipalType,
    /// `aws:username`
    Username,
    /// `aws:userid`
    Userid,
    /// `s3:x-amz-acl`
    Acl,
    /// `s3:x-amz-server-side-encryption`
    ServerSideEncryption,
    /// `s3:x-amz-content-sha256`
    ContentSha256,
    /// `s3:x-amz-storage-class`
    StorageClass,
    /// `s3:authType`
    AuthType,
    /// `s3:prefix`
    Prefix,
    /// `s3:delimiter`
    Delimiter,
    /// `s3:max-keys`
    MaxKeys,
}

impl RequestKey {
    /// Every key, in declaration order.
    pub const ALL: [RequestKey; 19] = [
        RequestKey::SourceIp,
        RequestKey::SecureTransport,
        RequestKey::CurrentTime,
        RequestKey::EpochTime,
        RequestKey::UserAgent,
        RequestKey::Referer,
        RequestKey::PrincipalArn,
        RequestKey::PrincipalAccount,
        RequestKey::PrincipalType,
        RequestKey::Username,
        RequestKey::Userid,
        RequestKey::Acl,
        RequestKey::ServerSideEncryption,
        RequestKey::ContentSha256,
        RequestKey::StorageClass,
        RequestKey::AuthType,
        RequestKey::Prefix,
        RequestKey::Delimiter,
        RequestKey::MaxKeys,
    ];

    /// The key's name, as policies write it.
    pub fn name(self) -> &'static str {
        match self {
            RequestKey::SourceIp => "aws:SourceIp",
            RequestKey::SecureTransport => "aws:SecureTransport",
            RequestKey::CurrentTime => "aws:CurrentTime",
            RequestKey::EpochTime => "aws:EpochTime",
            RequestKey::UserAgent => "aws:UserAgent",
            RequestKey::Referer => "aws:Referer",
            RequestKey::PrincipalArn => "aws:PrincipalArn",
            RequestKey::PrincipalAccount => "aws:PrincipalAccount",
            RequestKey::PrincipalType => "aws:PrincipalType",
            RequestKey::Username => "aws:username",
            RequestKey::Userid => "aws:userid",
            RequestKey::Acl => "s3:x-amz-acl",
            RequestKey::ServerSideEncryption => "s3:x-amz-server-side-encryption",
            RequestKey::ContentSha256 => "s3:x-amz-content-sha256",
            RequestKey::StorageClass => "s3:x-amz-storage-class",
            RequestKey::AuthType => "s3:authType",
            RequestKey::Prefix => "s3:prefix",
            RequestKey::Delimiter => "s3:delimiter",
            RequestKey::MaxKeys => "s3:max-keys",
        }
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// A set of [`RequestKey`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeySet(u32);

impl KeySet {
    /// Every key.
    pub const ALL: KeySet = KeySet((1 << RequestKey::ALL.len()) - 1);

    /// The known keys among `names` (key names are case-insensitive).
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> KeySet {
        let mut set = KeySet::default();
        for name in names {
            if let Some(k) = RequestKey::ALL.iter().find(|k| k.name().eq_ignore_ascii_case(name)) {
                set.0 |= k.bit();
            }
        }
        set
    }

    /// Whether `key` is in the set.
    pub fn contains(self, key: RequestKey) -> bool {
        self.0 & key.bit() != 0
    }

    /// Both sets' keys.
    pub fn union(self, other: KeySet) -> KeySet {
        KeySet(self.0 | other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_without_case() {
        let set = KeySet::of(["AWS:SOURCEIP", "s3:prefix", "s3:ExistingObjectTag/team"]);
        assert!(set.contains(RequestKey::SourceIp) && set.contains(RequestKey::Prefix));
        assert!(!set.contains(RequestKey::CurrentTime));
        assert_eq!(
            set.union(KeySet::of(["aws:CurrentTime"])),
            KeySet::of(["aws:sourceip", "s3:PREFIX", "aws:currenttime"])
        );
    }
}
