//! The directory's rules: organizations, department trees, accounts and members, and the
//! parsing of member imports.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Reason, Rule};
use crate::identity::normalize_login;
use crate::ids::DepartmentId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Certification {
    Unverified,
    Pending,
    Certified,
    Revoked,
}

text_enum!(Certification {
    Unverified = "unverified",
    Pending = "pending",
    Certified = "certified",
    Revoked = "revoked",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Left,
}

text_enum!(MemberStatus {
    Active = "active",
    Left = "left",
});

/// How long an invitation to become a member waits for the person's answer.
pub const MEMBER_INVITATION_DAYS: i64 = 14;

/// A required single-line name of at most `max` characters as sent, trimmed.
pub fn name(field: &str, text: &str, max: usize) -> Result<String, DomainError> {
    // A name nobody can see (zero-width and direction marks alone) is as empty as none.
    if text.chars().all(|c| c.is_whitespace() || invisible(c)) {
        return Err(DomainError::invalid(field, Rule::Required));
    }
    optional_text(field, text, max).map(|t| t.unwrap_or_default())
}

/// Characters that take no room on screen: zero-width spaces and joiners, direction marks,
/// embeddings, overrides and isolates, the word joiner and invisible operators, the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}')
}

/// What [`name`] accepts, as an ECMA-262 pattern for the API's document: whitespace around
/// (trimmed), no control character inside, and at least one character that shows on screen.
pub const NAME_PATTERN: &str = concat!(
    "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*",
    "[^\\u0000-\\u001F\\u007F-\\u009F]*",
    "[^\\u0000-\\u0020\\u007F-\\u00A0\\u00AD\\u034F\\u061C\\u115F\\u1160\\u1680\\u17B4\\u17B5\\u180E",
    "\\u2000-\\u200F\\u2028-\\u202F\\u205F-\\u2064\\u2066-\\u206F\\u3000\\u3164\\uFEFF\\uFFA0]",
    "[^\\u0000-\\u001F\\u007F-\\u009F]*",
    "[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$",
);

/// The API document's schema of a name of at most `max` characters (see [`NAME_PATTERN`]);
/// `null` too when the name may be left out of a change.
pub fn name_schema(max: usize, nullable: bool) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let kind = if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { SchemaType::new(Type::String) };
    ObjectBuilder::new().schema_type(kind).pattern(Some(NAME_PATTERN)).min_length(Some(1)).max_length(Some(max)).build()
}

/// Schemas of names by their longest, for `#[schema(schema_with = ...)]`.
pub mod name_schemas {
    use utoipa::openapi::schema::Object;

    pub fn n60() -> Object {
        super::name_schema(60, false)
    }
    pub fn n80() -> Object {
        super::name_schema(80, false)
    }
    pub fn n100() -> Object {
        super::name_schema(super::NAME_MAX, false)
    }
    pub fn n120() -> Object {
        super::name_schema(120, false)
    }
    pub fn n200() -> Object {
        super::name_schema(200, false)
    }
    pub fn optional_n80() -> Object {
        super::name_schema(80, true)
    }
    pub fn optional_n100() -> Object {
        super::name_schema(super::NAME_MAX, true)
    }
}

/// An optional single-line text of at most `max` characters as sent; blank becomes `None`.
pub fn optional_text(field: &str, text: &str, max: usize) -> Result<Option<String>, DomainError> {
    if text.chars().count() > max {
        return Err(DomainError::invalid(field, Rule::TooLong(max)));
    }
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, Rule::NoControlCharacters));
    }
    Ok(Some(text.to_owned()))
}

/// Phone numbers: digits with an optional leading `+`, spaces and dashes allowed, 5 to 20 digits.
pub fn phone(field: &str, text: &str) -> Result<Option<String>, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let rule = || DomainError::invalid(field, Rule::Reason(Reason::PhoneFormat));
    let body = text.strip_prefix('+').unwrap_or(text);
    if !body.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
        return Err(rule());
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if !(5..=20).contains(&digits.len()) {
        return Err(rule());
    }
    Ok(Some(if text.starts_with('+') { format!("+{digits}") } else { digits }))
}

/// A plausible email address: one `@`, a dotted domain, no spaces; stored lowercased.
pub fn email(field: &str, text: &str) -> Result<Option<String>, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let rule = || DomainError::invalid(field, Rule::Reason(Reason::EmailFormat));
    if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(rule());
    }
    match text.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(Some(text.to_ascii_lowercase()))
        }
        _ => Err(rule()),
    }
}

/// Employee numbers: letters, digits, `-` and `_`, at most 32.
pub fn employee_no(field: &str, text: &str) -> Result<Option<String>, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > 32 {
        return Err(DomainError::invalid(field, Rule::TooLong(32)));
    }
    if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(DomainError::invalid(field, Rule::Reason(Reason::EmployeeNoFormat)));
    }
    Ok(Some(text.to_owned()))
}

pub const NAME_MAX: usize = 100;
pub const TITLE_MAX: usize = 100;

