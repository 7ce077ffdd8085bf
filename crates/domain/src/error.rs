//! The errors of the rules. Each names the field and the rule it broke, so the API can say
//! exactly what was wrong with the input.

use std::fmt;

pub use crate::reason::Reason;

/// A rule an input can break. The `Display` text is lowercase and names the rule, not the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    Required,
    TooLong(usize),
    TooShort(usize),
    IdPrefix(&'static str),
    OneOf(&'static [&'static str]),
    NoControlCharacters,
    Unique,
    NoCycle,
    Range {
        min: i64,
        max: i64,
    },
    /// A rule of one use case, named by its reason (formats, states, relations).
    Reason(Reason),
    /// A number, amount or date outside its bounds, each bound written as a user would type it.
    Between {
        min: String,
        max: String,
    },
    AtLeast(String),
    AtMost(String),
    /// A list with too few or too many entries.
    Count {
        min: usize,
        max: usize,
    },
    TooMany(usize),
    /// Not one of the choices a form field offers.
    NotAnOption,
    /// An entry that repeats an earlier one of the same list.
    Repeated,
    /// A key that names no field of the form.
    UnknownField,
    /// A setting that does not apply to a kind of form field (the kind's name).
    NotFor(&'static str),
    /// A filter operator that the field's kind does not take (the ones it takes).
    Operators(&'static [&'static str]),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => write!(f, "is required"),
            Rule::TooLong(n) => write!(f, "must be at most {n} characters"),
            Rule::TooShort(n) => write!(f, "must be at least {n} characters"),
            Rule::IdPrefix(p) => write!(f, "must be an id starting with `{p}`"),
            Rule::OneOf(options) => write!(f, "must be one of: {}", options.join(", ")),
            Rule::NoControlCharacters => write!(f, "must not contain control characters"),
            Rule::Unique => write!(f, "is already taken"),
            Rule::NoCycle => write!(f, "would put a department inside itself"),
            Rule::Range { min, max } => write!(f, "must be between {min} and {max}"),
            Rule::Reason(r) => f.write_str(r.text()),
            Rule::Between { min, max } => write!(f, "must be between {min} and {max}"),
            Rule::AtLeast(min) => write!(f, "must be at least {min}"),
            Rule::AtMost(max) => write!(f, "must be at most {max}"),
            Rule::Count { min, max } => write!(f, "must have between {min} and {max} entries"),
            Rule::TooMany(n) => write!(f, "must have at most {n} entries"),
            Rule::NotAnOption => write!(f, "must be one of the field's options"),
            Rule::Repeated => write!(f, "repeats an earlier entry"),
            Rule::UnknownField => write!(f, "is not a field of this form"),
            Rule::NotFor(kind) => write!(f, "does not apply to {kind} fields"),
            Rule::Operators(ops) => write!(f, "takes only the operators: {}", ops.join(", ")),
        }
    }
}

/// A value a rule's message is filled in with: a count or a bound as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    Number(i64),
    Text(String),
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Number(n) => write!(f, "{n}"),
            Param::Text(s) => f.write_str(s),
        }
    }
}

fn num(n: usize) -> Param {
    Param::Number(i64::try_from(n).unwrap_or(i64::MAX))
}

