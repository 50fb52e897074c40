//! Policy documents: their model, and the parser that refuses what AWS refuses.
//!
//! A document is parsed once, when it is stored, and then evaluated many times; parsing
//! checks everything that could make evaluation fail or mean something else than the writer
//! thought (an unknown operator, a date that is not one, an action on no resource), so that
//! evaluation itself cannot fail.

use serde_json::{Map, Value};

use crate::actions::{ResourceKind, s3_actions};
use crate::condition::{Condition, Operator};
use crate::error::PolicyError;
use crate::index::StatementIndex;
use crate::keys::KeySet;
use crate::principal::Principals;
use crate::wildcard;

/// Where a policy is attached; it decides which elements it must and must not have.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A bucket policy of `bucket`: every statement names a principal; resources are the
    /// bucket and its objects; actions are S3's. At most 20 KB.
    Bucket {
        /// The bucket the policy is attached to.
        bucket: String,
    },
    /// An identity policy (of a user, a group, a role, or managed): no principal. At most
    /// 6,144 characters, not counting white space.
    Identity,
    /// A KMS key policy: every statement names a principal; actions are KMS's; resources
    /// are the key (`*` in the key's own policy, as KMS writes them). At most 32 KB.
    Key,
    /// A role's trust policy: who may assume it. Every statement names a principal, no
    /// resource (the role is the resource); actions are STS's. At most 2,048 characters, not
    /// counting white space.
    Trust,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants, unless something denies.
    Allow,
    /// Denies, whatever else grants.
    Deny,
}

/// A list of patterns, or (`NotAction`, `NotResource`, `NotPrincipal`) everything but them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    /// `NotX`: the element applies to what the patterns do *not* match.
    pub negated: bool,
    /// The patterns as written.
    pub values: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`, if given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal` (or, negated, `NotPrincipal`); `None` in identity policies.
    pub principal: Option<(bool, Principals)>,
    /// `Action` or `NotAction`.
    pub actions: Patterns,
    /// `Resource` or `NotResource`.
    pub resources: Patterns,
    /// Every condition, flattened: all must hold.
    pub conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `Version` 2012-10-17: policy variables are substituted. (2008-10-17, or none: they
    /// are literal text.)
    pub variables: bool,
    /// `Id`, if given.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
    /// Every request key the policy reads (condition keys, and the variables of its
    /// resources and values), lowercased: a request need not gather the others.
    pub keys: Vec<String>,
    /// Those of [`keys`](Self::keys) a request can have, as a set.
    pub reads: KeySet,
    /// Which statements can apply to which principals and actions.
    pub(crate) index: StatementIndex,
    /// Whether it grants public access ([`is_public`](Self::is_public)): known when parsed,
    /// as Block Public Access asks on every request to a bucket that restricts it.
    pub(crate) public: bool,
}

/// Bucket policies: 20 KB, as S3 allows.
pub const BUCKET_POLICY_MAX_BYTES: usize = 20 * 1024;
/// Managed identity policies: 6,144 characters not counting white space, as IAM allows.
pub const IDENTITY_POLICY_MAX_CHARS: usize = 6144;

/// The largest KMS key policy, in bytes (KMS's limit).
pub const KEY_POLICY_MAX_BYTES: usize = 32 * 1024;

/// The longest trust policy of a role, in characters other than white space (IAM's limit).
pub const TRUST_POLICY_MAX_CHARS: usize = 2048;

