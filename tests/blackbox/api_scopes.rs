//! Systems and connections with their scopes: clients and warehouses,
//! list filters, disconnect, delete refused with the reason, connections
//! switched one by one.

use crate::api_kit::{id, ids, Api};
use serde_json::json;

#[tokio::test]
async fn lists_filter_by_scope_client_warehouse_and_name() {
    let api = Api::start("scopes-filters").await;
    let t = api.tenant("Scopes").await.token;
    api.expect(201, "POST", "/clients", &t, Some(json!({"name": "Acme"})))
        .await;
    api.expect(201, "POST", "/clients", &t, Some(json!({"name": "Bolt"})))
        .await;
    api.expect(
        201,
        "POST",
        "/warehouses",
        &t,
        Some(json!({"name": "North"})),
    )
    .await;
    let answer = api
        .expect(409, "POST", "/clients", &t, Some(json!({"name": "acme"})))
        .await;
    assert_eq!(answer["error"]["field"], "name");

    let global = api.shop(&t, "Main shop", json!({})).await;
    let acme = api
        .shop(
            &t,
            "Acme Store",
            json!({"client": "Acme", "warehouse": "North"}),
        )
        .await;
    let bolt = api
        .ledger(&t, "Bolt books", json!({"client": "Bolt"}))
        .await;
    assert_eq!(
        (global["scope"].as_str(), acme["scope"].as_str()),
        (Some("global"), Some("client"))
    );
    // A client or warehouse that was never defined is refused by name.
    for (extra, field) in [
        (json!({"client": "Nope"}), "client"),
        (json!({"warehouse": "South"}), "warehouse"),
    ] {
        let mut body =
            json!({"kind": "fortnox", "name": "x", "credentials": {"access_token": "t"}});
        crate::api_kit::merge(&mut body, extra);
        let answer = api.expect(400, "POST", "/systems", &t, Some(body)).await;
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }

    let list = |query: &'static str| {
        let api = &api;
        let t = t.clone();
        async move {
            let page = api
                .expect(200, "GET", &format!("/systems{query}"), &t, None)
                .await;
            let mut found = ids(page["items"].as_array().unwrap());
            found.sort();
            found
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(list("?scope=global").await, vec![id(&global).to_owned()]);
    assert_eq!(
        list("?scope=client").await,
        sorted(vec![id(&acme).to_owned(), id(&bolt).to_owned()])
    );
    assert_eq!(list("?client=Bolt").await, vec![id(&bolt).to_owned()]);
    assert_eq!(list("?warehouse=North").await, vec![id(&acme).to_owned()]);
    assert_eq!(list("?q=STORE").await, vec![id(&acme).to_owned()]);
    assert_eq!(list("?q=shop&scope=client").await, Vec::<String>::new());
    let answer = api
        .expect(400, "GET", "/systems?scope=everywhere", &t, None)
        .await;
    assert_eq!(answer["error"]["field"], "scope");

    let shared = api
        .connection(&t, "Main > Bolt", &global, &bolt, json!({}))
        .await;
    let scoped = api
        .connection(
            &t,
            "Acme > Bolt",
            &acme,
            &bolt,
            json!({"client": "Acme", "warehouse": "North"}),
        )
        .await;
    let connections = |query: &'static str| {
        let api = &api;
        let t = t.clone();
        async move {
            let page = api
                .expect(200, "GET", &format!("/connections{query}"), &t, None)
                .await;
            ids(page["items"].as_array().unwrap())
        }
    };
    assert_eq!(
        connections("?scope=global").await,
        vec![id(&shared).to_owned()]
    );
    assert_eq!(
        connections("?client=Acme").await,
        vec![id(&scoped).to_owned()]
    );
    assert_eq!(
        connections("?warehouse=North").await,
        vec![id(&scoped).to_owned()]
    );
    assert_eq!(connections("?q=main").await, vec![id(&shared).to_owned()]);
    // PATCH with null makes a connection global again.
    let moved = api
        .expect(
            200,
            "PATCH",
            &format!("/connections/{}", id(&scoped)),
            &t,
            Some(json!({"client": null})),
        )
        .await;
    assert_eq!(
        (moved["scope"].as_str(), moved["warehouse"].as_str()),
        (Some("global"), Some("North"))
    );

    // Clients show their use; one in use is not removed, with the reason.
    let clients = api.expect(200, "GET", "/clients", &t, None).await;
    assert_eq!(
        clients["items"][0],
        json!({"name": "Acme", "systems": 1, "connections": 0})
    );
    let answer = api.expect(409, "DELETE", "/clients/Acme", &t, None).await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Acme Store"),
        "{answer}"
    );
    api.expect(404, "DELETE", "/clients/Nobody", &t, None).await;
    api.expect(
        200,
        "PATCH",
        &format!("/systems/{}", id(&acme)),
        &t,
        Some(json!({"client": null})),
    )
    .await;
    api.expect(204, "DELETE", "/clients/Acme", &t, None).await;
    let clients = api.expect(200, "GET", "/clients", &t, None).await;
    assert_eq!(clients["items"].as_array().unwrap().len(), 1);
    api.stop().await;
}

