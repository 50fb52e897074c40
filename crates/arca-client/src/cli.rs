//! The client's command line: the commands and their flags, and the dispatch to
//! [`commands`](crate::commands), one module per command.

use clap::Subcommand;

use crate::alias::Aliases;
use crate::commands::{
    admin, alias, cat, cp, du, kms, lifecycle, ls, mb, policy, presign, rb, restore, rm, stat, sync, tree, uploads,
};
use crate::error::ClientError;
use crate::flags::{ClientArgs, FilterArgs};
use crate::location::{Location, Remote};

/// The client's commands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// List buckets, or objects and folders (PRE) under a prefix.
    Ls(ls::LsArgs),
    /// Copy local→S3, S3→local or S3→S3 (`-` is stdin/stdout).
    Cp(cp::CpArgs),
    /// Move: copy, then delete the source.
    Mv(cp::CpArgs),
    /// Make a destination match a source: copy what is missing or changed (size and time, or
    /// `--checksum`), and with `--delete` remove what the source lacks.
    Sync(sync::SyncArgs),
    /// Delete objects (`--recursive`: everything under a prefix, in batches of 1,000).
    Rm {
        /// `s3://bucket/key`, or a prefix with `--recursive`.
        target: String,
        /// Everything under the prefix.
        #[arg(long, short)]
        recursive: bool,
        /// Remove this version for good (a delete without it leaves a delete marker in a
        /// versioned bucket).
        #[arg(long, conflicts_with = "recursive")]
        version_id: Option<String>,
        /// Which keys `--recursive` takes.
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Every header and metadata entry of an object.
    Stat {
        /// `s3://bucket/key`.
        target: String,
        /// That version instead of the current one.
        #[arg(long)]
        version_id: Option<String>,
    },
    /// With --days: restore an archived (GLACIER, DEEP_ARCHIVE) object for that many days
    /// (`arca stat` shows its progress). Without: make an older version current again (a
    /// server-side copy of that version onto its key; the versions in between are kept).
    Restore {
        /// `s3://bucket/key`.
        target: String,
        /// The version to bring back, or to restore from the archive (see `arca ls --versions`).
        #[arg(long, required_unless_present = "days")]
        version_id: Option<String>,
        /// Days the restored copy of an archived object stays readable.
        #[arg(long)]
        days: Option<u32>,
        /// Retrieval tier of an archive restore: Expedited, Standard or Bulk.
        #[arg(long, default_value = "Standard", requires = "days")]
        tier: String,
    },
    /// Size and object count per folder under a prefix.
    Du {
        /// `s3://bucket/prefix`.
        target: String,
    },
    /// Folders and objects under a prefix, drawn as a tree.
    Tree {
        /// `s3://bucket/prefix`.
        target: String,
    },
    /// Make a bucket.
    Mb {
        /// `s3://bucket`.
        target: String,
    },
    /// Remove a bucket (`--force` empties it first, multipart uploads included).
    Rb {
        /// `s3://bucket`.
        target: String,
        /// Delete every object and multipart upload first.
        #[arg(long)]
        force: bool,
    },
    /// Print an object to standard output.
    Cat {
        /// `s3://bucket/key`.
        target: String,
        /// That version instead of the current one.
        #[arg(long)]
        version_id: Option<String>,
    },
    /// Print a presigned URL for GET (default) or PUT.
    Presign {
        /// `s3://bucket/key`.
        target: String,
        /// Seconds the URL stays valid (at most 604800, 7 days).
        #[arg(long, default_value_t = 3600)]
        expires_in: u64,
        /// A URL to upload with (`curl -T file URL`).
        #[arg(long)]
        put: bool,
    },
    /// Saved endpoints: `alias set NAME URL KEY SECRET`, `alias ls`, `alias rm NAME`.
    #[command(subcommand)]
    Alias(alias::AliasCommand),
    /// Multipart uploads in progress: `uploads ls s3://bucket[/prefix]`, `uploads abort …`.
    #[command(subcommand)]
    Uploads(uploads::UploadsCommand),
    /// A bucket's lifecycle rules: `lifecycle get|set|rm s3://bucket [FILE]`.
    #[command(subcommand)]
    Lifecycle(lifecycle::LifecycleCommand),
    /// A bucket's policy: `policy get|set|rm|status s3://bucket [FILE]`.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// The server's admin API (root user): `admin jobs`, `admin run-lifecycle`, `admin user …`.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The server's KMS keys: `kms ls`, `kms create`, `kms disable KEY`,
    /// `kms schedule-deletion KEY` (warns first), ….
    Kms {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        #[arg(long)]
        alias: Option<String>,
        /// What to do with the keys.
        #[command(subcommand)]
        command: kms::KmsCommand,
    },
}

