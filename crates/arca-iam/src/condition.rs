//! The `Condition` element: operators, and how each compares a request's context values with
//! the policy's values.
//!
//! The rules AWS documents, kept here in one place:
//! - blocks (operators) are ANDed, keys within a block are ANDed, a key's values are ORed;
//! - a negated operator (`StringNotEquals`, `NotIpAddress`, …) is true when no value matches;
//! - a key absent from the request makes a positive operator false and a negated one true,
//!   unless the operator ends in `IfExists` (then true) or is `Null` (which tests presence);
//! - `ForAnyValue:` is true if some request value matches (false without values);
//!   `ForAllValues:` if every request value matches (true without values).

use std::borrow::Cow;
use std::net::IpAddr;

use ipnet::IpNet;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::PolicyError;
use crate::variables::substitute;
use crate::wildcard;

/// A request's condition keys and their values. Keys are compared case-insensitively, as AWS
/// does; a key may have several values (`aws:TagKeys`). A request has a dozen or two keys, so
/// they sit in a list scanned without allocating rather than in a map whose every lookup
/// would lowercase its key first.
#[derive(Debug, Clone, Default)]
pub struct ConditionContext {
    // Keys are mostly the static names of [`RequestKey`](crate::RequestKey)s: borrowed, not
    // copied, on the request path.
    values: Vec<(Cow<'static, str>, Vec<String>)>,
}

impl ConditionContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to one value.
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) -> &mut Self {
        self.set_many(key, vec![value.into()])
    }

    /// Sets `key` to several values.
    pub fn set_many(&mut self, key: impl Into<Cow<'static, str>>, values: Vec<String>) -> &mut Self {
        let key = key.into();
        match self.values.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&key)) {
            Some(entry) => entry.1 = values,
            None => self.values.push((key, values)),
        }
        self
    }

    /// The values of `key`, if the request has it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }

    /// Every key and its values (for explanations).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.values.iter().map(|(k, v)| (k.as_ref(), v.as_slice()))
    }
}

/// How an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

/// `ForAnyValue:` / `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    AnyValue,
    AllValues,
}

/// One condition operator as written, e.g. `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    name: String,
    comparison: Comparison,
    negated: bool,
    if_exists: bool,
    set: Option<SetQualifier>,
}

impl Operator {
    /// Parses an operator name.
    pub fn parse(name: &str) -> Result<Operator, PolicyError> {
        let invalid = || PolicyError::ConditionOperator(name.to_string());
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::AnyValue), r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::AllValues), r)
        } else {
            (None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) if b != "Null" => (true, b),
            _ => (false, rest),
        };
        use Comparison::*;
        let (comparison, negated) = match base {
            "StringEquals" => (StringEquals, false),
            "StringNotEquals" => (StringEquals, true),
            "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
            "StringLike" => (StringLike, false),
            "StringNotLike" => (StringLike, true),
            "NumericEquals" => (NumericEquals, false),
            "NumericNotEquals" => (NumericEquals, true),
            "NumericLessThan" => (NumericLessThan, false),
            "NumericLessThanEquals" => (NumericLessThanEquals, false),
            "NumericGreaterThan" => (NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (NumericGreaterThanEquals, false),
            "DateEquals" => (DateEquals, false),
            "DateNotEquals" => (DateEquals, true),
            "DateLessThan" => (DateLessThan, false),
            "DateLessThanEquals" => (DateLessThanEquals, false),
            "DateGreaterThan" => (DateGreaterThan, false),
            "DateGreaterThanEquals" => (DateGreaterThanEquals, false),
            "Bool" => (Bool, false),
            "BinaryEquals" => (BinaryEquals, false),
            "IpAddress" => (IpAddress, false),
            "NotIpAddress" => (IpAddress, true),
            "ArnEquals" | "ArnLike" => (ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
            "Null" if set.is_none() => (Null, false),
            _ => return Err(invalid()),
        };
        Ok(Operator {
            name: name.to_string(),
            comparison,
            negated,
            if_exists,
            set,
        })
    }

    /// The operator as written in the policy.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// One key of one operator block: `"StringLike": {"s3:prefix": ["home/", "home/${aws:username}/*"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// The condition key, as written.
    pub key: String,
    /// The policy's values, as strings (JSON numbers and booleans are written as text).
    pub values: Vec<String>,
    /// Each value parsed for the operator, once: a request compares against these.
    parsed: Vec<Parsed>,
}

