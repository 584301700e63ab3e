use super::*;
use crate::testing::{november, world, World};
use std::collections::HashSet;

fn long_ago() -> DateTime<Utc> {
    november() - chrono::Duration::minutes(30)
}

#[tokio::test]
async fn the_sweep_requeues_every_stale_pending_transfer_not_only_the_newest_200() {
    let mut world = world().await;
    let tenant = world.tenant.clone();
    let mut stale = HashSet::new();
    for number in 0..450 {
        let at = long_ago() + chrono::Duration::seconds(number.into());
        stale.insert(world.pending_order(&tenant, number, at).await.id);
    }
    // Touched a minute ago: not stale, left alone.
    let fresh = world
        .pending_order(&tenant, 9_999, november() - chrono::Duration::minutes(1))
        .await;

    let report = tick(&world.ferry).await.unwrap();

    assert_eq!(report.requeued, 450);
    let queued: HashSet<_> = world.queued().into_iter().collect();
    assert_eq!(queued, stale);
    assert!(!queued.contains(&fresh.id));
}

#[tokio::test]
async fn a_backlog_past_a_tenants_share_is_gone_through_over_passes_without_holding_back_another_tenant(
) {
    let mut world = world().await;
    let (big, small) = (world.tenant.clone(), TenantId::generate());
    world.add_tenant(&small).await;
    let mut backlog = HashSet::new();
    for number in 0..450 {
        let at = long_ago() - chrono::Duration::seconds(number.into());
        backlog.insert(world.pending_order(&big, number, at).await.id);
    }
    let mut others = HashSet::new();
    for number in 0..5 {
        others.insert(world.pending_order(&small, number, long_ago()).await.id);
    }
    let budget = SweepBudget {
        page: 100,
        per_tenant: 200,
        time: Duration::from_secs(60),
    };
    let mut progress = SweepProgress::default();

    let mut seen = HashSet::new();
    let mut per_pass = Vec::new();
    for _ in 0..3 {
        let report = sweep_within(&world.ferry, &mut progress, budget)
            .await
            .unwrap();
        let queued = world.queued();
        assert_eq!(report.requeued, queued.len());
        // The other tenant's transfers go in every pass, the first included.
        assert!(
            others.iter().all(|id| queued.contains(id)),
            "the small tenant waited"
        );
        per_pass.push(queued.iter().filter(|id| backlog.contains(id)).count());
        seen.extend(queued.into_iter().filter(|id| backlog.contains(id)));
    }

    assert_eq!(per_pass, vec![200, 200, 50]);
    assert_eq!(seen, backlog, "every transfer of the backlog was enqueued");
    // Gone through to the end: the next pass starts again from the newest.
    assert!(progress.within.is_empty());
    sweep_within(&world.ferry, &mut progress, budget)
        .await
        .unwrap();
    assert_eq!(world.queued().len(), 200 + 5);
}

#[tokio::test]
async fn a_pass_out_of_time_goes_on_next_pass_where_it_stopped_and_with_the_tenant_it_did_not_reach(
) {
    let mut world = world().await;
    let (first, second) = (world.tenant.clone(), TenantId::generate());
    world.add_tenant(&second).await;
    let mut of_first = HashSet::new();
    for number in 0..250 {
        let at = long_ago() - chrono::Duration::seconds(number.into());
        of_first.insert(world.pending_order(&first, number, at).await.id);
    }
    let mut of_second = HashSet::new();
    for number in 0..50 {
        of_second.insert(world.pending_order(&second, number, long_ago()).await.id);
    }
    // No time at all: one page per pass.
    let budget = SweepBudget {
        page: 100,
        per_tenant: 20_000,
        time: Duration::ZERO,
    };
    let mut progress = SweepProgress::default();

    let mut seen = HashSet::new();
    for _ in 0..4 {
        let report = sweep_within(&world.ferry, &mut progress, budget)
            .await
            .unwrap();
        assert!(report.requeued <= 100, "{report:?}");
        seen.extend(world.queued());
    }

    let everything: HashSet<_> = of_first.union(&of_second).cloned().collect();
    assert_eq!(seen, everything, "four passes of one page reach all 300");
}

#[tokio::test]
async fn leased_and_recently_touched_transfers_are_not_requeued() {
    let mut world = world().await;
    let tenant = world.tenant.clone();
    let stale = world.pending_order(&tenant, 1, long_ago()).await;
    let held = world.pending_order(&tenant, 2, long_ago()).await;
    // Claimed a second ago (its lease runs on), after a long wait.
    let claimed = held.claimed(november(), Duration::from_secs(60)).unwrap();
    let claimed = Transfer {
        updated_at: long_ago(),
        ..claimed
    };
    world
        .ferry
        .store
        .update_transfer(&claimed, held.version, Default::default())
        .await
        .unwrap();
    world
        .pending_order(&tenant, 3, november() - chrono::Duration::minutes(5))
        .await;

    let report = sweep_within(
        &world.ferry,
        &mut SweepProgress::default(),
        SweepBudget::default(),
    )
    .await
    .unwrap();

    assert_eq!(report.requeued, 1);
    assert_eq!(world.queued(), vec![stale.id]);
}

/// A due connection of `world`'s tenant, every five minutes, whose source
/// system is not stored (its poll ends at once, in words); stored.
async fn due_connection(world: &World, name: &str) -> Connection {
    use crate::model::{ConnectionId, DocumentKind, Entity, Scope, SystemId};
    let connection = Connection {
        id: ConnectionId::generate(),
        tenant: world.tenant.clone(),
        name: name.into(),
        source: SystemId::generate(),
        target: SystemId::generate(),
        entity: Entity::Orders,
        allowed_states: vec!["paid".into()],
        document: DocumentKind::DraftInvoice,
        documents: Default::default(),
        schedule: Some("*/5 * * * *".into()),
        active: true,
        scope: Scope::default(),
        next_run_at: Some(november() - chrono::Duration::minutes(1)),
        cursor: None,
        last_run: RunOutcome::default(),
        created_at: long_ago(),
        updated_at: long_ago(),
    };
    world.ferry.store.put_connection(&connection).await.unwrap();
    connection
}

#[tokio::test]
async fn a_store_error_on_one_connection_does_not_end_the_pass_for_the_others() {
    use crate::store::counting::CountingStore;
    use std::sync::Arc;
    let mut world = world().await;
    let store = Arc::new(CountingStore::new(world.ferry.store.clone()));
    world.ferry.store = store.clone();
    let connections = [
        due_connection(&world, "Shop A").await,
        due_connection(&world, "Shop B").await,
    ];
    // The first claim's read fails; the other connection's poll goes on.
    store.fail_next("get_connection", 1);

    let mut report = TickReport::default();
    poll_due(&world.ferry, &mut report)
        .await
        .expect("the pass ends without an error");

    assert_eq!((report.polled, report.poll_errors), (2, 2), "{report:?}");
    let mut polled = 0;
    let mut left_due = 0;
    for connection in &connections {
        let stored = world
            .ferry
            .store
            .get_connection(&connection.tenant, &connection.id)
            .await
            .unwrap()
            .unwrap();
        match stored.last_run.error.as_deref() {
            Some(reason) => {
                assert_eq!(reason, "the connection's source system was removed");
                assert!(stored.next_run_at > Some(november()));
                polled += 1;
            }
            None => {
                // Not claimed: still due, so the next pass polls it.
                assert_eq!(stored.next_run_at, connection.next_run_at);
                left_due += 1;
            }
        }
    }
    assert_eq!((polled, left_due), (1, 1));
}
