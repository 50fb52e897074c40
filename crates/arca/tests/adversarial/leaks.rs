//! Small leaks: which buckets exist, who can read the data folder, where the root secret goes.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::harness::*;
use crate::raw::*;

#[tokio::test]
async fn anonymous_preflight_does_not_tell_which_buckets_exist() {
    let s = TestServer::start();
    make_bucket(&s.client(), "exists-no-cors").await;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let ask = |bucket: &str| {
            exchange(
                &ep,
                "OPTIONS",
                &format!("/{bucket}/k"),
                &[
                    ("origin", "https://example.test"),
                    ("access-control-request-method", "GET"),
                ],
                b"",
            )
        };
        let existing = ask("exists-no-cors");
        let missing = ask("no-such-bucket");
        assert_eq!(existing.status_code(), (403, "AccessForbidden"), "{existing:?}");
        assert_eq!(missing.status_code(), existing.status_code(), "{missing:?}");
        let message = |r: &Reply| r.body.split("<RequestId>").next().unwrap_or("").to_string();
        assert_eq!(message(&missing), message(&existing));
    })
    .await
    .unwrap();
}

/// Every file and folder under `dir`, with its mode.
fn modes(dir: &std::path::Path, out: &mut Vec<(String, u32)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        out.push((entry.path().display().to_string(), meta.permissions().mode() & 0o777));
        if meta.is_dir() {
            modes(&entry.path(), out);
        }
    }
}

#[tokio::test]
async fn data_folder_is_private_whatever_the_umask_and_the_secret_stays_off_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 000; exec '{}' server --address 127.0.0.1:0 --data '{}'",
            server_binary().to_string_lossy(),
            data.display()
        ))
        .env_remove("ARCA_ROOT_ACCESS_KEY")
        .env_remove("ARCA_ROOT_SECRET_KEY")
        .env("ARCA_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv().unwrap();
    let endpoint = first.trim_start_matches("arca listening on ").to_string();
    let creds = std::fs::read_to_string(data.join("root-credentials.toml")).unwrap();
    let field = |name: &str| {
        creds
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = \"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap()
            .to_string()
    };
    let (ak, sk) = (field("access_key"), field("secret_key"));
    let c = client_with(&endpoint, &ak, &sk);
    make_bucket(&c, "modes").await;
    c.put_object()
        .bucket("modes")
        .key("big")
        .body(bytes_of(3 * 1024 * 1024, 9).into())
        .send()
        .await
        .unwrap();
    let mut found = Vec::new();
    modes(&data, &mut found);
    let _ = child.kill();
    let _ = child.wait();
    let printed: Vec<String> = rx.try_iter().chain(std::iter::once(first)).collect();
    assert!(found.len() > 256, "the blob folders are there: {}", found.len());
    let open: Vec<_> = found.iter().filter(|(_, m)| m & 0o077 != 0).collect();
    assert!(open.is_empty(), "readable by others: {open:#?}");
    let data_mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(data_mode, 0o700);
    assert!(
        printed.iter().all(|l| !l.contains(&sk)),
        "the secret went to a pipe: {printed:#?}"
    );
    assert!(
        printed.iter().any(|l| l.contains("root-credentials.toml")),
        "{printed:#?}"
    );
}