/// Checks that moving `moving` under `new_parent` keeps the tree a tree: the new parent may not be
/// the department itself or any department below it. `parents` maps each department to its parent.
pub fn check_move(
    parents: &HashMap<DepartmentId, Option<DepartmentId>>,
    moving: &DepartmentId,
    new_parent: &DepartmentId,
) -> Result<(), DomainError> {
    let mut at = Some(new_parent);
    // Bounded by the number of departments, so a corrupt loop in stored data cannot hang us.
    for _ in 0..=parents.len() {
        match at {
            None => return Ok(()),
            Some(d) if d == moving => return Err(DomainError::invalid("parent_id", Rule::NoCycle)),
            Some(d) => at = parents.get(d).and_then(Option::as_ref),
        }
    }
    Err(DomainError::invalid("parent_id", Rule::NoCycle))
}

/// All departments in the subtree under `root`, `root` included, given the parent map.
pub fn subtree(parents: &HashMap<DepartmentId, Option<DepartmentId>>, root: &DepartmentId) -> Vec<DepartmentId> {
    let mut children: HashMap<&DepartmentId, Vec<&DepartmentId>> = HashMap::new();
    for (child, parent) in parents {
        if let Some(p) = parent {
            children.entry(p).or_default().push(child);
        }
    }
    let mut out = vec![root.clone()];
    let mut i = 0;
    while i < out.len() && out.len() <= parents.len() + 1 {
        if let Some(kids) = children.get(&out[i]) {
            out.extend(kids.iter().map(|k| (*k).clone()));
        }
        i += 1;
    }
    out
}

/// One member row of an import, validated for form; the service checks references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// 1-based line number in the file, header included, as a spreadsheet shows it.
    pub line: u64,
    pub employee_no: String,
    pub name: String,
    pub login: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    /// Department path from below the root, `/`-separated, e.g. `Manufacturing/Assembly`.
    pub department: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

pub const IMPORT_COLUMNS: &[&str] = &["employee_no", "name", "login", "phone", "email", "title", "department"];
pub const IMPORT_MAX_ROWS: usize = 200_000;

/// Parses a member CSV: a header naming the columns (any order; `employee_no`, `name` and `login`
/// required), then one member per line. Every bad row is reported with its line and reason.
pub fn parse_import(text: &str) -> Result<(Vec<ImportRow>, Vec<RowError>), DomainError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| DomainError::invalid("file", Rule::Reason(Reason::CsvFormat)))?.clone();
    let mut index = HashMap::new();
    for (i, col) in header.iter().enumerate() {
        let col = col.trim_start_matches('\u{feff}').to_ascii_lowercase();
        if !IMPORT_COLUMNS.contains(&col.as_str()) {
            return Err(DomainError::invalid("file", Rule::Reason(Reason::UnknownImportColumn)));
        }
        index.insert(col, i);
    }
    for required in ["employee_no", "name", "login"] {
        if !index.contains_key(required) {
            return Err(DomainError::invalid("file", Rule::Reason(Reason::ImportColumnsMissing)));
        }
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen_employee = HashMap::new();
    let mut seen_login = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError { line, field: "file".into(), reason: "is not valid CSV in UTF-8".into() });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if rows.len() + errors.len() >= IMPORT_MAX_ROWS {
            return Err(DomainError::invalid("file", Rule::Reason(Reason::ImportTooManyRows)));
        }
        if record.len() != header.len() {
            errors.push(RowError {
                line,
                field: "row".into(),
                reason: format!("has {} fields, the header has {}", record.len(), header.len()),
            });
            continue;
        }
        let get = |col: &str| index.get(col).and_then(|i| record.get(*i)).unwrap_or("");
        let row = (|| {
            let employee_no = employee_no("employee_no", get("employee_no"))?
                .ok_or_else(|| DomainError::invalid("employee_no", Rule::Required))?;
            Ok::<_, DomainError>(ImportRow {
                line,
                employee_no,
                name: name("name", get("name"), NAME_MAX)?,
                login: normalize_login("login", get("login"))?,
                phone: phone("phone", get("phone"))?,
                email: email("email", get("email"))?,
                title: optional_text("title", get("title"), TITLE_MAX)?,
                department: optional_text("department", get("department"), 1000)?,
            })
        })();
        match row {
            Ok(row) => {
                let dup_emp = seen_employee.insert(row.employee_no.clone(), line);
                let dup_login = seen_login.insert(row.login.clone(), line);
                if let Some(first) = dup_emp {
                    errors.push(RowError {
                        line,
                        field: "employee_no".into(),
                        reason: format!("repeats the employee number of line {first}"),
                    });
                } else if let Some(first) = dup_login {
                    errors.push(RowError {
                        line,
                        field: "login".into(),
                        reason: format!("repeats the login of line {first}"),
                    });
                } else {
                    rows.push(row);
                }
            }
            Err(e) => errors.push(RowError {
                line,
                field: e.field().unwrap_or("row").to_owned(),
                reason: match e {
                    DomainError::Invalid { rule, .. } => rule.to_string(),
                    other => other.to_string(),
                },
            }),
        }
    }
    Ok((rows, errors))
}

