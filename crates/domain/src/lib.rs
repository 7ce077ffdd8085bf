//! Keiretsu's rules. Everything here is plain Rust with no I/O: the store and the
//! service layers call these functions, and the tests check them without a database.

#[macro_use]
mod text_enum;

pub mod access;
pub mod approval;
pub mod directory;
pub mod error;
pub mod form;
pub mod identity;
pub mod ids;
pub mod journal;
pub mod license;
pub mod network;
pub mod people;
mod reason;
pub mod time;
pub mod whole;
pub mod zone;

pub use error::{DomainError, Param, Reason, Rule};
