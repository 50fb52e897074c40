//! The `arca` client commands against a live server, run as a user would run them.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::harness::*;

/// Runs `arca ARGS` with a private HOME and config folder, the test keys in AWS_* variables.
fn arca(home: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    arca_with(home, args, stdin, &[])
}

/// Runs `arca --endpoint-url ENDPOINT ARGS` as [`arca`] does.
fn arca_at(home: &Path, endpoint: &str, args: &[&str]) -> Output {
    let mut all = vec!["--endpoint-url", endpoint];
    all.extend_from_slice(args);
    arca(home, &all, None)
}

/// Like [`arca`], with extra environment variables (`None` removes one).
fn arca_with(home: &Path, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, Option<&str>)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arca"));
    cmd.args(args)
        .env("HOME", home)
        .env("ARCA_CONFIG_DIR", home.join(".arca"))
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(data) = stdin {
        let mut s = child.stdin.take().unwrap();
        s.write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn aliases_ls_cp_cat_rm_rb() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    tokio::task::block_in_place(|| {
        ok(arca(h, &["alias", "set", "local", ep, ACCESS_KEY, SECRET_KEY], None));
        let mode = std::fs::metadata(h.join(".arca/aliases.toml"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        assert!(ok(arca(h, &["alias", "ls"], None)).contains("local"));
        assert!(ok(arca(h, &["mb", "local/cli"], None)).contains("make_bucket: cli"));
        assert!(ok(arca(h, &["ls", "local"], None)).contains(" cli"));

        let small = h.join("notes.txt");
        std::fs::write(&small, "hello from arca cp\n").unwrap();
        let big = h.join("big.bin");
        let big_data = bytes_of(20 * 1024 * 1024 + 5, 3);
        std::fs::write(&big, &big_data).unwrap();
        ok(arca(h, &["cp", small.to_str().unwrap(), "local/cli/docs/"], None));
        ok(arca(h, &["cp", big.to_str().unwrap(), "local/cli/big.bin"], None));

        let top = ok(arca(h, &["ls", "local/cli/"], None));
        assert!(top.contains("PRE docs/"), "{top}");
        assert!(top.contains("big.bin"), "{top}");
        let all = ok(arca(h, &["ls", "--recursive", "--summarize", "local/cli"], None));
        assert!(
            all.contains("docs/notes.txt") && all.contains("Total Objects: 2"),
            "{all}"
        );

        assert_eq!(
            ok(arca(h, &["cat", "local/cli/docs/notes.txt"], None)),
            "hello from arca cp\n"
        );
        let back = h.join("back.bin");
        ok(arca(h, &["cp", "local/cli/big.bin", back.to_str().unwrap()], None));
        assert!(
            std::fs::read(&back).unwrap() == big_data,
            "multipart round trip differs"
        );

        // Streams: stdin up (larger than one part), stdout down.
        let piped = bytes_of(9 * 1024 * 1024, 4);
        ok(arca(h, &["cp", "-", "local/cli/piped.bin"], Some(&piped)));
        let out = arca(h, &["cp", "local/cli/piped.bin", "-"], None);
        assert!(
            out.status.success() && out.stdout == piped,
            "stdin/stdout round trip differs"
        );

        // Server-side copy.
        ok(arca(h, &["cp", "local/cli/docs/notes.txt", "local/cli/copy.txt"], None));
        assert_eq!(
            ok(arca(h, &["cat", "local/cli/copy.txt"], None)),
            "hello from arca cp\n"
        );

        let e = arca(h, &["rb", "local/cli"], None);
        assert_eq!(e.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&e.stderr).contains("BucketNotEmpty"));
        ok(arca(h, &["rm", "local/cli/copy.txt"], None));
        ok(arca(h, &["rm", "--recursive", "local/cli/docs/"], None));
        let left = ok(arca(h, &["ls", "--recursive", "local/cli"], None));
        assert!(!left.contains("notes.txt") && left.contains("big.bin"), "{left}");
        ok(arca(h, &["rb", "--force", "local/cli"], None));
        assert!(!ok(arca(h, &["ls", "local"], None)).contains(" cli"));
        ok(arca(h, &["alias", "rm", "local"], None));
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_urls_use_the_sdk_chain_and_recursive_copies() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    tokio::task::block_in_place(|| {
        ok(arca(h, &["--endpoint-url", ep, "mb", "s3://tree"], None));
        let src = h.join("src");
        for (rel, len) in [
            ("a.txt", 10usize),
            ("dir/b.bin", 100_000),
            ("dir/sub/c.json", 3),
            ("big/d.bin", 9 << 20),
        ] {
            let p = src.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes_of(len, len as u64)).unwrap();
        }
        ok(arca(
            h,
            &[
                "--endpoint-url",
                ep,
                "cp",
                "--recursive",
                src.to_str().unwrap(),
                "s3://tree/up",
            ],
            None,
        ));
        let listed = ok(arca(
            h,
            &["--endpoint-url", ep, "ls", "--recursive", "s3://tree/up/"],
            None,
        ));
        for rel in ["up/a.txt", "up/dir/b.bin", "up/dir/sub/c.json", "up/big/d.bin"] {
            assert!(listed.contains(rel), "{rel} missing: {listed}");
        }
        let dst = h.join("dst");
        ok(arca(
            h,
            &[
                "--endpoint-url",
                ep,
                "cp",
                "--recursive",
                "s3://tree/up/",
                dst.to_str().unwrap(),
            ],
            None,
        ));
        for (rel, len) in [
            ("a.txt", 10usize),
            ("dir/b.bin", 100_000),
            ("dir/sub/c.json", 3),
            ("big/d.bin", 9 << 20),
        ] {
            assert_eq!(
                std::fs::read(dst.join(rel)).unwrap(),
                bytes_of(len, len as u64),
                "{rel}"
            );
        }
        // Content-Type comes from the extension.
        let c = client_for(ep);
        let rt = tokio::runtime::Handle::current();
        let ct = rt
            .block_on(c.head_object().bucket("tree").key("up/dir/sub/c.json").send())
            .unwrap();
        assert_eq!(ct.content_type(), Some("application/json"));
        // Presigned URLs work with plain HTTP clients.
        let url = ok(arca(
            h,
            &[
                "--endpoint-url",
                ep,
                "presign",
                "--put",
                "--expires-in",
                "600",
                "s3://tree/p.txt",
            ],
            None,
        ));
        let put = rt
            .block_on(reqwest::Client::new().put(url.trim()).body("via presign").send())
            .unwrap();
        assert_eq!(put.status(), 200);
        let url = ok(arca(h, &["--endpoint-url", ep, "presign", "s3://tree/p.txt"], None));
        let got = rt.block_on(async { reqwest::get(url.trim()).await.unwrap().text().await.unwrap() });
        assert_eq!(got, "via presign");
        let e = arca(
            h,
            &[
                "--endpoint-url",
                ep,
                "presign",
                "--expires-in",
                "999999",
                "s3://tree/p.txt",
            ],
            None,
        );
        assert_eq!(e.status.code(), Some(2));
        let e = arca(h, &["--endpoint-url", ep, "cat", "s3://tree/missing"], None);
        assert_eq!(e.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&e.stderr).contains("NoSuchKey"));
        // A refused signature names the credentials used (never the secret) and hints at why.
        ok(arca(
            h,
            &["alias", "set", "wrong", ep, ACCESS_KEY, "not-the-secret"],
            None,
        ));
        let e = arca(h, &["ls", "wrong/tree"], None);
        let err = String::from_utf8_lossy(&e.stderr).to_string();
        assert_eq!(e.status.code(), Some(1));
        assert!(err.contains("SignatureDoesNotMatch") && err.contains("hint"), "{err}");
        assert!(
            err.contains(ACCESS_KEY) && err.contains("alias wrong") && !err.contains("not-the-secret"),
            "{err}"
        );
    });
}

/// `sync --checksum` reads the part size off each object's ETag, so a file uploaded in parts
/// of another size (here 5 MiB, rclone's) still matches, and a same-size change does not.
#[tokio::test(flavor = "multi_thread")]
async fn sync_checksum_follows_the_objects_part_size() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        ok(run(&["mb", "s3://sums"]));
        let dir = h.join("d");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("eleven.bin");
        std::fs::write(&file, bytes_of(11 << 20, 11)).unwrap();
        let (f, d) = (file.to_str().unwrap(), dir.to_str().unwrap());
        ok(run(&["cp", "--part-size", "5MiB", f, "s3://sums/d/eleven.bin"]));
        let etag = ok(run(&["stat", "s3://sums/d/eleven.bin"]));
        assert!(etag.contains("-3\""), "three 5 MiB parts: {etag}");
        let checked = ok(run(&["sync", "--checksum", d, "s3://sums/d"]));
        assert!(checked.trim().is_empty(), "same bytes, other part size: {checked}");
        // Same size, one byte changed: the checksum sees it (times and sizes would not).
        let mut changed = bytes_of(11 << 20, 11);
        changed[6 << 20] ^= 1;
        std::fs::write(&file, changed).unwrap();
        let resync = ok(run(&["sync", "--checksum", d, "s3://sums/d"]));
        assert!(resync.contains("upload:") && resync.contains("eleven.bin"), "{resync}");
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_round_trip_with_deletes_filters_mv_stat_du() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        ok(run(&["mb", "s3://sync"]));
        let src = h.join("src");
        for (rel, len) in [
            ("a.txt", 10usize),
            ("b/c.txt", 2000),
            ("b/d.log", 30),
            ("big.bin", 9 << 20),
        ] {
            let p = src.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes_of(len, len as u64)).unwrap();
        }
        let srcs = src.to_str().unwrap();
        let plan = ok(run(&["sync", "--dryrun", srcs, "s3://sync/backup"]));
        assert_eq!(plan.matches("(dryrun) upload:").count(), 4, "{plan}");
        assert!(
            ok(run(&["ls", "--recursive", "s3://sync"])).is_empty(),
            "dryrun changed nothing"
        );
        let first = ok(run(&["sync", srcs, "s3://sync/backup"]));
        assert_eq!(first.matches("upload:").count(), 4, "{first}");
        let again = ok(run(&["sync", srcs, "s3://sync/backup"]));
        assert!(again.trim().is_empty(), "second sync should transfer nothing: {again}");
        let checked = ok(run(&["sync", "--checksum", srcs, "s3://sync/backup"]));
        assert!(checked.trim().is_empty(), "checksums agree: {checked}");

        // Change one file, remove another, and sync with --delete.
        std::fs::write(src.join("a.txt"), b"changed, and longer than before").unwrap();
        std::fs::remove_file(src.join("b/d.log")).unwrap();
        let third = ok(run(&["sync", "--delete", srcs, "s3://sync/backup"]));
        assert!(third.contains("upload:") && third.contains("a.txt"), "{third}");
        assert!(third.contains("delete: s3://sync/backup/b/d.log"), "{third}");
        assert_eq!(third.lines().count(), 2, "{third}");

        // Down again into an empty folder, then a no-op second run. A key that would climb
        // out of the folder is never written as a path.
        let c = client_for(ep);
        let rt = tokio::runtime::Handle::current();
        rt.block_on(
            c.put_object()
                .bucket("sync")
                .key("backup/../escape.txt")
                .body(b"x".to_vec().into())
                .send(),
        )
        .unwrap();
        let dst = h.join("dst");
        let down = ok(run(&["sync", "s3://sync/backup", dst.to_str().unwrap()]));
        assert_eq!(down.matches("download:").count(), 3, "{down}");
        assert!(!h.join("escape.txt").exists() && !down.contains("escape"), "{down}");
        rt.block_on(c.delete_object().bucket("sync").key("backup/../escape.txt").send())
            .unwrap();
        assert_eq!(
            std::fs::read(dst.join("a.txt")).unwrap(),
            b"changed, and longer than before"
        );
        assert_eq!(std::fs::read(dst.join("big.bin")).unwrap(), bytes_of(9 << 20, 9 << 20));
        let again = ok(run(&[
            "sync",
            "--exact-timestamps",
            "s3://sync/backup",
            dst.to_str().unwrap(),
        ]));
        assert!(again.trim().is_empty(), "{again}");
        // Delete on the local side too.
        std::fs::write(dst.join("extra.txt"), b"not in s3").unwrap();
        let cleaned = ok(run(&["sync", "--delete", "s3://sync/backup", dst.to_str().unwrap()]));
        assert!(
            cleaned.contains("delete:") && !dst.join("extra.txt").exists(),
            "{cleaned}"
        );

        // S3→S3 on one endpoint, with filters: only .txt files.
        let copied = ok(run(&[
            "sync",
            "--exclude",
            "*",
            "--include",
            "*.txt",
            "s3://sync/backup",
            "s3://sync/txt-only",
        ]));
        assert_eq!(copied.matches("copy:").count(), 2, "{copied}");
        let listed = ok(run(&["ls", "--recursive", "s3://sync/txt-only/"]));
        assert!(
            listed.contains("a.txt") && listed.contains("b/c.txt") && !listed.contains("big.bin"),
            "{listed}"
        );

        // cp with tags, metadata and another checksum; stat shows them.
        let one = h.join("one.txt");
        std::fs::write(&one, b"tagged").unwrap();
        ok(run(&[
            "cp",
            one.to_str().unwrap(),
            "s3://sync/one.txt",
            "--tags",
            "team=storage",
            "--metadata",
            "owner=ops",
            "--checksum-algorithm",
            "SHA256",
        ]));
        let st = ok(run(&["stat", "s3://sync/one.txt"]));
        assert!(st.contains("x-amz-meta-owner") && st.contains("ops"), "{st}");
        assert!(st.contains("Checksum-SHA256"), "{st}");
        assert!(st.contains("Content-Type") && st.contains("text/plain"), "{st}");
        let c = client_for(ep);
        let rt = tokio::runtime::Handle::current();
        let tags = rt
            .block_on(c.get_object_tagging().bucket("sync").key("one.txt").send())
            .unwrap();
        assert_eq!(tags.tag_set()[0].key(), "team");

        // mv removes the source; du adds things up per folder.
        ok(run(&["mv", "s3://sync/one.txt", "s3://sync/moved/one.txt"]));
        let e = run(&["stat", "s3://sync/one.txt"]);
        assert_eq!(e.status.code(), Some(1));
        let usage = ok(run(&["du", "s3://sync/backup"]));
        assert!(
            usage.contains("s3://sync/backup/b/") && usage.contains("total"),
            "{usage}"
        );
        // rm --recursive honours filters.
        ok(run(&[
            "rm",
            "--recursive",
            "--exclude",
            "*",
            "--include",
            "*.bin",
            "s3://sync/backup/",
        ]));
        let left = ok(run(&["ls", "--recursive", "s3://sync/backup/"]));
        assert!(!left.contains("big.bin") && left.contains("a.txt"), "{left}");
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupted_upload_resumes_from_stored_parts() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "resume").await;
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    let big = h.join("big.bin");
    let data = bytes_of(200 * 1024 * 1024, 77);
    std::fs::write(&big, &data).unwrap();
    let ep = s.endpoint.clone();
    let args = |big: &Path| {
        vec![
            "--endpoint-url".to_string(),
            ep.clone(),
            "cp".into(),
            big.to_str().unwrap().into(),
            "s3://resume/big.bin".into(),
            "--part-size".into(),
            "5MiB".into(),
            "--concurrency".into(),
            "1".into(),
        ]
    };
    // First attempt: killed (SIGKILL) once a few parts are stored.
    let mut child = Command::new(env!("CARGO_BIN_EXE_arca"))
        .args(args(&big))
        .env("HOME", &h)
        .env("ARCA_CONFIG_DIR", h.join(".arca"))
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        assert!(std::time::Instant::now() < deadline, "no parts appeared");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the upload finished before it could be interrupted"
        );
        let ups = c.list_multipart_uploads().bucket("resume").send().await.unwrap();
        if let Some(u) = ups.uploads().first() {
            let parts = c
                .list_parts()
                .bucket("resume")
                .key("big.bin")
                .upload_id(u.upload_id().unwrap())
                .send()
                .await
                .unwrap();
            if parts.parts().len() >= 3 {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        status(
            &c.head_object()
                .bucket("resume")
                .key("big.bin")
                .send()
                .await
                .unwrap_err()
        ),
        404
    );

    // The same command again continues from the stored parts.
    let out = tokio::task::block_in_place(|| {
        let a = args(&big);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        arca(&h, &refs, None)
    });
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("resuming upload") && stderr.contains("parts already stored"),
        "{stderr}"
    );
    let got = get_bytes(&c, "resume", "big.bin").await;
    assert!(got == data, "resumed upload differs from the file");
    let ups = c.list_multipart_uploads().bucket("resume").send().await.unwrap();
    assert!(
        ups.uploads().is_empty(),
        "the resumed upload was completed, not duplicated"
    );

    // An abandoned upload can be listed and aborted.
    let up = c
        .create_multipart_upload()
        .bucket("resume")
        .key("stale")
        .send()
        .await
        .unwrap();
    let listed =
        tokio::task::block_in_place(|| ok(arca(&h, &["--endpoint-url", &ep, "uploads", "ls", "s3://resume"], None)));
    assert!(
        listed.contains(up.upload_id().unwrap()) && listed.contains("stale"),
        "{listed}"
    );
    tokio::task::block_in_place(|| {
        ok(arca(
            &h,
            &["--endpoint-url", &ep, "uploads", "abort", "s3://resume"],
            None,
        ))
    });
    let ups = c.list_multipart_uploads().bucket("resume").send().await.unwrap();
    assert!(ups.uploads().is_empty());
}

