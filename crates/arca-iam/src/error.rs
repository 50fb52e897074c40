//! Why a policy document was refused. The messages are the ones AWS answers in
//! `MalformedPolicy` (S3) and `MalformedPolicyDocument` (IAM); the caller picks the code.

/// A policy document Arca will not store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not JSON, or not an object.
    #[error("Policies must be valid JSON and the first byte must be '{{'")]
    NotJson,
    /// Longer than the kind of policy allows.
    #[error("Policy exceeds the maximum allowed document size.")]
    TooLarge,
    /// `Version` is neither `2012-10-17` nor `2008-10-17`.
    #[error("The policy must contain a valid version string")]
    Version,
    /// A required element is missing.
    #[error("Missing required field {0}")]
    Missing(&'static str),
    /// An element Arca does not know, at the top level or in a statement.
    #[error("Unknown field {0}")]
    UnknownField(String),
    /// An element has the wrong JSON type, or both `X` and `NotX` are given.
    #[error("Syntax errors in policy.")]
    Syntax,
    /// `Effect` is not `Allow` or `Deny`.
    #[error("Invalid effect: {0}")]
    Effect(String),
    /// A `Principal` that is not `*`, an account, an ARN of a user or role, or a canonical
    /// user id; or a principal in a policy kind that takes none.
    #[error("Invalid principal in policy")]
    Principal,
    /// A policy kind that takes no principal has one (identity policies).
    #[error("Policy document should not specify a principal.")]
    UnexpectedPrincipal,
    /// A role's trust policy has a `Resource` (the role is the resource).
    #[error("Has prohibited field Resource")]
    ProhibitedResource,
    /// An action without a `service:` prefix, or of another service than the policy's.
    #[error("Policy has invalid action")]
    Action,
    /// A resource that is not an ARN (or `*`), or outside the bucket of a bucket policy.
    #[error("Policy has invalid resource")]
    Resource,
    /// No action of the statement applies to any of its resources (`s3:GetObject` on a
    /// bucket ARN, `s3:ListBucket` on an object ARN).
    #[error("Action does not apply to any resource(s) in statement")]
    ActionResourceMismatch,
    /// A condition operator Arca does not know.
    #[error("Invalid Condition type : {0}")]
    ConditionOperator(String),
    /// A condition value of the wrong type for its operator (a date that is not one).
    #[error("Invalid Condition value : {0}")]
    ConditionValue(String),
}
