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
