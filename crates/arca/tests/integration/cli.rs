//! The `arca` client commands against a live server, run as a user would run them.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::harness::*;

/// Runs `arca ARGS` with a private HOME and config folder, the test keys in AWS_* variables.
fn arca(home: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
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
    });
}