#[tokio::test]
async fn systems_disconnect_and_delete_with_reasons_connections_switch_one_by_one() {
    let api = Api::start("scopes-actions").await;
    let t = api.tenant("Actions").await.token;
    let shop = api.shop(&t, "Shop", json!({})).await;
    let books = api.ledger(&t, "Books", json!({})).await;
    let one = api
        .connection(&t, "First flow", &shop, &books, json!({"active": true}))
        .await;
    let two = api
        .connection(&t, "Second flow", &shop, &books, json!({"active": true}))
        .await;
    let shop_path = format!("/systems/{}", id(&shop));

    // The system view: kind, configuration, dates, credential health.
    let view = api.expect(200, "GET", &shop_path, &t, None).await;
    assert_eq!(view["kind"], "shopify");
    assert_eq!(view["config"]["shop_domain"], "a.myshopify.com");
    assert!(view["created_at"].is_string() && view["updated_at"].is_string());
    assert_eq!(view["health"]["status"], "unknown");
    assert!(view["health"]["checked_at"].is_null());

    // Delete is refused while active connections use it, naming them.
    let answer = api.expect(409, "DELETE", &shop_path, &t, None).await;
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("First flow") && message.contains("Second flow"),
        "{message}"
    );

    // Connections switch one by one.
    let off = api
        .expect(
            200,
            "POST",
            &format!("/connections/{}/deactivate", id(&one)),
            &t,
            None,
        )
        .await;
    assert_eq!(off["active"], false);
    let still = api
        .expect(200, "GET", &format!("/connections/{}", id(&two)), &t, None)
        .await;
    assert_eq!(still["active"], true);
    let answer = api.expect(409, "DELETE", &shop_path, &t, None).await;
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("First flow") && message.contains("Second flow"),
        "{message}"
    );
    let on = api
        .expect(
            200,
            "POST",
            &format!("/connections/{}/activate", id(&one)),
            &t,
            None,
        )
        .await;
    assert_eq!(on["active"], true);

    // Sync now from a target is refused with the reason; disconnect switches
    // the system off, and a disconnected shop is not synced.
    let answer = api
        .expect(
            409,
            "POST",
            &format!("/systems/{}/sync", id(&books)),
            &t,
            None,
        )
        .await;
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("target"));
    let off = api
        .expect(200, "POST", &format!("{shop_path}/disconnect"), &t, None)
        .await;
    assert_eq!(off["active"], false);
    assert_eq!(
        api.expect(200, "GET", &shop_path, &t, None).await["active"],
        false
    );
    let answer = api
        .expect(409, "POST", &format!("{shop_path}/sync"), &t, None)
        .await;
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("disconnected"));

    // With its connections off, it is removed.
    for connection in [&one, &two] {
        api.expect(
            200,
            "POST",
            &format!("/connections/{}/deactivate", id(connection)),
            &t,
            None,
        )
        .await;
    }
    api.expect(204, "DELETE", &shop_path, &t, None).await;
    api.expect(404, "GET", &shop_path, &t, None).await;
    api.stop().await;
}