impl Policy {
    /// Parses and validates `text` as a policy of `kind`.
    pub fn parse(text: &str, kind: &PolicyKind) -> Result<Policy, PolicyError> {
        match kind {
            PolicyKind::Bucket { .. } if text.len() > BUCKET_POLICY_MAX_BYTES => return Err(PolicyError::TooLarge),
            PolicyKind::Key if text.len() > KEY_POLICY_MAX_BYTES => return Err(PolicyError::TooLarge),
            PolicyKind::Identity if text.chars().filter(|c| !c.is_whitespace()).count() > IDENTITY_POLICY_MAX_CHARS => {
                return Err(PolicyError::TooLarge);
            }
            PolicyKind::Trust if text.chars().filter(|c| !c.is_whitespace()).count() > TRUST_POLICY_MAX_CHARS => {
                return Err(PolicyError::TooLarge);
            }
            _ => {}
        }
        let doc: Value = serde_json::from_str(text).map_err(|_| PolicyError::NotJson)?;
        let Value::Object(doc) = doc else {
            return Err(PolicyError::NotJson);
        };
        let mut variables = false;
        let mut id = None;
        let mut statements = None;
        for (field, value) in &doc {
            match field.as_str() {
                "Version" => {
                    variables = match value.as_str() {
                        Some("2012-10-17") => true,
                        Some("2008-10-17") => false,
                        _ => return Err(PolicyError::Version),
                    }
                }
                "Id" => id = Some(string(value)?),
                "Statement" => statements = Some(value),
                other => return Err(PolicyError::UnknownField(other.to_string())),
            }
        }
        let statements = match statements.ok_or(PolicyError::Missing("Statement"))? {
            Value::Array(items) => items
                .iter()
                .map(|s| statement(s, kind))
                .collect::<Result<Vec<_>, _>>()?,
            single @ Value::Object(_) => vec![statement(single, kind)?],
            _ => return Err(PolicyError::Syntax),
        };
        if statements.is_empty() {
            return Err(PolicyError::Missing("Statement"));
        }
        let keys = referenced_keys(&statements, variables);
        let index = StatementIndex::new(&statements);
        let reads = KeySet::of(keys.iter().map(String::as_str));
        let public = crate::public::grants_public_access(&statements);
        Ok(Policy {
            variables,
            id,
            statements,
            keys,
            reads,
            index,
            public,
        })
    }
}

/// The request keys `statements` read, lowercased, each once.
fn referenced_keys(statements: &[Statement], variables: bool) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |k: &str| {
        let k = k.trim().to_ascii_lowercase();
        if !keys.contains(&k) {
            keys.push(k);
        }
    };
    for s in statements {
        let texts = s
            .resources
            .values
            .iter()
            .chain(s.conditions.iter().flat_map(|c| c.values.iter()));
        for text in texts.filter(|_| variables) {
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${") {
                let Some(end) = rest[start..].find('}') else { break };
                let inner = &rest[start + 2..start + end];
                add(inner.split(',').next().unwrap_or(inner));
                rest = &rest[start + end + 1..];
            }
        }
        for c in &s.conditions {
            add(&c.key);
        }
    }
    keys
}

fn string(v: &Value) -> Result<String, PolicyError> {
    v.as_str().map(str::to_string).ok_or(PolicyError::Syntax)
}

/// A string or an array of strings (numbers and booleans too, in condition values).
fn strings(v: &Value, scalars: bool) -> Result<Vec<String>, PolicyError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if scalars => Ok(n.to_string()),
        Value::Bool(b) if scalars => Ok(b.to_string()),
        _ => Err(PolicyError::Syntax),
    };
    match v {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        Value::Array(_) => Err(PolicyError::Syntax),
        v => Ok(vec![one(v)?]),
    }
}

/// Reads `X` or `NotX` (not both) from a statement.
fn either<'a>(
    s: &'a Map<String, Value>,
    name: &'static str,
    not: &'static str,
) -> Result<Option<(bool, &'a Value)>, PolicyError> {
    match (s.get(name), s.get(not)) {
        (Some(_), Some(_)) => Err(PolicyError::Syntax),
        (Some(v), None) => Ok(Some((false, v))),
        (None, Some(v)) => Ok(Some((true, v))),
        (None, None) => Ok(None),
    }
}

