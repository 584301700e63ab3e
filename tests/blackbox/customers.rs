//! Customers from the ERP to the webshop, against the loopback sandboxes
//! over HTTP: a customer of the books reaches the shop once (created), a
//! changed name or address reaches it once (the same account updated, no
//! second one, no second address), an unchanged register sends nothing, a
//! customer without e-mail fails with its reason, an e-mail on two shop
//! accounts fails and changes neither, a 429 from the shop is waited out,
//! and the whole path runs on ferry-local through its API.
//!
//! As in `catalog.rs` (whose [`Bench`] this uses), each test runs Ferry's
//! own poll (`flows::poll`, what the scheduler and "sync now" call) and
//! delivers with `flows::process` (the transfer worker's part for
//! catalogue connections), on an embedded store and an in-process queue.

use crate::catalog::{economic_ledger, shopify_shop, Bench};
use ferry::model::{Entity, SystemKind, TransferStatus};
use ferry_local::sandbox::economic::customers::NewCustomer;
use ferry_local::sandbox::fortnox::customers::NewCustomer as NewFortnoxCustomer;
use ferry_local::sandbox::{economic, fortnox, shopify, woocommerce};
use serde_json::json;
use std::time::{Duration, Instant};

fn jens() -> NewCustomer {
    NewCustomer {
        telephone_and_fax_number: Some("12 34 56 78".into()),
        address: Some("Nørregade 1".into()),
        zip: Some("1165".into()),
        city: Some("København K".into()),
        country: Some("Denmark".into()),
        ..NewCustomer::new("Jens Peter Hansen", Some("Jens@Example.dk"))
    }
}

fn acme() -> NewCustomer {
    NewCustomer {
        address: Some("Industrivej 7".into()),
        zip: Some("7100".into()),
        city: Some("Vejle".into()),
        country: Some("Denmark".into()),
        ..NewCustomer::new("Acme ApS", Some("bogholderi@acme.dk; info@acme.dk"))
    }
}

