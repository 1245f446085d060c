#![no_main]
//! The stack driven by segments, socket calls and time steps; checks invariants.
libfuzzer_sys::fuzz_target!(|input: netdrill_stack::fuzzing::stack::Input| {
    netdrill_stack::fuzzing::stack::run(&input)
});