impl ClientCommand {
    /// The locations the command names (`s3://…`, `ALIAS/…`, local paths), in order.
    pub fn targets(&self) -> Vec<&str> {
        use ClientCommand as C;
        match self {
            C::Ls(a) => a.target.iter().map(String::as_str).collect(),
            C::Cp(a) | C::Mv(a) => vec![&a.source, &a.dest],
            C::Sync(a) => vec![&a.source, &a.dest],
            C::Rm { target, .. }
            | C::Stat { target, .. }
            | C::Restore { target, .. }
            | C::Du { target }
            | C::Tree { target }
            | C::Mb { target }
            | C::Rb { target, .. }
            | C::Cat { target, .. }
            | C::Presign { target, .. } => vec![target],
            C::Uploads(uploads::UploadsCommand::Ls { target } | uploads::UploadsCommand::Abort { target, .. }) => {
                vec![target]
            }
            C::Lifecycle(cmd) => vec![cmd.target()],
            C::Policy(cmd) => vec![cmd.target()],
            C::Admin(_) | C::Alias(_) | C::Kms { .. } => Vec::new(),
        }
    }
}

/// Runs one client command.
pub async fn run(args: ClientArgs, command: ClientCommand) -> Result<(), ClientError> {
    let aliases = Aliases::load()?;
    let principal = principal(&args, &aliases, &command);
    run_command(args, aliases, command).await.map_err(|e| match e {
        // Say which credentials were used when the server refused them.
        ClientError::S3 { code, message, hint }
            if matches!(
                code.as_str(),
                "AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch"
            ) =>
        {
            ClientError::S3 {
                code,
                message,
                hint: format!("{hint} [credentials: {principal}]"),
            }
        }
        other => other,
    })
}

/// Which credentials a command uses, for error messages: an alias's key, or where the SDK
/// chain will look first. Never the secret.
fn principal(args: &ClientArgs, aliases: &Aliases, command: &ClientCommand) -> String {
    let alias = command
        .targets()
        .into_iter()
        .find_map(|a| match Location::parse(a, aliases) {
            Location::Remote(Remote { alias: Some(name), .. }) => Some(name),
            _ => None,
        });
    if let Some(name) = alias
        && let Some(a) = aliases.get(&name)
    {
        return format!("access key {} from alias {name}", a.access_key);
    }
    if let Ok(key) = std::env::var("AWS_ACCESS_KEY_ID") {
        return format!("access key {key} from AWS_ACCESS_KEY_ID");
    }
    match &args.connect.profile {
        Some(p) => format!("profile {p}"),
        None => format!(
            "profile {}",
            std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into())
        ),
    }
}

async fn run_command(args: ClientArgs, mut aliases: Aliases, command: ClientCommand) -> Result<(), ClientError> {
    let args = &args;
    match command {
        ClientCommand::Alias(cmd) => alias::run(&mut aliases, cmd),
        ClientCommand::Ls(a) => ls::run(args, &aliases, &a).await,
        ClientCommand::Mb { target } => mb::run(args, &aliases, &target).await,
        ClientCommand::Rb { target, force } => rb::run(args, &aliases, &target, force).await,
        ClientCommand::Rm {
            target,
            recursive,
            version_id,
            filters,
        } => match version_id {
            Some(id) => rm::remove_version(args, &aliases, &target, &id).await,
            None => rm::run(args, &aliases, &target, recursive, &filters.filters).await,
        },
        ClientCommand::Cat { target, version_id } => cat::run(args, &aliases, &target, version_id.as_deref()).await,
        ClientCommand::Presign {
            target,
            expires_in,
            put,
        } => presign::run(args, &aliases, &target, expires_in, put).await,
        ClientCommand::Uploads(cmd) => uploads::run(args, &aliases, cmd).await,
        ClientCommand::Lifecycle(cmd) => lifecycle::run(args, &aliases, cmd).await,
        ClientCommand::Policy(cmd) => policy::run(args, &aliases, cmd).await,
        ClientCommand::Admin(cmd) => admin::run(args, &aliases, cmd).await,
        ClientCommand::Kms { alias, command } => kms::run(args, &aliases, alias.as_deref(), command).await,
        ClientCommand::Cp(a) => cp::run(args, &aliases, &a).await,
        ClientCommand::Mv(a) => cp::mv(args, &aliases, &a).await,
        ClientCommand::Sync(a) => sync::run(args, &aliases, &a).await,
        ClientCommand::Stat { target, version_id } => stat::run(args, &aliases, &target, version_id.as_deref()).await,
        ClientCommand::Restore {
            target,
            version_id,
            days,
            tier,
        } => match (days, version_id) {
            (Some(days), version_id) => {
                restore::from_archive(args, &aliases, &target, version_id.as_deref(), days, &tier).await
            }
            (None, Some(version_id)) => restore::run(args, &aliases, &target, &version_id).await,
            (None, None) => Err(ClientError::Usage("restore needs --version-id or --days".into())),
        },
        ClientCommand::Tree { target } => tree::run(args, &aliases, &target).await,
        ClientCommand::Du { target } => du::run(args, &aliases, &target).await,
    }
}
