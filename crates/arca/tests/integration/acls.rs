//! ACLs and Object Ownership with the SDK (and plain HTTP for anonymous readers, as curl or a
//! browser sends them): disabled by default, each canned ACL and ownership mode once enabled,
//! Block Public Access over public grants, and grants to another account.

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    BucketCannedAcl, ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration,
};

use crate::harness::*;

async fn anonymous(s: &TestServer, method: &str, path: &str) -> u16 {
    let req = http::Request::builder()
        .method(method)
        .uri(s.url(path))
        .body(Vec::new())
        .unwrap();
    send(req).await.0
}

async fn set_ownership(c: &Client, bucket: &str, ownership: ObjectOwnership) {
    c.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ownership)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// A bucket whose ACLs count (ObjectWriter) and whose public access is not blocked.
async fn open_bucket(c: &Client, name: &str) {
    make_bucket(c, name).await;
    set_ownership(c, name, ObjectOwnership::ObjectWriter).await;
    c.delete_public_access_block().bucket(name).send().await.unwrap();
}

/// `(grantee id or group uri, permission)` of every grant of an ACL answer.
fn grants_of(grants: &[aws_sdk_s3::types::Grant]) -> Vec<(String, String)> {
    grants
        .iter()
        .map(|g| {
            let grantee = g.grantee().unwrap();
            let who = grantee.id().or(grantee.uri()).unwrap_or("").to_string();
            (who, g.permission().unwrap().as_str().to_string())
        })
        .collect()
}

/// Expected grants beyond the owner's: (grantee, permission).
type Grants = Vec<(&'static str, &'static str)>;

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

#[tokio::test]
async fn acls_are_disabled_until_object_ownership_enables_them() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "plain").await;
    let controls = c.get_bucket_ownership_controls().bucket("plain").send().await.unwrap();
    let rule = &controls.ownership_controls().unwrap().rules()[0];
    assert_eq!(rule.object_ownership(), &ObjectOwnership::BucketOwnerEnforced);

    let e = c
        .put_bucket_acl()
        .bucket("plain")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&e), status(&e)),
        ("AccessControlListNotSupported".to_string(), 400)
    );
    let e = c
        .put_object()
        .bucket("plain")
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessControlListNotSupported");
    // The owner's own full control is what every object has anyway.
    c.put_object()
        .bucket("plain")
        .key("k")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    let acl = c.get_object_acl().bucket("plain").key("k").send().await.unwrap();
    let owner = acl.owner().unwrap().id().unwrap().to_string();
    assert_eq!(grants_of(acl.grants()), [(owner.clone(), "FULL_CONTROL".to_string())]);
    let e = c
        .create_bucket()
        .bucket("enforced-public")
        .acl(BucketCannedAcl::AuthenticatedRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidBucketAclWithObjectOwnership");

    // Enabling ACLs: the bucket's own ACL then takes grants.
    set_ownership(&c, "plain", ObjectOwnership::BucketOwnerPreferred).await;
    c.put_bucket_acl()
        .bucket("plain")
        .grant_read(format!("uri=\"{AUTHENTICATED}\""))
        .send()
        .await
        .unwrap_err(); // Block Public Access is still on: a public grant is refused
    c.delete_public_access_block().bucket("plain").send().await.unwrap();
    c.put_bucket_acl()
        .bucket("plain")
        .grant_read(format!("uri=\"{AUTHENTICATED}\""))
        .send()
        .await
        .unwrap();
    let acl = c.get_bucket_acl().bucket("plain").send().await.unwrap();
    assert_eq!(
        grants_of(acl.grants()),
        [
            (owner.clone(), "FULL_CONTROL".to_string()),
            (AUTHENTICATED.to_string(), "READ".to_string())
        ]
    );
    // ACLs cannot be disabled while the bucket's ACL grants beyond its owner.
    let e = c
        .put_bucket_ownership_controls()
        .bucket("plain")
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidBucketAclWithObjectOwnership");
    c.put_bucket_acl()
        .bucket("plain")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();
    set_ownership(&c, "plain", ObjectOwnership::BucketOwnerEnforced).await;
    c.delete_bucket_ownership_controls()
        .bucket("plain")
        .send()
        .await
        .unwrap();
    let e = c
        .get_bucket_ownership_controls()
        .bucket("plain")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "OwnershipControlsNotFoundError");
}

