//! The packetdrill script language: spans, AST (and, being built: lexer,
//! parser, canonical printer, diagnostics).
//!
//! - [`ast`]: the syntax tree the interpreter walks.
//! - [`span`]: source positions carried by every node.

pub mod ast;
pub mod diag;
pub mod lexer;
mod parser;
pub mod span;

pub use parser::parse;
pub use span::Span;
