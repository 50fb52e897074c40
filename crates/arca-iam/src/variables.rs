//! Policy variables: `${aws:username}` in a resource or a condition value stands for the
//! request's value of that key, so one policy can give each user a home prefix. Only policies
//! of `Version` `2012-10-17` have them; in older ones `${…}` is literal text.

/// Replaces each `${key}` in `text` with `lookup(key)`. `${*}`, `${?}` and `${$}` are the
/// literal characters; `${key, 'default'}` falls back to the default. `None` when a variable
/// has neither a value nor a default: AWS then treats the element as not matching.
pub fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if !text.contains("${") {
        return Some(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Some(out);
        };
        let inner = &after[..end];
        match inner {
            "*" | "?" | "$" => out.push_str(inner),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => {
                        let d = d.trim();
                        let d = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')).unwrap_or(d);
                        (k.trim(), Some(d))
                    }
                    None => (inner.trim(), None),
                };
                match lookup(key).or_else(|| default.map(str::to_string)) {
                    Some(v) => out.push_str(&v),
                    None => return None,
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_defaults_and_escapes() {
        let lookup = |k: &str| (k == "aws:username").then(|| "alice".to_string());
        assert_eq!(
            substitute("home/${aws:username}/*", &lookup).as_deref(),
            Some("home/alice/*")
        );
        assert_eq!(substitute("a${*}b${?}c${$}", &lookup).as_deref(), Some("a*b?c$"));
        assert_eq!(substitute("x/${aws:userid}", &lookup), None);
        assert_eq!(
            substitute("x/${aws:userid, 'nobody'}", &lookup).as_deref(),
            Some("x/nobody")
        );
        assert_eq!(substitute("plain", &lookup).as_deref(), Some("plain"));
        assert_eq!(substitute("open ${brace", &lookup).as_deref(), Some("open ${brace"));
    }
}
