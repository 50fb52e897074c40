//! `arca admin explain --request-id ID` and `arca admin policy simulate …`: the server's
//! explanation of a decision, printed for a person (or as the server's JSON with `--json`).

use serde_json::Value;

use crate::error::ClientError;
use crate::signed::SignedEndpoint;

/// Prints why request `id` was denied.
pub(super) async fn explain(e: &SignedEndpoint, id: &str, json: bool) -> Result<(), ClientError> {
    let id: String = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string();
    let answer = e
        .send("GET", &format!("/?arca-admin=explain&request-id={id}"), Vec::new())
        .await?;
    print_answer(&answer, json)
}

/// Prints the decision for a made-up request.
pub(super) async fn simulate(
    e: &SignedEndpoint,
    principal: &str,
    action: &str,
    resource: &str,
    context: &[String],
    json: bool,
) -> Result<(), ClientError> {
    let mut keys = serde_json::Map::new();
    for pair in context {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| ClientError::Usage(format!("--context takes key=value, not {pair}")))?;
        keys.insert(k.to_string(), Value::String(v.to_string()));
    }
    let question = serde_json::json!({
        "principal": principal,
        "action": action,
        "resource": resource,
        "context": keys,
    });
    let answer = e
        .send("POST", "/?arca-admin=simulate", question.to_string().into_bytes())
        .await?;
    print_answer(&answer, json)
}

fn print_answer(answer: &str, json: bool) -> Result<(), ClientError> {
    if json {
        println!("{}", answer.trim_end());
        return Ok(());
    }
    let value: Value = serde_json::from_str(answer)
        .map_err(|e| ClientError::Usage(format!("the server's answer is not JSON: {e}")))?;
    match &value {
        Value::Array(all) => all.iter().for_each(print_explanation),
        one => print_explanation(one),
    }
    Ok(())
}

fn print_explanation(e: &Value) {
    let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
    println!(
        "request {} at {}: {}",
        s("request_id"),
        s("time"),
        s("decision").to_uppercase()
    );
    println!("  principal: {}", s("principal"));
    println!("  action:    {}", s("action"));
    println!("  resource:  {}", s("resource"));
    println!("  because:   {}", s("reason"));
    let keys: Vec<String> = e["context"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|pair| {
            let values: Vec<&str> = pair[1]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!("{}={}", pair[0].as_str().unwrap_or(""), values.join(","))
        })
        .collect();
    if !keys.is_empty() {
        println!("  request keys: {}", keys.join(" "));
    }
    let policies = e["policies"].as_array().cloned().unwrap_or_default();
    if policies.is_empty() {
        println!("  no policy was asked");
    }
    for p in &policies {
        let verdict = match (p["denies"].as_bool(), p["allows"].as_bool()) {
            (Some(true), _) => "denies",
            (_, Some(true)) => "allows",
            _ => "neither allows nor denies",
        };
        println!("  {}: {verdict}", p["source"].as_str().unwrap_or("a policy"));
        for st in p["statements"].as_array().into_iter().flatten() {
            let sid = st["sid"].as_str().map(|s| format!(" {s}")).unwrap_or_default();
            println!(
                "    #{}{sid} {}: {}",
                st["index"],
                st["effect"].as_str().unwrap_or(""),
                st["outcome"].as_str().unwrap_or("")
            );
        }
    }
}
