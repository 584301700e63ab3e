//! The reminder rules with a clock set by hand, on the embedded store, with
//! a mailer that keeps what it is given (and can be told to refuse).

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::connectors::http::HttpClient;
use crate::connectors::Connectors;
use crate::mail::{Email, MailError, Mailer};
use crate::model::{
    Connection, ConnectionId, CredentialHealth, DocumentKind, Entity, NoticeStatus, Payload,
    Recipient, ReminderSettings, Role, RunOutcome, Scope, SystemKind, TenantId, TransferId,
    UsageDelta, User,
};
use crate::queue::memory::MemoryQueue;
use crate::seal::{Credentials, Sealer};
use crate::store::embedded::EmbeddedStore;
use crate::{Ferry, Limits};
use async_trait::async_trait;
use chrono::TimeZone;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Keeps every email; refuses them while `refuse` is set. Each send takes
/// a moment, so that runs started together overlap.
#[derive(Default)]
struct Mailbox {
    sent: Mutex<Vec<Email>>,
    refuse: AtomicBool,
}

#[async_trait]
impl Mailer for Mailbox {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if self.refuse.load(Ordering::SeqCst) {
            return Err(MailError("the mail service is down".into()));
        }
        self.sent.lock().unwrap().push(email.clone());
        Ok(())
    }
}

const SECRET: &str = "sk-secret-token-7f3a";
const PAYLOAD_MARK: &str = "payload-only-4d1e";

struct World {
    ferry: Ferry,
    clock: ManualClock,
    mailbox: Arc<Mailbox>,
    tenant: Tenant,
    ledger: System,
    connection: Connection,
}

fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

async fn world() -> World {
    let clock = ManualClock::new(monday());
    let mailbox = Arc::new(Mailbox::default());
    let (queue, _receiver) = MemoryQueue::new();
    let sealer = Sealer::from_bytes(&[7; 32]).unwrap();
    let ferry = Ferry {
        store: Arc::new(EmbeddedStore::temporary().unwrap()),
        queue: Arc::new(queue),
        mailer: mailbox.clone(),
        clock: Arc::new(clock.clone()),
        sealer: sealer.clone(),
        connectors: std::sync::Arc::new(Connectors::new(HttpClient::default())),
        limits: Limits::default(),
        public_url: "https://ferry.example/".into(),
        webhook_base: None,
        jwt_key: Arc::new(vec![1; 32]),
        operator_token: None,
        mail_from: "reminders@ferry.example".into(),
    };
    let tenant = Tenant {
        id: TenantId::generate(),
        name: "Nordic Mugs".into(),
        email: "owner@mugs.example".into(),
        time_zone: "Europe/Copenhagen".into(),
        created_at: monday() - chrono::Duration::days(30),
    };
    ferry.store.create_tenant(&tenant).await.unwrap();
    ferry
        .store
        .put_user(&User::new(
            tenant.id.clone(),
            "anna@mugs.example",
            Role::Admin,
            monday(),
        ))
        .await
        .unwrap();
    ferry
        .store
        .put_user(&User::new(
            tenant.id.clone(),
            "viewer@mugs.example",
            Role::Viewer,
            monday(),
        ))
        .await
        .unwrap();
    let credentials = Credentials(
        [("app_secret_token".to_owned(), SECRET.to_owned())]
            .into_iter()
            .collect(),
    );
    let ledger = System {
        id: SystemId::generate(),
        tenant: tenant.id.clone(),
        kind: SystemKind::Economic,
        name: "Books".into(),
        config: serde_json::Map::new(),
        credentials: Default::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: monday(),
        updated_at: monday(),
    }
    .with_credentials(&sealer, &credentials);
    ferry.store.put_system(&ledger).await.unwrap();
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
        created_at: monday(),
        updated_at: monday(),
        currency: Default::default(),
        payments: None,
    };
    ferry.store.put_connection(&connection).await.unwrap();
    World {
        ferry,
        clock,
        mailbox,
        tenant,
        ledger,
        connection,
    }
}

impl World {
    async fn run(&self) -> RemindersReport {
        run(&self.ferry).await.unwrap()
    }

