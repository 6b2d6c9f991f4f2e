//! Fuzz target: signet_core::fuzzing::aihubmix — arbitrary bytes must never panic, hang or run out of memory.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    signet_core::fuzzing::aihubmix(data);
});
