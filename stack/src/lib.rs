//! netdrill-stack: a deterministic, sans-IO reference TCP/UDP stack.
//!
//! This crate never touches the outside world: no sockets, no clock, no OS
//! randomness. The caller hands it IP packets and the current virtual time
//! ([`time::Instant`]); it hands back packets to send and the time at which it
//! next wants to be woken. Randomness (ISNs, ports) comes from a seed in the
//! configuration. Same inputs, same outputs, bit for bit — that is what makes
//! scripts fast, fuzzing reproducible and differential diffs meaningful.
//!
//! `clippy.toml` beside this crate forbids clock, sleep and socket calls.
#![forbid(unsafe_code)]

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod host;
pub mod linux;
pub mod profile;
pub mod rng;
pub mod socket;
pub mod tcp;
pub mod time;
pub mod udp;
pub mod wire;

pub use host::{Completion, Config, Stack};
