//! Lifecycle rules as a bucket stores them, and what they decide for one object.
//!
//! This module is pure: given a bucket's [`LifecycleConfiguration`], a version and the time,
//! it says which action is due (expire, transition, remove an expired delete marker, abort
//! an upload). The lifecycle job (`store/lifecycle_job.rs`) walks the tables and applies the
//! decisions; the S3 layer parses and validates AWS's XML into these types and asks
//! [`LifecycleConfiguration::expiration_of`] for the `x-amz-expiration` header.
//!
//! Time follows AWS: an action "N days after" a moment is due at the first day boundary
//! (midnight UTC) at least N days after it. The length of a day is a [`LifecycleClock`]
//! setting, so that tests and demos can run a "30-day" rule in seconds.

use serde::{Deserialize, Serialize};

use crate::record::{ObjectVersion, StorageClass};

/// How long a lifecycle "day" is; AWS's is 86,400 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleClock {
    /// Milliseconds in one day (at least 1).
    pub day_ms: i64,
}

impl Default for LifecycleClock {
    fn default() -> Self {
        LifecycleClock { day_ms: 86_400_000 }
    }
}

impl LifecycleClock {
    /// A clock whose day lasts `seconds` (at least one second).
    pub fn with_day_seconds(seconds: u64) -> Self {
        LifecycleClock {
            day_ms: (seconds.max(1) as i64).saturating_mul(1000),
        }
    }

    /// When something `days` days after `from_ms` is due: the next day boundary at or after
    /// `from_ms + days`, as AWS rounds to the next midnight UTC.
    pub fn due(self, from_ms: i64, days: u32) -> i64 {
        let at = from_ms.saturating_add(self.day_ms.saturating_mul(days as i64));
        at.div_euclid(self.day_ms)
            .saturating_add(i64::from(at.rem_euclid(self.day_ms) != 0))
            .saturating_mul(self.day_ms)
    }
}

/// When an action on current versions is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LifecycleWhen {
    /// So many days after the object was written.
    Days(u32),
    /// From this moment on (ms since the epoch; AWS requires midnight UTC).
    Date(i64),
}

impl LifecycleWhen {
    fn due(self, written_ms: i64, clock: LifecycleClock) -> i64 {
        match self {
            LifecycleWhen::Days(d) => clock.due(written_ms, d),
            LifecycleWhen::Date(at) => at,
        }
    }
}

/// Which objects a rule applies to: every condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleFilter {
    /// Keys that start with this.
    pub prefix: String,
    /// Tags the object must carry, each with this value.
    pub tags: Vec<(String, String)>,
    /// Objects larger than this many bytes.
    pub size_greater_than: Option<u64>,
    /// Objects smaller than this many bytes.
    pub size_less_than: Option<u64>,
    /// How the rule wrote its filter, so that GET returns the shape PUT was given.
    pub form: FilterForm,
}

/// The XML shape a filter arrived in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilterForm {
    /// `<Filter><Prefix>`.
    #[default]
    Prefix,
    /// An empty `<Filter/>`: every object.
    Empty,
    /// The deprecated `<Prefix>` directly in the rule.
    RulePrefix,
    /// `<Filter><Tag>`.
    Tag,
    /// `<Filter><ObjectSizeGreaterThan>`.
    SizeGreaterThan,
    /// `<Filter><ObjectSizeLessThan>`.
    SizeLessThan,
    /// `<Filter><And>`.
    And,
}

impl LifecycleFilter {
    /// Whether a version of `key` of `size` bytes with `tags` is one the rule applies to.
    pub fn matches(&self, key: &str, size: u64, tags: &[(String, String)]) -> bool {
        key.starts_with(&self.prefix)
            && self.size_greater_than.is_none_or(|n| size > n)
            && self.size_less_than.is_none_or(|n| size < n)
            && self.tags.iter().all(|t| tags.contains(t))
    }
}

/// Move noncurrent versions to another class some days after they became noncurrent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoncurrentTransition {
    /// Days after the version became noncurrent.
    pub days: u32,
    /// Keep this many newer noncurrent versions where they are.
    pub newer_versions: Option<u32>,
    /// The class to move to.
    pub storage_class: StorageClass,
}

