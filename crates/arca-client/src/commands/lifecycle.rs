//! `arca lifecycle get|set|rm`: a bucket's lifecycle configuration.
//!
//! `set` takes the document as `aws s3api put-bucket-lifecycle-configuration` does — its
//! JSON (`{"Rules": [...]}`) — or S3's XML as is; JSON is turned into that XML here, so the
//! server sees exactly what the user wrote. `get` prints the XML the server keeps.

use clap::Subcommand;

use super::{remote, say};
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;
use crate::signed::SignedEndpoint;

/// `arca lifecycle …`.
#[derive(Debug, Subcommand)]
pub enum LifecycleCommand {
    /// Print the bucket's lifecycle configuration (S3's XML).
    Get {
        /// `s3://bucket`.
        target: String,
    },
    /// Replace the bucket's lifecycle configuration with a JSON (as `aws s3api` takes) or
    /// XML file (`-` for standard input).
    Set {
        /// `s3://bucket`.
        target: String,
        /// The configuration document.
        file: String,
    },
    /// Remove the bucket's lifecycle configuration.
    Rm {
        /// `s3://bucket`.
        target: String,
    },
}

impl LifecycleCommand {
    /// The bucket the command acts on.
    pub(crate) fn target(&self) -> &str {
        match self {
            LifecycleCommand::Get { target }
            | LifecycleCommand::Set { target, .. }
            | LifecycleCommand::Rm { target } => target,
        }
    }
}

/// Runs one `arca lifecycle` command.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, cmd: LifecycleCommand) -> Result<(), ClientError> {
    let (client, r) = remote(args, aliases, cmd.target()).await?;
    match cmd {
        LifecycleCommand::Get { .. } => {
            let endpoint = SignedEndpoint::new(&args.connect, aliases, r.alias.as_deref()).await?;
            let answer = endpoint
                .send("GET", &format!("/{}?lifecycle", r.bucket), Vec::new())
                .await?;
            println!("{}", answer.trim_end());
        }
        LifecycleCommand::Set { file, .. } => {
            let text = read_document(&file)?;
            let xml = if text.trim_start().starts_with('<') {
                text
            } else {
                json_to_xml(&text)?
            };
            let endpoint = SignedEndpoint::new(&args.connect, aliases, r.alias.as_deref()).await?;
            endpoint
                .send("PUT", &format!("/{}?lifecycle", r.bucket), xml.into_bytes())
                .await?;
            say(args, "set_lifecycle", None, &r.bucket);
        }
        LifecycleCommand::Rm { .. } => {
            client
                .delete_bucket_lifecycle()
                .bucket(&r.bucket)
                .send()
                .await
                .map_err(sdk)?;
            say(args, "remove_lifecycle", None, &r.bucket);
        }
    }
    Ok(())
}

/// A document from `file` (`file://path` as `aws s3api` takes it, a path, or `-` for
/// standard input).
pub(crate) fn read_document(file: &str) -> Result<String, ClientError> {
    if file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| ClientError::io("stdin", e))?;
        return Ok(text);
    }
    // `aws s3api` takes `file://path`; a plain path works too.
    let path = file.strip_prefix("file://").unwrap_or(file);
    std::fs::read_to_string(path).map_err(|e| ClientError::io(path, e))
}

/// The element each list of AWS's lifecycle JSON holds.
fn element_of(list: &str) -> &str {
    match list {
        "Rules" => "Rule",
        "Transitions" => "Transition",
        "NoncurrentVersionTransitions" => "NoncurrentVersionTransition",
        "Tags" => "Tag",
        other => other,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn write_value(out: &mut String, name: &str, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            for item in items {
                write_value(out, element_of(name), item);
            }
        }
        Value::Object(fields) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in fields {
                write_value(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        Value::Null => {}
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// `{"Rules": [...]}` (the JSON `aws s3api` takes) as S3's XML.
fn json_to_xml(text: &str) -> Result<String, ClientError> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ClientError::Usage(format!("lifecycle document: {e}")))?;
    let rules = doc
        .get("Rules")
        .filter(|r| r.is_array())
        .ok_or_else(|| ClientError::Usage("lifecycle document: expected {\"Rules\": [...]}".into()))?;
    let mut out = String::from(r#"<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#);
    write_value(&mut out, "Rules", rules);
    out.push_str("</LifecycleConfiguration>");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_cli_json_becomes_s3_xml() {
        let json = r#"{"Rules": [{"ID": "logs & tmp", "Status": "Enabled",
            "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "a", "Value": "b"}]}},
            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
            "Expiration": {"ExpiredObjectDeleteMarker": true}}]}"#;
        let xml = json_to_xml(json).unwrap();
        // Fields keep no order (serde_json's map sorts them); S3's XML does not need one.
        assert!(
            xml.contains("<ID>logs &amp; tmp</ID>") && xml.contains("<Status>Enabled</Status>"),
            "{xml}"
        );
        assert!(xml.contains("<And><Prefix>logs/</Prefix><Tag><Key>a</Key><Value>b</Value></Tag></And>"));
        assert!(xml.contains("<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"));
        assert!(xml.contains("<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"));
        assert!(json_to_xml(r#"{"rules": []}"#).is_err());
    }
}
