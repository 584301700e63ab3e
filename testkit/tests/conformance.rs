//! The store conformance suite on the embedded store: each check on a fresh
//! file, the whole suite on one store (checks sharing it, as in production),
//! and the whole suite through the counting store (which must pass every
//! call on unchanged). DynamoDB runs it in `tests/blackbox/dynamodb.rs`.

use ferry::store::embedded::EmbeddedStore;
use ferry_testkit::conformance;
use ferry_testkit::counting::CountingStore;
use std::sync::Arc;

fn fresh() -> EmbeddedStore {
    EmbeddedStore::temporary().expect("a temporary store")
}

macro_rules! conformance_tests {
    ($($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                conformance::$check(&fresh()).await;
            }
        )*
    };
}

conformance_tests!(
    tenants,
    settings,
    users,
    systems,
    connections,
    connection_ids_belong_to_one_tenant,
    due_connections,
    transfers_create_and_get,
    transfers_with_large_payloads,
    update_transfer_compare_and_swap,
    concurrent_updates_one_wins,
    concurrent_updates_count_usage_once,
    usage_counts_with_updates,
    list_transfers_filters,
    list_transfers_pages,
    status_changes_move_transfers,
    logs,
    counted_logs,
    update_user_compare_and_swap,
    logs_of_a_rare_service_in_bounded_pages,
    transfers_of_a_rare_connection_in_bounded_pages,
    catalog_fingerprints,
    directory_compare_and_swap,
    subscription_compare_and_swap,
    reminder_state,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_suite_on_one_store() {
    conformance::run_all(Arc::new(fresh())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_suite_through_the_counting_store() {
    let counting = Arc::new(CountingStore::new(Arc::new(fresh())));
    conformance::run_all(counting.clone()).await;
    let calls = counting.take();
    assert!(
        calls.reads > 0 && calls.writes > 0,
        "every call went through the counting store: {calls:?}"
    );
}
