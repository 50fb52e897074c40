//! Who makes a request, and how a policy's `Principal` element names them.

use crate::wildcard;

/// The identity a request was signed by (or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An unsigned request.
    Anonymous,
    /// An account's root user.
    Root {
        /// The 12-digit account id.
        account: String,
        /// The account's canonical user id (what S3 calls its owner id).
        canonical_id: String,
    },
    /// An IAM user of an account.
    User {
        /// The 12-digit account id.
        account: String,
        /// The account's canonical user id.
        canonical_id: String,
        /// The user name (`aws:username`).
        name: String,
        /// The user's unique id (`aws:userid`).
        id: String,
    },
    /// A session of an IAM role, assumed through STS.
    Role {
        /// The 12-digit account id.
        account: String,
        /// The account's canonical user id.
        canonical_id: String,
        /// The role's name.
        name: String,
        /// The role's unique id (`AROA…`).
        id: String,
        /// The session's name, as the caller gave it.
        session: String,
    },
}

impl Identity {
    /// The principal's ARN, as `aws:PrincipalArn` has it (none for anonymous requests).
    pub fn arn(&self) -> Option<String> {
        match self {
            Identity::Anonymous => None,
            Identity::Root { account, .. } => Some(format!("arn:aws:iam::{account}:root")),
            Identity::User { account, name, .. } => Some(format!("arn:aws:iam::{account}:user/{name}")),
            Identity::Role {
                account, name, session, ..
            } => Some(format!("arn:aws:sts::{account}:assumed-role/{name}/{session}")),
        }
    }

    /// `aws:PrincipalArn`: the principal's ARN, except that a role's session is its role's.
    pub fn principal_arn(&self) -> Option<String> {
        match self {
            Identity::Role { account, name, .. } => Some(format!("arn:aws:iam::{account}:role/{name}")),
            other => other.arn(),
        }
    }

    /// The account the principal belongs to.
    pub fn account(&self) -> Option<&str> {
        match self {
            Identity::Anonymous => None,
            Identity::Root { account, .. } | Identity::User { account, .. } | Identity::Role { account, .. } => {
                Some(account)
            }
        }
    }

    /// The canonical user id of the principal's account.
    pub fn canonical_id(&self) -> Option<&str> {
        match self {
            Identity::Anonymous => None,
            Identity::Root { canonical_id, .. }
            | Identity::User { canonical_id, .. }
            | Identity::Role { canonical_id, .. } => Some(canonical_id),
        }
    }
}

/// How a `Principal` element names a request's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Not named.
    No,
    /// Named through its account (`"AWS": "111122223333"` or `…:root`): in a resource
    /// policy that delegates to the account, whose own policies must allow an IAM user too.
    Account,
    /// Named itself: `*`, its ARN, or (for a root user) its canonical id.
    Direct,
}

/// The `Principal` (or `NotPrincipal`) element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone, signed or not.
    pub everyone: bool,
    /// `AWS` entries: account ids and IAM ARNs.
    pub aws: Vec<String>,
    /// `CanonicalUser` entries.
    pub canonical_users: Vec<String>,
    /// `Service` entries (kept and shown; no Arca request is made by a service).
    pub services: Vec<String>,
    /// `Federated` entries (likewise).
    pub federated: Vec<String>,
}

impl Principals {
    /// How this element names `who`. (Called for every statement of every policy a request
    /// meets: it compares the entries' parts with the identity's rather than building ARNs.)
    pub fn matches(&self, who: &Identity) -> PrincipalMatch {
        if self.everyone || self.aws.iter().any(|a| a == "*") {
            return PrincipalMatch::Direct;
        }
        let mut best = PrincipalMatch::No;
        if let Some(id) = who.canonical_id()
            && self.canonical_users.iter().any(|c| c == id)
        {
            best = best.max(match who {
                Identity::Root { .. } => PrincipalMatch::Direct,
                _ => PrincipalMatch::Account,
            });
        }
        let Some(account) = who.account() else {
            return best;
        };
        let is_root = matches!(who, Identity::Root { .. });
        let through_account = if is_root {
            PrincipalMatch::Direct
        } else {
            PrincipalMatch::Account
        };
        for entry in &self.aws {
            let m = if entry == account {
                through_account
            } else if let Some((entry_account, resource)) =
                entry.strip_prefix("arn:aws:iam::").and_then(|r| r.split_once(':'))
                && entry_account == account
            {
                match (resource, who) {
                    ("root", _) => through_account,
                    (r, Identity::User { name, .. })
                        if r.strip_prefix("user/")
                            .is_some_and(|n| n.rsplit('/').next() == Some(name.as_str())) =>
                    {
                        PrincipalMatch::Direct
                    }
                    // A role's ARN names each of its sessions.
                    (r, Identity::Role { name, .. })
                        if r.strip_prefix("role/")
                            .is_some_and(|n| n.rsplit('/').next() == Some(name.as_str())) =>
                    {
                        PrincipalMatch::Direct
                    }
                    _ => PrincipalMatch::No,
                }
            } else if let Some((entry_account, resource)) =
                entry.strip_prefix("arn:aws:sts::").and_then(|r| r.split_once(':'))
                && entry_account == account
                && let Identity::Role { name, session, .. } = who
            {
                // `assumed-role/ROLE/SESSION` names one session.
                let named = resource
                    .strip_prefix("assumed-role/")
                    .and_then(|r| r.split_once('/'))
                    .is_some_and(|(role, s)| role == name && s == session);
                if named {
                    PrincipalMatch::Direct
                } else {
                    PrincipalMatch::No
                }
            } else {
                PrincipalMatch::No
            };
            best = best.max(m);
        }
        best
    }