#[tokio::test]
async fn an_erp_customer_reaches_shopify_once_and_a_change_updates_it() {
    let mut bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    let jens_number = ledger.put_customer(jens());
    let acme_number = ledger.put_customer(acme());
    ledger.put_customer(NewCustomer {
        barred: true,
        ..NewCustomer::new("Closed Account A/S", Some("closed@example.dk"))
    });
    let customers = bench.connect(Entity::Customers, &books, &webshop).await;

    // The first pass sends each customer that can still buy, once.
    let first = bench.poll(&customers).await;
    assert_eq!(
        (first.records_found, first.created, first.complete),
        (2, 2, true),
        "the barred customer is left out: {first:?}"
    );
    bench.deliver(Duration::from_secs(30)).await;
    assert_eq!(shop.customer_writes(), 2);
    let made = shop.customers_with_email("jens@example.dk");
    assert_eq!(made.len(), 1);
    let account = &made[0];
    assert_eq!(
        (account.first_name.as_deref(), account.last_name.as_deref()),
        (Some("Jens Peter"), Some("Hansen"))
    );
    assert_eq!(
        account.email.as_deref(),
        Some("jens@example.dk"),
        "matched and sent trimmed and lower-cased"
    );
    assert_eq!(account.phone, None, "the phone goes on the address");
    let address = account.default_address().expect("a default address");
    assert_eq!(address.address1.as_deref(), Some("Nørregade 1"));
    assert_eq!(
        (address.zip.as_deref(), address.city.as_deref()),
        (Some("1165"), Some("København K"))
    );
    assert_eq!(
        (address.country.as_deref(), address.country_code.as_deref()),
        (Some("Denmark"), Some("DK"))
    );
    assert_eq!(address.phone.as_deref(), Some("12 34 56 78"));
    let company = shop.customers_with_email("bogholderi@acme.dk");
    assert_eq!(company.len(), 1, "the first address of the ERP's list");
    assert_eq!(
        (
            company[0].first_name.as_deref(),
            company[0].last_name.as_deref()
        ),
        (Some("Acme"), Some("ApS"))
    );
    let sent = bench.transfer_of(&customers, "jens@example.dk").await;
    assert_eq!(sent.status, TransferStatus::Delivered, "{:?}", sent.reason);
    assert_eq!(sent.source_id, jens_number.to_string());
    assert_eq!(sent.target_ref, Some(account.id.to_string()));
    let usage = bench.usage().await;
    assert_eq!((usage.created, usage.updated), (2, 0), "{usage:?}");

    // Nothing changed: nothing is sent.
    let again = bench.poll(&customers).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 2),
        "{again:?}"
    );
    bench.deliver(Duration::from_secs(5)).await;
    assert_eq!(shop.customer_writes(), 2);

    // Jens moves, Acme is renamed: each reaches the shop once, as an update
    // of the same account and the same address.
    assert!(ledger.edit_customer(jens_number, |body| {
        body["address"] = json!("Vestergade 5");
        body["zip"] = json!("8000");
        body["city"] = json!("Aarhus C");
    }));
    assert!(ledger.edit_customer(acme_number, |body| {
        body["name"] = json!("Acme Holding ApS");
    }));
    let changed = bench.poll(&customers).await;
    assert_eq!(
        (changed.created, changed.updated, changed.unchanged),
        (0, 2, 0),
        "{changed:?}"
    );
    bench.deliver(Duration::from_secs(30)).await;
    assert_eq!(shop.customer_writes(), 4, "one write per change");
    assert_eq!(shop.customers().len(), 2, "no customer was made twice");
    let moved = shop.customer(account.id).expect("the same account");
    assert_eq!(moved.addresses.len(), 1, "the address was changed in place");
    let address = moved.default_address().expect("a default address");
    assert_eq!(
        (
            address.address1.as_deref(),
            address.zip.as_deref(),
            address.city.as_deref()
        ),
        (Some("Vestergade 5"), Some("8000"), Some("Aarhus C"))
    );
    let renamed = shop.customers_with_email("bogholderi@acme.dk");
    assert_eq!(renamed.len(), 1);
    assert_eq!(
        (
            renamed[0].first_name.as_deref(),
            renamed[0].last_name.as_deref()
        ),
        (Some("Acme Holding"), Some("ApS"))
    );
    let updated = bench.transfer_of(&customers, "jens@example.dk").await;
    let held = bench
        .ferry
        .store
        .get_transfer(&bench.tenant, &updated.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.status, TransferStatus::Delivered);
    let read = held.source_payload.expect("the customer as read").to_json();
    assert_eq!(read["city"], "Aarhus C");
    let payload = held.target_payload.expect("what was sent").to_json();
    assert_eq!(payload["customer"]["id"], json!(account.id));
    assert_eq!(
        payload["customer"]["addresses"][0]["id"],
        json!(address.id),
        "the update names the address it changes"
    );
    let usage = bench.usage().await;
    assert_eq!((usage.created, usage.updated), (2, 2), "{usage:?}");

    let after = bench.poll(&customers).await;
    assert_eq!((after.created, after.updated), (0, 0), "{after:?}");
    bench.deliver(Duration::from_secs(5)).await;
    assert_eq!(shop.customer_writes(), 4);
}

#[tokio::test]
async fn a_customer_without_email_fails_with_its_reason() {
    let mut bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    let walk_in = ledger.put_customer(NewCustomer {
        city: Some("Odense".into()),
        ..NewCustomer::new("Walk-in Customer", None)
    });
    ledger.put_customer(jens());
    let customers = bench.connect(Entity::Customers, &books, &webshop).await;

    let first = bench.poll(&customers).await;
    assert_eq!(first.created, 2, "{first:?}");
    bench.deliver(Duration::from_secs(30)).await;
    let failed = bench.transfer_of(&customers, &walk_in.to_string()).await;
    assert_eq!(failed.status, TransferStatus::Failed);
    assert_eq!(
        failed.reason.as_deref(),
        Some(
            format!(
                "customer {walk_in} 'Walk-in Customer' has no e-mail, so it cannot be matched to a customer in Shopify: add one in the ERP"
            )
            .as_str()
        )
    );
    assert_eq!(failed.attempts, 1, "no e-mail is not retried");
    assert_eq!(
        bench
            .transfer_of(&customers, "jens@example.dk")
            .await
            .status,
        TransferStatus::Delivered,
        "the other customer went through"
    );
    assert_eq!(shop.customers().len(), 1);
    assert_eq!(shop.customer_writes(), 1);
    assert_eq!(bench.usage().await.errors, 1);

    // The failure is not sent again every poll.
    let again = bench.poll(&customers).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    bench.deliver(Duration::from_secs(5)).await;
    assert_eq!(shop.customer_writes(), 1);

    // Given an e-mail in the books, the customer reaches the shop.
    assert!(ledger.edit_customer(walk_in, |body| {
        body["email"] = json!("odense@example.dk");
    }));
    let fixed = bench.poll(&customers).await;
    assert_eq!(fixed.created, 1, "{fixed:?}");
    bench.deliver(Duration::from_secs(30)).await;
    let delivered = bench.transfer_of(&customers, "odense@example.dk").await;
    assert_eq!(delivered.status, TransferStatus::Delivered);
    assert_eq!(shop.customers_with_email("odense@example.dk").len(), 1);
}