#[tokio::test]
async fn each_canned_acl_grants_what_it_says_to_anonymous_readers() {
    let s = TestServer::start();
    let c = s.client();
    open_bucket(&c, "acl").await;
    let owner = c
        .get_bucket_acl()
        .bucket("acl")
        .send()
        .await
        .unwrap()
        .owner()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let cases: [(ObjectCannedAcl, Grants, u16); 6] = [
        (ObjectCannedAcl::Private, vec![], 403),
        (ObjectCannedAcl::PublicRead, vec![(ALL_USERS, "READ")], 200),
        (
            ObjectCannedAcl::PublicReadWrite,
            vec![(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
            200,
        ),
        (ObjectCannedAcl::AuthenticatedRead, vec![(AUTHENTICATED, "READ")], 403),
        // The bucket's owner is the object's here: nothing beyond its full control.
        (ObjectCannedAcl::BucketOwnerRead, vec![], 403),
        (ObjectCannedAcl::BucketOwnerFullControl, vec![], 403),
    ];
    for (canned, expected, anonymous_status) in cases {
        let key = canned.as_str().to_string();
        c.put_object()
            .bucket("acl")
            .key(&key)
            .acl(canned.clone())
            .body(b"v".to_vec().into())
            .send()
            .await
            .unwrap();
        let acl = c.get_object_acl().bucket("acl").key(&key).send().await.unwrap();
        let mut want = vec![(owner.clone(), "FULL_CONTROL".to_string())];
        want.extend(expected.iter().map(|(w, p)| (w.to_string(), p.to_string())));
        assert_eq!(grants_of(acl.grants()), want, "{key}");
        assert_eq!(
            anonymous(&s, "GET", &format!("/acl/{key}")).await,
            anonymous_status,
            "{key}"
        );
    }
    // An ACL set afterwards, by XML through the SDK's grant headers, takes effect at once.
    c.put_object_acl()
        .bucket("acl")
        .key("private")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous(&s, "GET", "/acl/private").await, 200);
    // The bucket's listing is its own ACL's to grant.
    assert_eq!(anonymous(&s, "GET", "/acl?list-type=2").await, 403);
    c.put_bucket_acl()
        .bucket("acl")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous(&s, "GET", "/acl?list-type=2").await, 200);
    // Anonymous writes need the bucket's WRITE grant.
    assert_eq!(anonymous(&s, "PUT", "/acl/dropped").await, 403);
    c.put_bucket_acl()
        .bucket("acl")
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous(&s, "PUT", "/acl/dropped").await, 200);
    // Nothing grants the ACL operations themselves to strangers.
    assert_eq!(anonymous(&s, "GET", "/acl?acl").await, 403);
    assert_eq!(anonymous(&s, "GET", "/acl/private?acl").await, 403);

    // IgnorePublicAcls: the public grants stay but count for nothing; BlockPublicAcls: new
    // public grants are refused.
    let blocks = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(false)
        .restrict_public_buckets(false)
        .build();
    c.put_public_access_block()
        .bucket("acl")
        .public_access_block_configuration(blocks)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous(&s, "GET", "/acl/public-read").await, 403);
    assert_eq!(anonymous(&s, "GET", "/acl?list-type=2").await, 403);
    let e = c
        .put_object_acl()
        .bucket("acl")
        .key("private")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e), status(&e)), ("AccessDenied".to_string(), 403));
    let e = c
        .put_object()
        .bucket("acl")
        .key("new")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    assert!(
        c.head_object().bucket("acl").key("new").send().await.is_err(),
        "nothing stored"
    );
}

#[tokio::test]
async fn grants_reach_another_account_and_object_writers_own_their_objects() {
    let s = TestServer::start();
    let c = s.client();
    open_bucket(&c, "drop").await;
    let created = create_account(&s, "team").await;
    let team_id = created["account"]["canonical_id"].as_str().unwrap().to_string();
    let team = client_with(
        &s.endpoint,
        created["access_key_id"].as_str().unwrap(),
        created["secret_access_key"].as_str().unwrap(),
    );

    let e = team
        .put_object()
        .bucket("drop")
        .key("t")
        .body(b"t".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    // The bucket's owner lets the team write (and list), by canonical id.
    c.put_bucket_acl()
        .bucket("drop")
        .grant_write(format!("id=\"{team_id}\""))
        .grant_read(format!("id=\"{team_id}\""))
        .send()
        .await
        .unwrap();
    team.put_object()
        .bucket("drop")
        .key("theirs")
        .body(b"theirs".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(
        team.list_objects_v2().bucket("drop").send().await.unwrap().key_count(),
        Some(1)
    );
    // Under ObjectWriter the object is the team's: the bucket's owner may not read it...
    let acl = team.get_object_acl().bucket("drop").key("theirs").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(team_id.as_str()));
    let e = c.get_object().bucket("drop").key("theirs").send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    assert_eq!(get_bytes(&team, "drop", "theirs").await, b"theirs");
    // ...until the writer grants it, as bucket-owner-full-control does.
    team.put_object()
        .bucket("drop")
        .key("shared")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(b"shared".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "drop", "shared").await, b"shared");
    // The bucket's owner may still delete what others wrote into its bucket.
    c.delete_object().bucket("drop").key("theirs").send().await.unwrap();

    // Under BucketOwnerPreferred, bucket-owner-full-control hands the object to the bucket's
    // owner; without it the writer keeps it.
    set_ownership(&c, "drop", ObjectOwnership::BucketOwnerPreferred).await;
    team.put_object()
        .bucket("drop")
        .key("handed")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(b"h".to_vec().into())
        .send()
        .await
        .unwrap();
    let bucket_owner = c
        .get_bucket_acl()
        .bucket("drop")
        .send()
        .await
        .unwrap()
        .owner()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let acl = c.get_object_acl().bucket("drop").key("handed").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(bucket_owner.as_str()));
    team.put_object()
        .bucket("drop")
        .key("kept")
        .body(b"k".to_vec().into())
        .send()
        .await
        .unwrap();
    let acl = team.get_object_acl().bucket("drop").key("kept").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(team_id.as_str()));
    // Enforced: the bucket's owner owns everything again; grants stop counting.
    c.put_bucket_acl()
        .bucket("drop")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();
    set_ownership(&c, "drop", ObjectOwnership::BucketOwnerEnforced).await;
    let e = team
        .put_object()
        .bucket("drop")
        .key("late")
        .body(b"l".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    // What the team wrote before is the bucket owner's now, and readable by it.
    let acl = c.get_object_acl().bucket("drop").key("kept").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(bucket_owner.as_str()));
    assert_eq!(get_bytes(&c, "drop", "kept").await, b"k");
}
