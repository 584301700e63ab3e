use super::*;
use crate::model::{Level, LogEvent, Payload, TenantId, TransferId, UsageDelta};
use crate::store::LogQuery;
use crate::testing::{november, world, World};
use async_trait::async_trait;
use std::sync::Mutex;

/// A dead-letter queue in memory: a message handed out is hidden until
/// [`Letters::reveal`] (its visibility timeout running out) unless
/// acknowledged.
#[derive(Default)]
struct Letters {
    held: Mutex<Vec<(DeadLetter, bool)>>,
    refuse_deletes: std::sync::atomic::AtomicBool,
}

impl Letters {
    fn with(bodies: impl IntoIterator<Item = String>) -> Self {
        let letters = Letters::default();
        for (i, body) in bodies.into_iter().enumerate() {
            let letter = DeadLetter {
                body,
                tries: 10,
                receipt: format!("receipt-{i}"),
            };
            letters.held.lock().unwrap().push((letter, false));
        }
        letters
    }

    fn reveal(&self) {
        for (_, hidden) in self.held.lock().unwrap().iter_mut() {
            *hidden = false;
        }
    }

    fn len(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

#[async_trait]
impl DeadLetters for Letters {
    async fn receive(&self, max: usize) -> Result<Vec<DeadLetter>, QueueError> {
        let mut held = self.held.lock().unwrap();
        Ok(held
            .iter_mut()
            .filter(|(_, hidden)| !*hidden)
            .take(max)
            .map(|(letter, hidden)| {
                *hidden = true;
                letter.clone()
            })
            .collect())
    }

    async fn acknowledge(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        if self
            .refuse_deletes
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Err(QueueError("the queue did not answer".into()));
        }
        self.held
            .lock()
            .unwrap()
            .retain(|(held, _)| held.receipt != letter.receipt);
        Ok(())
    }
}

fn body_of(transfer: &Transfer) -> String {
    serde_json::to_string(&TransferMessage {
        tenant: transfer.tenant.clone(),
        transfer: transfer.id.clone(),
    })
    .unwrap()
}

/// Stores `next` over `transfer` (a test's shortcut to a state).
async fn save(world: &World, transfer: &Transfer, next: Transfer) -> Transfer {
    world
        .ferry
        .store
        .update_transfer(&next, transfer.version, UsageDelta::default())
        .await
        .unwrap();
    next
}

async fn stored(world: &World, transfer: &Transfer) -> Transfer {
    world
        .ferry
        .store
        .get_transfer(&transfer.tenant, &transfer.id)
        .await
        .unwrap()
        .unwrap()
}

async fn errors_logged(world: &World) -> Vec<LogEvent> {
    let query = LogQuery {
        min_level: Some(Level::Error),
        ..LogQuery::default()
    };
    world
        .ferry
        .store
        .list_logs(&world.tenant, &query)
        .await
        .unwrap()
        .items
}

/// A pending order that was tried three times, the last one timing out.
async fn tried_three_times(world: &World, number: u32) -> Transfer {
    let mut transfer = world.pending_order(&world.tenant, number, november()).await;
    for attempt in 1..=3 {
        let claimed = transfer
            .claimed(november(), std::time::Duration::from_secs(60))
            .unwrap();
        let claimed = save(world, &transfer, claimed).await;
        let reason = format!("e-conomic did not answer within 10 s (attempt {attempt} of 5)");
        let waiting = claimed.waiting(&reason, november()).unwrap();
        transfer = save(world, &claimed, waiting).await;
    }
    assert_eq!(transfer.attempts, 3);
    transfer
}

#[tokio::test]
async fn a_dead_letter_fails_its_pending_transfer_in_words_and_is_deleted() {
    let world = world().await;
    let transfer = tried_three_times(&world, 1001).await;
    let letters = Letters::with([body_of(&transfer)]);

    let report = drain(&world.ferry, &letters).await.unwrap();

    assert_eq!(
        report,
        DeadLetterReport {
            failed: 1,
            dropped: 0,
            left: 0
        }
    );
    let failed = stored(&world, &transfer).await;
    assert_eq!(failed.status, TransferStatus::Failed);
    assert_eq!(
        failed.reason.as_deref(),
        Some("gave up after 3 attempts: e-conomic did not answer within 10 s")
    );
    assert_eq!(letters.len(), 0, "the message is deleted");
    let logged = errors_logged(&world).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(
        logged[0].message,
        "order #1001 failed: gave up after 3 attempts: e-conomic did not answer within 10 s"
    );
    assert_eq!(logged[0].transfer.as_ref(), Some(&transfer.id));
    let usage = world
        .ferry
        .store
        .usage(&world.tenant, "2026-11")
        .await
        .unwrap();
    assert_eq!(usage.errors, 1);
}

#[tokio::test]
async fn dead_letters_of_settled_missing_or_unreadable_transfers_are_only_deleted() {
    let world = world().await;
    let pending = world.pending_order(&world.tenant, 1, november()).await;
    let delivered = pending
        .delivered("INV-7", Payload::compress(b"{}"), &[], november())
        .unwrap();
    let delivered = save(&world, &pending, delivered).await;
    let missing = TransferMessage {
        tenant: world.tenant.clone(),
        transfer: TransferId::generate(),
    };
    let other_tenant = TransferMessage {
        tenant: TenantId::generate(),
        transfer: delivered.id.clone(),
    };
    let letters = Letters::with([
        body_of(&delivered),
        serde_json::to_string(&missing).unwrap(),
        serde_json::to_string(&other_tenant).unwrap(),
        "not a transfer message".to_owned(),
    ]);

    let report = drain(&world.ferry, &letters).await.unwrap();

    assert_eq!(
        report,
        DeadLetterReport {
            failed: 0,
            dropped: 4,
            left: 0
        }
    );
    assert_eq!(letters.len(), 0);
    assert_eq!(stored(&world, &delivered).await, delivered);
    assert!(errors_logged(&world).await.is_empty());
}

#[tokio::test]
async fn a_dead_letter_of_a_transfer_a_worker_holds_comes_back_and_fails_it_once_free() {
    let world = world().await;
    let transfer = tried_three_times(&world, 1002).await;
    let claimed = transfer
        .claimed(november(), std::time::Duration::from_secs(60))
        .unwrap();
    let claimed = save(&world, &transfer, claimed).await;
    let letters = Letters::with([body_of(&claimed)]);

    let report = drain(&world.ferry, &letters).await.unwrap();
    assert_eq!(report.left, 1);
    assert_eq!(letters.len(), 1, "kept for the next pass");
    assert_eq!(stored(&world, &claimed).await, claimed);

    // The worker died: its lease runs out; the message comes back.
    world.clock.advance(chrono::Duration::minutes(2));
    letters.reveal();
    let report = drain(&world.ferry, &letters).await.unwrap();
    assert_eq!(report.failed, 1);
    assert_eq!(letters.len(), 0);
    let failed = stored(&world, &claimed).await;
    assert_eq!(
        failed.reason.as_deref(),
        Some("gave up after 4 attempts: e-conomic did not answer within 10 s")
    );
}

#[tokio::test]
async fn a_dead_letter_not_deleted_comes_back_and_fails_its_transfer_only_once() {
    let world = world().await;
    let transfer = tried_three_times(&world, 1003).await;
    let letters = Letters::with([body_of(&transfer)]);
    letters
        .refuse_deletes
        .store(true, std::sync::atomic::Ordering::SeqCst);

    let report = drain(&world.ferry, &letters).await.unwrap();
    assert_eq!(report.left, 1);
    let failed = stored(&world, &transfer).await;
    assert_eq!(failed.status, TransferStatus::Failed);

    letters
        .refuse_deletes
        .store(false, std::sync::atomic::Ordering::SeqCst);
    letters.reveal();
    let report = drain(&world.ferry, &letters).await.unwrap();
    assert_eq!(report.dropped, 1);
    assert_eq!(letters.len(), 0);
    assert_eq!(stored(&world, &transfer).await, failed, "failed once");
    assert_eq!(errors_logged(&world).await.len(), 1);
}

#[tokio::test]
async fn a_pass_reads_at_most_its_share_and_the_rest_next_pass() {
    let world = world().await;
    let bodies = (0..PER_PASS + 5).map(|_| {
        serde_json::to_string(&TransferMessage {
            tenant: world.tenant.clone(),
            transfer: TransferId::generate(),
        })
        .unwrap()
    });
    let letters = Letters::with(bodies);

    assert_eq!(
        drain(&world.ferry, &letters).await.unwrap().dropped,
        PER_PASS
    );
    assert_eq!(letters.len(), 5);
    assert_eq!(drain(&world.ferry, &letters).await.unwrap().dropped, 5);
    assert_eq!(letters.len(), 0);
}

#[tokio::test]
async fn the_reason_counts_the_attempts_and_keeps_the_last_reason() {
    let world = world().await;
    let transfer = world.pending_order(&world.tenant, 1, november()).await;
    // Never claimed: the queue's tries count.
    assert_eq!(
        gave_up(&transfer, 10),
        format!("gave up after 10 attempts: {NO_REASON}")
    );
    assert_eq!(
        gave_up(&transfer, 0),
        format!("gave up after repeated attempts: {NO_REASON}")
    );
    let once = Transfer {
        attempts: 1,
        reason: Some("the ledger answered 503".into()),
        ..transfer.clone()
    };
    assert_eq!(
        gave_up(&once, 10),
        "gave up after 1 attempt: the ledger answered 503"
    );
    let noted = Transfer {
        attempts: 5,
        reason: Some("timed out (attempt 5 of 5)".into()),
        ..transfer
    };
    assert_eq!(gave_up(&noted, 10), "gave up after 5 attempts: timed out");
}
