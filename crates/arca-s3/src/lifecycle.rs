//! Lifecycle configuration: Put/Get/DeleteBucketLifecycleConfiguration with AWS's XML and
//! validation, and the `x-amz-expiration` header of objects a rule will expire.
//!
//! The rules themselves, and the job that applies them, are the store's
//! (`arca_store::lifecycle`); this module translates AWS's shapes to them and refuses what AWS
//! refuses, with AWS's words.

use arca_store::lifecycle::{
    FilterForm, LifecycleFilter, LifecycleWhen, NoncurrentExpiration, NoncurrentTransition, TransitionMinimumSize,
};
use arca_store::{LifecycleConfiguration, LifecycleRule, ObjectVersion, StorageClass};
use s3s::dto::{self, *};
use s3s::{S3Error, S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::common::timestamp;
use crate::error::StoreResultExt;

/// AWS's limit on rules per configuration.
const MAX_RULES: usize = 1000;

fn invalid_argument(message: String) -> S3Error {
    AwsError::InvalidArgument.with_message(message)
}

impl ArcaS3 {
    pub(crate) async fn put_bucket_lifecycle_configuration_impl(
        &self,
        req: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
        let input = req.input;
        let config = input
            .lifecycle_configuration
            .ok_or_else(|| AwsError::MalformedXML.error())?;
        let minimum = match input
            .transition_default_minimum_object_size
            .as_ref()
            .map(|m| m.as_str())
        {
            None | Some(TransitionDefaultMinimumObjectSize::ALL_STORAGE_CLASSES_128K) => {
                TransitionMinimumSize::AllClasses128K
            }
            Some(TransitionDefaultMinimumObjectSize::VARIES_BY_STORAGE_CLASS) => TransitionMinimumSize::VariesByClass,
            Some(other) => {
                return Err(invalid_argument(format!(
                    "Invalid value for x-amz-transition-default-minimum-object-size: {other}"
                )));
            }
        };
        let stored = configuration_from_dto(config.rules, minimum)?;
        self.store.set_lifecycle(&input.bucket, Some(stored)).await.s3()?;
        Ok(S3Response::new(PutBucketLifecycleConfigurationOutput {
            transition_default_minimum_object_size: Some(minimum_dto(minimum)),
        }))
    }

    pub(crate) fn get_bucket_lifecycle_configuration_impl(
        &self,
        req: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
        let bucket = self.store.get_bucket(&req.input.bucket).s3()?;
        let config = bucket
            .lifecycle
            .ok_or_else(|| AwsError::NoSuchLifecycleConfiguration.error())?;
        Ok(S3Response::new(GetBucketLifecycleConfigurationOutput {
            rules: Some(config.rules.iter().map(rule_dto).collect()),
            transition_default_minimum_object_size: Some(minimum_dto(config.transition_minimum)),
        }))
    }

    pub(crate) async fn delete_bucket_lifecycle_impl(
        &self,
        req: S3Request<DeleteBucketLifecycleInput>,
    ) -> S3Result<S3Response<DeleteBucketLifecycleOutput>> {
        self.store.set_lifecycle(&req.input.bucket, None).await.s3()?;
        Ok(S3Response::new(DeleteBucketLifecycleOutput {}))
    }

    /// `x-amz-expiration` for the current version `v` of `key`, when a rule will expire it.
    pub(crate) fn expiration_header(&self, bucket: &str, key: &str, v: &ObjectVersion) -> Option<String> {
        let config = self.store.lifecycle(bucket)?;
        let (at, rule) = config.expiration_of(key, v, self.store.lifecycle_clock())?;
        let date = crate::common::http_date(at);
        Some(format!("expiry-date=\"{date}\", rule-id=\"{rule}\""))
    }
}

fn minimum_dto(m: TransitionMinimumSize) -> TransitionDefaultMinimumObjectSize {
    TransitionDefaultMinimumObjectSize::from_static(match m {
        TransitionMinimumSize::AllClasses128K => TransitionDefaultMinimumObjectSize::ALL_STORAGE_CLASSES_128K,
        TransitionMinimumSize::VariesByClass => TransitionDefaultMinimumObjectSize::VARIES_BY_STORAGE_CLASS,
    })
}

/// AWS's rules, checked and translated; the first violation is the answer.
fn configuration_from_dto(
    rules: Vec<dto::LifecycleRule>,
    minimum: TransitionMinimumSize,
) -> S3Result<LifecycleConfiguration> {
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(AwsError::MalformedXML.error());
    }
    let mut out: Vec<LifecycleRule> = Vec::with_capacity(rules.len());
    for r in rules {
        let rule = rule_from_dto(r)?;
        if out.iter().any(|o| o.id == rule.id) {
            return Err(invalid_argument(
                "Rule ID must be unique. Found same ID for more than one rule".into(),
            ));
        }
        out.push(rule);
    }
    Ok(LifecycleConfiguration {
        rules: out,
        transition_minimum: minimum,
    })
}

