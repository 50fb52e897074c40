//! Accounts (`docs/access-control.md`): only the operator manages them, the admin API's
//! account requests are bounded and validated, and no principal of one account reaches the
//! identities of another, whatever its own policies say.

use crate::harness::*;

async fn admin(s: &TestServer, method: &str, path: &str, body: &[u8], sign: Sign<'_>) -> (u16, String) {
    let (status, _, answer) = send(signed(method, &s.url(path), &[], body, sign)).await;
    (status, answer)
}

async fn account_ids(s: &TestServer) -> Vec<String> {
    let (status, listed) = admin(s, "GET", "/?arca-admin=accounts", b"", Sign::default()).await;
    assert_eq!(status, 200, "{listed}");
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

fn iam_form(s: &TestServer, form: &str, access: &str, secret: &str) -> http::Request<Vec<u8>> {
    let sign = Sign {
        access,
        secret,
        service: "iam",
        ..Default::default()
    };
    signed("POST", &s.url("/"), &[], form.as_bytes(), sign)
}

#[tokio::test]
async fn malformed_account_requests_change_nothing() {
    let s = TestServer::start();
    let before = account_ids(&s).await;
    assert_eq!(before, ["000000000000"]);
    let long = format!(r#"{{"name":"{}"}}"#, "a".repeat(51));
    let huge = format!(r#"{{"name":"{}"}}"#, "a".repeat(8 * 1024));
    for body in [
        &b""[..],
        b"not json",
        b"{}",
        br#"{"name":""}"#,
        br#"{"name":"../../etc/passwd"}"#,
        br#"{"name":"a b"}"#,
        br#"{"name":"root"}"#,
        br#"{"name":"ok","admin":true}"#,
        long.as_bytes(),
        huge.as_bytes(),
    ] {
        let (status, answer) = admin(&s, "POST", "/?arca-admin=create-account", body, Sign::default()).await;
        assert_eq!(
            (status, xml_code(&answer)),
            (400, "InvalidRequest"),
            "{}: {answer}",
            String::from_utf8_lossy(&body[..body.len().min(40)])
        );
    }
    for path in [
        "/?arca-admin=delete-account",
        "/?arca-admin=delete-account&id=000000000000",
        "/?arca-admin=delete-account&id=999999999999",
        "/?arca-admin=delete-account&id=..%2F..%2F",
    ] {
        let (status, answer) = admin(&s, "POST", path, b"", Sign::default()).await;
        assert_eq!((status, xml_code(&answer)), (400, "InvalidRequest"), "{path}: {answer}");
    }
    assert_eq!(account_ids(&s).await, before);
}

#[tokio::test]
async fn no_one_but_the_operator_manages_accounts() {
    let s = TestServer::start();
    let (_, created) = admin(
        &s,
        "POST",
        "/?arca-admin=create-account",
        br#"{"name":"team"}"#,
        Sign::default(),
    )
    .await;
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    let team_id = created["account"]["id"].as_str().unwrap().to_string();
    let (ta, ts) = (
        created["access_key_id"].as_str().unwrap().to_string(),
        created["secret_access_key"].as_str().unwrap().to_string(),
    );
    // An IAM user of the first account whose policy allows everything is still not the
    // operator.
    let everything =
        "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D";
    for form in [
        "Action=CreateUser&UserName=admin".to_string(),
        format!("Action=PutUserPolicy&UserName=admin&PolicyName=all&PolicyDocument={everything}"),
    ] {
        assert_eq!(send(iam_form(&s, &form, ACCESS_KEY, SECRET_KEY)).await.0, 200);
    }
    let (_, _, key) = send(iam_form(
        &s,
        "Action=CreateAccessKey&UserName=admin",
        ACCESS_KEY,
        SECRET_KEY,
    ))
    .await;
    let (ua, us) = (
        element(&key, "AccessKeyId").to_string(),
        element(&key, "SecretAccessKey").to_string(),
    );
    for (access, secret) in [(&ta, &ts), (&ua, &us)] {
        let sign = || Sign {
            access,
            secret,
            ..Default::default()
        };
        let (status, _) = admin(&s, "GET", "/?arca-admin=accounts", b"", sign()).await;
        assert_eq!(status, 403);
        let (status, _) = admin(&s, "POST", "/?arca-admin=create-account", br#"{"name":"x"}"#, sign()).await;
        assert_eq!(status, 403);
        let path = format!("/?arca-admin=delete-account&id={team_id}");
        let (status, _) = admin(&s, "POST", &path, b"", sign()).await;
        assert_eq!(status, 403);
    }
    assert_eq!(account_ids(&s).await.len(), 2, "nothing was added or deleted");

    // The team's root acts on its own account's identities only: naming the first account's
    // user or policy reaches nothing of it.
    let first_users = || async {
        let (_, _, body) = send(iam_form(&s, "Action=ListUsers", ACCESS_KEY, SECRET_KEY)).await;
        element(&body, "Users").to_string()
    };
    let before = first_users().await;
    for (form, code) in [
        (
            "Action=DeleteAccessKey&UserName=admin&AccessKeyId=".to_string() + &ua,
            "NoSuchEntity",
        ),
        (
            "Action=DeleteUserPolicy&UserName=admin&PolicyName=all".to_string(),
            "NoSuchEntity",
        ),
        (
            "Action=AttachUserPolicy&UserName=admin&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fall"
                .to_string(),
            "NoSuchEntity",
        ),
        (
            format!("Action=UpdateAccessKey&AccessKeyId={ACCESS_KEY}&Status=Inactive"),
            "NoSuchEntity",
        ),
    ] {
        let (status, _, body) = send(iam_form(&s, &form, &ta, &ts)).await;
        assert_eq!((status, element(&body, "Code")), (404, code), "{form}: {body}");
    }
    assert_eq!(first_users().await, before);
    let (_, _, policies) = send(iam_form(
        &s,
        "Action=ListUserPolicies&UserName=admin",
        ACCESS_KEY,
        SECRET_KEY,
    ))
    .await;
    assert!(policies.contains("<member>all</member>"), "{policies}");
    // The first account's user still signs, with its policy.
    let (status, _, _) = send(signed(
        "GET",
        &s.url("/"),
        &[],
        b"",
        Sign {
            access: &ua,
            secret: &us,
            ..Default::default()
        },
    ))
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn sign_in_is_bounded_and_its_refusals_tell_nothing_apart() {
    let s = TestServer::start();
    for form in [
        "Action=CreateUser&UserName=ana",
        "Action=CreateLoginProfile&UserName=ana&Password=Correct-Horse-9",
        "Action=CreateUser&UserName=bob",
    ] {
        let (st, _, body) = send(iam_form(&s, form, ACCESS_KEY, SECRET_KEY)).await;
        assert_eq!(st, 200, "{form}: {body}");
    }
    let sign_in = |body: Vec<u8>| {
        let s = &s;
        async move {
            let (st, _, answer) = send(http::Request::post(s.url("/?arca-sign-in")).body(body).unwrap()).await;
            (st, answer)
        }
    };
    let json = |account: &str, user: &str, password: &str| {
        serde_json::json!({"account": account, "user": user, "password": password})
            .to_string()
            .into_bytes()
    };
    for body in [
        b"not json".to_vec(),
        br#"{"account":"000000000000","user":"ana"}"#.to_vec(),
        br#"{"account":"000000000000","user":"ana","password":"x","mfa":"1"}"#.to_vec(),
        json("000000000000", "ana", &"x".repeat(8 * 1024)),
    ] {
        let (st, answer) = sign_in(body).await;
        assert_eq!((st, xml_code(&answer)), (400, "InvalidRequest"), "{answer}");
    }
    // A wrong password, a user without one, an unknown user or account: the same answer.
    let message = |answer: &str| element(answer, "Message").to_string();
    let mut messages = Vec::new();
    for (account, user, password) in [
        ("000000000000", "ana", "Correct-Horse-8"),
        ("000000000000", "bob", "Correct-Horse-9"),
        ("000000000000", "eve", "Correct-Horse-9"),
        ("999999999999", "ana", "Correct-Horse-9"),
        ("../../etc", "ana", "Correct-Horse-9"),
    ] {
        let (st, answer) = sign_in(json(account, user, password)).await;
        assert_eq!((st, xml_code(&answer)), (403, "AccessDenied"), "{user}: {answer}");
        messages.push(message(&answer));
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (st, answer) = sign_in(json("000000000000", "ana", "Correct-Horse-9")).await;
    assert_eq!(st, 200, "{answer}");
}
