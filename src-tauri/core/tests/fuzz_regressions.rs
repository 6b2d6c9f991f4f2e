//! Replays every input in fuzz/corpus/ (the seeds from the providers' documents, and what the
//! fuzzer kept or found) through the fuzz entry points on every test run: a crash once found
//! stays fixed.

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus folder").flatten() {
        let data = std::fs::read(entry.path()).expect("corpus file");
        run(&data);
        n += 1;
    }
    assert!(n > 0, "{target}: empty corpus");
    n
}

#[test]
fn every_saved_fuzz_input_is_handled_without_panicking() {
    use signet_core::fuzzing as f;
    let total = replay("callback", f::callback)
        + replay("feishu", f::feishu)
        + replay("google", f::google)
        + replay("easemob", f::easemob)
        + replay("aihubmix", f::aihubmix)
        + replay("oidc", f::oidc);
    assert!(total >= 20);
}
