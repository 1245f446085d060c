#![no_main]
//! Wire codec: any bytes as Ethernet / IP / each header; parse, emit, re-parse.
libfuzzer_sys::fuzz_target!(|data: &[u8]| netdrill_stack::fuzzing::wire::run(data));
