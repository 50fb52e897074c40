//! `--include` / `--exclude`, with the AWS CLI's semantics: every path is included to begin
//! with, filters apply in the order given, and the last one that matches decides. Patterns
//! are matched against the path relative to the command's source (for S3, the key relative
//! to the prefix), with `*` (any run of characters, `/` included), `?` and `[...]`.

/// One filter from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `--include PATTERN`.
    Include(String),
    /// `--exclude PATTERN`.
    Exclude(String),
}

/// The filters of one command, in command-line order.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    rules: Vec<Rule>,
}

impl Filters {
    /// Rebuilds the command-line order from clap's per-flag values and their indices.
    pub fn from_indexed(includes: Vec<(usize, String)>, excludes: Vec<(usize, String)>) -> Filters {
        let mut all: Vec<(usize, Rule)> = includes
            .into_iter()
            .map(|(i, p)| (i, Rule::Include(p)))
            .chain(excludes.into_iter().map(|(i, p)| (i, Rule::Exclude(p))))
            .collect();
        all.sort_by_key(|(i, _)| *i);
        Filters {
            rules: all.into_iter().map(|(_, r)| r).collect(),
        }
    }

    /// Filters applying `rules` in order (the last that matches decides).
    pub fn new(rules: Vec<Rule>) -> Filters {
        Filters { rules }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether `path` passes the filters.
    pub fn allows(&self, path: &str) -> bool {
        let mut allowed = true;
        for rule in &self.rules {
            match rule {
                Rule::Include(p) if glob_match(p, path) => allowed = true,
                Rule::Exclude(p) if glob_match(p, path) => allowed = false,
                _ => {}
            }
        }
        allowed
    }
}

/// fnmatch-style matching where `*` also crosses `/`, as the AWS CLI does.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

fn matches(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, text index it matched to).
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, next)) = class(&p[pi..], t[ti])
                        && ok
                    {
                        pi += next;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Matches `c` against a `[...]` class at the start of `p`; returns (matched, class length).
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let end = p.iter().skip(1).position(|x| *x == ']')? + 1;
    let body = &p[1..end];
    let (negate, body) = match body.first() {
        Some('!') | Some('^') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut hit = false;
    let mut i = 0;
    while i < body.len() {
        if i + 2 < body.len() && body[i + 1] == '-' {
            hit |= body[i] <= c && c <= body[i + 2];
            i += 3;
        } else {
            hit |= body[i] == c;
            i += 1;
        }
    }
    Some((hit != negate, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_like_fnmatch_with_star_crossing_slashes() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(glob_match("*.txt", "dir/sub/a.txt"));
        assert!(!glob_match("*.txt", "a.txt.bak"));
        assert!(glob_match("dir/*", "dir/x/y"));
        assert!(glob_match("?.log", "a.log"));
        assert!(!glob_match("?.log", "ab.log"));
        assert!(glob_match("[abc]*", "banana"));
        assert!(!glob_match("[!abc]*", "banana"));
        assert!(glob_match("img[0-9].png", "img7.png"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
    }

    #[test]
    fn last_matching_filter_wins() {
        let f = Filters::new(vec![Rule::Exclude("*".into()), Rule::Include("*.txt".into())]);
        assert!(f.allows("notes.txt"));
        assert!(!f.allows("photo.jpg"));
        let f = Filters::new(vec![Rule::Include("*.txt".into()), Rule::Exclude("*".into())]);
        assert!(!f.allows("notes.txt"), "a later exclude overrides an earlier include");
        let f = Filters::new(vec![Rule::Exclude("tmp/*".into())]);
        assert!(f.allows("a.txt") && !f.allows("tmp/x"));
        let f = Filters::from_indexed(vec![(4, "*.txt".into())], vec![(2, "*".into())]);
        assert!(f.allows("x.txt") && !f.allows("x.bin"));
    }
}