    fn sent(&self) -> Vec<Email> {
        self.mailbox.sent.lock().unwrap().clone()
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Order `#number` arrives now and is settled as `status` with
    /// `reason`; `orders` delivered orders are counted this month.
    async fn transfer(&self, number: u32, status: TransferStatus, reason: &str, orders: u64) {
        let now = self.now();
        let id = TransferId::for_record(&self.connection.id, &number.to_string());
        let pending = Transfer {
            id: id.clone(),
            tenant: self.tenant.id.clone(),
            connection: self.connection.id.clone(),
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
            source_payload: Some(Payload::compress(
                format!("{{\"note\":\"{PAYLOAD_MARK}\"}}").as_bytes(),
            )),
            target_payload: None,
            version: 1,
            kind: None,
        };
        self.ferry.store.create_transfer(&pending).await.unwrap();
        self.settle(&id, status, reason, orders).await;
    }

    async fn settle(&self, id: &TransferId, status: TransferStatus, reason: &str, orders: u64) {
        let stored = self
            .ferry
            .store
            .get_transfer(&self.tenant.id, id)
            .await
            .unwrap()
            .unwrap();
        let settled = Transfer {
            status,
            reason: (!reason.is_empty()).then(|| reason.to_owned()),
            updated_at: self.now(),
            version: stored.version + 1,
            ..stored.clone()
        };
        let usage = UsageDelta {
            orders,
            ..UsageDelta::default()
        };
        self.ferry
            .store
            .update_transfer(&settled, stored.version, usage)
            .await
            .unwrap();
    }

    async fn fail(&self, number: u32) {
        let reason = format!("line 'Mug {number}' has no SKU: e-conomic needs a product number — add one in the webshop");
        self.transfer(number, TransferStatus::Failed, &reason, 0)
            .await;
    }

    async fn deliver_orders(&self, from: u32, count: u32) {
        // One transfer carries the count (the counters are what is read).
        self.transfer(from, TransferStatus::Delivered, "", u64::from(count))
            .await;
    }

    async fn set_health(&self, status: HealthStatus, reason: Option<&str>) {
        let mut system = self.ledger.clone();
        system.health = CredentialHealth {
            status,
            reason: reason.map(str::to_owned),
            checked_at: Some(self.now()),
        };
        self.ferry.store.put_system(&system).await.unwrap();
    }

    async fn choose(&self, recipients: Vec<Recipient>) {
        let before = self
            .ferry
            .store
            .get_reminder_settings(&self.tenant.id)
            .await
            .unwrap();
        let after = ReminderSettings {
            recipients: Some(recipients),
            version: before.version + 1,
        };
        self.ferry
            .store
            .put_reminder_settings(&self.tenant.id, &after, before.version)
            .await
            .unwrap();
    }
}

fn subjects(emails: &[Email]) -> Vec<String> {
    emails.iter().map(|e| e.subject.clone()).collect()
}

#[tokio::test]
async fn nothing_to_tell_sends_nothing() {
    let w = world().await;
    w.deliver_orders(1, 10).await;
    let report = w.run().await;
    assert_eq!(report.emails_sent, 0, "{report:?}");
    assert!(w.sent().is_empty());
}

#[tokio::test]
async fn failed_transfers_are_told_once_in_a_digest_to_the_admins() {
    let w = world().await;
    for number in 1001..=1007 {
        w.fail(number).await;
    }
    w.clock.advance(chrono::Duration::minutes(30));

    let report = w.run().await;

    assert_eq!(report.emails_sent, 1, "{report:?}");
    let sent = w.sent();
    let digest = &sent[0];
    assert_eq!(
        digest.subject,
        "Ferry: 7 orders could not be transferred to e-conomic"
    );
    assert_eq!(
        digest.to,
        ["anna@mugs.example"],
        "the admins, not the viewer"
    );
    assert_eq!(digest.from, "reminders@ferry.example");
    for number in 1001..=1005 {
        assert!(
            digest
                .text
                .contains(&format!("- #{number}: line 'Mug {number}' has no SKU")),
            "{}",
            digest.text
        );
    }
    assert!(
        !digest.text.contains("#1006"),
        "only the first five are named"
    );
    assert!(digest.text.contains("- and 2 more"), "{}", digest.text);
    assert!(digest
        .text
        .contains("https://ferry.example/#/transfers?status=failed"));
    assert!(digest
        .html
        .contains("<a href=\"https://ferry.example/#/transfers?status=failed\">"));
    assert!(
        digest
            .html
            .contains("<li>#1001: line 'Mug 1001' has no SKU"),
        "{}",
        digest.html
    );

    w.clock.advance(chrono::Duration::hours(1));
    let again = w.run().await;
    assert_eq!(again.emails_sent, 0, "told once: {again:?}");
    assert_eq!(w.sent().len(), 1);
}

#[tokio::test]
async fn new_failures_wait_for_the_next_day_and_are_told_then_alone() {
    let w = world().await;
    w.fail(1001).await;
    w.run().await;
    w.clock.advance(chrono::Duration::hours(2));
    w.fail(1002).await;
    w.clock.advance(chrono::Duration::minutes(5));

    assert_eq!(w.run().await.emails_sent, 0, "at most one digest a day");

    w.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 0, 30, 0).unwrap());
    let next_day = w.run().await;
    assert_eq!(next_day.emails_sent, 1, "{next_day:?}");
    let sent = w.sent();
    assert_eq!(
        subjects(&sent),
        [
            "Ferry: 1 order could not be transferred to e-conomic",
            "Ferry: 1 order could not be transferred to e-conomic"
        ]
    );
    assert!(sent[1].text.contains("#1002"));
    assert!(!sent[1].text.contains("#1001"), "told the day before");
}