fn statement(value: &Value, kind: &PolicyKind) -> Result<Statement, PolicyError> {
    let Value::Object(s) = value else {
        return Err(PolicyError::Syntax);
    };
    for field in s.keys() {
        if !matches!(
            field.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(PolicyError::UnknownField(field.clone()));
        }
    }
    let sid = s.get("Sid").map(string).transpose()?;
    let effect = match s.get("Effect").ok_or(PolicyError::Missing("Effect"))? {
        Value::String(e) if e == "Allow" => Effect::Allow,
        Value::String(e) if e == "Deny" => Effect::Deny,
        Value::String(e) => return Err(PolicyError::Effect(e.clone())),
        _ => return Err(PolicyError::Syntax),
    };
    let principal = match (either(s, "Principal", "NotPrincipal")?, kind) {
        (Some(_), PolicyKind::Identity) => return Err(PolicyError::UnexpectedPrincipal),
        (None, PolicyKind::Bucket { .. } | PolicyKind::Key | PolicyKind::Trust) => {
            return Err(PolicyError::Missing("Principal"));
        }
        (None, PolicyKind::Identity) => None,
        (Some((negated, v)), PolicyKind::Bucket { .. } | PolicyKind::Key | PolicyKind::Trust) => {
            Some((negated, principals(v)?))
        }
    };
    let (negated, v) = either(s, "Action", "NotAction")?.ok_or(PolicyError::Missing("Action"))?;
    let actions = Patterns {
        negated,
        values: strings(v, false)?,
    };
    let resources = match (either(s, "Resource", "NotResource")?, kind) {
        (Some(_), PolicyKind::Trust) => return Err(PolicyError::ProhibitedResource),
        // A trust policy's statements are about the role they are attached to.
        (None, PolicyKind::Trust) => Patterns {
            negated: false,
            values: vec!["*".to_string()],
        },
        (None, _) => return Err(PolicyError::Missing("Resource")),
        (Some((negated, v)), _) => Patterns {
            negated,
            values: strings(v, false)?,
        },
    };
    let conditions = match s.get("Condition") {
        Some(c) => conditions(c)?,
        None => Vec::new(),
    };
    check_actions(&actions, kind)?;
    check_resources(&resources, kind)?;
    if let PolicyKind::Bucket { .. } = kind
        && !actions.negated
        && !resources.negated
    {
        check_actions_apply(&actions, &resources)?;
    }
    Ok(Statement {
        sid,
        effect,
        principal,
        actions,
        resources,
        conditions,
    })
}

fn principals(v: &Value) -> Result<Principals, PolicyError> {
    let mut p = Principals::default();
    match v {
        Value::String(s) if s == "*" => p.everyone = true,
        Value::Object(m) if !m.is_empty() => {
            for (kind, names) in m {
                let names = strings(names, false).map_err(|_| PolicyError::Principal)?;
                match kind.as_str() {
                    "AWS" => {
                        if names.iter().any(|n| !Principals::valid_aws(n)) {
                            return Err(PolicyError::Principal);
                        }
                        p.everyone |= names.iter().any(|n| n == "*");
                        p.aws.extend(names);
                    }
                    "CanonicalUser" => p.canonical_users.extend(names),
                    "Service" => p.services.extend(names),
                    "Federated" => p.federated.extend(names),
                    _ => return Err(PolicyError::Principal),
                }
            }
        }
        _ => return Err(PolicyError::Principal),
    }
    Ok(p)
}

fn conditions(v: &Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(blocks) = v else {
        return Err(PolicyError::Syntax);
    };
    let mut out = Vec::new();
    for (operator, keys) in blocks {
        let operator = Operator::parse(operator)?;
        let Value::Object(keys) = keys else {
            return Err(PolicyError::Syntax);
        };
        for (key, values) in keys {
            out.push(Condition::new(operator.clone(), key.clone(), strings(values, true)?)?);
        }
    }
    Ok(out)
}

