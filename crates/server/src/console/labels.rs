//! Stored keys in the page's language: partner types, contact roles, field kinds, statuses. Shared
//! by every section of the console, so no section needs another for its words.

use keiretsu_domain::approval::State;
use keiretsu_domain::form::FieldKind;

use crate::i18n::{Lang, t};

/// A built-in partner type's name in the page's language; any other key as it is.
pub(crate) fn type_text(lang: Lang, key: &str) -> String {
    match key {
        "supplier" => t(lang, "ptype.supplier").to_owned(),
        "distributor" => t(lang, "ptype.distributor").to_owned(),
        "service_provider" => t(lang, "ptype.service_provider").to_owned(),
        "ecosystem_staff" => t(lang, "ptype.ecosystem_staff").to_owned(),
        other => other.to_owned(),
    }
}

/// A contact's role in the page's language.
pub(crate) fn contact_role_text(lang: Lang, role: &str) -> String {
    match role {
        "owner" => t(lang, "contact_role.owner").to_owned(),
        "business" => t(lang, "contact_role.business").to_owned(),
        "finance" => t(lang, "contact_role.finance").to_owned(),
        "technical" => t(lang, "contact_role.technical").to_owned(),
        "legal" => t(lang, "contact_role.legal").to_owned(),
        "logistics" => t(lang, "contact_role.logistics").to_owned(),
        "other" => t(lang, "contact_role.other").to_owned(),
        other => other.to_owned(),
    }
}

/// A field kind in the page's language.
pub(crate) fn kind_text(lang: Lang, kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => t(lang, "kind.text"),
        FieldKind::LongText => t(lang, "kind.long_text"),
        FieldKind::Number => t(lang, "kind.number"),
        FieldKind::Money => t(lang, "kind.money"),
        FieldKind::Date => t(lang, "kind.date"),
        FieldKind::SingleChoice => t(lang, "kind.single_choice"),
        FieldKind::MultipleChoice => t(lang, "kind.multiple_choice"),
        FieldKind::Member => t(lang, "kind.member"),
        FieldKind::Department => t(lang, "kind.department"),
        FieldKind::Attachment => t(lang, "kind.attachment"),
    }
}

pub(crate) fn status_text(lang: Lang, status: &str) -> &'static str {
    if status == "left" { t(lang, "status.left") } else { t(lang, "status.active") }
}

/// An approval request's state in words.
pub(crate) fn state_text(lang: Lang, s: State) -> &'static str {
    match s {
        State::Pending => t(lang, "approvals.state_pending"),
        State::Returned => t(lang, "approvals.state_returned"),
        State::Approved => t(lang, "approvals.state_approved"),
        State::Rejected => t(lang, "approvals.state_rejected"),
        State::Withdrawn => t(lang, "approvals.state_withdrawn"),
    }
}
