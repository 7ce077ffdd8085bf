//! Enums carried as snake_case text in storage and the API.

/// Adds `ALL`, `NAMES`, `as_str` and a `parse` whose error names the field and the allowed values to an
/// enum of unit variants, each given with its text.
macro_rules! text_enum {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(field: &str, text: &str) -> Result<Self, $crate::error::DomainError> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    _ => Err($crate::error::DomainError::invalid(field, $crate::error::Rule::OneOf(Self::NAMES))),
                }
            }
        }

        /// Reading a stored column: text that names no variant is an error, never a default.
        impl TryFrom<String> for $name {
            type Error = $crate::error::DomainError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(stringify!($name), &text)
            }
        }
    };
}