#[tokio::test]
async fn an_email_on_two_shop_customers_fails_clearly_and_changes_nothing() {
    let mut bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    let anna = shop.add_customer("twice@example.dk", "Anna", "Berg");
    let old = shop.add_customer("Twice@Example.dk", "Anna", "Berg (old)");
    let number = ledger.put_customer(NewCustomer {
        address: Some("Havnegade 3".into()),
        city: Some("Vejle".into()),
        ..NewCustomer::new("Anna Berg", Some("twice@example.dk"))
    });
    ledger.put_customer(jens());
    let customers = bench.connect(Entity::Customers, &books, &webshop).await;

    bench.poll(&customers).await;
    bench.deliver(Duration::from_secs(30)).await;
    let failed = bench.transfer_of(&customers, "twice@example.dk").await;
    assert_eq!(failed.status, TransferStatus::Failed);
    let reason = failed.reason.unwrap_or_default();
    assert!(
        reason.contains(&format!(
            "e-mail twice@example.dk matches 2 customers in Shopify: 'Anna Berg' (id {anna}), 'Anna Berg (old)' (id {old})"
        )) && reason.contains("merge them in Shopify"),
        "{reason}"
    );
    assert_eq!(failed.attempts, 1, "a collision is not retried");
    for id in [anna, old] {
        let untouched = shop.customer(id).expect("still there");
        assert!(untouched.addresses.is_empty(), "neither was changed");
    }
    assert_eq!(
        shop.customer(anna).and_then(|c| c.last_name).as_deref(),
        Some("Berg")
    );
    assert_eq!(
        shop.customer_writes(),
        1,
        "only the other customer was made"
    );
    assert_eq!(shop.customers_with_email("jens@example.dk").len(), 1);
    assert_eq!(bench.usage().await.errors, 1);

    // Not sent again every poll; a change in the books is, and fails again.
    let again = bench.poll(&customers).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    assert!(ledger.edit_customer(number, |body| body["city"] = json!("Kolding")));
    let changed = bench.poll(&customers).await;
    assert_eq!(changed.updated, 1, "{changed:?}");
    bench.deliver(Duration::from_secs(30)).await;
    assert_eq!(
        bench
            .transfer_of(&customers, "twice@example.dk")
            .await
            .status,
        TransferStatus::Failed
    );
    assert_eq!(shop.customer_writes(), 1);
}

/// Two customers of the books with one e-mail would each overwrite the
/// other's account in the shop, poll after poll: the first is sent, the
/// other left out, and a warning names both.
#[tokio::test]
async fn an_email_on_two_erp_customers_sends_the_first_only() {
    let mut bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    let first = ledger.put_customer(jens());
    let second = ledger.put_customer(NewCustomer {
        city: Some("Aalborg".into()),
        ..NewCustomer::new("Jens Hansen (copy)", Some("jens@example.dk"))
    });
    let customers = bench.connect(Entity::Customers, &books, &webshop).await;

    let pass = bench.poll(&customers).await;
    assert_eq!((pass.created, pass.unreadable), (1, 1), "{pass:?}");
    let logs = bench
        .ferry
        .store
        .list_logs(&bench.tenant, &Default::default())
        .await
        .unwrap();
    assert!(
        logs.items.iter().any(|e| e.message.contains(&format!(
            "e-mail jens@example.dk is on two customers in the ERP ({first} and {second}); Ferry sends {first} only"
        ))),
        "{logs:?}"
    );
    bench.deliver(Duration::from_secs(30)).await;
    let sent = shop.customers_with_email("jens@example.dk");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].default_address().and_then(|a| a.city.as_deref()),
        Some("København K"),
        "the first customer's address"
    );
}

#[tokio::test]
async fn a_429_from_the_shop_is_waited_out_and_nothing_is_made_twice() {
    let mut bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    ledger.put_customer(jens());
    let customers = bench.connect(Entity::Customers, &books, &webshop).await;

    bench.poll(&customers).await;
    shop.fail_next(429, 1);
    let started = Instant::now();
    bench.deliver(Duration::from_secs(30)).await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the shop's Retry-After of 2 s was waited out"
    );
    let sent = bench.transfer_of(&customers, "jens@example.dk").await;
    assert_eq!(sent.status, TransferStatus::Delivered, "{:?}", sent.reason);
    assert_eq!(sent.attempts, 2, "the 429 cost one attempt");
    assert_eq!(shop.customers_with_email("jens@example.dk").len(), 1);
    assert_eq!(shop.customer_writes(), 1);
}

