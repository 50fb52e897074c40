//! Evaluating one policy for one request, keeping the reason each statement did or did not
//! apply, so that an administrator can be told exactly why a request was denied.

use crate::condition::ConditionContext;
use crate::policy::{Effect, Patterns, Policy, Statement};
use crate::principal::{Identity, PrincipalMatch, resource_matches};
use crate::variables::substitute;
use crate::wildcard;

/// The question a policy answers: may `identity` do `action` to `resource`, given `context`?
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who asks.
    pub identity: &'a Identity,
    /// The action, e.g. `s3:GetObject`.
    pub action: &'a str,
    /// The resource's ARN, e.g. `arn:aws:s3:::photos/cat.jpg` (`*` for actions without one).
    pub resource: &'a str,
    /// The request's condition keys.
    pub context: &'a ConditionContext,
}

/// Why a statement did not apply to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// Its `Principal` does not name the requester (or `NotPrincipal` does).
    Principal,
    /// Its `Action` does not name the action (or `NotAction` does).
    Action,
    /// Its `Resource` does not name the resource (or `NotResource` does).
    Resource,
    /// A condition does not hold: its position in the statement's
    /// [`conditions`](crate::policy::Statement::conditions) (which hold its operator and key).
    Condition(usize),
}

/// What one statement did for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTrace {
    /// Its position in the document (from 0).
    pub index: usize,
    /// Its `Sid`.
    pub sid: Option<String>,
    /// Its effect.
    pub effect: Effect,
    /// `Ok(how the principal was named)` if it applied; why not otherwise.
    pub outcome: Result<PrincipalMatch, Miss>,
}

/// A policy's answer, with every statement's part in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAnswer {
    /// Some statement that applies denies.
    pub denies: bool,
    /// The strongest way an applying `Allow` statement named the requester: `No` if none
    /// allows. (Identity policies name no principal: their allows count as `Direct`.)
    pub allows: PrincipalMatch,
    /// Each statement, in order.
    pub trace: Vec<StatementTrace>,
}

impl PolicyAnswer {
    /// Takes in a statement that applies: its effect, and how it named the requester.
    fn count(&mut self, effect: Effect, named: PrincipalMatch) {
        match effect {
            Effect::Deny => self.denies = true,
            Effect::Allow => self.allows = self.allows.max(named),
        }
    }
}

impl Policy {
    /// Evaluates the policy for `request`, with the trace of every statement (for
    /// explanations).
    pub fn evaluate(&self, request: &Request<'_>) -> PolicyAnswer {
        let mut answer = PolicyAnswer {
            denies: false,
            allows: PrincipalMatch::No,
            trace: Vec::with_capacity(self.statements.len()),
        };
        for (index, statement) in self.statements.iter().enumerate() {
            let outcome = statement.applies(request, self.variables);
            if let Ok(named) = outcome {
                answer.count(statement.effect, named);
            }
            answer.trace.push(StatementTrace {
                index,
                sid: statement.sid.clone(),
                effect: statement.effect,
                outcome,
            });
        }
        answer
    }

    /// Evaluates the policy for `request` without a trace: what the request path asks. Only
    /// the statements the index says can apply are looked at; the answer is the same.
    pub fn answer(&self, request: &Request<'_>) -> PolicyAnswer {
        let mut answer = PolicyAnswer {
            denies: false,
            allows: PrincipalMatch::No,
            trace: Vec::new(),
        };
        // The index has checked the action when it knows it; else each statement does.
        let known_action = self.index.action_slot(request.action);
        for index in self.index.candidates(request.identity, known_action, request.resource) {
            let statement = &self.statements[index];
            let named = statement.names_principal(request.identity);
            let applies = named != PrincipalMatch::No
                && (known_action.is_some()
                    || names(&statement.actions, |a| wildcard::matches_ignore_case(a, request.action)))
                && statement.holds_for(request, self.variables).is_ok();
            if applies {
                answer.count(statement.effect, named);
            }
        }
        answer
    }
}

impl Statement {
    fn applies(&self, request: &Request<'_>, variables: bool) -> Result<PrincipalMatch, Miss> {
        let named = self.names_principal(request.identity);
        if named == PrincipalMatch::No {
            return Err(Miss::Principal);
        }
        if !names(&self.actions, |a| wildcard::matches_ignore_case(a, request.action)) {
            return Err(Miss::Action);
        }
        self.holds_for(request, variables)?;
        Ok(named)
    }

    /// How the statement's `Principal` names `who` (identity policies name everyone).
    fn names_principal(&self, who: &Identity) -> PrincipalMatch {
        match &self.principal {
            None => PrincipalMatch::Direct,
            Some((false, p)) => p.matches(who),
            // NotPrincipal: everyone the element does not name, directly.
            Some((true, p)) => match p.matches(who) {
                PrincipalMatch::No => PrincipalMatch::Direct,
                _ => PrincipalMatch::No,
            },
        }
    }