/// Remove noncurrent versions for good some days after they became noncurrent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoncurrentExpiration {
    /// Days after the version became noncurrent.
    pub days: u32,
    /// Keep this many newer noncurrent versions whatever their age.
    pub newer_versions: Option<u32>,
}

/// One rule of a bucket's lifecycle configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleRule {
    /// The rule's `ID` (AWS makes one up when PUT leaves it out).
    pub id: String,
    /// `Status` is `Enabled`; disabled rules are kept but do nothing.
    pub enabled: bool,
    /// Which objects it applies to.
    pub filter: LifecycleFilter,
    /// Expire current versions (delete, or a delete marker in a versioned bucket).
    pub expiration: Option<LifecycleWhen>,
    /// Remove a delete marker once it is a key's only version.
    pub expired_object_delete_marker: bool,
    /// Move current versions to colder classes.
    pub transitions: Vec<(LifecycleWhen, StorageClass)>,
    /// Remove noncurrent versions.
    pub noncurrent_expiration: Option<NoncurrentExpiration>,
    /// Move noncurrent versions to colder classes.
    pub noncurrent_transitions: Vec<NoncurrentTransition>,
    /// Abort multipart uploads this many days after they started.
    pub abort_incomplete_upload_days: Option<u32>,
}

/// Which objects too small to be worth moving stay where they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransitionMinimumSize {
    /// AWS's default since 2024: objects under 128 KiB never transition.
    #[default]
    AllClasses128K,
    /// Under 128 KiB objects do not move to the infrequent-access classes; archive classes take
    /// any size.
    VariesByClass,
}

/// The smallest object a transition moves under [`TransitionMinimumSize::AllClasses128K`].
pub const TRANSITION_MINIMUM_BYTES: u64 = 128 * 1024;

/// A bucket's lifecycle configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleConfiguration {
    /// The rules, in the order PUT gave them.
    pub rules: Vec<LifecycleRule>,
    /// Which small objects transitions skip.
    pub transition_minimum: TransitionMinimumSize,
}

/// What the lifecycle does to a key's current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrentAction {
    /// Expire it (as a DELETE without a version id would).
    Expire,
    /// Move it to this class.
    Transition(StorageClass),
}

/// How cold a class is: transitions only ever go colder, as AWS's waterfall does.
fn coldness(class: StorageClass) -> u8 {
    match class {
        StorageClass::Standard | StorageClass::ReducedRedundancy | StorageClass::ExpressOnezone => 0,
        StorageClass::IntelligentTiering => 1,
        StorageClass::StandardIa => 2,
        StorageClass::OnezoneIa => 3,
        StorageClass::GlacierIr => 4,
        StorageClass::Glacier => 5,
        StorageClass::DeepArchive => 6,
    }
}

