//! The identity policies of one principal — an IAM user with its groups, or a role — parsed
//! together, and what they say to a request.
//!
//! A principal's policies are read from the store and parsed once per identity generation
//! (see [`crate::identity`]). Both failures fail closed, so that a principal never resolves
//! without what might be its Deny: a policy that cannot be *read* fails the whole set (the
//! principal is refused), and a document that no longer parses (stored under an older,
//! laxer parser) stands as a Deny of everything, logged, until an administrator replaces it.

use std::sync::Arc;

use arca_iam::{KeySet, Policy, PolicyAnswer, PolicyKind, PrincipalMatch, Request};
use arca_store::{RoleRecord, Store, StoreResult, UserRecord};

use crate::explain::PolicyReport;

/// A principal's identity policies, each with where it comes from (for explanations).
#[derive(Debug, Default)]
pub(crate) struct PolicySet {
    policies: Vec<(String, Arc<Policy>)>,
    /// The request keys its policies read, all together.
    pub(crate) reads: KeySet,
}

/// Identity policy texts, each labelled with where it comes from.
type Texts = Vec<(String, String)>;

impl PolicySet {
    /// A user's: its inline policies, the default versions of the managed policies attached to
    /// it, and the same of each of its groups.
    pub(crate) fn of_user(store: &Store, account: &str, user: &UserRecord) -> StoreResult<PolicySet> {
        let mut texts = Texts::new();
        for (name, text) in &user.inline_policies {
            texts.push((format!("user policy {name}"), text.clone()));
        }
        managed(store, account, &user.attached_policies, "", &mut texts)?;
        for group in &user.groups {
            // A group deleted since the user's record was read has left with its rights.
            let Some(g) = store.get_group(account, group)? else {
                continue;
            };
            for (name, text) in &g.inline_policies {
                texts.push((format!("group {group} policy {name}"), text.clone()));
            }
            managed(
                store,
                account,
                &g.attached_policies,
                &format!(" (group {group})"),
                &mut texts,
            )?;
        }
        Ok(Self::parse(&user.name, texts))
    }

    /// A role's: its inline policies and the default versions of the managed policies
    /// attached to it.
    pub(crate) fn of_role(store: &Store, account: &str, role: &RoleRecord) -> StoreResult<PolicySet> {
        let mut texts = Texts::new();
        for (name, text) in &role.inline_policies {
            texts.push((format!("role {} policy {name}", role.name), text.clone()));
        }
        managed(
            store,
            account,
            &role.attached_policies,
            &format!(" (role {})", role.name),
            &mut texts,
        )?;
        Ok(Self::parse(&role.name, texts))
    }

    fn parse(principal: &str, texts: Texts) -> PolicySet {
        let policies: Vec<(String, Arc<Policy>)> = texts
            .into_iter()
            .map(|(what, text)| match Policy::parse(&text, &PolicyKind::Identity) {
                Ok(p) => (what, Arc::new(p)),
                Err(e) => {
                    tracing::error!(principal, policy = what, error = %e, "a stored policy no longer parses; it denies everything until replaced");
                    (what, Arc::new(unreadable(&PolicyKind::Identity)))
                }
            })
            .collect();
        let reads = policies
            .iter()
            .fold(KeySet::default(), |set, (_, p)| set.union(p.reads));
        PolicySet { policies, reads }
    }

    /// What the policies say to `request`, together. With `reports`, each policy is evaluated
    /// with its trace and reported.
    pub(crate) fn answer(&self, request: &Request<'_>, mut reports: Option<&mut Vec<PolicyReport>>) -> PolicyAnswer {
        let mut combined = PolicyAnswer {
            denies: false,
            allows: PrincipalMatch::No,
            trace: Vec::new(),
        };
        for (source, policy) in &self.policies {
            let answer = match reports.as_mut() {
                Some(reports) => {
                    let answer = policy.evaluate(request);
                    reports.push(PolicyReport::new(source.clone(), policy, &answer));
                    answer
                }
                None => policy.answer(request),
            };
            combined.denies |= answer.denies;
            combined.allows = combined.allows.max(answer.allows);
        }
        combined
    }
}

/// What a stored policy that no longer parses stands as: a Deny of everything (for a bucket
/// policy, of everything on the bucket, to everyone; its owner can still read, replace and
/// delete it, as with any Deny).
pub(crate) fn unreadable(kind: &PolicyKind) -> Policy {
    let text = match kind {
        PolicyKind::Bucket { bucket } => format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"StoredPolicyNoLongerParses","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"]}}]}}"#
        ),
        _ => r#"{"Version":"2012-10-17","Statement":[{"Sid":"StoredPolicyNoLongerParses","Effect":"Deny","Action":"*","Resource":"*"}]}"#.to_string(),
    };
    Policy::parse(&text, kind).expect("the stand-in policy parses")
}

/// The default versions of the managed policies `names` of `account`. (A policy deleted since
/// its holder's record was read has left with its rights.)
fn managed(store: &Store, account: &str, names: &[String], holder: &str, texts: &mut Texts) -> StoreResult<()> {
    for name in names {
        if let Some(doc) = store
            .get_policy(account, name)?
            .as_ref()
            .and_then(|p| p.default_document())
        {
            texts.push((format!("managed policy {name}{holder}"), doc.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arca_iam::{ConditionContext, Identity};

    #[test]
    fn a_policy_that_no_longer_parses_denies_everything() {
        let set = PolicySet::parse("alice", vec![("user policy old".into(), "{not json".into())]);
        let alice = Identity::User {
            account: "000000000000".into(),
            canonical_id: "c".into(),
            name: "alice".into(),
            id: "AIDA1".into(),
        };
        let context = ConditionContext::new();
        let request = Request {
            identity: &alice,
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            context: &context,
        };
        assert!(set.answer(&request, None).denies);

        let kind = PolicyKind::Bucket { bucket: "b".into() };
        let stand_in = unreadable(&kind);
        for who in [Identity::Anonymous, alice.clone()] {
            let request = Request {
                identity: &who,
                ..request
            };
            assert!(stand_in.evaluate(&request).denies);
        }
        let elsewhere = Request {
            resource: "arn:aws:s3:::other/k",
            ..request
        };
        assert!(!stand_in.evaluate(&elsewhere).denies, "only its own bucket");
    }
}
