//! IAM roles: the roles themselves, their trust policies (who may assume them, through STS
//! AssumeRole: see [`super::sts`]), their inline policies and the managed policies attached
//! to them. A role's sessions have the permissions of its policies.

use arca_iam::{Policy, PolicyKind};
use arca_store::{IdentityRefusal, PolicyHolder, ROLE_SESSION_SECONDS, RoleRecord};
use http::StatusCode;

use crate::ids::{UPPER_DIGITS, random};

use super::{
    Fields, IamApi, IamError, attached_policies_xml, date, escape, field, identity_policy, invalid_action,
    name_members, policy_name_of, url_encoded, valid_name, valid_path,
};

/// The most characters of a role's description, as IAM allows.
const MAX_DESCRIPTION: usize = 1000;

/// A role's elements, as IAM shows them (its trust policy URL-encoded, as IAM sends it).
fn role_xml(account: &str, r: &RoleRecord) -> String {
    let description = if r.description.is_empty() {
        String::new()
    } else {
        format!("<Description>{}</Description>", escape(&r.description))
    };
    format!(
        "<Path>{}</Path><RoleName>{}</RoleName><RoleId>{}</RoleId><Arn>arn:aws:iam::{account}:role{}{}</Arn><CreateDate>{}</CreateDate><AssumeRolePolicyDocument>{}</AssumeRolePolicyDocument>{description}<MaxSessionDuration>{}</MaxSessionDuration>",
        escape(&r.path),
        escape(&r.name),
        escape(&r.id),
        escape(&r.path),
        escape(&r.name),
        date(r.created_ms),
        url_encoded(&r.trust_policy),
        r.max_session_seconds
    )
}

/// A trust policy document, checked as IAM checks it before storing it.
fn trust_policy(f: &Fields, param: &str) -> Result<String, IamError> {
    let text = field(f, param);
    Policy::parse(text, &PolicyKind::Trust)
        .map_err(|e| IamError::new("MalformedPolicyDocument", StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(text.to_string())
}

/// `MaxSessionDuration`, within IAM's bounds.
fn max_session(f: &Fields) -> Result<u32, IamError> {
    let (default, least, most) = ROLE_SESSION_SECONDS;
    match f.get("MaxSessionDuration") {
        None => Ok(default),
        Some(v) => v.parse().ok().filter(|s| (least..=most).contains(s)).ok_or_else(|| {
            IamError::validation(format!(
                "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between {least} and {most}"
            ))
        }),
    }
}

fn no_role(name: &str) -> IamError {
    IamError::from(IdentityRefusal::no_role(name))
}

/// Answers a role action about `role` (`*`: every role).
pub(super) async fn handle(
    api: &IamApi,
    a: &str,
    action: &str,
    role: &str,
    f: &Fields,
) -> Result<Option<String>, IamError> {
    let store = &api.store;
    let get = || store.get_role(a, role)?.ok_or_else(|| no_role(role));
    Ok(match action {
        "CreateRole" => {
            let description = field(f, "Description");
            if description.chars().count() > MAX_DESCRIPTION {
                return Err(IamError::validation("The description is too long."));
            }
            let record = RoleRecord {
                name: role.to_string(),
                id: random("AROA", 17, UPPER_DIGITS),
                path: valid_path(f)?,
                description: description.to_string(),
                created_ms: arca_store::now_ms(),
                trust_policy: trust_policy(f, "AssumeRolePolicyDocument")?,
                max_session_seconds: max_session(f)?,
                inline_policies: Default::default(),
                attached_policies: Vec::new(),
            };
            let record = store.create_role(a, record).await??;
            Some(format!("<Role>{}</Role>", role_xml(a, &record)))
        }
        "GetRole" => Some(format!("<Role>{}</Role>", role_xml(a, &get()?))),
        "ListRoles" => {
            let members: String = store
                .list_roles(a)?
                .iter()
                .map(|r| format!("<member>{}</member>", role_xml(a, r)))
                .collect();
            Some(format!("<Roles>{members}</Roles><IsTruncated>false</IsTruncated>"))
        }
        "DeleteRole" => {
            store.delete_role(a, role).await??;
            None
        }
        "UpdateAssumeRolePolicy" => {
            let text = trust_policy(f, "PolicyDocument")?;
            store
                .change_role(
                    a,
                    role,
                    Box::new(move |r| {
                        r.trust_policy = text;
                        Ok(())
                    }),
                )
                .await??;
            None
        }
        "PutRolePolicy" => {
            let name = field(f, "PolicyName").to_string();
            if !valid_name(&name, 128) {
                return Err(IamError::validation("The specified value for policyName is invalid."));
            }
            let text = identity_policy(f)?;
            store
                .change_role(
                    a,
                    role,
                    Box::new(move |r| {
                        r.inline_policies.insert(name, text);
                        Ok(())
                    }),
                )
                .await??;
            None
        }
        "GetRolePolicy" => {
            let name = field(f, "PolicyName");
            let record = get()?;
            let text = record.inline_policies.get(name).ok_or_else(|| {
                IamError::from(IdentityRefusal::NoSuchEntity(format!(
                    "The role policy with name {name} cannot be found."
                )))
            })?;
            Some(format!(
                "<RoleName>{}</RoleName><PolicyName>{}</PolicyName><PolicyDocument>{}</PolicyDocument>",
                escape(role),
                escape(name),
                url_encoded(text)
            ))
        }
        "DeleteRolePolicy" => {
            let name = field(f, "PolicyName").to_string();
            store
                .change_role(
                    a,
                    role,
                    Box::new(move |r| match r.inline_policies.remove(&name) {
                        Some(_) => Ok(()),
                        None => Err(IdentityRefusal::NoSuchEntity(format!(
                            "The role policy with name {name} cannot be found."
                        ))),
                    }),
                )
                .await??;
            None
        }
        "ListRolePolicies" => Some(format!(
            "<PolicyNames>{}</PolicyNames><IsTruncated>false</IsTruncated>",
            name_members(get()?.inline_policies.keys())
        )),
        "AttachRolePolicy" => {
            let policy = policy_name_of(a, field(f, "PolicyArn"))?;
            store.attach_policy(a, PolicyHolder::Role(role), &policy).await??;
            None
        }
        "DetachRolePolicy" => {
            let policy = policy_name_of(a, field(f, "PolicyArn"))?;
            store.detach_policy(a, PolicyHolder::Role(role), &policy).await??;
            None
        }
        "ListAttachedRolePolicies" => Some(attached_policies_xml(api, a, &get()?.attached_policies)?),
        other => return Err(invalid_action(other)),
    })
}
