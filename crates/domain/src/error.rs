//! The errors of the rules. Each names the field and the rule it broke, so the API can say
//! exactly what was wrong with the input.

use std::fmt;

/// A rule an input can break. The `Display` text is lowercase and names the rule, not the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    Required,
    TooLong(usize),
    TooShort(usize),
    IdPrefix(&'static str),
    OneOf(&'static [&'static str]),
    Format(&'static str),
    NoControlCharacters,
    Unique,
    NoCycle,
    NotEmpty(&'static str),
    Range {
        min: i64,
        max: i64,
    },
    Custom(&'static str),
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
            Rule::Format(what) => write!(f, "must be {what}"),
            Rule::NoControlCharacters => write!(f, "must not contain control characters"),
            Rule::Unique => write!(f, "is already taken"),
            Rule::NoCycle => write!(f, "would put a department inside itself"),
            Rule::NotEmpty(what) => write!(f, "still has {what}"),
            Rule::Range { min, max } => write!(f, "must be between {min} and {max}"),
            Rule::Custom(text) => f.write_str(text),
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

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input broke a rule; nothing was changed.
    #[error("{field} {rule}")]
    Invalid { field: String, rule: Rule },
    /// The object does not exist, or the caller may not know that it does.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The caller is known but lacks the right.
    #[error("{0}")]
    Forbidden(&'static str),
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

    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } | Self::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }
}