/// A policy value as the operator compares it, parsed when the policy is.
#[derive(Debug, Clone)]
enum Parsed {
    /// Compared as text (strings, ARNs, booleans).
    Text,
    /// Holds a policy variable: known only per request, parsed then.
    Variable,
    Number(f64),
    Date(OffsetDateTime),
    Net(IpNet),
}

impl PartialEq for Parsed {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Parsed::Number(a), Parsed::Number(b)) => a.to_bits() == b.to_bits(),
            (Parsed::Date(a), Parsed::Date(b)) => a == b,
            (Parsed::Net(a), Parsed::Net(b)) => a == b,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Eq for Parsed {}

/// `value` parsed for comparison `c`; `None` if it is not a value of that kind (a date that is
/// not one).
fn parse_for(c: Comparison, value: &str) -> Option<Parsed> {
    Some(match c {
        c if is_numeric(c) => Parsed::Number(value.parse().ok()?),
        c if is_date(c) => Parsed::Date(parse_date(value)?),
        Comparison::IpAddress => Parsed::Net(parse_net(value)?),
        Comparison::Bool | Comparison::Null => {
            if !(value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")) {
                return None;
            }
            Parsed::Text
        }
        _ => Parsed::Text,
    })
}

impl Condition {
    /// A condition, its values checked and parsed for the operator (dates are dates, numbers
    /// numbers, addresses addresses), so that a policy never fails at request time and a
    /// request parses nothing of the policy.
    pub fn new(operator: Operator, key: String, values: Vec<String>) -> Result<Condition, PolicyError> {
        let parsed = values
            .iter()
            .map(|v| {
                if v.contains("${") {
                    Ok(Parsed::Variable)
                } else {
                    parse_for(operator.comparison, v).ok_or_else(|| PolicyError::ConditionValue(v.clone()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Condition {
            operator,
            key,
            values,
            parsed,
        })
    }

    /// Whether the condition holds for a request. With `variables` (policies of version
    /// 2012-10-17), `${key}` in the policy's values stands for the request's value of `key`.
    pub fn holds(&self, context: &ConditionContext, variables: bool) -> bool {
        let op = &self.operator;
        let present = context.get(&self.key).filter(|v| !v.is_empty());
        if op.comparison == Comparison::Null {
            let wants_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            let wants_present = self.values.iter().any(|v| v.eq_ignore_ascii_case("false"));
            return (present.is_none() && wants_absent) || (present.is_some() && wants_present);
        }
        let Some(request_values) = present else {
            return match op.set {
                Some(SetQualifier::AllValues) => true,
                Some(SetQualifier::AnyValue) => false,
                None => op.if_exists || op.negated,
            };
        };
        let lookup = |k: &str| context.get(k).and_then(|v| v.first()).cloned();
        let one_matches = |request_value: &str| {
            self.values.iter().zip(&self.parsed).any(|(text, parsed)| match parsed {
                Parsed::Variable if variables => substitute(text, &lookup)
                    .and_then(|v| Some((parse_for(op.comparison, &v)?, v)))
                    .is_some_and(|(parsed, v)| compare(op.comparison, request_value, &v, &parsed)),
                parsed => compare(op.comparison, request_value, text, parsed),
            })
        };
        match op.set {
            // Negation applies to each value's match: "every value is not like …".
            Some(SetQualifier::AllValues) => request_values.iter().all(|r| one_matches(r) != op.negated),
            Some(SetQualifier::AnyValue) | None => request_values.iter().any(|r| one_matches(r) != op.negated),
        }
    }
}

fn is_numeric(c: Comparison) -> bool {
    use Comparison::*;
    matches!(
        c,
        NumericEquals | NumericLessThan | NumericLessThanEquals | NumericGreaterThan | NumericGreaterThanEquals
    )
}

fn is_date(c: Comparison) -> bool {
    use Comparison::*;
    matches!(
        c,
        DateEquals | DateLessThan | DateLessThanEquals | DateGreaterThan | DateGreaterThanEquals
    )
}

/// A date as policies write them: ISO 8601 (`2026-01-01T00:00:00Z`, or a bare day) or seconds
/// since the epoch.
fn parse_date(s: &str) -> Option<OffsetDateTime> {
    if let Ok(secs) = s.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(secs).ok();
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let day = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(day.midnight().assume_utc())
}

/// `192.0.2.0/24`, or one address (a /32 or /128).
fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Whether one request value compares as the policy's value says (before negation): `text`
/// as written, `parsed` as the operator reads it.
fn compare(c: Comparison, request: &str, text: &str, parsed: &Parsed) -> bool {
    use Comparison::*;
    match (c, parsed) {
        (StringEquals | BinaryEquals, _) => request == text,
        (StringEqualsIgnoreCase, _) => request.to_lowercase() == text.to_lowercase(),
        (StringLike, _) => wildcard::matches(text, request),
        (Bool, _) => request.eq_ignore_ascii_case(text),
        (ArnLike, _) => arn_like(text, request),
        (IpAddress, Parsed::Net(net)) => request.parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip)),
        (c, Parsed::Number(p)) => request.parse::<f64>().is_ok_and(|r| order_holds(c, r.partial_cmp(p))),
        (c, Parsed::Date(p)) => parse_date(request).is_some_and(|r| order_holds(c, r.partial_cmp(p))),
        _ => false,
    }
}

fn order_holds(c: Comparison, ord: Option<std::cmp::Ordering>) -> bool {
    use Comparison::*;
    use std::cmp::Ordering::*;
    let Some(ord) = ord else { return false };
    match c {
        NumericEquals | DateEquals => ord == Equal,
        NumericLessThan | DateLessThan => ord == Less,
        NumericLessThanEquals | DateLessThanEquals => ord != Greater,
        NumericGreaterThan | DateGreaterThan => ord == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

/// ARNs compare part by part (`arn:partition:service:region:account:resource`), each with
/// wildcards, so that `*` in the region cannot swallow the colons around it.
pub(crate) fn arn_like(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    if p.len() != 6 || a.len() != 6 {
        return pattern == "*" || wildcard::matches(pattern, arn);
    }
    p.iter().zip(&a).all(|(p, a)| wildcard::matches(p, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition::new(
            Operator::parse(op).unwrap(),
            key.into(),
            values.iter().map(|v| v.to_string()).collect(),
        )
        .unwrap()
    }

    fn holds(c: &Condition, ctx: &ConditionContext) -> bool {
        c.holds(ctx, true)
    }

    fn ctx(pairs: &[(&str, &str)]) -> ConditionContext {
        let mut c = ConditionContext::new();
        for (k, v) in pairs {
            c.set(k.to_string(), *v);
        }
        c
    }

    #[test]
    fn string_operators() {
        let c = ctx(&[("s3:prefix", "home/alice/x")]);
        assert!(holds(&cond("StringLike", "s3:prefix", &["home/alice/*"]), &c));
        assert!(!holds(&cond("StringNotLike", "s3:prefix", &["home/alice/*"]), &c));
        assert!(holds(&cond("StringEquals", "S3:Prefix", &["nope", "home/alice/x"]), &c));
        assert!(!holds(&cond("StringEquals", "s3:prefix", &["HOME/alice/x"]), &c));
        assert!(holds(
            &cond("StringEqualsIgnoreCase", "s3:prefix", &["HOME/alice/x"]),
            &c
        ));
        assert!(holds(&cond("StringNotEquals", "s3:prefix", &["a", "b"]), &c));
        assert!(!holds(
            &cond("StringNotEqualsIgnoreCase", "s3:prefix", &["HOME/ALICE/X"]),
            &c
        ));
    }

    #[test]
    fn absent_keys() {
        let empty = ConditionContext::new();
        assert!(!holds(&cond("StringEquals", "s3:prefix", &["a"]), &empty));
        assert!(holds(&cond("StringNotEquals", "s3:prefix", &["a"]), &empty));
        assert!(holds(&cond("StringEqualsIfExists", "s3:prefix", &["a"]), &empty));
        assert!(!holds(
            &cond("StringEqualsIfExists", "s3:prefix", &["a"]),
            &ctx(&[("s3:prefix", "b")])
        ));
        assert!(holds(&cond("Null", "s3:prefix", &["true"]), &empty));
        assert!(!holds(&cond("Null", "s3:prefix", &["false"]), &empty));
        assert!(holds(
            &cond("Null", "s3:prefix", &["false"]),
            &ctx(&[("s3:prefix", "x")])
        ));
    }

    #[test]
    fn numbers_dates_bools() {
        let c = ctx(&[
            ("s3:max-keys", "10"),
            ("aws:CurrentTime", "2026-06-01T12:00:00Z"),
            ("aws:SecureTransport", "false"),
        ]);
        assert!(holds(&cond("NumericLessThanEquals", "s3:max-keys", &["10"]), &c));
        assert!(!holds(&cond("NumericLessThan", "s3:max-keys", &["10"]), &c));
        assert!(holds(&cond("NumericGreaterThan", "s3:max-keys", &["9.5"]), &c));
        assert!(holds(&cond("NumericNotEquals", "s3:max-keys", &["11"]), &c));
        assert!(holds(&cond("DateGreaterThan", "aws:CurrentTime", &["2026-01-01"]), &c));
        assert!(holds(
            &cond("DateLessThan", "aws:CurrentTime", &["2026-06-01T12:00:01Z"]),
            &c
        ));
        assert!(holds(
            &cond("DateLessThanEquals", "aws:CurrentTime", &["1780315200"]),
            &c
        ));
        assert!(holds(&cond("Bool", "aws:SecureTransport", &["FALSE"]), &c));
        assert!(!holds(&cond("Bool", "aws:SecureTransport", &["true"]), &c));
    }

    #[test]
    fn addresses_and_arns() {
        let c = ctx(&[
            ("aws:SourceIp", "127.0.0.1"),
            ("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice"),
        ]);
        assert!(holds(&cond("IpAddress", "aws:SourceIp", &["127.0.0.0/8"]), &c));
        assert!(holds(&cond("IpAddress", "aws:SourceIp", &["127.0.0.1"]), &c));
        assert!(holds(
            &cond("NotIpAddress", "aws:SourceIp", &["10.0.0.0/8", "::1/128"]),
            &c
        ));
        assert!(!holds(&cond("IpAddress", "aws:SourceIp", &["::1"]), &c));
        assert!(holds(
            &cond("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::*:user/a*"]),
            &c
        ));
        assert!(!holds(
            &cond("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::*:role/*"]),
            &c
        ));
        assert!(holds(
            &cond("ArnNotEquals", "aws:PrincipalArn", &["arn:aws:iam::1:user/alice"]),
            &c
        ));
    }

    #[test]
    fn set_qualifiers() {
        let mut c = ConditionContext::new();
        c.set_many("aws:TagKeys", vec!["team".into(), "cost".into()]);
        assert!(holds(
            &cond("ForAllValues:StringEquals", "aws:TagKeys", &["team", "cost", "x"]),
            &c
        ));
        assert!(!holds(&cond("ForAllValues:StringEquals", "aws:TagKeys", &["team"]), &c));
        assert!(holds(&cond("ForAnyValue:StringEquals", "aws:TagKeys", &["team"]), &c));
        assert!(!holds(&cond("ForAnyValue:StringEquals", "aws:TagKeys", &["x"]), &c));
        let empty = ConditionContext::new();
        assert!(holds(&cond("ForAllValues:StringEquals", "aws:TagKeys", &["x"]), &empty));
        assert!(!holds(&cond("ForAnyValue:StringEquals", "aws:TagKeys", &["x"]), &empty));
    }

    #[test]
    fn variables_in_values() {
        let condition = cond("StringLike", "s3:prefix", &["home/${aws:username}/*"]);
        let alice = ctx(&[("s3:prefix", "home/alice/"), ("aws:username", "alice")]);
        assert!(condition.holds(&alice, true));
        assert!(!condition.holds(&alice, false), "2008-10-17 policies have no variables");
        let bob = ctx(&[("s3:prefix", "home/alice/"), ("aws:username", "bob")]);
        assert!(!condition.holds(&bob, true));
    }

    #[test]
    fn bad_operators_and_values_are_refused() {
        assert_eq!(
            Operator::parse("StringEqualz"),
            Err(PolicyError::ConditionOperator("StringEqualz".into()))
        );
        assert!(Operator::parse("ForAnyValue:Null").is_err());
        let c = Condition::new(
            Operator::parse("DateLessThan").unwrap(),
            "aws:CurrentTime".into(),
            vec!["yesterday".into()],
        );
        assert_eq!(c, Err(PolicyError::ConditionValue("yesterday".into())));
    }
}