impl LifecycleConfiguration {
    fn enabled_for<'a, 'b>(
        &'a self,
        key: &'b str,
        v: &'b ObjectVersion,
    ) -> impl Iterator<Item = &'a LifecycleRule> + use<'a, 'b> {
        self.rules
            .iter()
            .filter(move |r| r.enabled && r.filter.matches(key, v.size, &v.tags))
    }

    /// Whether any enabled rule could act on noncurrent versions or delete markers (if not,
    /// the job need not look at the `versions` table).
    pub fn acts_on_versions(&self) -> bool {
        self.rules.iter().any(|r| {
            r.enabled
                && (r.noncurrent_expiration.is_some()
                    || !r.noncurrent_transitions.is_empty()
                    || r.expired_object_delete_marker)
        })
    }

    /// The earliest day multipart uploads started at `initiated_ms` under `key` are aborted.
    pub fn upload_abort_due(&self, key: &str, initiated_ms: i64, clock: LifecycleClock) -> Option<i64> {
        self.rules
            .iter()
            .filter(|r| r.enabled && key.starts_with(&r.filter.prefix) && r.filter.tags.is_empty())
            .filter_map(|r| r.abort_incomplete_upload_days)
            .map(|d| clock.due(initiated_ms, d))
            .min()
    }

    /// When the current version `v` of `key` expires and the rule that says so (for
    /// `x-amz-expiration`).
    pub fn expiration_of(&self, key: &str, v: &ObjectVersion, clock: LifecycleClock) -> Option<(i64, &str)> {
        self.enabled_for(key, v)
            .filter_map(|r| Some((r.expiration?.due(v.last_modified_ms, clock), r.id.as_str())))
            .min_by_key(|(at, _)| *at)
    }

    fn transition_allowed(&self, size: u64, to: StorageClass) -> bool {
        size >= TRANSITION_MINIMUM_BYTES
            || (self.transition_minimum == TransitionMinimumSize::VariesByClass
                && !matches!(to, StorageClass::StandardIa | StorageClass::OnezoneIa))
    }

    /// What is due at `now_ms` for the current version `v` of `key`: expiration wins over any
    /// transition; of the transitions due, the coldest.
    pub fn current_action(
        &self,
        key: &str,
        v: &ObjectVersion,
        now_ms: i64,
        clock: LifecycleClock,
    ) -> Option<CurrentAction> {
        if self.expiration_of(key, v, clock).is_some_and(|(at, _)| at <= now_ms) {
            return Some(CurrentAction::Expire);
        }
        self.enabled_for(key, v)
            .flat_map(|r| r.transitions.iter())
            .filter(|(when, to)| {
                when.due(v.last_modified_ms, clock) <= now_ms
                    && coldness(*to) > coldness(v.storage_class)
                    && self.transition_allowed(v.size, *to)
            })
            .map(|(_, to)| *to)
            .max_by_key(|to| coldness(*to))
            .map(CurrentAction::Transition)
    }

    /// What is due at `now_ms` for a noncurrent version `v` of `key` that became noncurrent
    /// at `noncurrent_since_ms` and has `newer` noncurrent versions above it.
    pub fn noncurrent_action(
        &self,
        key: &str,
        v: &ObjectVersion,
        noncurrent_since_ms: i64,
        newer: u32,
        now_ms: i64,
        clock: LifecycleClock,
    ) -> Option<CurrentAction> {
        let kept = |keep: Option<u32>| newer < keep.unwrap_or(0);
        let expire = self.enabled_for(key, v).any(|r| {
            r.noncurrent_expiration
                .as_ref()
                .is_some_and(|e| !kept(e.newer_versions) && clock.due(noncurrent_since_ms, e.days) <= now_ms)
        });
        if expire {
            return Some(CurrentAction::Expire);
        }
        self.enabled_for(key, v)
            .flat_map(|r| r.noncurrent_transitions.iter())
            .filter(|t| {
                !kept(t.newer_versions)
                    && clock.due(noncurrent_since_ms, t.days) <= now_ms
                    && coldness(t.storage_class) > coldness(v.storage_class)
                    && self.transition_allowed(v.size, t.storage_class)
            })
            .map(|t| t.storage_class)
            .max_by_key(|to| coldness(*to))
            .map(CurrentAction::Transition)
    }

    /// Whether a delete marker of `key` that is the key's only version is to be removed.
    pub fn removes_lone_marker(&self, key: &str) -> bool {
        self.rules
            .iter()
            .any(|r| r.enabled && r.expired_object_delete_marker && key.starts_with(&r.filter.prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 10_000;

    fn clock() -> LifecycleClock {
        LifecycleClock { day_ms: DAY }
    }

    fn version(size: u64, written_ms: i64, tags: &[(&str, &str)]) -> ObjectVersion {
        let mut v = crate::store::tests::version(
            "e",
            crate::ObjectData::Inline {
                sealed: false,
                bytes: Vec::new(),
                crc32c: 0,
            },
        );
        v.size = size;
        v.last_modified_ms = written_ms;
        v.tags = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        v
    }

    fn rule(id: &str) -> LifecycleRule {
        LifecycleRule {
            id: id.into(),
            enabled: true,
            filter: LifecycleFilter::default(),
            expiration: None,
            expired_object_delete_marker: false,
            transitions: Vec::new(),
            noncurrent_expiration: None,
            noncurrent_transitions: Vec::new(),
            abort_incomplete_upload_days: None,
        }
    }

    fn config(rules: Vec<LifecycleRule>) -> LifecycleConfiguration {
        LifecycleConfiguration {
            rules,
            transition_minimum: TransitionMinimumSize::AllClasses128K,
        }
    }

    #[test]
    fn days_round_up_to_the_next_day_boundary() {
        let c = clock();
        assert_eq!(c.due(0, 1), DAY);
        assert_eq!(c.due(1, 1), 2 * DAY);
        assert_eq!(c.due(DAY - 1, 0), DAY);
        assert_eq!(c.due(5 * DAY, 2), 7 * DAY);
    }

    #[test]
    fn filters_need_every_condition() {
        let f = LifecycleFilter {
            prefix: "logs/".into(),
            tags: vec![("class".into(), "tmp".into())],
            size_greater_than: Some(10),
            size_less_than: Some(100),
            form: FilterForm::And,
        };
        let tags = vec![("class".to_string(), "tmp".to_string()), ("x".into(), "y".into())];
        assert!(f.matches("logs/a", 50, &tags));
        assert!(!f.matches("data/a", 50, &tags));
        assert!(!f.matches("logs/a", 10, &tags));
        assert!(!f.matches("logs/a", 100, &tags));
        assert!(!f.matches("logs/a", 50, &tags[1..]));
    }

    #[test]
    fn expiration_wins_and_transitions_only_go_colder() {
        let mut r = rule("r");
        r.expiration = Some(LifecycleWhen::Days(10));
        r.transitions = vec![
            (LifecycleWhen::Days(1), StorageClass::StandardIa),
            (LifecycleWhen::Days(3), StorageClass::Glacier),
        ];
        let c = config(vec![r]);
        let v = version(200_000, 0, &[]);
        assert_eq!(c.current_action("k", &v, DAY - 1, clock()), None);
        assert_eq!(
            c.current_action("k", &v, DAY, clock()),
            Some(CurrentAction::Transition(StorageClass::StandardIa))
        );
        assert_eq!(
            c.current_action("k", &v, 5 * DAY, clock()),
            Some(CurrentAction::Transition(StorageClass::Glacier))
        );
        let mut cold = v.clone();
        cold.storage_class = StorageClass::Glacier;
        assert_eq!(c.current_action("k", &cold, 5 * DAY, clock()), None);
        assert_eq!(
            c.current_action("k", &cold, 10 * DAY, clock()),
            Some(CurrentAction::Expire)
        );
        assert_eq!(c.expiration_of("k", &v, clock()), Some((10 * DAY, "r")));
        // Under 128 KiB nothing moves by default.
        assert_eq!(c.current_action("k", &version(1000, 0, &[]), 5 * DAY, clock()), None);
    }

    #[test]
    fn noncurrent_versions_keep_the_newest_asked_for() {
        let mut r = rule("nc");
        r.noncurrent_expiration = Some(NoncurrentExpiration {
            days: 2,
            newer_versions: Some(1),
        });
        let c = config(vec![r]);
        let v = version(5, 0, &[]);
        // The newest noncurrent version is kept whatever its age.
        assert_eq!(c.noncurrent_action("k", &v, 0, 0, 100 * DAY, clock()), None);
        assert_eq!(c.noncurrent_action("k", &v, 0, 1, DAY, clock()), None);
        assert_eq!(
            c.noncurrent_action("k", &v, 0, 1, 2 * DAY, clock()),
            Some(CurrentAction::Expire)
        );
    }

    #[test]
    fn disabled_rules_and_other_prefixes_do_nothing() {
        let mut r = rule("off");
        r.enabled = false;
        r.expiration = Some(LifecycleWhen::Days(1));
        let mut p = rule("p");
        p.filter.prefix = "tmp/".into();
        p.expiration = Some(LifecycleWhen::Date(0));
        let c = config(vec![r, p]);
        let v = version(5, 0, &[]);
        assert_eq!(c.current_action("k", &v, 100 * DAY, clock()), None);
        assert_eq!(c.current_action("tmp/k", &v, 0, clock()), Some(CurrentAction::Expire));
    }
}
