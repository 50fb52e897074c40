//! Which statements of a policy can apply to a request, known before any is evaluated.
//!
//! A request is evaluated against every policy it meets, and most statements of a large
//! policy are about other principals or other actions: a bucket policy granting eighteen
//! partners each their folder has one statement per partner. The index, built once when the
//! policy is parsed, narrows a request to the statements whose `Principal` can name its
//! identity, whose `Action` names its action and whose `Resource` can be in its bucket (an
//! identity policy granting ten buckets has a statement or more per bucket); only those are
//! evaluated.
//!
//! The index only ever leaves out statements that cannot apply: it over-approximates, and
//! [`Statement`]'s own checks still decide. So an answer through the index is the answer of
//! the full scan (tested below, and by the parser fuzz tests on random requests).

use std::sync::OnceLock;

// Looked up on every request (accounts, names, buckets): foldhash hashes a short key in a
// fraction of SipHash's time, and is still seeded per process.
use foldhash::HashMap;

use crate::actions::s3_actions;
use crate::policy::Statement;
use crate::principal::Identity;
use crate::wildcard;

/// A set of statements, by position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StatementSet {
    words: Vec<u64>,
}

impl StatementSet {
    fn with_capacity(len: usize) -> Self {
        StatementSet {
            words: vec![0; len.div_ceil(64)],
        }
    }

    fn all(len: usize) -> Self {
        let mut s = Self::with_capacity(len);
        (0..len).for_each(|i| s.insert(i));
        s
    }

    fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    fn word(&self, w: usize) -> u64 {
        self.words.get(w).copied().unwrap_or(0)
    }
}

/// The set bits of a word, lowest first.
struct Bits(u64);

impl Iterator for Bits {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

/// The statements that name principals of one account, by how they name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct AccountStatements {
    /// The account itself (its id or its root's ARN): they name each of its principals.
    account: StatementSet,
    /// IAM users, by name.
    users: HashMap<String, StatementSet>,
    /// IAM roles (their ARNs, and their sessions'), by name.
    roles: HashMap<String, StatementSet>,
}

/// What an `AWS` principal entry names within its account.
enum Named<'a> {
    Account,
    User(&'a str),
    Role(&'a str),
    Nothing,
}

/// The account an `AWS` entry is of, and what it names there: an id or `…:root` the account,
/// `…:user/PATH/NAME` a user, `…:role/PATH/NAME` and `arn:aws:sts::…:assumed-role/NAME/…` a
/// role.
fn named_by(entry: &str) -> (&str, Named<'_>) {
    if let Some((account, resource)) = entry.strip_prefix("arn:aws:iam::").and_then(|r| r.split_once(':')) {
        let last = |r: &'static str| resource.strip_prefix(r).and_then(|n| n.rsplit('/').next());
        let named = match (resource, last("user/"), last("role/")) {
            ("root", _, _) => Named::Account,
            (_, Some(user), _) => Named::User(user),
            (_, _, Some(role)) => Named::Role(role),
            _ => Named::Nothing,
        };
        return (account, named);
    }
    if let Some((account, resource)) = entry.strip_prefix("arn:aws:sts::").and_then(|r| r.split_once(':')) {
        let role = resource.strip_prefix("assumed-role/").and_then(|r| r.split('/').next());
        return (account, role.map_or(Named::Nothing, Named::Role));
    }
    (entry, Named::Account)
}

/// What every S3 resource's ARN starts with.
const S3_ARN: &str = "arn:aws:s3:::";

/// The bucket name of an S3 ARN's rest (after [`S3_ARN`]): up to the first `/`.
fn bucket_part(rest: &str) -> &str {
    rest.split_once('/').map_or(rest, |(bucket, _)| bucket)
}

/// The one bucket a `Resource` pattern can name resources of: `Some(NAME)` for
/// `arn:aws:s3:::NAME` and `arn:aws:s3:::NAME/…` with a bucket name free of wildcards and
/// variables (resources are matched case-sensitively, so only that very name).
fn named_bucket(pattern: &str) -> Option<&str> {
    let bucket = bucket_part(pattern.strip_prefix(S3_ARN)?);
    (!bucket.is_empty() && !bucket.contains(['*', '?', '$'])).then_some(bucket)
}

/// The index of one policy's statements (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StatementIndex {
    len: usize,
    /// Statements that may name any identity: identity policies' (no principal), `*`,
    /// `NotPrincipal`.
    anyone: StatementSet,
    /// Statements naming principals of an account, by account id.
    accounts: HashMap<String, AccountStatements>,
    /// Statements naming a canonical user id.
    canonical: HashMap<String, StatementSet>,
    /// For each action of [`action_names`], the statements whose `Action` names it.
    actions: Vec<StatementSet>,
    /// Statements with a `Resource` pattern in one named bucket (`arn:aws:s3:::NAME` or
    /// `arn:aws:s3:::NAME/…`), by that bucket's name.
    buckets: HashMap<String, StatementSet>,
    /// Statements that may name resources of any bucket: a pattern with a wildcard or a
    /// variable in its bucket name, `*`, another service's ARN, or `NotResource`.
    any_bucket: StatementSet,
    /// Every statement: for actions Arca's catalogue does not hold.
    all: StatementSet,
}