    /// Whether an `AWS` entry is one Arca can name: `*`, a 12-digit account id, the ARN of
    /// an account's root, a user or a role, or a role's session.
    pub(crate) fn valid_aws(entry: &str) -> bool {
        if entry == "*" || is_account_id(entry) {
            return true;
        }
        if let Some((account, resource)) = entry.strip_prefix("arn:aws:sts::").and_then(|r| r.split_once(':')) {
            return is_account_id(account)
                && !wildcard_in(resource)
                && resource
                    .strip_prefix("assumed-role/")
                    .and_then(|r| r.split_once('/'))
                    .is_some_and(|(role, session)| !role.is_empty() && !session.is_empty());
        }
        let Some(rest) = entry.strip_prefix("arn:aws:iam::") else {
            return false;
        };
        let Some((account, resource)) = rest.split_once(':') else {
            return false;
        };
        is_account_id(account)
            && !wildcard_in(resource)
            && (resource == "root"
                || resource.strip_prefix("user/").is_some_and(|n| !n.is_empty())
                || resource.strip_prefix("role/").is_some_and(|n| !n.is_empty()))
    }
}

fn wildcard_in(s: &str) -> bool {
    s.contains('*') || s.contains('?')
}

/// Twelve digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `pattern` (a resource of a policy) can name ARN `arn` (wildcards allowed).
pub(crate) fn resource_matches(pattern: &str, arn: &str) -> bool {
    pattern == "*" || wildcard::matches(pattern, arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Identity {
        Identity::User {
            account: "111122223333".into(),
            canonical_id: "c1".into(),
            name: "alice".into(),
            id: "AIDAALICE".into(),
        }
    }

    #[test]
    fn how_principals_name_identities() {
        let p = |aws: &[&str]| Principals {
            aws: aws.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(p(&["*"]).matches(&Identity::Anonymous), PrincipalMatch::Direct);
        assert_eq!(p(&["111122223333"]).matches(&Identity::Anonymous), PrincipalMatch::No);
        assert_eq!(p(&["111122223333"]).matches(&alice()), PrincipalMatch::Account);
        assert_eq!(
            p(&["arn:aws:iam::111122223333:user/alice"]).matches(&alice()),
            PrincipalMatch::Direct
        );
        assert_eq!(
            p(&["arn:aws:iam::111122223333:user/bob"]).matches(&alice()),
            PrincipalMatch::No
        );
        assert_eq!(p(&["444455556666"]).matches(&alice()), PrincipalMatch::No);
        let root = Identity::Root {
            account: "111122223333".into(),
            canonical_id: "c1".into(),
        };
        assert_eq!(
            p(&["arn:aws:iam::111122223333:root"]).matches(&root),
            PrincipalMatch::Direct
        );
        let canonical = Principals {
            canonical_users: vec!["c1".into()],
            ..Default::default()
        };
        assert_eq!(canonical.matches(&root), PrincipalMatch::Direct);
        let session = Identity::Role {
            account: "111122223333".into(),
            canonical_id: "c1".into(),
            name: "reader".into(),
            id: "AROA1".into(),
            session: "s1".into(),
        };
        assert_eq!(
            p(&["arn:aws:iam::111122223333:role/team/reader"]).matches(&session),
            PrincipalMatch::Direct,
            "a role's ARN names its sessions"
        );
        assert_eq!(
            p(&["arn:aws:sts::111122223333:assumed-role/reader/s1"]).matches(&session),
            PrincipalMatch::Direct
        );
        assert_eq!(
            p(&["arn:aws:sts::111122223333:assumed-role/reader/s2"]).matches(&session),
            PrincipalMatch::No
        );
        assert_eq!(p(&["111122223333"]).matches(&session), PrincipalMatch::Account);
        assert_eq!(
            p(&["arn:aws:iam::111122223333:user/reader"]).matches(&session),
            PrincipalMatch::No
        );
    }

    #[test]
    fn which_aws_entries_are_valid() {
        assert!(Principals::valid_aws("*"));
        assert!(Principals::valid_aws("111122223333"));
        assert!(Principals::valid_aws("arn:aws:iam::111122223333:user/alice"));
        assert!(Principals::valid_aws("arn:aws:iam::111122223333:role/r"));
        assert!(Principals::valid_aws(
            "arn:aws:sts::111122223333:assumed-role/r/session"
        ));
        assert!(!Principals::valid_aws("arn:aws:sts::111122223333:assumed-role/r"));
        assert!(!Principals::valid_aws("arn:aws:sts::111122223333:assumed-role/r/*"));
        assert!(!Principals::valid_aws("arn:aws:iam::111122223333:user/*"));
        assert!(!Principals::valid_aws("alice"));
        assert!(!Principals::valid_aws("arn:aws:iam::1:root"));
    }
}
