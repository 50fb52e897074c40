//! Whether a bucket policy is *public*, as AWS defines it for Block Public Access and
//! GetBucketPolicyStatus: it allows some action to a principal that is not fixed — `*`, or
//! anyone at all — unless a condition pins the requester down to fixed values.

use crate::policy::{Effect, Policy, Statement};

/// Condition keys whose fixed values make a wildcard principal non-public.
const PINNING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:userid",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
];

impl Policy {
    /// Whether the policy grants public access.
    pub fn is_public(&self) -> bool {
        self.public
    }
}

/// Whether some of `statements` grants public access.
pub(crate) fn grants_public_access(statements: &[Statement]) -> bool {
    statements.iter().any(|s| {
        if s.effect != Effect::Allow {
            return false;
        }
        let open = match &s.principal {
            None => false,
            Some((true, _)) => true, // NotPrincipal allows everyone it does not name
            Some((false, p)) => p.everyone,
        };
        open && !s.conditions.iter().any(|c| {
            let key = c.key.to_ascii_lowercase();
            let fixed = !c
                .values
                .iter()
                .any(|v| v.contains('*') || v.contains('?') || v.contains("${"));
            PINNING_KEYS.contains(&key.as_str()) && fixed && !wide_source_ip(&key, &c.values)
        })
    })
}

/// `aws:SourceIp` pins nothing if a range is wider than AWS allows for a non-public policy
/// (/8 for IPv4, /32 for IPv6, and never 0.0.0.0/0).
fn wide_source_ip(key: &str, values: &[String]) -> bool {
    key == "aws:sourceip"
        && values.iter().any(|v| match v.split_once('/') {
            Some((addr, bits)) => {
                let bits: u8 = bits.parse().unwrap_or(0);
                if addr.contains(':') { bits < 32 } else { bits < 8 }
            }
            None => false,
        })
}

#[cfg(test)]
mod tests {
    use crate::policy::{Policy, PolicyKind};

    fn public(statement: &str) -> bool {
        Policy::parse(
            &format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#),
            &PolicyKind::Bucket { bucket: "b".into() },
        )
        .unwrap()
        .is_public()
    }

    #[test]
    fn what_counts_as_public() {
        let read = r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#;
        assert!(public(&format!(r#"{{"Effect":"Allow","Principal":"*",{read}}}"#)));
        assert!(public(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"*"}},{read}}}"#
        )));
        assert!(!public(&format!(r#"{{"Effect":"Deny","Principal":"*",{read}}}"#)));
        assert!(!public(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"111122223333"}},{read}}}"#
        )));
        assert!(!public(&format!(
            r#"{{"Effect":"Allow","Principal":"*",{read},"Condition":{{"IpAddress":{{"aws:SourceIp":"192.0.2.0/24"}}}}}}"#
        )));
        assert!(public(&format!(
            r#"{{"Effect":"Allow","Principal":"*",{read},"Condition":{{"IpAddress":{{"aws:SourceIp":"0.0.0.0/0"}}}}}}"#
        )));
        assert!(public(&format!(
            r#"{{"Effect":"Allow","Principal":"*",{read},"Condition":{{"StringLike":{{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}}}}}"#
        )));
        assert!(public(&format!(
            r#"{{"Effect":"Allow","Principal":"*",{read},"Condition":{{"Bool":{{"aws:SecureTransport":"true"}}}}}}"#
        )));
    }
}