#[tokio::test]
async fn the_all_clear_follows_when_no_transfer_is_failed_any_more() {
    let w = world().await;
    w.fail(1001).await;
    w.fail(1002).await;
    w.run().await;
    let first = TransferId::for_record(&w.connection.id, "1001");
    let second = TransferId::for_record(&w.connection.id, "1002");

    w.clock.advance(chrono::Duration::hours(1));
    w.settle(&first, TransferStatus::Delivered, "", 1).await;
    assert_eq!(w.run().await.emails_sent, 0, "one is still failed");

    w.clock.advance(chrono::Duration::hours(1));
    w.settle(&second, TransferStatus::Delivered, "", 1).await;
    let report = w.run().await;
    assert_eq!(report.emails_sent, 1, "{report:?}");
    let clear = w.sent().pop().unwrap();
    assert_eq!(
        clear.subject,
        "Ferry: all clear: every failed transfer is resolved"
    );
    assert!(
        clear.text.contains("2026-11-23 at 10:00 UTC"),
        "{}",
        clear.text
    );

    w.clock.advance(chrono::Duration::hours(1));
    assert_eq!(w.run().await.emails_sent, 0, "closed: quiet again");
    assert!(w
        .ferry
        .store
        .get_incidents(&w.tenant.id)
        .await
        .unwrap()
        .open
        .is_empty());
}

#[tokio::test]
async fn usage_is_told_at_80_and_100_percent_once_a_month() {
    let w = world().await; // the starter plan: 1,000 orders a month
    w.deliver_orders(1, 799).await;
    assert_eq!(w.run().await.emails_sent, 0, "79.9 %");

    w.deliver_orders(2, 1).await;
    assert_eq!(w.run().await.emails_sent, 1);
    assert_eq!(w.run().await.emails_sent, 0, "once");

    w.deliver_orders(3, 200).await;
    assert_eq!(w.run().await.emails_sent, 1);
    w.deliver_orders(4, 5).await;
    assert_eq!(w.run().await.emails_sent, 0, "once");
    let sent = w.sent();
    assert_eq!(
        subjects(&sent),
        [
            "Ferry: 80 % of this month's orders used (800 of 1000)",
            "Ferry: all 1000 orders of this month are used",
        ]
    );
    assert!(
        sent[1].text.contains("new orders now wait as pending"),
        "auto-buy is off: {}",
        sent[1].text
    );
    assert!(sent[1]
        .text
        .contains("https://ferry.example/#/subscription"));

    w.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 1, 0, 5, 0).unwrap());
    w.deliver_orders(5, 850).await;
    assert_eq!(w.run().await.emails_sent, 1, "a new month, a new 80 %");
}