impl Rule {
    /// The codes of the general rules; a `Reason`'s code is its own (see `Reason::ALL`).
    pub const CODES: &'static [&'static str] = &[
        "required",
        "too_long",
        "too_short",
        "id_prefix",
        "one_of",
        "no_control_characters",
        "unique",
        "no_cycle",
        "between",
        "at_least",
        "at_most",
        "count",
        "too_many",
        "not_an_option",
        "repeated",
        "unknown_field",
        "not_for",
        "operators",
    ];

    /// The stable code clients and catalogues key on; never reworded.
    pub const fn code(&self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::TooLong(_) => "too_long",
            Rule::TooShort(_) => "too_short",
            Rule::IdPrefix(_) => "id_prefix",
            Rule::OneOf(_) => "one_of",
            Rule::NoControlCharacters => "no_control_characters",
            Rule::Unique => "unique",
            Rule::NoCycle => "no_cycle",
            Rule::Range { .. } | Rule::Between { .. } => "between",
            Rule::Reason(r) => r.code(),
            Rule::AtLeast(_) => "at_least",
            Rule::AtMost(_) => "at_most",
            Rule::Count { .. } => "count",
            Rule::TooMany(_) => "too_many",
            Rule::NotAnOption => "not_an_option",
            Rule::Repeated => "repeated",
            Rule::UnknownField => "unknown_field",
            Rule::NotFor(_) => "not_for",
            Rule::Operators(_) => "operators",
        }
    }

    /// The values the message names, by the placeholder each fills (`{max}`).
    pub fn params(&self) -> Vec<(&'static str, Param)> {
        let text = |s: &str| Param::Text(s.to_owned());
        match self {
            Rule::TooLong(n) | Rule::TooMany(n) => vec![("max", num(*n))],
            Rule::TooShort(n) => vec![("min", num(*n))],
            Rule::IdPrefix(p) => vec![("prefix", text(p))],
            Rule::OneOf(options) => vec![("options", text(&options.join(", ")))],
            Rule::Range { min, max } => vec![("min", Param::Number(*min)), ("max", Param::Number(*max))],
            Rule::Between { min, max } => vec![("min", text(min)), ("max", text(max))],
            Rule::AtLeast(min) => vec![("min", text(min))],
            Rule::AtMost(max) => vec![("max", text(max))],
            Rule::Count { min, max } => vec![("min", num(*min)), ("max", num(*max))],
            Rule::NotFor(kind) => vec![("kind", text(kind))],
            Rule::Operators(ops) => vec![("operators", text(&ops.join(", ")))],
            Rule::Required
            | Rule::NoControlCharacters
            | Rule::Unique
            | Rule::NoCycle
            | Rule::Reason(_)
            | Rule::NotAnOption
            | Rule::Repeated
            | Rule::UnknownField => Vec::new(),
        }
    }

    /// One of each kind of rule, for tests that walk every code.
    pub fn samples() -> Vec<Rule> {
        let mut all = vec![
            Rule::Required,
            Rule::TooLong(100),
            Rule::TooShort(8),
            Rule::IdPrefix("mem_"),
            Rule::OneOf(&["en", "zh"]),
            Rule::NoControlCharacters,
            Rule::Unique,
            Rule::NoCycle,
            Rule::Range { min: 1, max: 9 },
            Rule::Between { min: "0.01".into(), max: "99.99".into() },
            Rule::AtLeast("2026-01-01".into()),
            Rule::AtMost("2026-12-31".into()),
            Rule::Count { min: 1, max: 5 },
            Rule::TooMany(20),
            Rule::NotAnOption,
            Rule::Repeated,
            Rule::UnknownField,
            Rule::NotFor("number"),
            Rule::Operators(&["eq", "ne"]),
        ];
        all.extend(Reason::ALL.iter().map(|r| Rule::Reason(*r)));
        all
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input broke a rule; nothing was changed.
    #[error("{field} {rule}")]
    Invalid { field: String, rule: Rule },
    /// The object does not exist, or the caller may not know that it does.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The caller is known but lacks the right.
    #[error("{}", .0.text())]
    Forbidden(Reason),
    /// The change conflicts with the current state (for example, a department that is not empty).
    #[error("{field} {rule}")]
    Conflict { field: String, rule: Rule },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, rule: Rule) -> Self {
        Self::Invalid { field: field.into(), rule }
    }

    pub fn conflict(field: impl Into<String>, rule: Rule) -> Self {
        Self::Conflict { field: field.into(), rule }
    }

    /// The stable code of what went wrong: the rule's, the refusal's reason's, or `not_found`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Invalid { rule, .. } | Self::Conflict { rule, .. } => rule.code(),
            Self::NotFound { .. } => "not_found",
            Self::Forbidden(r) => r.code(),
        }
    }

    /// The values the message names: the rule's, or for `not_found` what was not found.
    pub fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            Self::Invalid { rule, .. } | Self::Conflict { rule, .. } => rule.params(),
            Self::NotFound { what } => vec![("what", Param::Text((*what).to_owned()))],
            Self::Forbidden(_) => Vec::new(),
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } | Self::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_distinct_listed_code() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::samples() {
            let code = rule.code();
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "`{code}` is not snake_case");
            let general = !matches!(rule, Rule::Reason(_));
            assert_eq!(Rule::CODES.contains(&code), general, "`{code}` listed wrongly");
            // Range and Between say the same thing; every other code is one rule's.
            assert!(seen.insert(code) || code == "between", "`{code}` is used twice");
        }
        assert_eq!(seen.len(), Rule::CODES.len() + Reason::ALL.len());
        assert!(!seen.contains("not_found"));
    }

    #[test]
    fn params_name_the_rules_bounds() {
        let p = Rule::TooLong(100).params();
        assert_eq!(p, vec![("max", Param::Number(100))]);
        let e = DomainError::invalid("name", Rule::TooLong(100));
        assert_eq!(e.code(), "too_long");
        assert_eq!(e.to_string(), "name must be at most 100 characters");
        let nf = DomainError::NotFound { what: "member" };
        assert_eq!((nf.code(), nf.params()), ("not_found", vec![("what", Param::Text("member".into()))]));
    }
}
