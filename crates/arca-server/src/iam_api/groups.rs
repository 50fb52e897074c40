//! IAM groups: the groups themselves, their members, their inline policies and the managed
//! policies attached to them. A user's permissions include those of each of their groups.

use arca_store::{GroupRecord, IdentityRefusal, PolicyHolder};

use crate::ids::{UPPER_DIGITS, random};

use super::{
    Fields, IamApi, IamError, attached_policies_xml, date, escape, field, identity_policy, invalid_action,
    name_members, policy_name_of, url_encoded, user_xml, valid_name, valid_path,
};

/// A group's elements, as IAM shows them.
pub(super) fn group_xml(account: &str, g: &GroupRecord) -> String {
    format!(
        "<Path>{}</Path><GroupName>{}</GroupName><GroupId>{}</GroupId><Arn>arn:aws:iam::{account}:group{}{}</Arn><CreateDate>{}</CreateDate>",
        escape(&g.path),
        escape(&g.name),
        escape(&g.id),
        escape(&g.path),
        escape(&g.name),
        date(g.created_ms)
    )
}

fn no_group(name: &str) -> IamError {
    IamError::from(IdentityRefusal::no_group(name))
}

/// Answers a group action about `group` (`*`: every group).
pub(super) async fn handle(
    api: &IamApi,
    a: &str,
    action: &str,
    group: &str,
    f: &Fields,
) -> Result<Option<String>, IamError> {
    let store = &api.store;
    let get = || store.get_group(a, group)?.ok_or_else(|| no_group(group));
    Ok(match action {
        "CreateGroup" => {
            let record = GroupRecord {
                name: group.to_string(),
                id: random("AGPA", 17, UPPER_DIGITS),
                path: valid_path(f)?,
                created_ms: arca_store::now_ms(),
                members: Vec::new(),
                inline_policies: Default::default(),
                attached_policies: Vec::new(),
            };
            let record = store.create_group(a, record).await??;
            Some(format!("<Group>{}</Group>", group_xml(a, &record)))
        }
        "GetGroup" => {
            let record = get()?;
            let mut users = String::new();
            for name in &record.members {
                if let Some(u) = store.get_user(a, name)? {
                    users.push_str(&format!("<member>{}</member>", user_xml(a, &u)));
                }
            }
            Some(format!(
                "<Group>{}</Group><Users>{users}</Users><IsTruncated>false</IsTruncated>",
                group_xml(a, &record)
            ))
        }
        "ListGroups" => {
            let members: String = store
                .list_groups(a)?
                .iter()
                .map(|g| format!("<member>{}</member>", group_xml(a, g)))
                .collect();
            Some(format!("<Groups>{members}</Groups><IsTruncated>false</IsTruncated>"))
        }
        "DeleteGroup" => {
            store.delete_group(a, group).await??;
            None
        }
        "AddUserToGroup" => {
            store.add_user_to_group(a, group, field(f, "UserName")).await??;
            None
        }
        "RemoveUserFromGroup" => {
            store.remove_user_from_group(a, group, field(f, "UserName")).await??;
            None
        }
        "PutGroupPolicy" => {
            let name = field(f, "PolicyName");
            if !valid_name(name, 128) {
                return Err(IamError::validation("The specified value for policyName is invalid."));
            }
            store.put_group_policy(a, group, name, identity_policy(f)?).await??;
            None
        }
        "GetGroupPolicy" => {
            let name = field(f, "PolicyName");
            let record = get()?;
            let text = record.inline_policies.get(name).ok_or_else(|| {
                IamError::from(IdentityRefusal::NoSuchEntity(format!(
                    "The group policy with name {name} cannot be found."
                )))
            })?;
            Some(format!(
                "<GroupName>{}</GroupName><PolicyName>{}</PolicyName><PolicyDocument>{}</PolicyDocument>",
                escape(group),
                escape(name),
                url_encoded(text)
            ))
        }
        "DeleteGroupPolicy" => {
            store.delete_group_policy(a, group, field(f, "PolicyName")).await??;
            None
        }
        "ListGroupPolicies" => Some(format!(
            "<PolicyNames>{}</PolicyNames><IsTruncated>false</IsTruncated>",
            name_members(get()?.inline_policies.keys())
        )),
        "AttachGroupPolicy" => {
            let policy = policy_name_of(a, field(f, "PolicyArn"))?;
            store.attach_policy(a, PolicyHolder::Group(group), &policy).await??;
            None
        }
        "DetachGroupPolicy" => {
            let policy = policy_name_of(a, field(f, "PolicyArn"))?;
            store.detach_policy(a, PolicyHolder::Group(group), &policy).await??;
            None
        }
        "ListAttachedGroupPolicies" => Some(attached_policies_xml(api, a, &get()?.attached_policies)?),
        other => return Err(invalid_action(other)),
    })
}