/// `service:action`, with wildcards; a bucket policy's must be S3 actions that exist.
fn check_actions(actions: &Patterns, kind: &PolicyKind) -> Result<(), PolicyError> {
    for a in &actions.values {
        if a == "*" {
            continue;
        }
        let Some((service, name)) = a.split_once(':') else {
            return Err(PolicyError::Action);
        };
        if service.is_empty() || name.is_empty() || !service.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(PolicyError::Action);
        }
        let is_s3 = service.eq_ignore_ascii_case("s3");
        if let PolicyKind::Bucket { .. } = kind
            && (!is_s3 || !s3_actions().any(|(known, _)| wildcard::matches_ignore_case(a, known)))
        {
            return Err(PolicyError::Action);
        }
        if *kind == PolicyKind::Trust && !service.eq_ignore_ascii_case("sts") {
            return Err(PolicyError::Action);
        }
        if *kind == PolicyKind::Key && !service.eq_ignore_ascii_case("kms") {
            return Err(PolicyError::Action);
        }
    }
    Ok(())
}

/// ARNs (or `*`); a bucket policy's must name its own bucket or objects in it.
fn check_resources(resources: &Patterns, kind: &PolicyKind) -> Result<(), PolicyError> {
    for r in &resources.values {
        if r == "*" {
            continue;
        }
        if !r.starts_with("arn:") || r.splitn(6, ':').count() != 6 {
            return Err(PolicyError::Resource);
        }
        if let PolicyKind::Bucket { bucket } = kind {
            let Some(path) = r.strip_prefix("arn:aws:s3:::") else {
                return Err(PolicyError::Resource);
            };
            let named = path.split('/').next().unwrap_or("");
            if !wildcard::matches(named, bucket) {
                return Err(PolicyError::Resource);
            }
        }
    }
    Ok(())
}

