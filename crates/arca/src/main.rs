//! `arca`: the single binary. It parses flags and wires crates together; nothing else lives here.

mod config;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "arca", version, about = "Arca: a self-hosted, S3-compatible object store")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    client: arca_client::ClientArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the S3 server on a data folder.
    Server(config::ServerArgs),
    /// Load-test any S3 endpoint (put, get, mixed, list, multipart) or run the null server.
    Bench(arca_bench::BenchArgs),
    #[command(flatten)]
    Client(arca_client::ClientCommand),
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The server logs its work; the client speaks only when something is wrong.
    let default_filter = match cli.command {
        Command::Server(_) => "info,s3s=off",
        _ => "error",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ARCA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Server(args) => {
            let config = match args.resolve() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("arca: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            match runtime().block_on(arca_server::run(config)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("arca: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Command::Client(command) => {
            let json = cli.client.json;
            match runtime().block_on(arca_client::run(cli.client, command)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    if json {
                        eprintln!("{}", e.to_json());
                    } else {
                        eprintln!("arca: {e}");
                    }
                    std::process::ExitCode::from(e.exit_code())
                }
            }
        }
        Command::Bench(args) => match runtime().block_on(arca_bench::run(args)) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("arca bench: {e}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}