    /// Whether the statement's `Resource` names the request's resource and its conditions
    /// hold: the rest of [`applies`](Self::applies), once principal and action are known.
    fn holds_for(&self, request: &Request<'_>, variables: bool) -> Result<(), Miss> {
        let lookup = |k: &str| request.context.get(k).and_then(|v| v.first()).cloned();
        let resource_named = |pattern: &str| {
            // A byte search first: most patterns have no `$` at all.
            if variables && pattern.contains('$') && pattern.contains("${") {
                substitute(pattern, &lookup).is_some_and(|p| resource_matches(&p, request.resource))
            } else {
                resource_matches(pattern, request.resource)
            }
        };
        if !names(&self.resources, resource_named) {
            return Err(Miss::Resource);
        }
        for (i, c) in self.conditions.iter().enumerate() {
            if !c.holds(request.context, variables) {
                return Err(Miss::Condition(i));
            }
        }
        Ok(())
    }
}

/// Whether an element (or, negated, its complement) names something.
fn names(patterns: &Patterns, matches: impl Fn(&str) -> bool) -> bool {
    patterns.values.iter().any(|p| matches(p)) != patterns.negated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyKind;

    fn policy(statements: &str) -> Policy {
        Policy::parse(
            &format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#),
            &PolicyKind::Bucket { bucket: "b".into() },
        )
        .unwrap()
    }

    fn alice() -> Identity {
        Identity::User {
            account: "111122223333".into(),
            canonical_id: "c".into(),
            name: "alice".into(),
            id: "AIDA1".into(),
        }
    }

    fn ask(p: &Policy, who: &Identity, action: &str, resource: &str, context: &ConditionContext) -> PolicyAnswer {
        p.evaluate(&Request {
            identity: who,
            action,
            resource,
            context,
        })
    }

    #[test]
    fn allow_deny_and_the_trace() {
        let p = policy(
            r#"{"Sid":"Read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
               {"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/secret/*"}"#,
        );
        let none = ConditionContext::new();
        let a = ask(
            &p,
            &Identity::Anonymous,
            "s3:GetObject",
            "arn:aws:s3:::b/cat.jpg",
            &none,
        );
        assert_eq!((a.denies, a.allows), (false, PrincipalMatch::Direct));
        assert_eq!(a.trace[1].outcome, Err(Miss::Resource));
        let a = ask(
            &p,
            &Identity::Anonymous,
            "s3:GetObject",
            "arn:aws:s3:::b/secret/k",
            &none,
        );
        assert!(a.denies);
        let a = ask(
            &p,
            &Identity::Anonymous,
            "s3:PutObject",
            "arn:aws:s3:::b/cat.jpg",
            &none,
        );
        assert_eq!((a.denies, a.allows), (false, PrincipalMatch::No));
        assert_eq!(a.trace[0].outcome, Err(Miss::Action));
    }

    #[test]
    fn not_elements() {
        let p = policy(
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        );
        let none = ConditionContext::new();
        assert!(!ask(&p, &alice(), "s3:PutObject", "arn:aws:s3:::b/k", &none).denies);
        assert!(ask(&p, &Identity::Anonymous, "s3:PutObject", "arn:aws:s3:::b/k", &none).denies);
        assert!(!ask(&p, &Identity::Anonymous, "s3:GetObject", "arn:aws:s3:::b/k", &none).denies);
    }

    #[test]
    fn home_folders_through_variables_and_conditions() {
        let p = policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"},
               {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
                "Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}"#,
        );
        assert!(p.keys.iter().any(|k| k == "aws:username") && p.keys.iter().any(|k| k == "s3:prefix"));
        let mut cx = ConditionContext::new();
        cx.set("aws:username", "alice");
        let a = ask(&p, &alice(), "s3:PutObject", "arn:aws:s3:::b/home/alice/x", &cx);
        assert_eq!(a.allows, PrincipalMatch::Account);
        let a = ask(&p, &alice(), "s3:PutObject", "arn:aws:s3:::b/home/bob/x", &cx);
        assert_eq!(a.allows, PrincipalMatch::No);
        cx.set("s3:prefix", "home/bob/");
        let a = ask(&p, &alice(), "s3:ListBucket", "arn:aws:s3:::b", &cx);
        assert_eq!(a.trace[1].outcome, Err(Miss::Condition(0)));
        let missed = &p.statements[1].conditions[0];
        assert_eq!(
            (missed.operator.name(), missed.key.as_str()),
            ("StringLike", "s3:prefix")
        );
        cx.set("s3:prefix", "home/alice/photos/");
        assert_eq!(
            ask(&p, &alice(), "s3:ListBucket", "arn:aws:s3:::b", &cx).allows,
            PrincipalMatch::Account
        );
    }
}