/// Some action must apply to some resource: an object action to an object ARN (one with a
/// `/`, or a wildcard that could stand for one), a bucket action to the bucket's ARN.
fn check_actions_apply(actions: &Patterns, resources: &Patterns) -> Result<(), PolicyError> {
    let could_be = |r: &str, kind: ResourceKind| {
        let path = r.strip_prefix("arn:aws:s3:::").unwrap_or(r);
        let wild = r == "*" || path.contains('*') || path.contains('?');
        match kind {
            ResourceKind::Object => wild || path.contains('/'),
            ResourceKind::Bucket => wild || !path.contains('/'),
            ResourceKind::Service => true,
        }
    };
    let applies = s3_actions()
        .filter(|(known, _)| actions.values.iter().any(|a| wildcard::matches_ignore_case(a, known)))
        .any(|(_, kind)| resources.values.iter().any(|r| could_be(r, kind)));
    if applies {
        Ok(())
    } else {
        Err(PolicyError::ActionResourceMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> PolicyKind {
        PolicyKind::Bucket {
            bucket: "photos".into(),
        }
    }

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text, &bucket())
    }

    #[test]
    fn a_public_read_policy() {
        let p = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":"*",
                "Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}"#,
        )
        .unwrap();
        assert!(p.variables);
        assert!(p.keys.is_empty());
        let s = &p.statements[0];
        assert_eq!(s.sid.as_deref(), Some("Public"));
        assert_eq!(s.effect, Effect::Allow);
        assert!(s.principal.as_ref().unwrap().1.everyone);
        assert_eq!(s.actions.values, ["s3:GetObject"]);
    }

    #[test]
    fn what_bucket_policies_refuse() {
        let statement = |s: &str| parse(&format!(r#"{{"Version":"2012-10-17","Statement":[{s}]}}"#));
        assert_eq!(parse("not json"), Err(PolicyError::NotJson));
        assert_eq!(parse("[]"), Err(PolicyError::NotJson));
        assert_eq!(
            parse(r#"{"Version":"2012-10-17"}"#),
            Err(PolicyError::Missing("Statement"))
        );
        assert_eq!(
            parse(r#"{"Version":"2020-01-01","Statement":[]}"#),
            Err(PolicyError::Version)
        );
        assert_eq!(
            parse(r#"{"Versoin":"2012-10-17","Statement":[]}"#),
            Err(PolicyError::UnknownField("Versoin".into()))
        );
        assert_eq!(
            statement(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#),
            Err(PolicyError::Missing("Principal"))
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Permit","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#
            ),
            Err(PolicyError::Effect("Permit".into()))
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#
            ),
            Err(PolicyError::Principal)
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::photos/*"}"#
            ),
            Err(PolicyError::Action)
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::photos/*"}"#
            ),
            Err(PolicyError::Action)
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}"#
            ),
            Err(PolicyError::Resource)
        );
        assert_eq!(
            statement(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos"}"#),
            Err(PolicyError::ActionResourceMismatch)
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos/x"}"#
            ),
            Err(PolicyError::ActionResourceMismatch)
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",
                   "Condition":{"StringEqualz":{"s3:prefix":"a"}}}"#
            ),
            Err(PolicyError::ConditionOperator("StringEqualz".into()))
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"arn:aws:s3:::photos/*"}"#
            ),
            Err(PolicyError::Syntax)
        );
        assert_eq!(
            statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Colour":"red"}"#
            ),
            Err(PolicyError::UnknownField("Colour".into()))
        );
        let big = format!(r#"{{"Id":"{}","Statement":[]}}"#, "x".repeat(BUCKET_POLICY_MAX_BYTES));
        assert_eq!(parse(&big), Err(PolicyError::TooLarge));
    }

    #[test]
    fn identity_policies_take_no_principal_and_any_service() {
        let ok = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*","iam:GetUser"],"Resource":"*"}}"#,
            &PolicyKind::Identity,
        )
        .unwrap();
        assert_eq!(ok.statements.len(), 1);
        assert_eq!(
            Policy::parse(
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
                &PolicyKind::Identity
            ),
            Err(PolicyError::UnexpectedPrincipal)
        );
    }

    #[test]
    fn conditions_flatten_with_numbers_and_bools_as_text() {
        let p = parse(
            r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":["*"]},"Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"],
                "Condition":{"Bool":{"aws:SecureTransport":false},"NumericGreaterThan":{"s3:max-keys":100,"s3:signatureAge":600000}}}]}"#,
        )
        .unwrap();
        assert!(!p.variables, "no Version means 2008-10-17");
        assert_eq!(p.keys, ["aws:securetransport", "s3:max-keys", "s3:signatureage"]);
        let c = &p.statements[0].conditions;
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].values, ["false"]);
        assert_eq!(c[1].values, ["100"]);
    }

    /// A policy of `kind` with `statement` as its one statement.
    fn one_statement(statement: &str, kind: &PolicyKind) -> Result<Policy, PolicyError> {
        Policy::parse(
            &format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#),
            kind,
        )
    }

    #[test]
    fn trust_policies_name_principals_and_sts_actions_but_no_resource() {
        let trust = |statement: &str| one_statement(statement, &PolicyKind::Trust);
        assert!(
            trust(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#
            )
            .is_ok()
        );
        assert_eq!(
            trust(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#).unwrap_err(),
            PolicyError::Missing("Principal")
        );
        assert_eq!(
            trust(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}"#).unwrap_err(),
            PolicyError::ProhibitedResource
        );
        assert_eq!(
            trust(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}"#).unwrap_err(),
            PolicyError::Action
        );
    }

    #[test]
    fn key_policies_name_principals_and_kms_actions() {
        let key = |statement: &str| one_statement(statement, &PolicyKind::Key);
        assert!(
            key(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#)
                .is_ok()
        );
        assert_eq!(
            key(r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}"#).unwrap_err(),
            PolicyError::Missing("Principal")
        );
        assert_eq!(
            key(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#).unwrap_err(),
            PolicyError::Action
        );
        let huge = format!(
            r#"{{"Sid":"{}","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}"#,
            "x".repeat(33 * 1024)
        );
        assert_eq!(key(&huge).unwrap_err(), PolicyError::TooLarge);
    }
}
