//! Files people upload: to a form's attachment field or to an approval request. The checks a
//! file passes before it is stored, and how it is shown.

use keiretsu_domain::error::{DomainError, Rule};
use keiretsu_domain::ids::AttachmentId;
use keiretsu_store::forms::AttachmentRow;
use serde::Serialize;

use crate::{Result, random_id_bytes};

/// Attachments: at most 10 MiB each, of these types.
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;
pub const ATTACHMENT_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
];

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

pub(crate) fn attachment_view(a: &AttachmentRow) -> AttachmentView {
    AttachmentView {
        id: a.id.clone(),
        name: a.name.clone(),
        content_type: a.content_type.clone(),
        size: a.size,
        sha256: a.sha256.clone(),
    }
}

/// A checked file ready to store: a name, an accepted type, not empty, within the size limit.
pub(crate) fn attachment_row(
    app: &str,
    member: &str,
    approval: Option<&str>,
    name: &str,
    content_type: &str,
    content: &[u8],
    now: i64,
) -> Result<AttachmentRow> {
    let file_name = keiretsu_domain::directory::name("name", name, 200)?;
    let content_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if !ATTACHMENT_TYPES.contains(&content_type.as_str()) {
        return Err(DomainError::invalid("content_type", Rule::OneOf(ATTACHMENT_TYPES)).into());
    }
    if content.is_empty() {
        return Err(DomainError::invalid("file", Rule::Required).into());
    }
    if content.len() > MAX_ATTACHMENT {
        return Err(DomainError::invalid("file", Rule::Reason(keiretsu_domain::error::Reason::FileTooLarge)).into());
    }
    use sha2::Digest;
    Ok(AttachmentRow {
        id: AttachmentId::from_random(random_id_bytes()).to_string(),
        app_id: app.to_owned(),
        member_id: member.to_owned(),
        submission_id: None,
        approval_id: approval.map(str::to_owned),
        name: file_name,
        content_type,
        size: content.len() as i64,
        sha256: keiretsu_domain::journal::hex(&sha2::Sha256::digest(content)),
        created_at: now,
    })
}
