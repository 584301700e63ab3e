//! `/reminders`: who gets which reminder emails (the tenant's admins, for
//! every kind, until an admin chooses), and the reminders sent lately.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::{ApiError, ErrorBody};
use super::validate;
use crate::app::Ferry;
use crate::model::{Notice, NoticeStatus, Recipient, ReminderKind, ReminderSettings};
use crate::reminders::recipients;
use crate::store::StoreError;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most recipients a tenant may name.
const MOST_RECIPIENTS: usize = 50;
/// Reminders listed under `recent`.
const RECENT: usize = 20;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientBody {
    pub email: String,
    /// The kinds this person gets (at least one).
    pub kinds: Vec<ReminderKind>,
}

/// One reminder email, as sent or tried.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SentReminder {
    pub kind: ReminderKind,
    pub subject: String,
    /// `sent`, `failed` (tried again next run) or `sending`.
    pub status: String,
    /// When it was sent or last tried.
    pub at: DateTime<Utc>,
    pub recipients: Vec<String>,
    /// Why the last try failed.
    pub error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RemindersView {
    /// Who gets which kinds now.
    pub recipients: Vec<RecipientBody>,
    /// True until an admin chooses: then every admin gets every kind.
    pub default: bool,
    /// Every kind of reminder there is.
    pub kinds: Vec<ReminderKind>,
    /// The latest reminders, newest first.
    pub recent: Vec<SentReminder>,
}

/// The whole list of recipients, replacing the one before (an empty list:
/// nobody gets reminders).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemindersChange {
    pub recipients: Vec<RecipientBody>,
}

#[utoipa::path(get, path = "/api/v1/reminders", tag = "reminders",
    responses((status = 200, body = RemindersView), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(ferry): State<Ferry>,
    caller: Caller,
) -> Result<Json<RemindersView>, ApiError> {
    Ok(Json(view(&ferry, &caller).await?))
}

#[utoipa::path(put, path = "/api/v1/reminders", tag = "reminders", request_body = RemindersChange,
    responses((status = 200, body = RemindersView), (status = "4XX", body = ErrorBody)))]
pub async fn replace(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(change): ValidJson<RemindersChange>,
) -> Result<Json<RemindersView>, ApiError> {
    let chosen = checked(change.recipients)?;
    let before = ferry.store.get_reminder_settings(&caller.tenant).await?;
    let after = ReminderSettings {
        recipients: Some(chosen),
        version: before.version + 1,
    };
    match ferry
        .store
        .put_reminder_settings(&caller.tenant, &after, before.version)
        .await
    {
        Err(StoreError::Conflict) => Err(ApiError::conflict(
            "the recipients were changed at the same time by someone else: reload and try again",
        )),
        other => other.map_err(ApiError::from),
    }?;
    Ok(Json(view(&ferry, &caller).await?))
}

/// Each recipient's address and kinds checked, naming the field.
fn checked(list: Vec<RecipientBody>) -> Result<Vec<Recipient>, ApiError> {
    if list.len() > MOST_RECIPIENTS {
        return Err(ApiError::invalid(
            "recipients",
            format!("at most {MOST_RECIPIENTS} recipients"),
        ));
    }
    let mut chosen: Vec<Recipient> = Vec::with_capacity(list.len());
    for (i, body) in list.into_iter().enumerate() {
        let field = format!("recipients[{i}].email");
        let email = validate::email(&field, &body.email)?;
        if chosen.iter().any(|r| r.email.eq_ignore_ascii_case(&email)) {
            return Err(ApiError::invalid(
                field,
                format!("{email} is listed twice: list each person once with all their kinds"),
            ));
        }
        if body.kinds.is_empty() {
            return Err(ApiError::invalid(
                format!("recipients[{i}].kinds"),
                format!("choose at least one kind of reminder for {email}"),
            ));
        }
        let mut kinds = body.kinds;
        kinds.sort();
        kinds.dedup();
        chosen.push(Recipient { email, kinds });
    }
    Ok(chosen)
}

async fn view(ferry: &Ferry, caller: &Caller) -> Result<RemindersView, ApiError> {
    let tenant = ferry
        .store
        .get_tenant(&caller.tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let now_in_force = recipients::of_tenant(ferry, &tenant).await?;
    let recent = ferry.store.list_notices(&caller.tenant, RECENT).await?;
    Ok(RemindersView {
        recipients: now_in_force
            .list
            .into_iter()
            .map(|r| RecipientBody {
                email: r.email,
                kinds: r.kinds,
            })
            .collect(),
        default: now_in_force.default,
        kinds: ReminderKind::ALL.to_vec(),
        recent: recent.iter().map(sent_reminder).collect(),
    })
}

fn sent_reminder(notice: &Notice) -> SentReminder {
    let status = match notice.status {
        NoticeStatus::Sent => "sent",
        NoticeStatus::Failed => "failed",
        NoticeStatus::Claimed => "sending",
    };
    SentReminder {
        kind: notice.kind,
        subject: notice.subject.clone(),
        status: status.to_owned(),
        at: notice.at,
        recipients: notice.recipients.clone(),
        error: notice.error.clone(),
    }
}
