//! Customer managed policies: named identity policies with up to five versions, one the
//! default, attached to users and groups (see [`super::users`] and [`super::groups`]).

use arca_store::{IdentityRefusal, ManagedPolicyRecord, PolicyVersion};

use crate::ids::{UPPER_DIGITS, random};

use super::{
    Fields, IamApi, IamError, date, escape, field, identity_policy, invalid_action, policy_arn, url_encoded, valid_path,
};

/// The most characters of a policy's description, as IAM allows.
const MAX_DESCRIPTION: usize = 1000;

fn policy_xml(account: &str, p: &ManagedPolicyRecord) -> String {
    let description = if p.description.is_empty() {
        String::new()
    } else {
        format!("<Description>{}</Description>", escape(&p.description))
    };
    format!(
        "<PolicyName>{}</PolicyName><PolicyId>{}</PolicyId><Arn>{}</Arn><Path>{}</Path><DefaultVersionId>v{}</DefaultVersionId><AttachmentCount>{}</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount><IsAttachable>true</IsAttachable>{description}<CreateDate>{}</CreateDate><UpdateDate>{}</UpdateDate>",
        escape(&p.name),
        escape(&p.id),
        escape(&policy_arn(account, &p.path, &p.name)),
        escape(&p.path),
        p.default_version,
        p.attachments,
        date(p.created_ms),
        date(p.updated_ms)
    )
}

fn version_xml(p: &ManagedPolicyRecord, v: &PolicyVersion, with_document: bool) -> String {
    let document = if with_document {
        format!("<Document>{}</Document>", url_encoded(&v.document))
    } else {
        String::new()
    };
    format!(
        "{document}<VersionId>v{}</VersionId><IsDefaultVersion>{}</IsDefaultVersion><CreateDate>{}</CreateDate>",
        v.number,
        v.number == p.default_version,
        date(v.created_ms)
    )
}

/// `v3` → 3, as IAM's `VersionId` pattern (`v[1-9][0-9]*`) allows.
fn version_number(f: &Fields) -> Result<u32, IamError> {
    let id = field(f, "VersionId");
    id.strip_prefix('v')
        .filter(|n| !n.starts_with('0'))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            IamError::validation(format!(
                "1 validation error detected: Value '{id}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
            ))
        })
}

/// `true` or `false` (absent: `false`).
fn flag(f: &Fields, name: &str) -> Result<bool, IamError> {
    match field(f, name) {
        "" | "false" => Ok(false),
        "true" => Ok(true),
        other => Err(IamError::validation(format!(
            "Invalid value '{other}' for {name}: expected true or false"
        ))),
    }
}

/// Answers a managed-policy action about the account's policy `name` (`*`: every policy).
pub(super) async fn handle(
    api: &IamApi,
    a: &str,
    action: &str,
    name: &str,
    f: &Fields,
) -> Result<Option<String>, IamError> {
    let store = &api.store;
    let get = || {
        store.get_policy(a, name)?.ok_or_else(|| {
            IamError::from(IdentityRefusal::NoSuchEntity(format!(
                "Policy {} does not exist or is not attachable.",
                field(f, "PolicyArn")
            )))
        })
    };
    Ok(match action {
        "CreatePolicy" => {
            let description = field(f, "Description").to_string();
            if description.chars().count() > MAX_DESCRIPTION {
                return Err(IamError::validation(format!(
                    "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to {MAX_DESCRIPTION}"
                )));
            }
            let now = arca_store::now_ms();
            let record = ManagedPolicyRecord {
                name: name.to_string(),
                id: random("ANPA", 17, UPPER_DIGITS),
                path: valid_path(f)?,
                description,
                created_ms: now,
                updated_ms: now,
                default_version: 1,
                versions: vec![PolicyVersion {
                    number: 1,
                    document: identity_policy(f)?,
                    created_ms: now,
                }],
                next_version: 2,
                attachments: 0,
            };
            let record = store.create_policy(a, record).await??;
            Some(format!("<Policy>{}</Policy>", policy_xml(a, &record)))
        }
        "GetPolicy" => Some(format!("<Policy>{}</Policy>", policy_xml(a, &get()?))),
        "ListPolicies" => {
            // Arca holds no AWS managed policies: `Scope=AWS` lists none.
            let scope = field(f, "Scope");
            if !matches!(scope, "" | "All" | "Local" | "AWS") {
                return Err(IamError::validation(format!(
                    "1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
                )));
            }
            let only_attached = flag(f, "OnlyAttached")?;
            let members: String = store
                .list_policies(a)?
                .iter()
                .filter(|p| scope != "AWS" && (!only_attached || p.attachments > 0))
                .map(|p| format!("<member>{}</member>", policy_xml(a, p)))
                .collect();
            Some(format!(
                "<Policies>{members}</Policies><IsTruncated>false</IsTruncated>"
            ))
        }
        "DeletePolicy" => {
            store.delete_policy(a, name).await??;
            None
        }
        "CreatePolicyVersion" => {
            let document = identity_policy(f)?;
            let set_default = flag(f, "SetAsDefault")?;
            let record = store
                .create_policy_version(a, name, document, set_default, arca_store::now_ms())
                .await??;
            let version = record.versions.last().expect("a version was just added");
            Some(format!(
                "<PolicyVersion>{}</PolicyVersion>",
                version_xml(&record, version, false)
            ))
        }
        "GetPolicyVersion" => {
            let number = version_number(f)?;
            let record = get()?;
            let version = record.versions.iter().find(|v| v.number == number).ok_or_else(|| {
                IamError::from(IdentityRefusal::NoSuchEntity(format!(
                    "Policy {} version v{number} does not exist or is not attachable.",
                    field(f, "PolicyArn")
                )))
            })?;
            Some(format!(
                "<PolicyVersion>{}</PolicyVersion>",
                version_xml(&record, version, true)
            ))
        }
        "ListPolicyVersions" => {
            let record = get()?;
            // Newest first, as IAM lists them.
            let members: String = record
                .versions
                .iter()
                .rev()
                .map(|v| format!("<member>{}</member>", version_xml(&record, v, false)))
                .collect();
            Some(format!(
                "<Versions>{members}</Versions><IsTruncated>false</IsTruncated>"
            ))
        }
        "DeletePolicyVersion" => {
            store.delete_policy_version(a, name, version_number(f)?).await??;
            None
        }
        "SetDefaultPolicyVersion" => {
            store
                .set_default_policy_version(a, name, version_number(f)?, arca_store::now_ms())
                .await??;
            None
        }
        other => return Err(invalid_action(other)),
    })
}