/// Fortnox into WooCommerce: inactive customers are not read; a customer
/// the shop already has (made by hand, or by an attempt that crashed
/// before Ferry noted it) is updated, not made again; an e-mail that
/// belongs to the shop's staff is refused.
#[tokio::test]
async fn fortnox_customers_reach_woocommerce_by_email() {
    let mut bench = Bench::start().await;
    let ledger = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let books = bench
        .system(
            SystemKind::Fortnox,
            ledger.system_config(),
            ledger.credentials(),
        )
        .await;
    let shop = woocommerce::spawn(woocommerce::Config::default())
        .await
        .unwrap();
    let webshop = bench
        .system(
            SystemKind::Woocommerce,
            shop.system_config(),
            shop.credentials(),
        )
        .await;
    let anna = ledger.put_customer(NewFortnoxCustomer {
        phone: Some("08-123 456".into()),
        address: Some("Storgatan 1".into()),
        zip: Some("111 22".into()),
        city: Some("Stockholm".into()),
        country_code: Some("SE".into()),
        ..NewFortnoxCustomer::new("Anna Svensson", Some("Anna@Example.se"))
    });
    ledger.put_customer(NewFortnoxCustomer {
        city: Some("Malmö".into()),
        ..NewFortnoxCustomer::new("Lars Nilsson", Some("lars@example.se"))
    });
    ledger.put_customer(NewFortnoxCustomer {
        active: false,
        ..NewFortnoxCustomer::new("Gone AB", Some("gone@example.se"))
    });
    ledger.put_customer(NewFortnoxCustomer::new(
        "Shop Owner",
        Some("owner@shop.example"),
    ));
    let lars = shop.add_customer("Lars@Example.se", "Lasse", "Nilsson");
    let admin = shop.add_user("owner@shop.example", "admin", "administrator");
    let customers = bench.connect(Entity::Customers, &books, &webshop).await;

    let first = bench.poll(&customers).await;
    assert_eq!(
        (first.records_found, first.created),
        (3, 3),
        "the inactive customer is not read: {first:?}"
    );
    bench.deliver(Duration::from_secs(30)).await;

    let made = shop.customers_with_email("anna@example.se");
    assert_eq!(made.len(), 1);
    let account = &made[0];
    assert_eq!(
        (
            account.first_name.as_str(),
            account.last_name.as_str(),
            account.role.as_str()
        ),
        ("Anna", "Svensson", "customer")
    );
    let billing = &account.billing;
    assert_eq!(billing["address_1"], "Storgatan 1");
    assert_eq!(billing["postcode"], "111 22");
    assert_eq!(billing["city"], "Stockholm");
    assert_eq!(billing["phone"], "08-123 456");
    assert_eq!(billing["email"], "anna@example.se");
    assert_eq!(
        billing["country"], "",
        "Fortnox's list of customers carries no country"
    );
    let anna_sent = bench.transfer_of(&customers, "anna@example.se").await;
    assert_eq!(anna_sent.status, TransferStatus::Delivered);
    assert_eq!(anna_sent.source_id, anna);
    assert_eq!(anna_sent.target_ref, Some(account.id.to_string()));

    let known = bench.transfer_of(&customers, "lars@example.se").await;
    assert_eq!(
        known.status,
        TransferStatus::Delivered,
        "{:?}",
        known.reason
    );
    assert_eq!(
        known.target_ref,
        Some(lars.to_string()),
        "the shop's own account"
    );
    assert_eq!(shop.customers_with_email("lars@example.se").len(), 1);
    let updated = shop.customer(lars).unwrap();
    assert_eq!(
        (
            updated.first_name.as_str(),
            updated.billing["city"].as_str()
        ),
        ("Lars", "Malmö")
    );

    let staff = bench.transfer_of(&customers, "owner@shop.example").await;
    assert_eq!(staff.status, TransferStatus::Failed);
    let reason = staff.reason.unwrap_or_default();
    assert!(
        reason.contains("user 'admin' (role administrator), who runs the shop"),
        "{reason}"
    );
    let owner = shop.customer(admin).unwrap();
    assert_eq!(
        (owner.first_name.as_str(), owner.billing["city"].as_str()),
        ("", ""),
        "the administrator's account was not changed"
    );
    assert_eq!(shop.customer_writes(), 2, "Anna made, Lars updated");

    // Unchanged: nothing sent. Anna moves: one update, no new account.
    let again = bench.poll(&customers).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    assert!(ledger.edit_customer(&anna, |body| {
        body["Address1"] = json!("Kungsgatan 10");
        body["City"] = json!("Göteborg");
        body["ZipCode"] = json!("411 19");
    }));
    let moved = bench.poll(&customers).await;
    assert_eq!((moved.created, moved.updated), (0, 1), "{moved:?}");
    bench.deliver(Duration::from_secs(30)).await;
    let after = shop.customers_with_email("anna@example.se");
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].id, account.id);
    assert_eq!(
        (
            after[0].billing["address_1"].as_str(),
            after[0].billing["city"].as_str()
        ),
        ("Kungsgatan 10", "Göteborg")
    );
    assert_eq!(shop.customer_writes(), 3);
}