#[tokio::test]
async fn each_pack_auto_buy_bought_is_told_once() {
    let w = world().await;
    let before = subscription::current(&w.ferry, &w.tenant.id).await.unwrap();
    let mut on = before.clone();
    on.auto_buy = true;
    let on = subscription::save(&w.ferry, &before, on).await.unwrap();
    let (on, _) = subscription::buy(&w.ferry, &on, 1, true).await.unwrap();
    subscription::buy(&w.ferry, &on, 1, false).await.unwrap();

    assert_eq!(
        w.run().await.emails_sent,
        1,
        "the automatic one, not the one bought by hand"
    );
    assert_eq!(w.run().await.emails_sent, 0);
    assert_eq!(
        subjects(&w.sent()),
        ["Ferry: 100 extra orders bought for 5.00 EUR"]
    );
}

#[tokio::test]
async fn unhealthy_credentials_are_told_daily_until_they_work_again() {
    let w = world().await;
    w.set_health(
        HealthStatus::Unhealthy,
        Some("e-conomic answered 401: the agreement grant token was revoked"),
    )
    .await;

    assert_eq!(w.run().await.emails_sent, 1);
    let told = w.sent().pop().unwrap();
    assert_eq!(
        told.subject,
        "Ferry: e-conomic 'Books' refuses its credentials"
    );
    assert!(told.text.contains("the agreement grant token was revoked"));
    assert!(
        told.text.contains("\"Update credentials\""),
        "how to fix it: {}",
        told.text
    );
    assert!(told
        .text
        .contains("https://ferry.example/#/systems?q=Books"));
    w.clock.advance(chrono::Duration::hours(3));
    assert_eq!(w.run().await.emails_sent, 0, "at most daily");

    w.clock.advance(chrono::Duration::days(1));
    assert_eq!(w.run().await.emails_sent, 1, "still unhealthy the next day");

    w.set_health(HealthStatus::Unknown, None).await;
    assert_eq!(
        w.run().await.emails_sent,
        0,
        "new credentials, not checked yet"
    );
    w.set_health(HealthStatus::Healthy, None).await;
    assert_eq!(w.run().await.emails_sent, 1);
    assert_eq!(
        w.sent().pop().unwrap().subject,
        "Ferry: all clear: e-conomic 'Books' works again"
    );
    assert_eq!(w.run().await.emails_sent, 0);
}

#[tokio::test]
async fn each_recipient_gets_the_kinds_chosen_for_them() {
    let w = world().await;
    w.choose(vec![
        Recipient {
            email: "books@mugs.example".into(),
            kinds: vec![ReminderKind::UnhealthyCredentials, ReminderKind::AllClear],
        },
        Recipient {
            email: "ops@mugs.example".into(),
            kinds: vec![ReminderKind::FailedTransfers, ReminderKind::AllClear],
        },
        Recipient {
            email: "OPS@mugs.example".into(),
            kinds: vec![ReminderKind::FailedTransfers],
        },
    ])
    .await;
    w.fail(1001).await;
    w.set_health(HealthStatus::Unhealthy, Some("revoked")).await;
    w.deliver_orders(2, 900).await;

    let report = w.run().await;

    assert_eq!(report.emails_sent, 2, "nobody gets usage: {report:?}");
    let mut sent: Vec<(String, Vec<String>)> =
        w.sent().into_iter().map(|e| (e.subject, e.to)).collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            (
                "Ferry: 1 order could not be transferred to e-conomic".to_owned(),
                vec!["ops@mugs.example".to_owned()]
            ),
            (
                "Ferry: e-conomic 'Books' refuses its credentials".to_owned(),
                vec!["books@mugs.example".to_owned()]
            ),
        ]
    );
}

#[tokio::test]
async fn two_runs_at_once_send_one_email_per_reminder() {
    let w = world().await;
    w.fail(1001).await;
    w.set_health(HealthStatus::Unhealthy, Some("revoked")).await;

    let (a, b) = tokio::join!(run(&w.ferry), run(&w.ferry));
    let (a, b) = (a.unwrap(), b.unwrap());

    assert_eq!(a.emails_sent + b.emails_sent, 2, "{a:?} {b:?}");
    assert_eq!(a.already_sent + b.already_sent, 2, "{a:?} {b:?}");
    let mut subjects = subjects(&w.sent());
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Ferry: 1 order could not be transferred to e-conomic",
            "Ferry: e-conomic 'Books' refuses its credentials"
        ]
    );
    let incidents = w.ferry.store.get_incidents(&w.tenant.id).await.unwrap();
    assert_eq!(
        incidents.open.len(),
        2,
        "both runs' incidents kept: {incidents:?}"
    );
}

