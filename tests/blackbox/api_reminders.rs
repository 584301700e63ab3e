//! `/reminders`: the recipients in force (the tenant's admins until one
//! chooses), replaced whole with every field checked, and the reminders
//! sent lately with their status.

use crate::api_kit::{id, Api};
use ferry::model::TransferStatus;
use serde_json::{json, Value};

const ALL_KINDS: [&str; 4] = [
    "usage",
    "failed_transfers",
    "unhealthy_credentials",
    "all_clear",
];

#[tokio::test]
async fn recipients_default_to_the_admins_and_are_replaced_whole() {
    let api = Api::start("reminders-api").await;
    let admin = api.tenant("Mugs").await;
    let t = admin.token.clone();

    let first = api.expect(200, "GET", "/reminders", &t, None).await;
    assert_eq!(first["default"], true);
    assert_eq!(
        first["recipients"],
        json!([{"email": "owner@mugs.example", "kinds": ALL_KINDS}])
    );
    assert_eq!(first["kinds"], json!(ALL_KINDS));
    assert_eq!(first["recent"], json!([]));

    let chosen = api
        .expect(
            200,
            "PUT",
            "/reminders",
            &t,
            Some(json!({"recipients": [
                {"email": " Ops@Mugs.example ", "kinds": ["failed_transfers", "usage", "failed_transfers"]},
                {"email": "books@mugs.example", "kinds": ["unhealthy_credentials"]},
            ]})),
        )
        .await;
    let expected = json!([
        {"email": "Ops@Mugs.example", "kinds": ["usage", "failed_transfers"]},
        {"email": "books@mugs.example", "kinds": ["unhealthy_credentials"]},
    ]);
    assert_eq!(chosen["default"], false);
    assert_eq!(chosen["recipients"], expected);
    let read = api.expect(200, "GET", "/reminders", &t, None).await;
    assert_eq!(read["recipients"], expected);

    let nobody = api
        .expect(
            200,
            "PUT",
            "/reminders",
            &t,
            Some(json!({"recipients": []})),
        )
        .await;
    assert_eq!(
        (nobody["default"].clone(), nobody["recipients"].clone()),
        (json!(false), json!([])),
        "an empty list means nobody, not the default"
    );
    api.stop().await;
}

#[tokio::test]
async fn a_bad_recipient_is_refused_naming_its_field_and_changes_nothing() {
    let api = Api::start("reminders-fields").await;
    let admin = api.tenant("Fields").await;
    let t = admin.token.clone();
    let good = json!({"email": "ok@fields.example", "kinds": ["usage"]});
    let cases: [(Value, &str); 6] = [
        (
            json!([good, {"email": "not-an-email", "kinds": ["usage"]}]),
            "recipients[1].email",
        ),
        (
            json!([good, {"email": "OK@fields.example", "kinds": ["all_clear"]}]),
            "recipients[1].email",
        ),
        (
            json!([{"email": "a@fields.example", "kinds": []}]),
            "recipients[0].kinds",
        ),
        (
            json!([{"email": "a@fields.example", "kinds": ["sms"]}]),
            "recipients[0].kinds[0]",
        ),
        (
            json!([{"email": "a@fields.example"}]),
            "recipients[0].kinds",
        ),
        (
            json!([{"email": "a@fields.example", "kinds": ["usage"], "phone": "+45"}]),
            "recipients[0].phone",
        ),
    ];
    for (recipients, field) in cases {
        let answer = api
            .expect(
                400,
                "PUT",
                "/reminders",
                &t,
                Some(json!({ "recipients": recipients })),
            )
            .await;
        assert_eq!(answer["error"]["field"], field, "{recipients}: {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    let many: Vec<Value> = (0..51)
        .map(|i| json!({"email": format!("p{i}@fields.example"), "kinds": ["usage"]}))
        .collect();
    let answer = api
        .expect(
            400,
            "PUT",
            "/reminders",
            &t,
            Some(json!({ "recipients": many })),
        )
        .await;
    assert_eq!(answer["error"]["field"], "recipients");

    let unchanged = api.expect(200, "GET", "/reminders", &t, None).await;
    assert_eq!(unchanged["default"], true, "{unchanged}");
    api.stop().await;
}

#[tokio::test]
async fn what_was_sent_is_listed_with_its_status() {
    let api = Api::start("reminders-recent").await;
    let admin = api.tenant("Recent").await;
    let t = admin.token.clone();
    let shop = api.shop(&t, "Shop", json!({})).await;
    let ledger = api.ledger(&t, "Books", json!({})).await;
    let connection = api
        .connection(&t, "Shop > Books", &shop, &ledger, json!({}))
        .await;
    api.seed_transfer(
        &admin.tenant_id(),
        id(&connection),
        "#1001",
        TransferStatus::Failed,
    )
    .await;

    let report = ferry::reminders::run(&api.running.ferry).await.unwrap();
    assert_eq!(report.emails_sent, 1, "{report:?}");

    let reminders = api.expect(200, "GET", "/reminders", &t, None).await;
    let recent = reminders["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 1, "{reminders}");
    assert_eq!(recent[0]["kind"], "failed_transfers");
    assert_eq!(recent[0]["status"], "sent");
    assert_eq!(
        recent[0]["subject"],
        "Ferry: 1 order could not be transferred to Fortnox"
    );
    assert_eq!(recent[0]["recipients"], json!(["owner@recent.example"]));
    let outbox = api.outbox();
    assert_eq!(outbox.len(), 1, "one email, to the first admin");
    assert!(
        outbox[0].contains("To: owner@recent.example"),
        "{}",
        outbox[0]
    );
    assert!(
        !outbox[0].contains("secret order"),
        "no payload in an email"
    );
    api.stop().await;
}
