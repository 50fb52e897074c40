//! The parser takes user input: whatever it is given, it answers (a policy or an error)
//! without panicking, and evaluation of what it accepts cannot panic either.

use arca_iam::{ConditionContext, Identity, Policy, PolicyKind, Request};
use proptest::prelude::*;

/// JSON-ish text built from the pieces policies are made of, so that the fuzzer reaches deep
/// into the parser rather than stopping at the first byte.
fn policy_like() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"Version\"",
        "\"2012-10-17\"",
        "\"Statement\"",
        "\"Effect\"",
        "\"Allow\"",
        "\"Deny\"",
        "\"Principal\"",
        "\"NotPrincipal\"",
        "\"*\"",
        "\"AWS\"",
        "\"Action\"",
        "\"NotAction\"",
        "\"s3:*\"",
        "\"s3:Get*\"",
        "\"Resource\"",
        "\"arn:aws:s3:::b/*\"",
        "\"Condition\"",
        "\"StringLike\"",
        "\"ForAllValues:StringEquals\"",
        "\"DateLessThan\"",
        "\"IpAddress\"",
        "\"aws:SourceIp\"",
        "\"127.0.0.0/8\"",
        "\"${aws:username}\"",
        "12",
        "true",
        "null",
        "\"\"",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn the_parser_never_panics_on_policy_like_text(text in policy_like()) {
        let kind = PolicyKind::Bucket { bucket: "b".into() };
        if let Ok(policy) = Policy::parse(&text, &kind) {
            let cx = ConditionContext::new();
            let _ = policy.evaluate(&Request {
                identity: &Identity::Anonymous,
                action: "s3:GetObject",
                resource: "arn:aws:s3:::b/k",
                context: &cx,
            });
            let _ = policy.is_public();
        }
        let _ = Policy::parse(&text, &PolicyKind::Identity);
    }

    #[test]
    fn the_parser_never_panics_on_any_text(text in ".{0,400}") {
        let _ = Policy::parse(&text, &PolicyKind::Bucket { bucket: "b".into() });
    }
}

/// Statements of every shape the index sorts by: principals named directly, through their
/// account, by canonical id, as roles, negated and as everyone; actions named exactly, by
/// wildcard and negated.
const STATEMENTS: &[&str] = &[
    r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:Put*","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/team/bob"},"Action":"s3:GetObject*","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Deny","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/r/s1"},"Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/team/ops"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Allow","Principal":{"CanonicalUser":"c1"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":["444455556666","arn:aws:iam::111122223333:user/carol"]},"NotAction":["s3:Delete*"],"Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"public/*"}}}"#,
];

fn identities() -> Vec<Identity> {
    let user = |account: &str, canonical: &str, name: &str| Identity::User {
        account: account.into(),
        canonical_id: canonical.into(),
        name: name.into(),
        id: format!("AIDA{name}"),
    };
    let role = |account: &str, canonical: &str, name: &str, session: &str| Identity::Role {
        account: account.into(),
        canonical_id: canonical.into(),
        name: name.into(),
        id: format!("AROA{name}"),
        session: session.into(),
    };
    vec![
        Identity::Anonymous,
        Identity::Root {
            account: "111122223333".into(),
            canonical_id: "c1".into(),
        },
        Identity::Root {
            account: "444455556666".into(),
            canonical_id: "c2".into(),
        },
        user("111122223333", "c1", "alice"),
        user("111122223333", "c1", "bob"),
        user("111122223333", "c1", "carol"),
        user("444455556666", "c2", "alice"),
        role("111122223333", "c1", "r", "s1"),
        role("111122223333", "c1", "r", "s2"),
        role("111122223333", "c1", "ops", "s1"),
        role("444455556666", "c2", "r", "s1"),
    ]
}

proptest! {
    /// The request path's evaluation (through the statement index) answers what the full scan
    /// answers.
    #[test]
    fn the_indexed_answer_is_the_full_answer(
        picks in prop::collection::vec(0..STATEMENTS.len(), 1..12),
        who in 0..11usize,
        action in prop::sample::select(vec![
            "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
            "s3:ListBucket", "s3:getobject", "s3:NoSuchAction",
        ]),
        resource in prop::sample::select(vec!["arn:aws:s3:::b/k", "arn:aws:s3:::b", "arn:aws:s3:::other/k"]),
        prefix in prop::option::of(prop::sample::select(vec!["public/x", "private/x"])),
    ) {
        let statements: Vec<&str> = picks.iter().map(|&i| STATEMENTS[i]).collect();
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
        let policy = Policy::parse(&text, &PolicyKind::Bucket { bucket: "b".into() }).unwrap();
        let mut cx = ConditionContext::new();
        if let Some(p) = prefix {
            cx.set("s3:prefix", p);
        }
        let identity = &identities()[who];
        let request = Request { identity, action, resource, context: &cx };
        let full = policy.evaluate(&request);
        let indexed = policy.answer(&request);
        prop_assert_eq!((full.denies, full.allows), (indexed.denies, indexed.allows));
    }
}

/// Identity-policy statements of every shape the index sorts resources by: one bucket named
/// (its objects, itself, a folder, a key with a variable), several buckets, wildcards and
/// variables in a bucket name, `*`, another service's ARN, `NotResource`.
const IDENTITY_STATEMENTS: &[&str] = &[
    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#,
    r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/private/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::other/*","arn:aws:s3:::bb/*"]}"#,
    r#"{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b*"]}"#,
    r#"{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::?/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:username}/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}"#,
    r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}"#,
    r#"{"Effect":"Deny","Action":"s3:DeleteObject","NotResource":"arn:aws:s3:::b/keep/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:*:*:*"}"#,
    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::B/*"}"#,
];

proptest! {
    /// Likewise for identity policies, whose statements name any resources.
    #[test]
    fn the_indexed_answer_is_the_full_answer_for_any_resource(
        picks in prop::collection::vec(0..IDENTITY_STATEMENTS.len(), 1..12),
        who in 0..11usize,
        action in prop::sample::select(vec![
            "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:ListAllMyBuckets",
        ]),
        resource in prop::sample::select(vec![
            "arn:aws:s3:::b/k", "arn:aws:s3:::b", "arn:aws:s3:::b/private/k", "arn:aws:s3:::b/home/alice/k",
            "arn:aws:s3:::b/keep/k", "arn:aws:s3:::bb/k", "arn:aws:s3:::B/k", "arn:aws:s3:::alice/k",
            "arn:aws:s3:::x", "arn:aws:s3:::", "*", "arn:aws:iam::111122223333:user/alice",
        ]),
    ) {
        let statements: Vec<&str> = picks.iter().map(|&i| IDENTITY_STATEMENTS[i]).collect();
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
        let policy = Policy::parse(&text, &PolicyKind::Identity).unwrap();
        let mut cx = ConditionContext::new();
        cx.set("aws:username", "alice");
        let identity = &identities()[who];
        let request = Request { identity, action, resource, context: &cx };
        let full = policy.evaluate(&request);
        let indexed = policy.answer(&request);
        prop_assert_eq!((full.denies, full.allows), (indexed.denies, indexed.allows));
    }
}
