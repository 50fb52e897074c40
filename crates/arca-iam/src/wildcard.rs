//! The glob of policy documents: `*` matches any run of characters (also none), `?` exactly
//! one; nothing else is special. Used by actions (case-insensitively), resources, ARNs and
//! `StringLike`.

/// Whether `value` matches `pattern`, comparing characters exactly.
pub fn matches(pattern: &str, value: &str) -> bool {
    glob(pattern, value, |a, b| a == b)
}

/// Whether `value` matches `pattern`, ignoring ASCII case (action names: `s3:getobject` is
/// `s3:GetObject`).
pub fn matches_ignore_case(pattern: &str, value: &str) -> bool {
    glob(pattern, value, |a, b| a.eq_ignore_ascii_case(&b))
}

/// Linear-time glob: on a mismatch after a `*`, retry one character further along `value`
/// from just after that `*`. Only the last `*` needs remembering, so any input is matched in
/// O(pattern × value) at worst, never exponentially (policies are user input). Patterns
/// without wildcards (most actions and many resources) are a plain comparison, and ASCII
/// text (nearly everything) is matched by bytes, without collecting characters.
fn glob(pattern: &str, value: &str, eq: impl Fn(char, char) -> bool) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern.len() == value.len() && pattern.chars().zip(value.chars()).all(|(p, v)| eq(p, v));
    }
    if pattern.is_ascii() && value.is_ascii() {
        return glob_in(pattern.as_bytes(), value.as_bytes(), b'*', b'?', |p, v| {
            eq(p as char, v as char)
        });
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    glob_in(&p, &v, '*', '?', eq)
}

fn glob_in<T: Copy + PartialEq>(p: &[T], v: &[T], star_sym: T, one: T, eq: impl Fn(T, T) -> bool) -> bool {
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == one || (p[pi] != star_sym && eq(p[pi], v[vi]))) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == star_sym {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == star_sym)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("*", ""));
        assert!(matches("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c"));
        assert!(!matches("arn:aws:s3:::b/*", "arn:aws:s3:::bb/a"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("*a*b*", "xxaxxbxx"));
        assert!(!matches("*a*b", "xxaxxbxx"));
        assert!(matches("home/${x}", "home/${x}"));
        assert!(!matches("ABC", "abc"));
        assert!(matches_ignore_case("s3:Get*", "s3:getobject"));
        assert!(matches_ignore_case("S3:GETOBJECT", "s3:GetObject"));
        assert!(
            matches("caf\u{e9}/*", "caf\u{e9}/x"),
            "non-ASCII text matches by characters"
        );
        assert!(matches("caf?/x", "caf\u{e9}/x"), "? is one character, not one byte");
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a".repeat(500);
        let value = "a".repeat(5000) + "b";
        assert!(!matches(&pattern, &value));
    }
}
