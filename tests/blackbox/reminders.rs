//! Reminder emails end to end: the reminders pass on DynamoDB sending
//! through SES (read back from the emulator), and `ferry-local job
//! reminders` writing them into its outbox. (emulator)

use crate::emulator;
use chrono::Utc;
use ferry::clock::SystemClock;
use ferry::connectors::http::HttpClient;
use ferry::connectors::Connectors;
use ferry::mail::ses::SesMailer;
use ferry::model::{
    Connection, ConnectionId, CredentialHealth, DocumentKind, Entity, HealthStatus, Payload, Role,
    RunOutcome, Scope, System, SystemId, SystemKind, Tenant, TenantId, Transfer, TransferId,
    TransferStatus, UsageDelta, User,
};
use ferry::queue::memory::MemoryQueue;
use ferry::seal::Sealer;
use ferry::store::dynamodb::DynamoStore;
use ferry::store::embedded::EmbeddedStore;
use ferry::store::Store;
use ferry::{Ferry, Limits};
use std::path::PathBuf;
use std::sync::Arc;

/// A tenant with one admin (`admin`), an e-conomic system whose credentials
/// were refused, and `failed` orders that could not be transferred to it.
async fn seed(store: &dyn Store, admin: &str, failed: u32) -> Tenant {
    let now = Utc::now();
    let tenant = Tenant {
        id: TenantId::generate(),
        name: "Nordic Mugs".into(),
        email: admin.into(),
        time_zone: "Europe/Copenhagen".into(),
        created_at: now,
    };
    store.create_tenant(&tenant).await.unwrap();
    let user = User::new(tenant.id.clone(), admin, Role::Admin, now);
    store.put_user(&user).await.unwrap();
    let ledger = System {
        id: SystemId::generate(),
        tenant: tenant.id.clone(),
        kind: SystemKind::Economic,
        name: "Books".into(),
        config: serde_json::Map::new(),
        credentials: Default::default(),
        health: CredentialHealth {
            status: HealthStatus::Unhealthy,
            reason: Some("e-conomic answered 401: the agreement grant token was revoked".into()),
            checked_at: Some(now),
        },
        scope: Scope::default(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    store.put_system(&ledger).await.unwrap();
    let connection = Connection {
        id: ConnectionId::generate(),
        tenant: tenant.id.clone(),
        name: "Shop > Books".into(),
        source: SystemId::generate(),
        target: ledger.id.clone(),
        entity: Entity::Orders,
        allowed_states: vec!["paid".into()],
        document: DocumentKind::DraftInvoice,
        documents: Default::default(),
        schedule: None,
        active: true,
        scope: Scope::default(),
        next_run_at: None,
        cursor: None,
        last_run: RunOutcome::default(),
        created_at: now,
        updated_at: now,
        currency: Default::default(),
        payments: None,
    };
    store.put_connection(&connection).await.unwrap();
    for number in 1001..1001 + failed {
        let pending = Transfer {
            id: TransferId::for_record(&connection.id, &number.to_string()),
            tenant: tenant.id.clone(),
            connection: connection.id.clone(),
            entity: Entity::Orders,
            source_id: number.to_string(),
            source_ref: format!("#{number}"),
            target_ref: None,
            status: TransferStatus::Pending,
            reason: None,
            attempts: 0,
            source_updated_at: None,
            lease_until: None,
            received_at: now,
            updated_at: now,
            source_payload: Some(Payload::compress(b"{\"id\": 1}")),
            target_payload: None,
            version: 1,
            kind: None,
        };
        store.create_transfer(&pending).await.unwrap();
        let failed = Transfer {
            status: TransferStatus::Failed,
            reason: Some(format!(
                "line 'Mug {number}' has no SKU: e-conomic needs a product number — add one in the webshop"
            )),
            version: 2,
            ..pending
        };
        store
            .update_transfer(&failed, 1, UsageDelta::default())
            .await
            .unwrap();
    }
    tenant
}

/// The emails the emulator accepted for `to`.
async fn sent_to(to: &str) -> Vec<serde_json::Value> {
    crate::ses::sent_messages()
        .await
        .into_iter()
        .filter(|m| m["destinations"]["ToAddresses"] == serde_json::json!([to]))
        .collect()
}

#[tokio::test]
async fn reminders_reach_ses_once_with_their_recipients_subjects_and_bodies() {
    let sdk = emulator::aws_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = emulator::unique_name("ferry-reminders");
    DynamoStore::create_table(&dynamo, &table).await.unwrap();
    let ses = aws_sdk_ses::Client::new(&sdk);
    let from = format!("{}@ferry.example", emulator::unique_name("reminders"));
    ses.verify_email_identity()
        .email_address(&from)
        .send()
        .await
        .unwrap();
    let (queue, _receiver) = MemoryQueue::new();
    let ferry = Ferry {
        store: Arc::new(DynamoStore::new(dynamo, table)),
        queue: Arc::new(queue),
        mailer: Arc::new(SesMailer::new(ses)),
        clock: Arc::new(SystemClock),
        sealer: Sealer::from_base64(&Sealer::generate_key()).unwrap(),
        connectors: Arc::new(Connectors::new(HttpClient::default())),
        limits: Limits::default(),
        public_url: "https://ferry.example".into(),
        webhook_base: None,
        jwt_key: Arc::new(b"a-test-key-of-at-least-32-characters!".to_vec()),
        operator_token: None,
        mail_from: from.clone(),
    };
    let admin = format!("{}@mugs.example", emulator::unique_name("anna"));
    seed(&*ferry.store, &admin, 3).await;

    // Two runs at once, as when a schedule fires twice.
    let (a, b) = tokio::join!(ferry::reminders::run(&ferry), ferry::reminders::run(&ferry));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.emails_sent + b.emails_sent, 2, "{a:?} {b:?}");

    let sent = sent_to(&admin).await;
    let mut subjects: Vec<&str> = sent.iter().filter_map(|m| m["subject"].as_str()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Ferry: 3 orders could not be transferred to e-conomic",
            "Ferry: e-conomic 'Books' refuses its credentials",
        ]
    );
    let digest = sent
        .iter()
        .find(|m| m["subject"] == "Ferry: 3 orders could not be transferred to e-conomic")
        .unwrap();
    assert_eq!(digest["source"], from.as_str());
    // `body` is the HTML part.
    let body = digest["body"].as_str().unwrap();
    for number in 1001..=1003 {
        assert!(
            body.contains(&format!("#{number}: line 'Mug {number}' has no SKU")),
            "{body}"
        );
    }
    assert!(
        body.contains("https://ferry.example/#/transfers?status=failed"),
        "{body}"
    );
    let credentials = sent
        .iter()
        .find(|m| m["subject"] == "Ferry: e-conomic 'Books' refuses its credentials")
        .unwrap();
    assert!(credentials["body"]
        .as_str()
        .unwrap()
        .contains("the agreement grant token was revoked"));

    let again = ferry::reminders::run(&ferry).await.unwrap();
    assert_eq!(again.emails_sent, 0, "{again:?}");
    assert_eq!(sent_to(&admin).await.len(), 2, "no email twice");
}

fn ferry_local() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug").join("ferry-local")
}

#[tokio::test]
async fn ferry_local_job_reminders_writes_the_emails_into_its_outbox() {
    let dir = crate::orders::temp_dir("job-reminders");
    std::fs::create_dir_all(&dir).unwrap();
    {
        let store = EmbeddedStore::open(&dir.join("ferry.redb")).unwrap();
        seed(&store, "anna@mugs.example", 1).await;
    }

    let output = tokio::process::Command::new(ferry_local())
        .args(["job", "reminders", "--data-dir"])
        .arg(&dir)
        .output()
        .await
        .expect("ferry-local runs (scripts/test.sh builds it first)");

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["emails_sent"], 2, "{report}");
    let mut emails: Vec<String> = std::fs::read_dir(dir.join("outbox"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    emails.sort();
    assert_eq!(emails.len(), 2);
    assert!(
        emails
            .iter()
            .any(|e| e.contains("Subject: Ferry: 1 order could not be transferred to e-conomic")),
        "{emails:?}"
    );
    assert!(
        emails.iter().all(|e| e.contains("To: anna@mugs.example")),
        "{emails:?}"
    );
}
