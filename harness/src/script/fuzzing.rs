//! The script parser's contract, checked on arbitrary input; called by the
//! `script` fuzz target and by the property tests.
//!
//! - parsing never panics and returns at least one diagnostic on failure,
//!   each pointing inside the text, and rendering them never panics;
//! - whatever parses prints to a canonical form that parses back to the same
//!   tree (spans aside) and prints to itself.
//!
//! A broken contract panics: that is the signal the fuzzer looks for.

use super::ast::ClearSpans;
use super::{diag, parse, print};

/// Checks the contract on `data` (read as UTF-8, invalid bytes replaced).
pub fn check_script(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    match parse(&src) {
        Ok(mut ast) => {
            let printed = print(&ast);
            let mut again = match parse(&printed) {
                Ok(a) => a,
                Err(d) => panic!(
                    "the canonical form does not parse:\n{}\n--- printed:\n{printed}",
                    diag::render_all(&d, "printed", &printed)
                ),
            };
            assert_eq!(print(&again), printed, "printing is not a fixed point");
            ast.clear_spans();
            again.clear_spans();
            assert_eq!(
                ast, again,
                "the canonical form parses to another tree:\n{printed}"
            );
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "a failed parse must say why");
            for d in &diags {
                let (s, e) = (d.span.start as usize, d.span.end as usize);
                assert!(
                    s <= e && e <= src.len(),
                    "span {s}..{e} outside the text ({} bytes)",
                    src.len()
                );
                assert!(
                    src.is_char_boundary(s) && src.is_char_boundary(e),
                    "span {s}..{e} splits a character"
                );
                assert!(d.span.line >= 1 && d.span.col >= 1);
            }
            let _ = diag::render_all(&diags, "fuzz.pkt", &src);
        }
    }
}
