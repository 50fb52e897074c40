//! Matching requests against a bucket's CORS rules, as S3 does: the first rule whose origin,
//! method and (for preflights) every requested header match wins.

use arca_store::CorsRule;

/// Does `pattern` (at most one `*`) match `value`?
fn wildcard(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern.eq_ignore_ascii_case(value),
        Some((pre, post)) => {
            value.len() >= pre.len() + post.len()
                && value[..pre.len()].eq_ignore_ascii_case(pre)
                && value[value.len() - post.len()..].eq_ignore_ascii_case(post)
        }
    }
}

/// The rule that allows a request from `origin` with `method` and `headers`, if any.
pub fn matching_rule<'a>(rules: &'a [CorsRule], origin: &str, method: &str, headers: &[&str]) -> Option<&'a CorsRule> {
    rules.iter().find(|r| {
        r.allowed_origins.iter().any(|o| wildcard(o, origin))
            && r.allowed_methods.iter().any(|m| m == method)
            && headers
                .iter()
                .all(|h| r.allowed_headers.iter().any(|a| wildcard(a, h.trim())))
    })
}

/// The Access-Control-* response headers for a matched rule.
pub fn response_headers(rule: &CorsRule, origin: &str, preflight_headers: Option<&str>) -> Vec<(&'static str, String)> {
    let any_origin = rule.allowed_origins.iter().any(|o| o == "*");
    let mut h = vec![
        (
            "access-control-allow-origin",
            if any_origin {
                "*".to_string()
            } else {
                origin.to_string()
            },
        ),
        ("access-control-allow-methods", rule.allowed_methods.join(", ")),
        (
            "vary",
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".to_string(),
        ),
    ];
    if !any_origin {
        h.push(("access-control-allow-credentials", "true".to_string()));
    }
    if let Some(req) = preflight_headers.filter(|s| !s.is_empty()) {
        h.push(("access-control-allow-headers", req.to_string()));
    }
    if !rule.expose_headers.is_empty() {
        h.push(("access-control-expose-headers", rule.expose_headers.join(", ")));
    }
    if let Some(age) = rule.max_age_seconds {
        h.push(("access-control-max-age", age.to_string()));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> CorsRule {
        CorsRule {
            allowed_origins: vec!["https://*.example.com".into()],
            allowed_methods: vec!["GET".into(), "PUT".into()],
            allowed_headers: vec!["content-*".into(), "x-amz-date".into()],
            ..Default::default()
        }
    }

    #[test]
    fn origin_method_and_headers_must_all_match() {
        let rules = [rule()];
        assert!(
            matching_rule(
                &rules,
                "https://app.example.com",
                "PUT",
                &["Content-Type", "x-amz-date"]
            )
            .is_some()
        );
        assert!(matching_rule(&rules, "https://evil.com", "PUT", &[]).is_none());
        assert!(matching_rule(&rules, "https://app.example.com", "DELETE", &[]).is_none());
        assert!(matching_rule(&rules, "https://app.example.com", "GET", &["authorization"]).is_none());
    }
}
