//! Canonical records and the tenant's configuration.

pub mod catalog;
pub mod connection;
pub mod customer_record;
pub mod ids;
pub mod log;
pub mod order;
pub mod payload;
pub mod payment;
pub mod refund;
pub mod reminder;
pub mod subscription;
pub mod system;
pub mod tenant;
pub mod text;
pub mod transfer;
pub mod usage;
pub mod user;

pub use catalog::{CatalogItem, DEFAULT_WAREHOUSE};
pub use connection::{Connection, CurrencyChoice, DocumentKind, Entity, RunOutcome};
pub use customer_record::CustomerRecord;
pub use ids::{ConnectionId, InvalidId, SystemId, TenantId, TransferId, UserId};
pub use log::{Level, LogEvent};
pub use order::{Address, CustomField, Customer, LineKind, Order, OrderLine, ShopMoney, Totals};
pub use payload::Payload;
pub use payment::{GatewayAccount, Payment, PaymentSettings, GIFT_CARD_GATEWAY};
pub use reminder::{
    Incident, Incidents, Notice, NoticeStatus, Recipient, ReminderKind, ReminderSettings,
};
pub use subscription::{Plan, Purchase, Subscription};
pub use system::{CredentialHealth, HealthStatus, Scope, System, SystemKind};
pub use tenant::{Directory, Settings, Tenant};
pub use transfer::{Arrival, Refused, Transfer, TransferKind, TransferStatus};
pub use usage::{usage_periods, Usage, UsageDelta};
pub use user::{Role, SignInRefused, User};
