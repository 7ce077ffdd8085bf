//! Errors as the console shows them: rendered from the catalogues by the problem's code, in the
//! viewer's language, after the field's label when there is a field. The English `detail` is
//! shown only for a code the catalogues lack, which a test forbids.

use maud::{Markup, html};

use crate::error::ApiError;
use crate::i18n::{Lang, lookup, tf};

/// Every field name an error can carry to a console page, each with a `input.<name>` label in
/// both catalogues. A test checks that every field named in the sources is here.
pub const FIELDS: &[&str] = &[
    "Idempotency-Key",
    "action",
    "admin_login",
    "admin_name",
    "admin_password",
    "app",
    "approver",
    "at_least",
    "attachment_ids",
    "audience",
    "authorization",
    "auto_authorize",
    "auto_default",
    "backup_id",
    "by",
    "code",
    "confirm",
    "contact_id",
    "content_type",
    "contract",
    "contract_end",
    "contract_start",
    "copy_to",
    "csrf",
    "current_password",
    "cursor",
    "delegate_id",
    "department_id",
    "department_ids",
    "departments",
    "description",
    "edition",
    "email",
    "employee_no",
    "ends_at",
    "escalate_after_hours",
    "expires_in_days",
    "expires_in_hours",
    "fields",
    "file",
    "filter",
    "from",
    "group",
    "inbox",
    "instance",
    "invitation_id",
    "key",
    "kind",
    "label",
    "lang",
    "levels",
    "limit",
    "login",
    "max",
    "max_length",
    "max_networks",
    "member_id",
    "member_ids",
    "min",
    "name",
    "network_id",
    "new_password",
    "nodes",
    "of",
    "op",
    "options",
    "organization",
    "organization_id",
    "parent_id",
    "partner_name",
    "partner_type",
    "partner_types",
    "password",
    "pattern",
    "person",
    "phone",
    "policy",
    "principals",
    "q",
    "reason",
    "remind_after_hours",
    "rights",
    "role",
    "scope",
    "seats",
    "side",
    "starts_at",
    "status",
    "step",
    "submission",
    "supervisor_id",
    "tags",
    "task",
    "template",
    "text",
    "tier",
    "tiers",
    "title",
    "to",
    "unit_id",
    "until",
    "values",
    "version",
    "visibility",
    "who_cursor",
];

/// The problem's message in `lang`: "{field label} {rule}" for a broken rule, the refusal or
/// problem's sentence otherwise.
pub fn error_text(lang: Lang, e: &ApiError) -> String {
    let p = &e.0;
    let args: Vec<(&str, String)> =
        p.params.iter().flat_map(|m| m.iter()).map(|(k, v)| (*k, param_text(lang, k, v))).collect();
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(rule) = lookup(lang, &format!("rule.{}", p.code)) {
        let rule = fill(rule, &args);
        return match &p.field {
            Some(f) => tf(lang, "error.with_field", &[("field", &field_label(lang, f)), ("rule", &rule)]),
            None => rule,
        };
    }
    if let Some(sentence) = lookup(lang, &format!("problem.{}", p.code)) {
        return fill(sentence, &args);
    }
    match &p.field {
        Some(f) if !p.detail.starts_with(f.as_str()) => format!("{f}: {}", p.detail),
        _ => p.detail.clone(),
    }
}

/// The error's message beside the input named `field`, if the error is about it.
pub fn field_error(lang: Lang, err: Option<&ApiError>, field: &str) -> Markup {
    html! {
        @if let Some(e) = err.filter(|e| e.0.field.as_deref() == Some(field)) {
            span.field-error role="alert" data-testid={ "field-error-" (field) } { (error_text(lang, e)) }
        }
    }
}

/// A field's name in words; a path into a form (`values.amount`) or an unknown name as it is.
pub fn field_label(lang: Lang, field: &str) -> String {
    lookup(lang, &format!("input.{field}")).map_or_else(|| field.to_owned(), str::to_owned)
}

/// A param as the message shows it: what was not found in words, anything else as it is.
fn param_text(lang: Lang, name: &str, v: &serde_json::Value) -> String {
    let raw = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if name == "what" {
        return lookup(lang, &format!("thing.{}", raw.replace(' ', "_"))).map_or(raw, str::to_owned);
    }
    raw
}

fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use keiretsu_domain::{DomainError, Rule};

    use super::*;
    use crate::error::ProblemType;
    use crate::i18n::parse_catalogue;

    fn catalogues() -> [(&'static str, HashMap<&'static str, &'static str>); 2] {
        [
            ("en.txt", parse_catalogue(include_str!("../../i18n/en.txt"))),
            ("zh.txt", parse_catalogue(include_str!("../../i18n/zh.txt"))),
        ]
    }

    /// Every non-test Rust source of the crates whose errors reach the console.
    fn sources() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs: Vec<_> = ["domain/src", "service/src", "server/src"].iter().map(|d| root.join(d)).collect();
        let mut out = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "tests") {
                        dirs.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Unit tests name made-up fields; only the code before them counts.
                    out.push(text.split("#[cfg(test)]").next().unwrap_or_default().to_owned());
                }
            }
        }
        out
    }

    /// The string literals that follow `pat` in the sources.
    fn literals_after(pat: &str) -> Vec<String> {
        let mut found = Vec::new();
        for src in sources() {
            for (i, _) in src.match_indices(pat) {
                let rest = src[i + pat.len()..].trim_start();
                if let Some(rest) = rest.strip_prefix('"') {
                    found.push(rest[..rest.find('"').unwrap_or(0)].to_owned());
                }
            }
        }
        found
    }

    #[test]
    fn every_code_has_a_message_in_both_catalogues() {
        let mut keys: Vec<String> = Rule::samples().iter().map(|r| format!("rule.{}", r.code())).collect();
        keys.push(format!("rule.{}", DomainError::NotFound { what: "app" }.code()));
        keys.extend(ProblemType::ALL.iter().map(|p| format!("problem.{}", p.code())));
        let whats = literals_after("NotFound { what:");
        assert!(whats.len() > 15, "found only {} things that can be not found", whats.len());
        keys.extend(whats.iter().map(|w| format!("thing.{}", w.replace(' ', "_"))));
        keys.extend(FIELDS.iter().map(|f| format!("input.{f}")));
        for (name, cat) in catalogues() {
            let missing: Vec<_> = keys.iter().filter(|k| !cat.contains_key(k.as_str())).collect();
            assert!(missing.is_empty(), "missing in {name}: {missing:?}");
        }
    }

    #[test]
    fn every_field_an_error_names_has_a_label() {
        let mut named = Vec::new();
        for pat in ["invalid(", "conflict(", "with_field(", "field_error(lang, e,", "field_error(lang, err,"] {
            named.extend(literals_after(pat));
        }
        assert!(named.len() > 50, "found only {} fields", named.len());
        let mut unlabelled: Vec<_> = named.iter().filter(|f| !FIELDS.contains(&f.as_str())).collect();
        unlabelled.sort();
        unlabelled.dedup();
        assert!(unlabelled.is_empty(), "add to FIELDS with an `input.` label: {unlabelled:?}");
    }

    #[test]
    fn params_fill_the_placeholders() {
        let e: ApiError = DomainError::invalid("name", Rule::TooLong(100)).into();
        assert_eq!(error_text(Lang::En, &e), "Name must be at most 100 characters");
        assert_eq!(error_text(Lang::Zh, &e), "名称最多 100 个字符");
        let gone: ApiError = DomainError::NotFound { what: "department" }.into();
        assert!(error_text(Lang::Zh, &gone).contains("部门"), "{}", error_text(Lang::Zh, &gone));
        for rule in Rule::samples() {
            let e: ApiError = DomainError::invalid("name", rule.clone()).into();
            for lang in [Lang::En, Lang::Zh] {
                let text = error_text(lang, &e);
                assert!(!text.contains('{') && !text.contains('}'), "{rule:?} left a placeholder: {text}");
                for (_, v) in rule.params() {
                    assert!(text.contains(&v.to_string()), "{rule:?} does not show {v}: {text}");
                }
            }
        }
    }

    #[test]
    fn a_refusal_reads_in_the_viewers_language() {
        let e: ApiError = keiretsu_domain::identity::NOT_ALLOWED.into();
        assert_eq!(e.0.code, "not_allowed");
        assert!(error_text(Lang::Zh, &e).contains("权限"));
        let unknown = ApiError::new(ProblemType::Validation, "odd").with_code("no_such_code", Vec::new());
        assert_eq!(error_text(Lang::Zh, &unknown), "odd");
    }
}
