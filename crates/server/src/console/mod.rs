//! The console: server-rendered pages, compiled in.

use axum::Router;

use crate::AppState;

pub mod pages;

pub fn router() -> Router<AppState> {
    Router::new()
}
