//! The packetdrill script language.
//!
//! - [`parse`] turns text into an [`ast::Script`] or a list of
//!   [`diag::Diagnostic`]s (each renders as `path:line:col: error: ...` with
//!   the source line and a caret);
//! - [`print()`] writes a script in canonical form, [`format_source`] checks
//!   that it round-trips (`netdrill fmt`);
//! - [`files`] finds the `*.pkt` files under the paths a user names;
//! - [`ast`] is the tree the interpreter walks; [`span`] positions in it.

pub mod ast;
pub mod diag;
pub mod files;
pub mod fuzzing;
pub mod lexer;
mod parser;
pub mod printer;
pub mod span;
mod spanless;

pub use diag::Diagnostic;
pub use parser::parse;
pub use printer::{FormatError, format_source, print};
pub use span::Span;
