//! Sign-in links and signing out everywhere (issue 16, item 8): an
//! invitation emails a one-time link, never a token, and the inviting admin
//! sees neither; a link is exchanged once, also when the exchanges race; a
//! link is no token and a token is no link; a link of one tenant opens
//! nothing of another; an expired link opens nothing; signing out everywhere stops every token a user
//! holds, and the link emailed with it lets them back in.

use crate::api_kit::{id, Api};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::future::join_all;
use serde_json::{json, Value};

/// The claims of a JWT, read without checking it.
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// `jwt` with other claims, signed with `key` (`None`: the old signature kept).
fn forged(jwt: &str, claims: &Value, key: Option<&[u8]>) -> String {
    match key {
        Some(key) => jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(key),
        )
        .unwrap(),
        None => {
            let parts: Vec<&str> = jwt.split('.').collect();
            let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
            format!("{}.{payload}.{}", parts[0], parts[2])
        }
    }
}

#[tokio::test]
async fn an_invitation_link_is_exchanged_once_even_when_exchanges_race() {
    let api = Api::start("sign-in-once").await;
    let admin = api.tenant("Once").await;
    let invited = api.invite(&admin, "ann@once.example", "viewer").await;
    assert!(invited.get("token").is_none(), "{invited}");
    let code = api.last_sign_in_code("ann@once.example");
    assert_eq!(claims(&code)["aud"], "ferry-sign-in");

    // One after the other: the first exchange wins, the second is refused.
    let (status, first) = api.sign_in(&code).await;
    assert_eq!(status, 200, "{first}");
    let token = first["token"].as_str().unwrap().to_owned();
    api.expect(200, "GET", "/settings", &token, None).await;
    let (status, again) = api.sign_in(&code).await;
    assert_eq!(status, 401, "{again}");
    assert!(again["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already used"));

    // An admin sends a new link; twelve exchanges of it race: one wins.
    let ann = id(&invited).to_owned();
    let sent = api
        .expect(
            200,
            "POST",
            &format!("/users/{ann}/invitation"),
            &admin.token,
            None,
        )
        .await;
    assert_eq!(sent, json!({"invitation_sent": true}));
    let racing = api.last_sign_in_code("ann@once.example");
    assert_ne!(racing, code);
    let answers = join_all((0..12).map(|_| api.sign_in(&racing))).await;
    let won: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, answer)| answer)
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(answers
        .iter()
        .all(|(status, _)| *status == 200 || *status == 401));
    let winner = won[0]["token"].as_str().unwrap();
    api.expect(200, "GET", "/settings", winner, None).await;

    // A newer link replaces an unused older one.
    for _ in 0..2 {
        api.expect(
            200,
            "POST",
            &format!("/users/{ann}/invitation"),
            &admin.token,
            None,
        )
        .await;
    }
    let codes = api.sign_in_codes("ann@once.example");
    let (older, newer) = (&codes[codes.len() - 2], &codes[codes.len() - 1]);
    assert_eq!(api.sign_in(older).await.0, 401);
    assert_eq!(api.sign_in(newer).await.0, 200);
    api.stop().await;
}

#[tokio::test]
async fn a_sign_in_link_is_no_token_and_a_token_is_no_link() {
    let api = Api::start("sign-in-audiences").await;
    let admin = api.tenant("Audiences").await;
    api.invite(&admin, "bo@audiences.example", "admin").await;
    let code = api.last_sign_in_code("bo@audiences.example");

    // The code as a bearer token opens nothing, not even a read.
    let (status, answer) = api.call("GET", "/settings", &code, None).await;
    assert_eq!(status, 401, "{answer}");
    // A dashboard token is no sign-in code.
    let (status, answer) = api.sign_in(&admin.token).await;
    assert_eq!(status, 401, "{answer}");
    // Nor is a code whose audience was rewritten (the signature breaks).
    let mut as_token = claims(&code);
    as_token["aud"] = json!("ferry-dashboard");
    let rewritten = forged(&code, &as_token, None);
    assert_eq!(api.call("GET", "/settings", &rewritten, None).await.0, 401);
    // An expired code (re-signed with Ferry's own key) is refused in words.
    let mut expired = claims(&code);
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 60);
    let key = api.running.ferry.jwt_key.as_slice();
    let (status, answer) = api.sign_in(&forged(&code, &expired, Some(key))).await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    // Garbage and an empty code are refused in words.
    for bad in ["", "not-a-code", "a.b.c"] {
        let (status, answer) = api.sign_in(bad).await;
        assert_eq!(status, 401, "{bad}: {answer}");
    }
    // Refused codes spent nothing: the real one still signs Bo in.
    let (status, answer) = api.sign_in(&code).await;
    assert_eq!(status, 200, "{answer}");
    api.stop().await;
}

