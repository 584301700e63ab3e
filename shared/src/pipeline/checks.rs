//! The checks every flow makes before it delivers, worded once: is the
//! connection there and on, are the integration and the record's module on
//! (Settings), is the target connected and are its credentials working,
//! and can its connector be built from them.

use super::flow::Decision;
use crate::app::Ferry;
use crate::connectors::Target;
use crate::model::{Connection, Entity, HealthStatus, Settings, System, Transfer};
use crate::seal::Credentials;
use crate::store::StoreError;
use std::sync::Arc;

/// The transfer's connection; a deleted one fails the transfer.
pub async fn connection(
    ferry: &Ferry,
    transfer: &Transfer,
) -> Result<Result<Connection, Decision>, StoreError> {
    Ok(ferry
        .store
        .get_connection(&transfer.tenant, &transfer.connection)
        .await?
        .ok_or_else(|| Decision::Fail("its connection was deleted".into())))
}

/// Skips the record when the integration, its module or its connection is
/// switched off.
pub fn switched_off(
    settings: &Settings,
    entity: Entity,
    connection: &Connection,
) -> Option<Decision> {
    if !settings.integration_active {
        return Some(Decision::Skip(
            "the integration is switched off (Settings)".into(),
        ));
    }
    let module_on = match entity {
        Entity::Orders => settings.orders_active,
        Entity::Products => settings.products_active,
        Entity::Stock => settings.stock_active,
        Entity::Customers => settings.customers_active,
    };
    if !module_on {
        return Some(Decision::Skip(format!(
            "the {} module is switched off (Settings)",
            entity.word()
        )));
    }
    if !connection.active {
        return Some(Decision::Skip(format!(
            "connection '{}' is switched off",
            connection.name
        )));
    }
    None
}

/// The connection's target, or why the transfer fails (removed) or is
/// skipped (disconnected).
pub fn target(system: Option<System>) -> Result<System, Decision> {
    let Some(system) = system else {
        return Err(Decision::Fail(
            "the connection's target system was removed".into(),
        ));
    };
    if !system.active {
        return Err(Decision::Skip(format!(
            "{} '{}' is disconnected",
            system.kind.display_name(),
            system.name
        )));
    }
    Ok(system)
}

/// Waits while the target's credentials are known not to work.
pub fn unhealthy(ferry: &Ferry, system: &System) -> Option<Decision> {
    (system.health.status == HealthStatus::Unhealthy).then(|| Decision::Wait {
        reason: format!(
            "waiting: the credentials of {} '{}' do not work ({}); update them under Systems",
            system.kind.display_name(),
            system.name,
            system.health.reason.as_deref().unwrap_or("no reason given")
        ),
        after: ferry.limits.unhealthy_retry,
    })
}

/// Opens the system's credentials and builds its connector with `build`;
/// what fails is said in words.
pub fn connect<T, E: std::fmt::Display>(
    ferry: &Ferry,
    system: &System,
    build: impl FnOnce(&Credentials) -> Result<T, E>,
) -> Result<T, String> {
    let credentials = ferry
        .sealer
        .open(&system.credentials, system.owner())
        .map_err(|e| e.to_string())?;
    build(&credentials).map_err(|e| e.to_string())
}

/// The ledger's connector for a flow that writes to it (orders, payments):
/// waits while its credentials are known not to work, fails when they
/// cannot be opened or the connector cannot be built from them.
pub fn ledger(ferry: &Ferry, system: &System) -> Result<Arc<dyn Target>, Decision> {
    if let Some(wait) = unhealthy(ferry, system) {
        return Err(wait);
    }
    connect(ferry, system, |credentials| {
        ferry.connectors.target(system, credentials)
    })
    .map_err(Decision::Fail)
}