/// Splits a department path into trimmed, non-empty segments.
pub fn department_path(path: &str) -> Vec<&str> {
    path.split('/').map(str::trim).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RANDOM_LEN;
    use proptest::prelude::*;

    fn dep(n: u8) -> DepartmentId {
        DepartmentId::from_random([n; RANDOM_LEN])
    }

    proptest! {
        /// The document's pattern and length say exactly what the rule accepts.
        #[test]
        fn the_name_pattern_is_the_name_rule(text in "[ \\t\\n\\u{7}\\u{85}\\u{a0}\\u{200b}\\u{202e}\\u{3000}\\u{feff}a加]{0,12}") {
            let pattern = regex::Regex::new(NAME_PATTERN).unwrap();
            let by_schema = pattern.is_match(&text) && text.chars().count() <= 10;
            prop_assert_eq!(name("name", &text, 10).is_ok(), by_schema, "{:?}", text);
        }
    }

    #[test]
    fn a_name_of_invisible_characters_is_no_name() {
        for blank in ["\u{200B}", "\u{202E}\u{200D}", " \u{FEFF} \u{2066}\u{2069} ", "\u{3164}"] {
            assert_eq!(name("name", blank, 60), Err(DomainError::invalid("name", Rule::Required)), "{blank:?}");
        }
        // Marks inside a visible name are the name's own business (Arabic and Hebrew use them).
        assert_eq!(name("name", "Kato\u{200D}Metal", 60).as_deref(), Ok("Kato\u{200D}Metal"));
        assert_eq!(name("name", "加藤", 60).as_deref(), Ok("加藤"));
    }

    #[test]
    fn moves_that_would_make_a_cycle_are_refused() {
        // root(1) -> a(2) -> b(3) -> c(4)
        let parents: HashMap<_, _> =
            [(dep(1), None), (dep(2), Some(dep(1))), (dep(3), Some(dep(2))), (dep(4), Some(dep(3)))].into();
        assert!(check_move(&parents, &dep(4), &dep(1)).is_ok());
        assert!(check_move(&parents, &dep(2), &dep(4)).is_err());
        assert!(check_move(&parents, &dep(2), &dep(2)).is_err());
        assert_eq!(subtree(&parents, &dep(2)).len(), 3);
    }

    #[test]
    fn import_reports_every_bad_row_with_its_line() {
        let csv = "employee_no,name,login,email\nE1,Ann,ann,ann@example.com\nE2,,bob,\nE3,Cy,cyy,not-an-email\nE1,Dup,dup,\nE5,Ed,edd,\n";
        let (rows, errors) = parse_import(csv).unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 6]);
        let got: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(got, vec![(3, "name"), (4, "email"), (5, "employee_no")]);
        assert!(errors[2].reason.contains("line 2"));
    }

    #[test]
    fn import_header_must_be_known() {
        assert!(parse_import("name,login\nA,a\n").is_err());
        assert!(parse_import("employee_no,name,login,salary\n").is_err());
    }

    #[test]
    fn field_rules() {
        assert_eq!(phone("phone", "+86 138-0000-0000").unwrap().as_deref(), Some("+8613800000000"));
        assert!(phone("phone", "12ab").is_err());
        assert!(email("email", "a@b").is_err());
        assert_eq!(email("email", "A@B.cn").unwrap().as_deref(), Some("a@b.cn"));
        assert!(name("name", "   ", 10).is_err());
        assert!(name("name", "a\u{7}b", 10).is_err());
        assert!(name("name", "abcdefghijk", 10).is_err());
    }

    proptest! {
        #[test]
        fn import_parser_never_panics_and_accounts_for_every_line(text in "\\PC{0,400}") {
            let input = format!("employee_no,name,login\n{text}");
            if let Ok((rows, errors)) = parse_import(&input) {
                for r in &rows {
                    prop_assert!(r.line >= 2);
                }
                for e in &errors {
                    prop_assert!(!e.reason.is_empty());
                }
            }
        }

        #[test]
        fn random_trees_never_accept_a_cycle(parents_raw in proptest::collection::vec(0usize..20, 1..20), a in 0usize..20, b in 0usize..20) {
            // Department i's parent is some department with a smaller index: always a tree.
            let n = parents_raw.len();
            let ids: Vec<_> = (0..n).map(|i| dep(i as u8)).collect();
            let parents: HashMap<_, _> = (0..n)
                .map(|i| (ids[i].clone(), if i == 0 { None } else { Some(ids[parents_raw[i] % i].clone()) }))
                .collect();
            let (a, b) = (a % n, b % n);
            let below_a = subtree(&parents, &ids[a]);
            let ok = check_move(&parents, &ids[a], &ids[b]).is_ok();
            prop_assert_eq!(ok, !below_a.contains(&ids[b]));
        }
    }
}
