//! Why a request was denied, for the administrator: every denial is written down here, with
//! the trace of every statement of every policy that was asked, and kept in a bounded ring of
//! recent denials that `arca admin explain --request-id ID` reads. `arca admin policy
//! simulate` answers a made-up request the same way.
//!
//! The requester still gets only AWS's `AccessDenied`: nothing here reaches a client that is
//! not the root user on the admin API.

use std::collections::VecDeque;
use std::sync::Mutex;

use arca_iam::{ConditionContext, Miss, PolicyAnswer, PrincipalMatch};
use serde::Serialize;

/// Denials kept: about the last few minutes of a busy server's refusals, a few MB at most.
const RING: usize = 1024;

/// One decision, explained.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Explanation {
    /// The request's id (`simulated` for `policy simulate`).
    pub(crate) request_id: String,
    /// When it was decided (RFC 3339).
    pub(crate) time: String,
    /// `allowed` or `denied`.
    pub(crate) decision: &'static str,
    /// The layer that decided and why, in words.
    pub(crate) reason: String,
    /// The principal's ARN (`anonymous` for unsigned requests).
    pub(crate) principal: String,
    /// The action asked, e.g. `s3:GetObject`.
    pub(crate) action: String,
    /// The resource's ARN.
    pub(crate) resource: String,
    /// The request keys conditions saw.
    pub(crate) context: Vec<(String, Vec<String>)>,
    /// Each policy asked, with each statement's part.
    pub(crate) policies: Vec<PolicyReport>,
}

/// One policy's part in a decision.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PolicyReport {
    /// Which policy: `bucket policy of photos`, `user policy read`, `managed policy p
    /// (group g)`, …
    pub(crate) source: String,
    /// Whether a statement of it denies.
    pub(crate) denies: bool,
    /// Whether a statement of it allows.
    pub(crate) allows: bool,
    /// Each statement, in order.
    pub(crate) statements: Vec<StatementReport>,
}

/// One statement's part.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatementReport {
    /// Its position in the document (from 0).
    pub(crate) index: usize,
    /// Its `Sid`, if it has one.
    pub(crate) sid: Option<String>,
    /// `Allow` or `Deny`.
    pub(crate) effect: &'static str,
    /// `applies`, or why not (`principal not named`, `condition 0 (IpAddress aws:SourceIp)
    /// does not hold`, …).
    pub(crate) outcome: String,
}

impl PolicyReport {
    /// The report of `answer`, an evaluation with its trace, of `policy`.
    pub(crate) fn new(source: String, policy: &arca_iam::Policy, answer: &PolicyAnswer) -> Self {
        let statements = answer
            .trace
            .iter()
            .map(|t| StatementReport {
                index: t.index,
                sid: t.sid.clone(),
                effect: match t.effect {
                    arca_iam::Effect::Allow => "Allow",
                    arca_iam::Effect::Deny => "Deny",
                },
                outcome: match &t.outcome {
                    Ok(PrincipalMatch::Account) => "applies (principal named through its account)".to_string(),
                    Ok(_) => "applies".to_string(),
                    Err(Miss::Principal) => "principal not named".to_string(),
                    Err(Miss::Action) => "action not named".to_string(),
                    Err(Miss::Resource) => "resource not named".to_string(),
                    Err(Miss::Condition(i)) => match policy.statements[t.index].conditions.get(*i) {
                        Some(c) => format!("condition {} {} does not hold", c.operator.name(), c.key),
                        None => "a condition does not hold".to_string(),
                    },
                },
            })
            .collect();
        PolicyReport {
            source,
            denies: answer.denies,
            allows: answer.allows != PrincipalMatch::No,
            statements,
        }
    }
}

/// The request keys of a context, for a report.
pub(crate) fn context_report(context: &ConditionContext) -> Vec<(String, Vec<String>)> {
    context.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect()
}

/// The recent denials, newest last.
#[derive(Default)]
pub(crate) struct DecisionLog {
    recent: Mutex<VecDeque<Explanation>>,
}

impl DecisionLog {
    /// Keeps `e`, forgetting the oldest past [`RING`].
    pub(crate) fn record(&self, e: Explanation) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == RING {
            recent.pop_front();
        }
        recent.push_back(e);
    }

    /// The explanations of request `id` (a request may be denied for several resources:
    /// DeleteObjects, a copy's source), oldest first.
    pub(crate) fn find(&self, id: &str) -> Vec<Explanation> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent
            .iter()
            .filter(|e| e.request_id.eq_ignore_ascii_case(id))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explanation(id: &str) -> Explanation {
        Explanation {
            request_id: id.into(),
            time: String::new(),
            decision: "denied",
            reason: String::new(),
            principal: "anonymous".into(),
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::b/k".into(),
            context: Vec::new(),
            policies: Vec::new(),
        }
    }

    #[test]
    fn the_ring_keeps_the_latest_denials() {
        let log = DecisionLog::default();
        for i in 0..RING + 10 {
            log.record(explanation(&format!("{i:016X}")));
        }
        assert!(log.find(&format!("{:016X}", 5)).is_empty(), "the oldest are gone");
        assert_eq!(log.find(&format!("{:016x}", RING + 9)).len(), 1);
    }
}
