//! The in-app inbox: one per account, written in the same transaction as the change behind it.

use keiretsu_domain::DomainError;
use keiretsu_domain::identity::{Caller, NOT_SIGNED_IN};
use keiretsu_domain::ids::{NotificationId, OrgId};
use keiretsu_domain::time::{Millis, format_rfc3339};
use keiretsu_store::notifications::{self as store, NotificationRow};
use keiretsu_store::{AnyConnection, Json};
use serde::Serialize;

use crate::page::{Page, bad_cursor, decode_cursor, encode_cursor, page_limit};
use crate::{Result, random_id_bytes};

crate::use_cases!();

/// The English title of each kind; the console renders its own from the language catalogue.
fn title(kind: &str) -> &'static str {
    match kind {
        "member_left" => "A member who reports to you has left",
        "head_left" => "A department head has left",
        "invitation_received" => "Your organization is invited to a partner network",
        "invitation_accepted" => "A partner accepted your invitation",
        "invitation_declined" => "A partner declined your invitation",
        "unit_blocked" => "A partner is blocked from your network",
        "unit_unblocked" => "A partner is back in your network",
        "unit_removed" => "Your organization was removed from a partner network",
        "unit_left" => "A partner left your network",
        "contact_handover" => "A contact has changed",
        "contact_assigned" => "You are now a partner contact",
        "contact_missing" => "A partner has lost a contact",
        "app_published" => "An app was published to your organization",
        "seats_warning" => "Seat usage passed a warning level",
        "approval_task" => "A request waits for your approval",
        "approval_decided" => "Your request was decided",
        "approval_copied" => "You are copied on a request",
        "approval_reminder" => "A request still waits for your approval",
        "approval_comment" => "Someone commented on your request",
        _ => "Notification",
    }
}

/// Adds a notification to an account's inbox inside the caller's transaction.
pub(crate) async fn notify(
    c: &mut AnyConnection,
    account: &str,
    org: Option<&OrgId>,
    kind: &str,
    params: serde_json::Value,
    link: Option<&str>,
    now: Millis,
) -> Result<()> {
    let row = NotificationRow {
        id: NotificationId::from_random(random_id_bytes()).to_string(),
        account_id: account.to_owned(),
        org_id: org.map(ToString::to_string),
        kind: kind.to_owned(),
        title: title(kind).to_owned(),
        body: Json(params),
        link: link.map(str::to_owned),
        created_at: now,
        read_at: None,
    };
    store::insert(c, &row).await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// What the notification is about, e.g. `{"name": "Li Na"}`.
    pub params: serde_json::Value,
    pub link: Option<String>,
    pub organization_id: Option<String>,
    pub created_at: String,
    pub read: bool,
}

impl From<NotificationRow> for NotificationView {
    fn from(n: NotificationRow) -> Self {
        NotificationView {
            id: n.id,
            kind: n.kind,
            title: n.title,
            params: n.body.0,
            link: n.link,
            organization_id: n.org_id,
            created_at: format_rfc3339(n.created_at),
            read: n.read_at.is_some(),
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Inbox {
    pub unread: i64,
    #[serde(flatten)]
    pub page: Page<NotificationView>,
}

impl Cases<'_> {
    pub async fn inbox(&self, caller: &Caller, cursor: Option<&str>, limit: Option<i64>) -> Result<Inbox> {
        let account = caller.account().ok_or(NOT_SIGNED_IN)?;
        let before = match cursor {
            Some(c) => {
                let parts = decode_cursor(c, 2)?;
                let at = parts[0].parse().map_err(|_| bad_cursor())?;
                Some((at, parts[1].clone()))
            }
            None => None,
        };
        let limit = page_limit(limit)?;
        let mut c = self.store.read().await?;
        let rows = store::list(&mut c, account.as_str(), before, limit).await?;
        let next_cursor = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|n| encode_cursor(&[&n.created_at.to_string(), &n.id])))
            .flatten();
        let unread = store::unread(&mut c, account.as_str()).await?;
        Ok(Inbox { unread, page: Page { items: rows.into_iter().map(Into::into).collect(), next_cursor } })
    }

    pub async fn unread(&self, caller: &Caller) -> Result<i64> {
        let account = caller.account().ok_or(NOT_SIGNED_IN)?;
        Ok(store::unread(&mut *self.store.read().await?, account.as_str()).await?)
    }

    /// Marks one of the caller's notifications read, or all of them when `id` is `None`.
    pub async fn mark_read(&self, caller: &Caller, id: Option<&NotificationId>) -> Result<u64> {
        let account = caller.account().ok_or(NOT_SIGNED_IN)?;
        let mut tx = self.store.write().await?;
        if let Some(id) = id
            && !store::exists(&mut tx, account.as_str(), id.as_str()).await?
        {
            return Err(DomainError::NotFound { what: "notification" }.into());
        }
        let n = store::mark_read(&mut tx, account.as_str(), id.map(|i| i.as_str()), self.now()).await?;
        let target = id.map_or_else(|| account.to_string(), ToString::to_string);
        let change =
            keiretsu_domain::journal::Change::new(account.as_str(), None, "notification.read", target).with("count", n);
        self.commit(tx, &[change]).await?;
        Ok(n)
    }
}