fn positive_days(days: Option<i32>, what: &str) -> S3Result<Option<u32>> {
    match days {
        None => Ok(None),
        Some(d) if d > 0 => Ok(Some(d as u32)),
        Some(_) => Err(invalid_argument(format!("'{what}' must be a positive integer"))),
    }
}

fn midnight(date: &Timestamp) -> S3Result<i64> {
    let t: time::OffsetDateTime = date.clone().into();
    let t = t.to_offset(time::UtcOffset::UTC);
    if t.time() != time::Time::MIDNIGHT {
        return Err(invalid_argument("'Date' must be at midnight GMT".into()));
    }
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn transition_class(class: Option<&TransitionStorageClass>) -> S3Result<StorageClass> {
    let class = class.ok_or_else(|| AwsError::MalformedXML.error())?;
    match StorageClass::from_name(class.as_str()) {
        Some(c)
            if !matches!(
                c,
                StorageClass::Standard | StorageClass::ReducedRedundancy | StorageClass::ExpressOnezone
            ) =>
        {
            Ok(c)
        }
        _ => Err(AwsError::InvalidStorageClass.error()),
    }
}

/// AWS keeps objects in the infrequent-access classes at least 30 days.
fn check_ia_minimum(days: u32, class: StorageClass, action: &str) -> S3Result<()> {
    if matches!(class, StorageClass::StandardIa | StorageClass::OnezoneIa) && days < 30 {
        return Err(invalid_argument(format!(
            "'Days' in {action} action must be greater than or equal to 30 for storageClass '{class}'"
        )));
    }
    Ok(())
}

fn filter_from_dto(rule_prefix: Option<String>, filter: Option<LifecycleRuleFilter>) -> S3Result<LifecycleFilter> {
    let size = |n: Option<i64>| -> S3Result<Option<u64>> {
        match n {
            None => Ok(None),
            Some(n) if n >= 0 => Ok(Some(n as u64)),
            Some(_) => Err(invalid_argument("Object size must be a non-negative number".into())),
        }
    };
    let tag = |t: Tag| -> S3Result<(String, String)> {
        match (t.key, t.value) {
            (Some(k), Some(v)) => Ok((k, v)),
            _ => Err(AwsError::MalformedXML.error()),
        }
    };
    let mut out = match (rule_prefix, filter) {
        (Some(_), Some(_)) | (None, None) => return Err(AwsError::MalformedXML.error()),
        (Some(prefix), None) => LifecycleFilter {
            prefix,
            form: FilterForm::RulePrefix,
            ..Default::default()
        },
        (None, Some(f)) => {
            let given = [
                f.prefix.is_some(),
                f.tag.is_some(),
                f.and.is_some(),
                f.object_size_greater_than.is_some(),
                f.object_size_less_than.is_some(),
            ];
            // A filter holds one condition, or several inside `<And>`.
            if given.iter().filter(|g| **g).count() > 1 {
                return Err(AwsError::MalformedXML.error());
            }
            let mut out = LifecycleFilter {
                prefix: f.prefix.unwrap_or_default(),
                size_greater_than: size(f.object_size_greater_than)?,
                size_less_than: size(f.object_size_less_than)?,
                ..Default::default()
            };
            out.form = if let Some(t) = f.tag {
                out.tags.push(tag(t)?);
                FilterForm::Tag
            } else if let Some(and) = f.and {
                out.prefix = and.prefix.unwrap_or_default();
                out.size_greater_than = size(and.object_size_greater_than)?;
                out.size_less_than = size(and.object_size_less_than)?;
                for t in and.tags.unwrap_or_default() {
                    out.tags.push(tag(t)?);
                }
                FilterForm::And
            } else if out.size_greater_than.is_some() {
                FilterForm::SizeGreaterThan
            } else if out.size_less_than.is_some() {
                FilterForm::SizeLessThan
            } else if given[0] {
                FilterForm::Prefix
            } else {
                FilterForm::Empty
            };
            out
        }
    };
    if let (Some(gt), Some(lt)) = (out.size_greater_than, out.size_less_than)
        && gt >= lt
    {
        return Err(invalid_argument(
            "The maximum object size must be larger than the minimum object size".into(),
        ));
    }
    out.tags.dedup();
    Ok(out)
}

fn rule_from_dto(r: dto::LifecycleRule) -> S3Result<LifecycleRule> {
    let id = match r.id {
        Some(id) if id.len() > 255 => {
            return Err(invalid_argument(
                "ID length should not exceed allowed limit of 255".into(),
            ));
        }
        Some(id) if !id.is_empty() => id,
        // AWS names a rule PUT left unnamed.
        _ => format!("{:016x}", rand::random::<u64>()),
    };
    let enabled = match r.status.as_str() {
        ExpirationStatus::ENABLED => true,
        ExpirationStatus::DISABLED => false,
        _ => return Err(AwsError::MalformedXML.error()),
    };
    let filter = filter_from_dto(r.prefix, r.filter)?;

    let (mut expiration, mut expired_object_delete_marker) = (None, false);
    if let Some(e) = r.expiration {
        let marker = e.expired_object_delete_marker.unwrap_or(false);
        expiration = match (positive_days(e.days, "Days' for Expiration action")?, &e.date) {
            (Some(_), Some(_)) => return Err(AwsError::MalformedXML.error()),
            (Some(d), None) => Some(LifecycleWhen::Days(d)),
            (None, Some(date)) => Some(LifecycleWhen::Date(midnight(date)?)),
            (None, None) if e.expired_object_delete_marker.is_some() => None,
            (None, None) => return Err(AwsError::MalformedXML.error()),
        };
        if expiration.is_some() && e.expired_object_delete_marker.is_some() {
            return Err(invalid_argument(
                "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy"
                    .into(),
            ));
        }
        if marker && !filter.tags.is_empty() {
            return Err(invalid_argument(
                "ExpiredObjectDeleteMarker cannot be specified with a Tag filter".into(),
            ));
        }
        expired_object_delete_marker = marker;
    }

    let mut transitions = Vec::new();
    for t in r.transitions.unwrap_or_default() {
        let class = transition_class(t.storage_class.as_ref())?;
        let when = match (t.days, &t.date) {
            (Some(d), None) if d >= 0 => {
                check_ia_minimum(d as u32, class, "Transition")?;
                LifecycleWhen::Days(d as u32)
            }
            (None, Some(date)) => LifecycleWhen::Date(midnight(date)?),
            (Some(_), None) => {
                return Err(invalid_argument(
                    "'Days' in Transition action must be nonnegative".into(),
                ));
            }
            _ => return Err(AwsError::MalformedXML.error()),
        };
        if transitions.iter().any(|(_, c)| *c == class) {
            return Err(invalid_argument(format!(
                "'StorageClass' must be different for 'Transition' actions in same 'Rule' (found {class} twice)"
            )));
        }
        transitions.push((when, class));
    }
    let kinds = transitions
        .iter()
        .map(|(w, _)| matches!(w, LifecycleWhen::Days(_)))
        .chain(expiration.iter().map(|w| matches!(w, LifecycleWhen::Days(_))));
    let kinds: Vec<bool> = kinds.collect();
    if kinds.windows(2).any(|w| w[0] != w[1]) {
        return Err(AwsError::InvalidRequest.with_message(
            "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule".to_string(),
        ));
    }
    if let Some(LifecycleWhen::Days(e)) = expiration
        && let Some(t) = transitions
            .iter()
            .filter_map(|(w, _)| match w {
                LifecycleWhen::Days(d) => Some(*d),
                LifecycleWhen::Date(_) => None,
            })
            .max()
        && e <= t
    {
        return Err(invalid_argument(format!(
            "'Days' in the Expiration action for filter '(prefix={})' must be greater than 'Days' in the Transition action",
            filter.prefix
        )));
    }

    let noncurrent_expiration = match r.noncurrent_version_expiration {
        None => None,
        Some(n) => Some(NoncurrentExpiration {
            days: positive_days(
                n.noncurrent_days,
                "NoncurrentDays' for NoncurrentVersionExpiration action",
            )?
            .ok_or_else(|| AwsError::MalformedXML.error())?,
            newer_versions: newer_versions(n.newer_noncurrent_versions)?,
        }),
    };
    let mut noncurrent_transitions = Vec::new();
    for t in r.noncurrent_version_transitions.unwrap_or_default() {
        let class = transition_class(t.storage_class.as_ref())?;
        let days = match t.noncurrent_days {
            Some(d) if d >= 0 => d as u32,
            Some(_) => {
                return Err(invalid_argument(
                    "'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative".into(),
                ));
            }
            None => return Err(AwsError::MalformedXML.error()),
        };
        check_ia_minimum(days, class, "NoncurrentVersionTransition")?;
        noncurrent_transitions.push(NoncurrentTransition {
            days,
            newer_versions: newer_versions(t.newer_noncurrent_versions)?,
            storage_class: class,
        });
    }
    let abort_incomplete_upload_days = match r.abort_incomplete_multipart_upload {
        None => None,
        Some(a) => {
            if !filter.tags.is_empty() {
                return Err(invalid_argument(
                    "AbortIncompleteMultipartUpload cannot be specified with Tags.".into(),
                ));
            }
            Some(
                positive_days(
                    a.days_after_initiation,
                    "DaysAfterInitiation' for AbortIncompleteMultipartUpload action",
                )?
                .ok_or_else(|| AwsError::MalformedXML.error())?,
            )
        }
    };

    let rule = LifecycleRule {
        id,
        enabled,
        filter,
        expiration,
        expired_object_delete_marker,
        transitions,
        noncurrent_expiration,
        noncurrent_transitions,
        abort_incomplete_upload_days,
    };
    let has_action = rule.expiration.is_some()
        || rule.expired_object_delete_marker
        || !rule.transitions.is_empty()
        || rule.noncurrent_expiration.is_some()
        || !rule.noncurrent_transitions.is_empty()
        || rule.abort_incomplete_upload_days.is_some();
    if !has_action {
        return Err(
            AwsError::InvalidRequest.with_message("At least one action needs to be specified in a rule".to_string())
        );
    }
    Ok(rule)
}

fn newer_versions(n: Option<i32>) -> S3Result<Option<u32>> {
    match n {
        None => Ok(None),
        Some(n) if (1..=100).contains(&n) => Ok(Some(n as u32)),
        Some(_) => Err(invalid_argument(
            "'NewerNoncurrentVersions' must be a positive integer no greater than 100".into(),
        )),
    }
}

fn when_dto(w: LifecycleWhen) -> (Option<i32>, Option<Timestamp>) {
    match w {
        LifecycleWhen::Days(d) => (Some(d as i32), None),
        LifecycleWhen::Date(at) => (None, Some(timestamp(at))),
    }
}

fn tag_dto((key, value): &(String, String)) -> Tag {
    Tag {
        key: Some(key.clone()),
        value: Some(value.clone()),
    }
}

fn filter_dto(f: &LifecycleFilter) -> (Option<String>, Option<LifecycleRuleFilter>) {
    let mut out = LifecycleRuleFilter::default();
    match f.form {
        FilterForm::RulePrefix => return (Some(f.prefix.clone()), None),
        FilterForm::Empty => {}
        FilterForm::Prefix => out.prefix = Some(f.prefix.clone()),
        FilterForm::Tag => out.tag = f.tags.first().map(tag_dto),
        FilterForm::SizeGreaterThan => out.object_size_greater_than = f.size_greater_than.map(|n| n as i64),
        FilterForm::SizeLessThan => out.object_size_less_than = f.size_less_than.map(|n| n as i64),
        FilterForm::And => {
            out.and = Some(LifecycleRuleAndOperator {
                prefix: (!f.prefix.is_empty()).then(|| f.prefix.clone()),
                tags: (!f.tags.is_empty()).then(|| f.tags.iter().map(tag_dto).collect()),
                object_size_greater_than: f.size_greater_than.map(|n| n as i64),
                object_size_less_than: f.size_less_than.map(|n| n as i64),
            })
        }
    }
    (None, Some(out))
}

fn rule_dto(r: &LifecycleRule) -> dto::LifecycleRule {
    let (prefix, filter) = filter_dto(&r.filter);
    let expiration = (r.expiration.is_some() || r.expired_object_delete_marker).then(|| {
        let (days, date) = r.expiration.map(when_dto).unwrap_or_default();
        LifecycleExpiration {
            days,
            date,
            expired_object_delete_marker: r.expired_object_delete_marker.then_some(true),
        }
    });
    let transitions: Vec<Transition> = r
        .transitions
        .iter()
        .map(|(w, class)| {
            let (days, date) = when_dto(*w);
            Transition {
                days,
                date,
                storage_class: Some(TransitionStorageClass::from(class.as_str().to_string())),
            }
        })
        .collect();
    let noncurrent_transitions: Vec<NoncurrentVersionTransition> = r
        .noncurrent_transitions
        .iter()
        .map(|t| NoncurrentVersionTransition {
            noncurrent_days: Some(t.days as i32),
            newer_noncurrent_versions: t.newer_versions.map(|n| n as i32),
            storage_class: Some(TransitionStorageClass::from(t.storage_class.as_str().to_string())),
        })
        .collect();
    dto::LifecycleRule {
        id: Some(r.id.clone()),
        status: ExpirationStatus::from_static(if r.enabled {
            ExpirationStatus::ENABLED
        } else {
            ExpirationStatus::DISABLED
        }),
        prefix,
        filter,
        expiration,
        transitions: (!transitions.is_empty()).then_some(transitions),
        noncurrent_version_expiration: r.noncurrent_expiration.as_ref().map(|n| NoncurrentVersionExpiration {
            noncurrent_days: Some(n.days as i32),
            newer_noncurrent_versions: n.newer_versions.map(|v| v as i32),
        }),
        noncurrent_version_transitions: (!noncurrent_transitions.is_empty()).then_some(noncurrent_transitions),
        abort_incomplete_multipart_upload: r.abort_incomplete_upload_days.map(|d| AbortIncompleteMultipartUpload {
            days_after_initiation: Some(d as i32),
        }),
    }
}
