//! STS on the same query API: `aws sts get-caller-identity` and boto3's
//! `sts.get_caller_identity()`, the question tools ask first to check their credentials.
//! Roles and `AssumeRole` are not built yet: every other action is `InvalidAction`.

use super::{Fields, IamError, escape};
use crate::identity::Signer;

/// Answers an STS action for `signer`.
pub(super) fn handle(signer: &Signer, action: &str, f: &Fields) -> Result<Option<String>, IamError> {
    if action != "GetCallerIdentity" {
        return Err(IamError::new(
            "InvalidAction",
            http::StatusCode::BAD_REQUEST,
            format!("Could not find operation {action} for version 2011-06-15"),
        ));
    }
    if let Some(other) = f.keys().find(|k| !matches!(k.as_str(), "Action" | "Version")) {
        return Err(IamError::validation(format!(
            "The parameter {other} of GetCallerIdentity is not supported by Arca"
        )));
    }
    let (arn, user_id, account) = match signer {
        Signer::Root(a) => (format!("arn:aws:iam::{}:root", a.id), a.id.clone(), &a.id),
        Signer::User(u) => (
            format!("arn:aws:iam::{}:user{}{}", u.account.id, u.record.path, u.record.name),
            u.record.id.clone(),
            &u.account.id,
        ),
        // The route refuses unsigned requests; a key deactivated since its signature was
        // checked is no one.
        Signer::Anonymous => {
            return Err(IamError::new(
                "InvalidClientTokenId",
                http::StatusCode::FORBIDDEN,
                "The security token included in the request is invalid.",
            ));
        }
    };
    Ok(Some(format!(
        "<Arn>{}</Arn><UserId>{}</UserId><Account>{account}</Account>",
        escape(&arn),
        escape(&user_id)
    )))
}
