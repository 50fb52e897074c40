//! The glob of policy documents: `*` matches any run of characters (also none), `?` exactly
//! one; nothing else is special. Used by actions (case-insensitively), resources, ARNs and
//! `StringLike`.

/// Whether `value` matches `pattern`, comparing characters exactly.
pub fn matches(pattern: &str, value: &str) -> bool {
    glob(pattern, value, false)
}

/// Whether `value` matches `pattern`, ignoring ASCII case (action names: `s3:getobject` is
/// `s3:GetObject`).
pub fn matches_ignore_case(pattern: &str, value: &str) -> bool {
    glob(pattern, value, true)
}

/// Linear-time glob: on a mismatch after a `*`, retry one character further along `value`
/// from just after that `*`. Only the last `*` needs remembering, so any input is matched in
/// O(pattern × value) at worst, never exponentially (policies are user input). Patterns
/// without wildcards (most actions and many resources) are a plain comparison, and ASCII
/// text (nearly everything) is matched by bytes, without collecting characters.
///
/// The literal text before the first wildcard is compared first, as bytes: most patterns a
/// request meets name other buckets or folders and fail there, and most that match are
/// `literal*` (`arn:aws:s3:::bucket/*`), which that comparison decides alone. Comparing UTF-8
/// bytes is comparing characters (ignoring ASCII case too: the bytes of a non-ASCII character
/// are all ≥ 0x80, never ASCII letters), and the wildcards are ASCII, so the literal ends on a
/// character boundary of both strings.
fn glob(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let Some(first) = pattern.bytes().position(|b| b == b'*' || b == b'?') else {
        return pattern.len() == value.len() && literal_eq(pattern, value, ignore_case);
    };
    let Some(literal) = value.get(..first) else {
        return false;
    };
    if !literal_eq(&pattern[..first], literal, ignore_case) {
        return false;
    }
    let (pattern, value) = (&pattern[first..], &value[first..]);
    if pattern == "*" {
        return true;
    }
    let eq = |a: char, b: char| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    if pattern.is_ascii() && value.is_ascii() {
        return glob_in(pattern.as_bytes(), value.as_bytes(), b'*', b'?', |p, v| {
            eq(p as char, v as char)
        });
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    glob_in(&p, &v, '*', '?', eq)
}

/// Whether two texts of equal byte length are equal, exactly or ignoring ASCII case (see
/// [`glob`]).
fn literal_eq(pattern: &str, value: &str, ignore_case: bool) -> bool {
    if ignore_case {
        pattern.as_bytes().eq_ignore_ascii_case(value.as_bytes())
    } else {
        pattern.as_bytes() == value.as_bytes()
    }
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
    fn the_literal_before_a_wildcard_is_compared_whole() {
        assert!(!matches("arn:aws:s3:::other/*", "arn:aws:s3:::pol/x"));
        assert!(
            !matches("arn:aws:s3:::pol/long-prefix/*", "arn:aws:s3:::pol/x"),
            "value shorter"
        );
        assert!(matches("arn:aws:s3:::pol/*", "arn:aws:s3:::pol/"));
        assert!(
            !matches("\u{e9}*", "a\u{e9}"),
            "the literal ends inside a character of the value"
        );
        assert!(matches_ignore_case("\u{c9}T\u{e9}*", "\u{c9}t\u{e9}x"));
        assert!(
            !matches_ignore_case("\u{c9}*", "\u{e9}"),
            "non-ASCII letters are not folded"
        );
    }

    /// The plain recursive definition of the glob, to check the fast one against.
    fn reference(p: &[char], v: &[char], ignore_case: bool) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('*', rest)) => (0..=v.len()).any(|i| reference(rest, &v[i..], ignore_case)),
            Some((&c, rest)) => v.split_first().is_some_and(|(&x, vrest)| {
                (c == '?' || c == x || (ignore_case && c.eq_ignore_ascii_case(&x)))
                    && reference(rest, vrest, ignore_case)
            }),
        }
    }

    proptest::proptest! {
        #[test]
        fn the_glob_is_its_definition(
            p in "[aA\u{e9}\u{c9}*?]{0,5}",
            v in "[aA\u{e9}\u{c9}]{0,6}",
        ) {
            let (pc, vc): (Vec<char>, Vec<char>) = (p.chars().collect(), v.chars().collect());
            proptest::prop_assert_eq!(matches(&p, &v), reference(&pc, &vc, false));
            proptest::prop_assert_eq!(matches_ignore_case(&p, &v), reference(&pc, &vc, true));
        }
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a".repeat(500);
        let value = "a".repeat(5000) + "b";
        assert!(!matches(&pattern, &value));
    }
}
