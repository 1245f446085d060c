#![no_main]
//! Arbitrary text never makes the script parser panic or hang, and whatever
//! parses round-trips through the canonical printer
//! (see `netdrill::script::fuzzing`).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| netdrill::script::fuzzing::check_script(data));