/// An accidental overwrite and delete undone from the command line, as S3 console users do:
/// `ls --versions` shows the history, `restore` brings a version back, `rm --version-id`
/// removes one for good, `stat --version-id` reads one.
#[tokio::test(flavor = "multi_thread")]
async fn versions_from_the_command_line() {
    use aws_sdk_s3::types::BucketVersioningStatus;
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    let c = s.client();
    make_bucket(&c, "history").await;
    set_versioning(&c, "history", BucketVersioningStatus::Enabled).await;
    let mut ids = Vec::new();
    for body in ["good draft", "oops"] {
        let out = c
            .put_object()
            .bucket("history")
            .key("notes.txt")
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
        ids.push(out.version_id.unwrap());
    }
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        ok(run(&["rm", "s3://history/notes.txt"]));
        let listed = ok(run(&["ls", "--versions", "s3://history/"]));
        let lines: Vec<&str> = listed.lines().collect();
        assert_eq!(lines.len(), 3, "{listed}");
        assert!(
            lines[0].contains("(marker)") && lines[0].ends_with("(latest)"),
            "{listed}"
        );
        assert!(lines[1].contains(&ids[1]) && lines[2].contains(&ids[0]), "{listed}");
        let st = ok(run(&[
            "--json",
            "stat",
            "s3://history/notes.txt",
            "--version-id",
            &ids[0],
        ]));
        assert!(st.contains("\"Size\":\"10\""), "{st}");
        assert_eq!(
            ok(run(&["cat", "s3://history/notes.txt", "--version-id", &ids[1]])),
            "oops"
        );
        ok(run(&["restore", "s3://history/notes.txt", "--version-id", &ids[0]]));
        assert_eq!(ok(run(&["cat", "s3://history/notes.txt"])), "good draft");
        ok(run(&["rm", "s3://history/notes.txt", "--version-id", &ids[1]]));
        let json = ok(run(&["--json", "ls", "--versions", "s3://history/"]));
        assert_eq!(json.lines().count(), 3, "restored, marker, first: {json}");
        assert!(!json.contains(&ids[1]), "{json}");
        // `cp --version-id`: a version downloaded, or copied to another key.
        let local = h.join("draft.txt");
        ok(run(&[
            "cp",
            "s3://history/notes.txt",
            local.to_str().unwrap(),
            "--version-id",
            &ids[0],
        ]));
        assert_eq!(std::fs::read_to_string(&local).unwrap(), "good draft");
        ok(run(&[
            "cp",
            "s3://history/notes.txt",
            "s3://history/copy.txt",
            "--version-id",
            &ids[0],
        ]));
        assert_eq!(ok(run(&["cat", "s3://history/copy.txt"])), "good draft");
        let refused = run(&["cp", local.to_str().unwrap(), "s3://history/x", "--version-id", &ids[0]]);
        assert_eq!(refused.status.code(), Some(2));
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn tree_and_json_output() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    let c = s.client();
    make_bucket(&c, "shapes").await;
    for k in ["a.txt", "dir/b.txt", "dir/sub/c.txt", "z.txt"] {
        c.put_object()
            .bucket("shapes")
            .key(k)
            .body(b"xyz".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        let t = ok(run(&["tree", "s3://shapes"]));
        let expected = "s3://shapes/\n├── dir/\n│   ├── sub/\n│   │   └── c.txt (3 Bytes)\n│   └── b.txt (3 Bytes)\n├── a.txt (3 Bytes)\n└── z.txt (3 Bytes)\n";
        assert_eq!(t, expected);
        // --json: one object per line, parseable.
        let listed = ok(run(&["--json", "ls", "s3://shapes/"]));
        let lines: Vec<&str> = listed.lines().collect();
        assert_eq!(lines.len(), 3, "{listed}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("\"type\":\"prefix\"") && l.contains("\"prefix\":\"dir/\"")),
            "{listed}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("\"key\":\"a.txt\"") && l.contains("\"size\":3")),
            "{listed}"
        );
        let st = ok(run(&["--json", "stat", "s3://shapes/a.txt"]));
        assert!(st.trim().starts_with('{') && st.contains("\"Size\":\"3\""), "{st}");
        let del = ok(run(&["--json", "rm", "s3://shapes/z.txt"]));
        assert_eq!(del.trim(), r#"{"action":"delete","target":"s3://shapes/z.txt"}"#);
        let e = run(&["--json", "stat", "s3://shapes/nope"]);
        assert_eq!(e.status.code(), Some(1));
        let err = String::from_utf8_lossy(&e.stderr);
        assert!(err.contains("\"error\"") && err.contains("\"code\""), "{err}");
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn https_with_a_private_ca_bundle() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert_path = h.join("cert.pem");
    let key_path = h.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let s = TestServer::start_on(
        &h.join("data"),
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    let ep = s.endpoint.as_str();
    let bundle = cert_path.to_str().unwrap();
    tokio::task::block_in_place(|| {
        // The system's roots do not know this server: refused, with a hint that says what to do.
        let out = arca_with(h, &["--endpoint-url", ep, "ls"], None, &[("AWS_CA_BUNDLE", None)]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--ca-bundle"), "{err}");

        let no_env = [("AWS_CA_BUNDLE", None)];
        let flag = |args: &[&str]| {
            let mut all = vec!["--endpoint-url", ep, "--ca-bundle", bundle];
            all.extend_from_slice(args);
            arca_with(h, &all, None, &no_env)
        };
        ok(flag(&["mb", "s3://tls"]));
        // Multipart over TLS: parts go unsigned (TLS and the CRC32 protect them), as the SDKs do.
        let big = h.join("big.bin");
        let data = bytes_of(12 * 1024 * 1024 + 7, 11);
        std::fs::write(&big, &data).unwrap();
        ok(flag(&["cp", big.to_str().unwrap(), "s3://tls/big.bin"]));
        let back = h.join("back.bin");
        ok(flag(&["cp", "s3://tls/big.bin", back.to_str().unwrap()]));
        assert!(
            std::fs::read(&back).unwrap() == data,
            "bytes differ after the round trip"
        );

        // AWS_CA_BUNDLE, the AWS CLI's variable, does the same.
        let listed = ok(arca_with(
            h,
            &["--endpoint-url", ep, "ls", "s3://tls"],
            None,
            &[("AWS_CA_BUNDLE", Some(bundle))],
        ));
        assert!(listed.contains("big.bin"), "{listed}");

        // A bundle without certificates is a usage error naming the file, not a panic.
        let junk = h.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let out = arca_with(
            h,
            &["--endpoint-url", ep, "--ca-bundle", junk.to_str().unwrap(), "ls"],
            None,
            &no_env,
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("junk.pem"));
    });
}

/// On a terminal, a transfer draws a progress bar (bytes of the total, rate, ETA) and clears
/// it when done; `--quiet` draws nothing. The terminal is a pseudo-terminal from `script`.
#[tokio::test(flavor = "multi_thread")]
async fn progress_bar_on_a_terminal() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let big = h.join("big.bin");
    std::fs::write(&big, bytes_of(40 * 1024 * 1024, 5)).unwrap();
    let on_terminal = |args: &str| -> String {
        let line = format!("'{}' --endpoint-url {} {args}", env!("CARGO_BIN_EXE_arca"), s.endpoint);
        let out = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env("HOME", h)
            .env("ARCA_CONFIG_DIR", h.join(".arca"))
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env_remove("CI")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    tokio::task::block_in_place(|| {
        on_terminal("mb s3://bars");
        let big = big.to_str().unwrap();
        // One part in flight, so the bar is drawn many times however fast the machine.
        let up = on_terminal(&format!("cp --concurrency 1 '{big}' s3://bars/big.bin"));
        assert!(up.contains("/40.00 MiB") && up.contains("eta"), "no bar drawn: {up:?}");
        assert!(up.contains("\u{1b}[2K"), "the bar is cleared: {up:?}");
        assert!(up.contains("upload: "), "{up:?}");

        let back = h.join("back.bin");
        let down = on_terminal(&format!("cp --concurrency 1 s3://bars/big.bin '{}'", back.display()));
        assert!(
            down.contains("/40.00 MiB"),
            "the download bar knows its total: {down:?}"
        );

        let quiet = on_terminal(&format!("cp -q '{big}' s3://bars/quiet.bin"));
        assert!(!quiet.contains("eta"), "--quiet draws nothing: {quiet:?}");
    });
}

/// What the fault-injecting proxy does with one incoming connection.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Reads the request, answers with this status and S3 error code, closes.
    Answer(u16, &'static str),
    /// Accepts and closes without a word: a network error.
    Drop,
}

/// A loopback proxy in front of a real server: each new connection takes the next fault from
/// `faults`; once they are used up, connections are forwarded untouched. Returns the proxy's
/// endpoint and a count of faults served.
async fn faulty_proxy(upstream: &str, faults: Vec<Fault>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let upstream = upstream.trim_start_matches("http://").to_string();
    let served = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    tokio::spawn(async move {
        let faults = std::sync::Mutex::new(faults.into_iter());
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let fault = faults.lock().unwrap().next();
            let upstream = upstream.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                match fault {
                    None => {
                        let mut up = tokio::net::TcpStream::connect(&upstream).await.unwrap();
                        let _ = tokio::io::copy_bidirectional(&mut conn, &mut up).await;
                    }
                    Some(Fault::Drop) => {
                        counter.fetch_add(1, Ordering::SeqCst);
                        drop(conn);
                    }
                    Some(Fault::Answer(status, code)) => {
                        // Read the whole request (head, then Content-Length bytes) so that
                        // closing does not reset the connection under the client's feet.
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 8192];
                        let head_end = loop {
                            let n = conn.read(&mut chunk).await.unwrap_or(0);
                            if n == 0 {
                                return;
                            }
                            buf.extend_from_slice(&chunk[..n]);
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        while buf.len() < head_end + len {
                            let n = conn.read(&mut chunk).await.unwrap_or(0);
                            if n == 0 {
                                break;
                            }
                            buf.extend_from_slice(&chunk[..n]);
                        }
                        let body = format!("<Error><Code>{code}</Code><Message>injected</Message></Error>");
                        let resp = format!(
                            "HTTP/1.1 {status} Injected\r\nContent-Type: application/xml\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        counter.fetch_add(1, Ordering::SeqCst);
                        let _ = conn.write_all(resp.as_bytes()).await;
                        let _ = conn.shutdown().await;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), served)
}

/// Throttling (503 SlowDown), server errors and dropped connections are retried with backoff;
/// a 4xx is final at once.
#[tokio::test(flavor = "multi_thread")]
async fn retries_throttling_and_network_errors_never_4xx() {
    use std::sync::atomic::Ordering;
    let s = TestServer::start();
    make_bucket(&s.client(), "retry").await;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let file = h.join("f.txt");
    std::fs::write(&file, "survives a bad network\n").unwrap();

    let faults = vec![
        Fault::Answer(503, "SlowDown"),
        Fault::Drop,
        Fault::Answer(500, "InternalError"),
    ];
    let (proxy, served) = faulty_proxy(&s.endpoint, faults).await;
    tokio::task::block_in_place(|| {
        let f = file.to_str().unwrap();
        ok(arca(h, &["--endpoint-url", &proxy, "cp", f, "s3://retry/f.txt"], None));
    });
    assert_eq!(served.load(Ordering::SeqCst), 3, "every fault was met and retried past");
    assert_eq!(
        get_bytes(&s.client(), "retry", "f.txt").await,
        b"survives a bad network\n"
    );

    let (proxy, served) = faulty_proxy(&s.endpoint, vec![Fault::Answer(403, "AccessDenied")]).await;
    let out = tokio::task::block_in_place(|| arca(h, &["--endpoint-url", &proxy, "cat", "s3://retry/f.txt"], None));
    assert_eq!(
        out.status.code(),
        Some(1),
        "a 403 is not retried into the working upstream"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("AccessDenied"));
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

/// `--profile` reads keys from ~/.aws/credentials and the endpoint from ~/.aws/config; `mb
/// --region`, `cp --storage-class/--cache-control/--content-type/--metadata` (from a file and
/// from standard input) and `ls --human-readable` do what they say.
#[tokio::test(flavor = "multi_thread")]
async fn profiles_regions_and_object_options() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let s = TestServer::start_on(&h.join("data"), &["--region", "eu-west-1"]);
    std::fs::create_dir_all(h.join(".aws")).unwrap();
    std::fs::write(
        h.join(".aws/config"),
        format!("[profile lab]\nregion = eu-west-1\nendpoint_url = {}\n", s.endpoint),
    )
    .unwrap();
    std::fs::write(
        h.join(".aws/credentials"),
        format!("[lab]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"),
    )
    .unwrap();
    // Nothing from the environment: keys and endpoint come from the profile alone.
    let no_env = [
        ("AWS_ACCESS_KEY_ID", None),
        ("AWS_SECRET_ACCESS_KEY", None),
        ("AWS_REGION", None),
        ("AWS_CONFIG_FILE", None),
        ("AWS_SHARED_CREDENTIALS_FILE", None),
    ];
    let file = h.join("page.bin");
    std::fs::write(&file, bytes_of(1536, 9)).unwrap();
    tokio::task::block_in_place(|| {
        let lab = |args: &[&str]| {
            let mut all = vec!["--profile", "lab"];
            all.extend_from_slice(args);
            ok(arca_with(h, &all, None, &no_env))
        };
        lab(&["mb", "--region", "eu-west-1", "s3://regional"]);
        // A region the server does not serve is refused (the request is signed for it, and
        // the server names its own), so the flag really is sent.
        let elsewhere = ["--profile", "lab", "mb", "--region", "us-west-2", "s3://elsewhere"];
        let out = arca_with(h, &elsewhere, None, &no_env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("AuthorizationHeaderMalformed"), "{err}");
        lab(&[
            "cp",
            "--storage-class",
            "STANDARD_IA",
            "--cache-control",
            "max-age=60",
            "--content-type",
            "text/x-lab",
            file.to_str().unwrap(),
            "s3://regional/page.bin",
        ]);
        // The same options on an object streamed from standard input.
        ok(arca_with(
            h,
            &[
                "--profile",
                "lab",
                "cp",
                "--storage-class",
                "STANDARD_IA",
                "--cache-control",
                "no-cache",
                "--metadata",
                "origin=pipe",
                "-",
                "s3://regional/piped",
            ],
            Some(b"from a pipe"),
            &no_env,
        ));
        let listed = lab(&["ls", "--human-readable", "s3://regional/"]);
        assert!(listed.contains("1.5 KiB") && listed.contains("page.bin"), "{listed}");
        // Without the profile there are no credentials at all.
        let out = arca_with(h, &["ls", "s3://regional/"], None, &no_env);
        assert_ne!(out.status.code(), Some(0));
    });
    let c = client_in(&s.endpoint, ACCESS_KEY, SECRET_KEY, "eu-west-1");
    let loc = c.get_bucket_location().bucket("regional").send().await.unwrap();
    assert_eq!(loc.location_constraint().map(|l| l.as_str()), Some("eu-west-1"));
    let head = c.head_object().bucket("regional").key("page.bin").send().await.unwrap();
    assert_eq!(head.storage_class().map(|c| c.as_str()), Some("STANDARD_IA"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    assert_eq!(head.content_type(), Some("text/x-lab"));
    let piped = c.head_object().bucket("regional").key("piped").send().await.unwrap();
    assert_eq!(piped.storage_class().map(|c| c.as_str()), Some("STANDARD_IA"));
    assert_eq!(piped.cache_control(), Some("no-cache"));
    assert_eq!(
        piped.metadata().and_then(|m| m.get("origin")).map(String::as_str),
        Some("pipe")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_rules_and_admin_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("data"), &["--lifecycle-day-seconds", "1"]);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    let c = s.client();
    make_bucket(&c, "rules").await;
    // The JSON `aws s3api put-bucket-lifecycle-configuration` takes, as a file:// argument.
    let rules = h.join("rules.json");
    std::fs::write(
        &rules,
        r#"{"Rules": [{"ID": "scratch", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
            "Expiration": {"Days": 1}}]}"#,
    )
    .unwrap();
    let file_arg = format!("file://{}", rules.display());
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        ok(run(&["lifecycle", "set", "s3://rules", &file_arg]));
        let xml = ok(run(&["lifecycle", "get", "s3://rules"]));
        assert!(
            xml.contains("<ID>scratch</ID>") && xml.contains("<Days>1</Days>"),
            "{xml}"
        );
        // A rule AWS refuses is refused with AWS's code, and the old rules stay.
        let bad = h.join("bad.xml");
        std::fs::write(
            &bad,
            "<LifecycleConfiguration><Rule><ID>x</ID><Status>Enabled</Status><Filter/>\
             <Expiration><Days>0</Days></Expiration></Rule></LifecycleConfiguration>",
        )
        .unwrap();
        let out = run(&["lifecycle", "set", "s3://rules", bad.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("InvalidArgument"));
        assert!(ok(run(&["lifecycle", "get", "s3://rules"])).contains("<ID>scratch</ID>"));

        let file = h.join("f");
        std::fs::write(&file, b"temporary").unwrap();
        ok(run(&["cp", file.to_str().unwrap(), "s3://rules/tmp/f"]));
        ok(run(&["cp", file.to_str().unwrap(), "s3://rules/keep/f"]));
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let report = ok(run(&["admin", "run-lifecycle"]));
        assert!(report.contains("\"job\": \"lifecycle\""), "{report}");
        let listed = ok(run(&["ls", "--recursive", "s3://rules/"]));
        assert!(listed.contains("keep/f") && !listed.contains("tmp/f"), "{listed}");
        let jobs = ok(run(&["admin", "jobs"]));
        assert!(jobs.contains("\"expired\": 1"), "{jobs}");

        ok(run(&["lifecycle", "rm", "s3://rules"]));
        let out = run(&["lifecycle", "get", "s3://rules"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("NoSuchLifecycleConfiguration"));
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn archived_objects_are_restored_from_the_command_line() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let (h, ep) = (home.path(), s.endpoint.as_str());
    let c = s.client();
    make_bucket(&c, "vault").await;
    c.put_object()
        .bucket("vault")
        .key("tape")
        .storage_class(aws_sdk_s3::types::StorageClass::Glacier)
        .body(b"cold bytes".to_vec().into())
        .send()
        .await
        .unwrap();
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        let refused = run(&["cat", "s3://vault/tape"]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("InvalidObjectState"));
        let stat = ok(run(&["stat", "s3://vault/tape"]));
        assert!(stat.contains("GLACIER") && !stat.contains("Restore"), "{stat}");
        ok(run(&["restore", "s3://vault/tape", "--days", "2", "--tier", "Bulk"]));
        let stat = ok(run(&["stat", "s3://vault/tape"]));
        assert!(stat.contains("ongoing-request=\"false\", expiry-date="), "{stat}");
        assert_eq!(ok(run(&["cat", "s3://vault/tape"])), "cold bytes");
        let usage = run(&["restore", "s3://vault/tape"]);
        assert_eq!(usage.status.code(), Some(2));
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn users_keys_and_policies_from_the_command_line() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    let c = s.client();
    make_bucket(&c, "docs").await;
    c.put_object()
        .bucket("docs")
        .key("public/readme")
        .body(b"read me".to_vec().into())
        .send()
        .await
        .unwrap();
    let policy = h.join("read.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
            "Resource":"arn:aws:s3:::docs/public/*"}]}"#,
    )
    .unwrap();
    let bucket_policy = h.join("bucket.json");
    std::fs::write(
        &bucket_policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject",
            "Resource":"arn:aws:s3:::docs/public/*"}]}"#,
    )
    .unwrap();
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        let arn = ok(run(&["admin", "user", "add", "carol"]));
        assert_eq!(arn.trim(), "arn:aws:iam::000000000000:user/carol");
        assert!(ok(run(&["admin", "user", "ls"])).starts_with("carol\tAIDA"));
        let key = ok(run(&["admin", "user", "key", "add", "carol"]));
        let field = |name: &str| {
            key.split(name)
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        };
        let (id, secret) = (field("access key id:"), field("secret access key:"));
        ok(run(&[
            "admin",
            "user",
            "policy",
            "set",
            "carol",
            "read",
            policy.to_str().unwrap(),
        ]));
        assert_eq!(ok(run(&["admin", "user", "policy", "ls", "carol"])).trim(), "read");
        assert!(ok(run(&["admin", "user", "policy", "get", "carol", "read"])).contains("docs/public/*"));

        let as_carol = |args: &[&str]| {
            let mut all = vec!["--endpoint-url", ep];
            all.extend_from_slice(args);
            arca_with(
                h,
                &all,
                None,
                &[
                    ("AWS_ACCESS_KEY_ID", Some(&id)),
                    ("AWS_SECRET_ACCESS_KEY", Some(&secret)),
                ],
            )
        };
        assert_eq!(ok(as_carol(&["cat", "s3://docs/public/readme"])), "read me");
        let out = as_carol(&["cat", "s3://docs/private"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("AccessDenied"));
        let simulated = ok(run(&[
            "admin",
            "policy",
            "simulate",
            "--principal",
            "arn:aws:iam::000000000000:user/carol",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::docs/private",
        ]));
        assert!(
            simulated.contains("DENIED")
                && simulated.contains("user policy read: neither allows nor denies")
                && simulated.contains("#0 Allow: resource not named"),
            "{simulated}"
        );

        // A bucket policy's Deny stops even the root user's writes there.
        ok(run(&["policy", "set", "s3://docs", bucket_policy.to_str().unwrap()]));
        assert!(ok(run(&["policy", "get", "s3://docs"])).contains("\"Deny\""));
        assert_eq!(ok(run(&["policy", "status", "s3://docs"])).trim(), "not public");
        let file = h.join("f");
        std::fs::write(&file, b"x").unwrap();
        let out = run(&["cp", file.to_str().unwrap(), "s3://docs/public/new"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("AccessDenied"));
        ok(run(&["policy", "rm", "s3://docs"]));
        ok(run(&["cp", file.to_str().unwrap(), "s3://docs/public/new"]));

        // Reading everything, through a managed policy attached to a group carol joins.
        let all = h.join("all.json");
        std::fs::write(
            &all,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs/*"}]}"#,
        )
        .unwrap();
        let created = ok(run(&["admin", "policy", "create", "read-all", all.to_str().unwrap()]));
        assert_eq!(
            created.trim(),
            "created policy arn:aws:iam::000000000000:policy/read-all"
        );
        ok(run(&["admin", "group", "add", "staff"]));
        ok(run(&["admin", "policy", "attach", "read-all", "--group", "staff"]));
        assert!(String::from_utf8_lossy(&as_carol(&["cat", "s3://docs/private"]).stderr).contains("AccessDenied"));
        ok(run(&["admin", "group", "add-user", "staff", "carol"]));
        let shown = ok(run(&["admin", "group", "show", "staff"]));
        assert!(
            shown.contains("members: carol") && shown.contains("managed policies: read-all"),
            "{shown}"
        );
        let out = as_carol(&["cat", "s3://docs/private"]);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("NoSuchKey"),
            "allowed now: the key is missing"
        );
        ok(run(&[
            "admin",
            "policy",
            "update",
            "read-all",
            policy.to_str().unwrap(),
        ]));
        assert!(ok(run(&["admin", "policy", "ls"])).starts_with("read-all\tv2\tattached 1"));
        assert!(ok(run(&["admin", "policy", "get", "read-all", "--version", "v1"])).contains("docs/*"));
        assert!(ok(run(&["admin", "policy", "get", "read-all"])).contains("docs/public/*"));
        assert!(String::from_utf8_lossy(&as_carol(&["cat", "s3://docs/private"]).stderr).contains("AccessDenied"));
        let out = run(&["admin", "policy", "rm", "read-all"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("DeleteConflict"));
        ok(run(&["admin", "group", "rm-user", "staff", "carol"]));
        ok(run(&["admin", "policy", "detach", "read-all", "--group", "staff"]));
        assert!(ok(run(&["admin", "policy", "prune", "read-all"])).contains("deleted read-all v1"));
        ok(run(&["admin", "policy", "rm", "read-all"]));
        ok(run(&["admin", "group", "rm", "staff"]));
        assert_eq!(ok(run(&["admin", "group", "ls"])), "");

        ok(run(&["admin", "user", "key", "disable", "carol", &id]));
        assert!(ok(run(&["admin", "user", "key", "ls", "carol"])).contains("Inactive"));
        let out = as_carol(&["cat", "s3://docs/public/readme"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("InvalidAccessKeyId"));
        let out = run(&["admin", "user", "rm", "carol"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("DeleteConflict"));
        ok(run(&["admin", "user", "key", "rm", "carol", &id]));
        ok(run(&["admin", "user", "policy", "rm", "carol", "read"]));
        ok(run(&["admin", "user", "rm", "carol"]));
        assert_eq!(ok(run(&["admin", "user", "ls"])), "");
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_from_the_command_line() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        let added = ok(run(&["admin", "account", "add", "team"]));
        let field = |name: &str| {
            added
                .split(name)
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        };
        let (account, key, secret) = (
            field("created account"),
            field("root access key id:"),
            field("root secret access key:"),
        );
        let listed = ok(run(&["admin", "account", "ls"]));
        let rows: Vec<&str> = listed.lines().collect();
        assert_eq!(rows.len(), 2, "{listed}");
        assert!(rows[0].starts_with("000000000000\troot\t"), "{listed}");
        assert!(rows[1].starts_with(&format!("{account}\tteam\t")), "{listed}");

        let as_team = |args: &[&str]| {
            let mut all = vec!["--endpoint-url", ep];
            all.extend_from_slice(args);
            arca_with(
                h,
                &all,
                None,
                &[
                    ("AWS_ACCESS_KEY_ID", Some(&key)),
                    ("AWS_SECRET_ACCESS_KEY", Some(&secret)),
                ],
            )
        };
        ok(as_team(&["mb", "s3://team-files"]));
        assert!(ok(as_team(&["ls"])).contains("team-files"));
        assert!(
            !ok(run(&["ls"])).contains("team-files"),
            "the operator's account owns other buckets"
        );
        // The team's root manages its own users; the operator sees none of them.
        ok(as_team(&["admin", "user", "add", "dana"]));
        assert_eq!(ok(run(&["admin", "user", "ls"])), "");
        let out = as_team(&["admin", "account", "ls"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("AccessDenied"));

        let out = run(&["admin", "account", "rm", &account]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("still owns buckets"));
        ok(as_team(&["rb", "s3://team-files"]));
        ok(as_team(&["admin", "user", "rm", "dana"]));
        ok(run(&["admin", "account", "rm", &account]));
        assert_eq!(ok(run(&["admin", "account", "ls"])).lines().count(), 1);
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn kms_keys_from_the_command_line() {
    let s = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ep = s.endpoint.as_str();
    tokio::task::block_in_place(|| {
        let run = |args: &[&str]| arca_at(h, ep, args);
        let created = ok(run(&[
            "kms",
            "create",
            "--description",
            "backups",
            "--alias",
            "backups",
        ]));
        let (id, arn) = created.trim().split_once('\t').unwrap();
        assert!(
            arn.starts_with("arn:aws:kms:us-east-1:") && arn.ends_with(id),
            "{created}"
        );
        let listed = ok(run(&["kms", "ls"]));
        assert!(
            listed.contains(&format!("{id}\tEnabled\talias/backups\tbackups")),
            "{listed}"
        );
        assert!(ok(run(&["kms", "describe", "alias/backups"])).contains("\"KeyState\": \"Enabled\""));
        ok(run(&["kms", "disable", id]));
        assert!(ok(run(&["kms", "describe", id])).contains("\"KeyState\": \"Disabled\""));
        ok(run(&["kms", "enable", id]));

        // Deletion warns, and without a terminal needs --yes: nothing is scheduled without it.
        let out = run(&["kms", "schedule-deletion", id, "--days", "7"]);
        assert!(!out.status.success());
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("WARNING") && said.contains("--yes"), "{said}");
        assert!(ok(run(&["kms", "describe", id])).contains("\"KeyState\": \"Enabled\""));
        let out = ok(run(&["kms", "schedule-deletion", id, "--days", "7", "--yes"]));
        assert!(out.contains("pending deletion; deleted on 20"), "{out}");
        assert!(ok(run(&["kms", "describe", id])).contains("\"KeyState\": \"PendingDeletion\""));
        // A window outside 7–30 days is KMS's error, with its code.
        let other = ok(run(&["kms", "create"]));
        let other = other.split('\t').next().unwrap();
        let out = run(&["kms", "schedule-deletion", other, "--days", "3", "--yes"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("ValidationException"));
        ok(run(&["kms", "cancel-deletion", id]));
        assert!(ok(run(&["kms", "describe", id])).contains("\"KeyState\": \"Disabled\""));
        let out = run(&["kms", "describe", "alias/missing"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("NotFoundException"));
    });
}