#[tokio::test]
async fn a_refused_send_is_tried_again_next_run_and_not_doubled() {
    let w = world().await;
    w.fail(1001).await;
    w.mailbox.refuse.store(true, Ordering::SeqCst);

    let refused = w.run().await;
    assert_eq!((refused.emails_sent, refused.emails_failed), (0, 1));
    let notices = w.ferry.store.list_notices(&w.tenant.id, 10).await.unwrap();
    assert_eq!(notices[0].status, NoticeStatus::Failed);
    assert!(notices[0]
        .error
        .as_deref()
        .is_some_and(|e| e.contains("the mail service is down")));

    w.mailbox.refuse.store(false, Ordering::SeqCst);
    w.clock.advance(chrono::Duration::hours(1));
    let retried = w.run().await;
    assert_eq!((retried.emails_sent, retried.emails_failed), (1, 0));
    assert!(
        w.sent()[0].text.contains("#1001"),
        "the failure was not lost"
    );
    w.clock.advance(chrono::Duration::hours(1));
    assert_eq!(w.run().await.emails_sent, 0);
    assert_eq!(w.sent().len(), 1);
    let notice = &w.ferry.store.list_notices(&w.tenant.id, 10).await.unwrap()[0];
    assert_eq!((notice.status, notice.attempts), (NoticeStatus::Sent, 2));
}

#[tokio::test]
async fn a_run_that_died_holding_a_reminder_is_taken_over_after_its_lease() {
    let w = world().await;
    w.fail(1001).await;
    let key = format!("{FAILED}#2026-11-23");
    let claimed = crate::model::Notice {
        tenant: w.tenant.id.clone(),
        key: key.clone(),
        kind: ReminderKind::FailedTransfers,
        status: NoticeStatus::Claimed,
        subject: "Ferry: 1 order could not be transferred to e-conomic".into(),
        recipients: vec!["anna@mugs.example".into()],
        at: w.now(),
        lease_until: Some(w.now() + notices::LEASE),
        attempts: 1,
        error: None,
        version: 1,
    };
    w.ferry.store.put_notice(&claimed, 0).await.unwrap();

    assert_eq!(w.run().await.emails_sent, 0, "held by the other run");
    w.clock
        .advance(notices::LEASE + chrono::Duration::minutes(1));
    assert_eq!(w.run().await.emails_sent, 1, "taken over");
}

#[tokio::test]
async fn no_secret_and_no_payload_is_in_any_email() {
    let w = world().await;
    w.fail(1001).await;
    w.set_health(HealthStatus::Unhealthy, Some("revoked")).await;
    w.deliver_orders(2, 1000).await;
    w.run().await;
    w.set_health(HealthStatus::Healthy, None).await;
    w.clock.advance(chrono::Duration::hours(1));
    w.run().await;

    let sent = w.sent();
    assert_eq!(sent.len(), 4, "{:?}", subjects(&sent));
    for email in sent {
        for part in [&email.text, &email.html, &email.subject] {
            assert!(!part.contains(SECRET), "{part}");
            assert!(!part.contains(PAYLOAD_MARK), "{part}");
        }
    }
}

#[tokio::test]
async fn without_admin_users_the_account_address_gets_reminders() {
    let w = world().await;
    let other = Tenant {
        id: TenantId::generate(),
        name: "No users".into(),
        email: "owner@nousers.example".into(),
        time_zone: "UTC".into(),
        created_at: monday(),
    };
    w.ferry.store.create_tenant(&other).await.unwrap();
    let chosen = recipients::of_tenant(&w.ferry, &other).await.unwrap();
    assert!(chosen.default);
    assert_eq!(
        chosen.of_kind(ReminderKind::Usage),
        ["owner@nousers.example"]
    );
    let mugs = recipients::of_tenant(&w.ferry, &w.tenant).await.unwrap();
    assert_eq!(mugs.of_kind(ReminderKind::AllClear), ["anna@mugs.example"]);
}