#[tokio::test]
async fn a_link_of_one_tenant_opens_nothing_of_another() {
    let api = Api::start("sign-in-tenants").await;
    let a = api.tenant("Alpha").await;
    let b = api.tenant("Beta").await;
    let invited = api.invite(&a, "cy@alpha.example", "admin").await;
    let code = api.last_sign_in_code("cy@alpha.example");

    // The code's tenant changed to B: the signature breaks.
    let mut to_b = claims(&code);
    to_b["tenant"] = json!(b.tenant);
    assert_eq!(api.sign_in(&forged(&code, &to_b, None)).await.0, 401);
    // Even signed with Ferry's own key, a code naming tenant B and A's
    // user finds no such user in B.
    let key = api.running.ferry.jwt_key.as_slice();
    assert_eq!(api.sign_in(&forged(&code, &to_b, Some(key))).await.0, 401);
    // B's admin cannot send A's user a link.
    let cy = id(&invited).to_owned();
    api.expect(
        404,
        "POST",
        &format!("/users/{cy}/invitation"),
        &b.token,
        None,
    )
    .await;

    // The real code signs Cy in to A, and A alone.
    let (status, answer) = api.sign_in(&code).await;
    assert_eq!(status, 200, "{answer}");
    let token = answer["token"].as_str().unwrap();
    assert_eq!(claims(token)["tenant"], a.tenant.as_str());
    let users = api.expect(200, "GET", "/users", token, None).await;
    let emails: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 2, "{emails:?}");
    assert!(emails.iter().all(|e| e.ends_with("alpha.example")));
    api.stop().await;
}

#[tokio::test]
async fn signing_out_everywhere_stops_every_token_and_the_emailed_link_lets_back_in() {
    let api = Api::start("sign-out-everywhere").await;
    let admin = api.tenant("Everywhere").await;
    // Dee, a viewer, signs in on two devices.
    let (invited, laptop) = api
        .invite_and_sign_in(&admin, "dee@everywhere.example", "viewer")
        .await;
    let dee = id(&invited).to_owned();
    api.expect(
        200,
        "POST",
        &format!("/users/{dee}/invitation"),
        &admin.token,
        None,
    )
    .await;
    let (_, phone) = api
        .sign_in(&api.last_sign_in_code("dee@everywhere.example"))
        .await;
    let phone = phone["token"].as_str().unwrap().to_owned();
    // And one more link waits unused.
    api.expect(
        200,
        "POST",
        &format!("/users/{dee}/invitation"),
        &admin.token,
        None,
    )
    .await;
    let unused = api.last_sign_in_code("dee@everywhere.example");
    for token in [&laptop, &phone] {
        api.expect(200, "GET", "/settings", token, None).await;
    }

    // A viewer may sign herself out everywhere (it changes only her own sign-in).
    let answer = api
        .expect(200, "POST", "/sign-out-everywhere", &laptop, None)
        .await;
    assert_eq!(answer, json!({"sign_in_link_sent": true}));
    for token in [&laptop, &phone] {
        let (status, answer) = api.call("GET", "/settings", token, None).await;
        assert_eq!(status, 401, "{answer}");
        assert!(answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signed out everywhere"));
    }
    assert_eq!(api.sign_in(&unused).await.0, 401);
    // Her admin is not signed out.
    api.expect(200, "GET", "/settings", &admin.token, None)
        .await;

    // The link emailed with the sign-out lets her back in, once.
    let back = api.last_sign_in_code("dee@everywhere.example");
    assert_ne!(back, unused);
    let (status, answer) = api.sign_in(&back).await;
    assert_eq!(status, 200, "{answer}");
    let fresh = answer["token"].as_str().unwrap();
    api.expect(200, "GET", "/settings", fresh, None).await;
    assert_eq!(api.sign_in(&back).await.0, 401);
    // Signing out needs a token that still works.
    api.expect(401, "POST", "/sign-out-everywhere", &laptop, None)
        .await;
    api.stop().await;
}
