//! `GET /api/v1/openapi.json`: the OpenAPI document, generated from the
//! handlers' own annotations and types (utoipa), so it cannot drift from
//! the code.

use super::{
    connections, reminders, schedules, scopes, screens, sign_in, subscription, systems, tenants,
    transfers, users,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferry dashboard API",
        description = "Everything the dashboard does. Tenant routes take `Authorization: Bearer <token>`; the tenant is the token's. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`; lists are `{\"items\", \"next\"}` (pass `next` as `cursor`)."
    ),
    paths(
        tenants::create,
        systems::list, systems::create, systems::get, systems::update, systems::delete,
        systems::replace_credentials, systems::test, systems::disconnect, systems::sync,
        connections::list, connections::create, connections::get, connections::update,
        connections::delete, connections::sync, connections::activate, connections::deactivate,
        scopes::list_clients, scopes::add_client, scopes::remove_client,
        scopes::list_warehouses, scopes::add_warehouse, scopes::remove_warehouse,
        transfers::list, transfers::get, transfers::retry,
        screens::get_settings, screens::update_settings, screens::board, screens::logs,
        screens::overview, schedules::list,
        users::list, users::invite, users::get, users::update, users::remove,
        users::send_invitation, sign_in::exchange, sign_in::sign_out_everywhere,
        subscription::get, subscription::update, subscription::upgrade, subscription::purchase,
        reminders::get, reminders::replace,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// Declares the bearer token schemes: tenant users' JWTs and the
/// operator's token.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "operator",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::document;

    #[test]
    fn every_route_is_documented_with_its_errors() {
        let doc = serde_json::to_value(document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/v1/tenants",
            "/api/v1/systems/{id}/disconnect",
            "/api/v1/connections/{id}/activate",
            "/api/v1/transfers/{id}/retry",
            "/api/v1/users/{id}",
            "/api/v1/subscription/purchases",
            "/api/v1/overview",
            "/api/v1/sign-in",
            "/api/v1/sign-out-everywhere",
            "/api/v1/users/{id}/invitation",
        ] {
            assert!(paths.contains_key(path), "{path} is not documented");
        }
        for (path, operations) in paths {
            for (method, operation) in operations.as_object().unwrap() {
                assert!(
                    operation["responses"].get("4XX").is_some(),
                    "{method} {path} documents no error answer"
                );
            }
        }
    }
}
