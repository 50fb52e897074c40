//! One module per client command; each exposes `run` (or the command's own verbs) taking the
//! global flags, the saved aliases and the command's arguments, so every command can be called
//! and tested as a library function. What they share — finding a remote and its client,
//! reporting what was done, naming an endpoint — is here.

pub(crate) mod admin;
pub(crate) mod alias;
pub(crate) mod cat;
pub(crate) mod cp;
pub(crate) mod du;
pub(crate) mod kms;
pub(crate) mod lifecycle;
pub(crate) mod ls;
pub(crate) mod mb;
pub(crate) mod policy;
pub(crate) mod presign;
pub(crate) mod rb;
pub(crate) mod restore;
pub(crate) mod rm;
pub(crate) mod stat;
pub(crate) mod sync;
pub(crate) mod tree;
pub(crate) mod uploads;

use aws_sdk_s3::Client;

use crate::alias::Aliases;
use crate::connect::client;
use crate::error::ClientError;
use crate::flags::ClientArgs;
use crate::location::{Location, Remote};

/// Reports one thing done (`upload: a to s3://b/a`, or a JSON line).
pub(crate) fn say(args: &ClientArgs, action: &str, source: Option<&str>, target: &str) {
    args.printer().done(None, action, source, target);
}

/// The bucket (and key) `target` names, with a client for its endpoint.
pub(crate) async fn remote(
    args: &ClientArgs,
    aliases: &Aliases,
    target: &str,
) -> Result<(Client, Remote), ClientError> {
    match Location::parse(target, aliases) {
        Location::Remote(r) if !r.bucket.is_empty() => Ok((client_for(args, aliases, &r).await?, r)),
        _ => Err(ClientError::Usage(format!(
            "{target}: expected s3://bucket[/key] or ALIAS/bucket[/key]"
        ))),
    }
}

/// A client for the endpoint `r` lives on (its alias's, or the SDK chain's).
pub(crate) async fn client_for(args: &ClientArgs, aliases: &Aliases, r: &Remote) -> Result<Client, ClientError> {
    client(&args.connect, aliases, r.alias.as_deref()).await
}

/// Names the endpoint a destination lives on, for resumable-upload state.
pub(crate) fn endpoint_label(args: &ClientArgs, aliases: &Aliases, dest: &str) -> String {
    match Location::parse(dest, aliases) {
        Location::Remote(Remote { alias: Some(a), .. }) => aliases.get(&a).map(|a| a.url.clone()).unwrap_or(a),
        _ => args
            .connect
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .or_else(|| args.connect.profile.clone().map(|p| format!("profile:{p}")))
            .unwrap_or_else(|| "default".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_remote_command_refuses_a_local_path_or_a_bare_alias() {
        let (args, aliases) = (ClientArgs::default(), Aliases::default());
        for target in ["./file.txt", "s3://", "-"] {
            let e = remote(&args, &aliases, target).await.unwrap_err();
            assert!(
                matches!(e, ClientError::Usage(m) if m.contains("expected s3://bucket")),
                "{target}"
            );
        }
    }
}