/// The whole path on a running ferry-local: the connection is made through
/// the API with `"entity": "customers"` (an ERP source is accepted, a shop
/// source is not), "sync now" reads the ledger, the in-process workers
/// make the customer in the shop once, the log shows what was read and
/// what was sent, and a moved customer is updated in place.
#[tokio::test]
async fn customers_reach_the_shop_through_ferry_local_and_its_api() {
    let tenant = crate::tenant::Tenant::start("customers-e2e").await;
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .expect("a ledger");
    let shop = shopify::spawn(shopify::Config::default())
        .await
        .expect("a shop");
    let jens_number = ledger.put_customer(jens());
    let walk_in = ledger.put_customer(NewCustomer::new("Walk-in Customer", None));
    let books = tenant
        .system(
            "economic",
            ledger.system_config(),
            json!(ledger.credentials().0),
        )
        .await;
    let webshop = tenant
        .system("shopify", shop.system_config(), json!(shop.credentials().0))
        .await;
    // Customers flow from the books to the shop, not the other way.
    let (status, refused) = tenant
        .call(
            reqwest::Method::POST,
            "/connections",
            Some(
                json!({"name": "Wrong way", "source": webshop, "target": books,
                        "entity": "customers", "allowed_states": [], "document": "draft_invoice"}),
            ),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["field"], "source");
    let connection = tenant
        .post(
            "/connections",
            json!({"name": "Customers", "source": books, "target": webshop,
                   "entity": "customers", "allowed_states": [], "document": "draft_invoice",
                   "schedule": "0 * * * *"}),
        )
        .await;
    assert_eq!(connection["entity"], "customers", "{connection}");
    let id = connection["id"].as_str().expect("an id").to_owned();

    let synced = tenant.sync(&id, json!({})).await;
    assert_eq!(synced["created"], 2, "{synced}");
    let delivered = tenant.wait_for("jens@example.dk", "delivered").await;
    let failed = tenant.wait_for(&walk_in.to_string(), "failed").await;
    let account = shop.customers_with_email("jens@example.dk");
    assert_eq!(account.len(), 1);
    assert_eq!(delivered["target_ref"], account[0].id.to_string());
    assert_eq!(delivered["connection"], id.as_str());
    assert!(
        failed["reason"]
            .as_str()
            .is_some_and(|r| r.contains("'Walk-in Customer' has no e-mail")),
        "{failed}"
    );
    let detail = tenant
        .get(&format!(
            "/transfers/{}",
            delivered["id"].as_str().expect("an id")
        ))
        .await;
    assert_eq!(detail["source_payload"]["name"], "Jens Peter Hansen");
    assert_eq!(
        detail["target_payload"]["customer"]["email"],
        "jens@example.dk"
    );
    assert_eq!(
        detail["target_payload"]["customer"]["addresses"][0]["city"],
        "København K"
    );

    // Unchanged: nothing more reaches the shop.
    let writes = shop.customer_writes();
    let again = tenant.sync(&id, json!({})).await;
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(shop.customer_writes(), writes);

    // Moved in the books: the same account is updated, once.
    assert!(ledger.edit_customer(jens_number, |body| body["city"] = json!("Aarhus C")));
    let moved = tenant.sync(&id, json!({})).await;
    assert_eq!(moved["updated"], 1, "{moved}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = shop.customer(account[0].id).expect("the same account");
        if now.default_address().and_then(|a| a.city.as_deref()) == Some("Aarhus C") {
            assert_eq!(now.addresses.len(), 1);
            break;
        }
        assert!(Instant::now() < deadline, "the move never reached the shop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tenant.wait_for("jens@example.dk", "delivered").await;
    assert_eq!(shop.customers().len(), 1);
    assert_eq!(shop.customer_writes(), writes + 1);
    tenant.running.stop().await;
}
