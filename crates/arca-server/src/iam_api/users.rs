//! IAM users: the users themselves, their access keys, their inline policies and the managed
//! policies attached to them.

use arca_store::{IdentityRefusal, LoginProfile, PolicyHolder, UserRecord};
use http::StatusCode;

use crate::passwords;

use crate::ids::{UPPER_DIGITS, random};

use super::{
    Fields, IamApi, IamError, attached_policies_xml, date, escape, field, identity_policy, invalid_action,
    name_members, policy_name_of, url_encoded, user_xml, valid_name, valid_path,
};

fn no_user(name: &str) -> IamError {
    IamError::from(IdentityRefusal::no_user(name))
}

/// A user's login profile, as IAM shows it (never the password or its hash).
fn login_profile_xml(u: &UserRecord) -> String {
    let created = u.login_profile.as_ref().map_or(0, |p| p.created_ms);
    format!(
        "<LoginProfile><UserName>{}</UserName><CreateDate>{}</CreateDate><PasswordResetRequired>false</PasswordResetRequired></LoginProfile>",
        escape(&u.name),
        date(created)
    )
}

/// Answers a user action about `user` (`*`: every user; empty: the account's root user,
/// for its access keys).
pub(super) async fn handle(
    api: &IamApi,
    a: &str,
    action: &str,
    user: &str,
    f: &Fields,
) -> Result<Option<String>, IamError> {
    let store = &api.store;
    let get = || store.get_user(a, user)?.ok_or_else(|| no_user(user));
    Ok(match action {
        "CreateUser" => {
            let record = UserRecord {
                name: user.to_string(),
                id: random("AIDA", 17, UPPER_DIGITS),
                path: valid_path(f)?,
                created_ms: arca_store::now_ms(),
                access_keys: Vec::new(),
                inline_policies: Default::default(),
                groups: Vec::new(),
                attached_policies: Vec::new(),
                login_profile: None,
            };
            let record = store.create_user(a, record).await??;
            Some(format!("<User>{}</User>", user_xml(a, &record)))
        }
        "GetUser" => Some(format!("<User>{}</User>", user_xml(a, &get()?))),
        "ListUsers" => {
            let members: String = store
                .list_users(a)?
                .iter()
                .map(|u| format!("<member>{}</member>", user_xml(a, u)))
                .collect();
            Some(format!("<IsTruncated>false</IsTruncated><Users>{members}</Users>"))
        }
        "DeleteUser" => {
            store.delete_user(a, user).await??;
            None
        }
        "CreateAccessKey" => {
            let (key, secret) = api.secrets.new_access_key(a, user);
            let key = store.create_access_key(key).await??;
            Some(format!(
                "<AccessKey><UserName>{}</UserName><AccessKeyId>{}</AccessKeyId><Status>Active</Status><SecretAccessKey>{}</SecretAccessKey><CreateDate>{}</CreateDate></AccessKey>",
                escape(&key.user),
                key.id,
                escape(&secret),
                date(key.created_ms)
            ))
        }
        "ListAccessKeys" => {
            let ids = match user {
                "" => store.get_account(a)?.map(|r| r.access_keys).unwrap_or_default(),
                _ => get()?.access_keys,
            };
            let mut members = String::new();
            for id in &ids {
                if let Some(k) = store.get_access_key(id)? {
                    members.push_str(&format!(
                        "<member><UserName>{}</UserName><AccessKeyId>{}</AccessKeyId><Status>{}</Status><CreateDate>{}</CreateDate></member>",
                        escape(&k.user),
                        k.id,
                        if k.active { "Active" } else { "Inactive" },
                        date(k.created_ms)
                    ));
                }
            }
            Some(format!(
                "<UserName>{}</UserName><AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>",
                escape(user)
            ))
        }
        "UpdateAccessKey" => {
            let active = match field(f, "Status") {
                "Active" => true,
                "Inactive" => false,
                other => {
                    return Err(IamError::validation(format!(
                        "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
                    )));
                }
            };
            store
                .set_access_key_active(a, user, field(f, "AccessKeyId"), active)
                .await??;
            None
        }
        "DeleteAccessKey" => {
            store.delete_access_key(a, user, field(f, "AccessKeyId")).await??;
            None
        }
        "PutUserPolicy" => {
            let name = field(f, "PolicyName");
            if !valid_name(name, 128) {
                return Err(IamError::validation("The specified value for policyName is invalid."));
            }
            store.put_user_policy(a, user, name, identity_policy(f)?).await??;
            None
        }
        "GetUserPolicy" => {
            let name = field(f, "PolicyName");
            let record = get()?;
            let text = record.inline_policies.get(name).ok_or_else(|| {
                IamError::from(IdentityRefusal::NoSuchEntity(format!(
                    "The user policy with name {name} cannot be found."
                )))
            })?;
            Some(format!(
                "<UserName>{}</UserName><PolicyName>{}</PolicyName><PolicyDocument>{}</PolicyDocument>",
                escape(user),
                escape(name),
                url_encoded(text)
            ))
        }
        "DeleteUserPolicy" => {
            store.delete_user_policy(a, user, field(f, "PolicyName")).await??;
            None
        }
        "ListUserPolicies" => Some(format!(
            "<PolicyNames>{}</PolicyNames><IsTruncated>false</IsTruncated>",
            name_members(get()?.inline_policies.keys())
        )),
        "ListGroupsForUser" => {
            let mut members = String::new();
            for name in &get()?.groups {
                if let Some(g) = store.get_group(a, name)? {
                    members.push_str(&format!("<member>{}</member>", super::groups::group_xml(a, &g)));
                }
            }
            Some(format!("<Groups>{members}</Groups><IsTruncated>false</IsTruncated>"))
        }
        "AttachUserPolicy" => {
            let policy = policy_name_of(a, field(f, "PolicyArn"))?;
            store.attach_policy(a, PolicyHolder::User(user), &policy).await??;
            None
        }
        "DetachUserPolicy" => {
            let policy = policy_name_of(a, field(f, "PolicyArn"))?;
            store.detach_policy(a, PolicyHolder::User(user), &policy).await??;
            None
        }
        "ListAttachedUserPolicies" => Some(attached_policies_xml(api, a, &get()?.attached_policies)?),
        "CreateLoginProfile" | "UpdateLoginProfile" => {
            // Arca has no password change of one's own yet: a reset it could not honour is
            // refused, never accepted and ignored.
            if !matches!(field(f, "PasswordResetRequired"), "" | "false") {
                return Err(IamError::validation(
                    "PasswordResetRequired is not supported by Arca: set the password the user will use",
                ));
            }
            let password = field(f, "Password");
            if let Some(why) = passwords::policy_violation(password, user) {
                return Err(IamError::new("PasswordPolicyViolation", StatusCode::BAD_REQUEST, why));
            }
            let create = action == "CreateLoginProfile";
            let profile = LoginProfile {
                password_hash: passwords::hash_apart(password.to_string()).await,
                created_ms: arca_store::now_ms(),
            };
            let record = store.set_login_profile(a, user, Some(profile), create).await??;
            create.then(|| login_profile_xml(&record))
        }
        "GetLoginProfile" => {
            let record = get()?;
            if record.login_profile.is_none() {
                return Err(IamError::from(IdentityRefusal::NoSuchEntity(format!(
                    "Login Profile for User {user} cannot be found."
                ))));
            }
            Some(login_profile_xml(&record))
        }
        "DeleteLoginProfile" => {
            store.set_login_profile(a, user, None, false).await??;
            None
        }
        other => return Err(invalid_action(other)),
    })
}