/// Every S3 action name of the catalogue, sorted.
fn action_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = s3_actions().map(|(a, _)| a).collect();
        names.sort_unstable();
        names
    })
}

/// Each action name's position in [`action_names`]: a request's action is looked up here.
fn action_slots() -> &'static HashMap<&'static str, usize> {
    static SLOTS: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    SLOTS.get_or_init(|| action_names().iter().enumerate().map(|(i, a)| (*a, i)).collect())
}

impl StatementIndex {
    pub(crate) fn new(statements: &[Statement]) -> Self {
        let len = statements.len();
        let mut index = StatementIndex {
            len,
            anyone: StatementSet::with_capacity(len),
            accounts: HashMap::default(),
            canonical: HashMap::default(),
            actions: vec![StatementSet::with_capacity(len); action_names().len()],
            buckets: HashMap::default(),
            any_bucket: StatementSet::with_capacity(len),
            all: StatementSet::all(len),
        };
        for (i, s) in statements.iter().enumerate() {
            index.add_principal(i, s);
            index.add_resources(i, s);
            for (a, action) in action_names().iter().enumerate() {
                let named = s
                    .actions
                    .values
                    .iter()
                    .any(|p| wildcard::matches_ignore_case(p, action));
                if named != s.actions.negated {
                    index.actions[a].insert(i);
                }
            }
        }
        index
    }

    fn add_principal(&mut self, i: usize, s: &Statement) {
        let len = self.len;
        let principals = match &s.principal {
            Some((false, p)) if !p.everyone => p,
            _ => return self.anyone.insert(i),
        };
        for c in &principals.canonical_users {
            self.canonical
                .entry(c.clone())
                .or_insert_with(|| StatementSet::with_capacity(len))
                .insert(i);
        }
        for entry in &principals.aws {
            let (account, named) = named_by(entry);
            let statements = self.accounts.entry(account.to_string()).or_default();
            let set = match named {
                Named::Account => &mut statements.account,
                Named::User(name) => statements.users.entry(name.to_string()).or_default(),
                Named::Role(name) => statements.roles.entry(name.to_string()).or_default(),
                Named::Nothing => continue,
            };
            if set.words.is_empty() {
                *set = StatementSet::with_capacity(len);
            }
            set.insert(i);
        }
    }

    fn add_resources(&mut self, i: usize, s: &Statement) {
        let len = self.len;
        let buckets: Option<Vec<&str>> = match s.resources.negated {
            true => None,
            false => s.resources.values.iter().map(|p| named_bucket(p)).collect(),
        };
        match buckets {
            Some(buckets) if !buckets.is_empty() => {
                for b in buckets {
                    self.buckets
                        .entry(b.to_string())
                        .or_insert_with(|| StatementSet::with_capacity(len))
                        .insert(i);
                }
            }
            _ => self.any_bucket.insert(i),
        }
    }

    /// `action`'s place in the index, if the catalogue knows it (see [`candidates`](Self::candidates)).
    pub(crate) fn action_slot(&self, action: &str) -> Option<usize> {
        action_slots().get(action).copied()
    }

    /// The statements that may apply to `who` doing the action in `action_slot` (every
    /// statement, as to the action, when the catalogue does not know it) to `resource`, in
    /// document order.
    pub(crate) fn candidates<'a>(
        &'a self,
        who: &Identity,
        action_slot: Option<usize>,
        resource: &str,
    ) -> impl Iterator<Item = usize> + 'a {
        let mut named: [Option<&'a StatementSet>; 4] = [Some(&self.anyone), None, None, None];
        let (account, canonical_id, user, role) = match who {
            Identity::Anonymous => (None, None, None, None),
            Identity::Root { account, canonical_id } => (Some(account), Some(canonical_id), None, None),
            Identity::User {
                account,
                canonical_id,
                name,
                ..
            } => (Some(account), Some(canonical_id), Some(name), None),
            Identity::Role {
                account,
                canonical_id,
                name,
                ..
            } => (Some(account), Some(canonical_id), None, Some(name)),
        };
        named[1] = canonical_id.and_then(|c| self.canonical.get(c));
        if let Some(a) = account.and_then(|a| self.accounts.get(a)) {
            named[2] = Some(&a.account);
            named[3] = user
                .and_then(|name| a.users.get(name))
                .or_else(|| role.and_then(|name| a.roles.get(name)));
        }
        let actions = action_slot.map_or(&self.all, |a| &self.actions[a]);
        // Outside S3 (`*`, another service's ARN) the resource says nothing of buckets.
        let resources = match resource.strip_prefix(S3_ARN) {
            Some(rest) => [Some(&self.any_bucket), self.buckets.get(bucket_part(rest))],
            None => [Some(&self.all), None],
        };
        (0..self.len.div_ceil(64)).flat_map(move |w| {
            let union = |sets: &[Option<&StatementSet>]| sets.iter().flatten().fold(0, |bits, set| bits | set.word(w));
            Bits(union(&named) & actions.word(w) & union(&resources)).map(move |bit| w * 64 + bit)
        })
    }
}
