//! Least privilege of the webview, checked on the shipped configuration: a strict CSP, one
//! capability for one window granting only Signet's own commands and event listening, and a
//! build script that declares every command (so none is callable without a permission).

mod common;

use common::workspace;

fn json(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(workspace().join(path)).expect(path);
    serde_json::from_str(&text).expect(path)
}

#[test]
fn the_content_security_policy_allows_nothing_but_the_app_itself() {
    let conf = json("tauri.conf.json");
    let csp = conf["app"]["security"]["csp"]
        .as_str()
        .expect("a CSP is set");
    let directives: std::collections::HashMap<&str, Vec<&str>> = csp
        .split(';')
        .filter_map(|d| {
            let mut parts = d.split_whitespace();
            parts.next().map(|name| (name, parts.collect()))
        })
        .collect();
    assert_eq!(directives["default-src"], ["'self'"]);
    assert_eq!(
        directives["script-src"],
        ["'self'"],
        "no inline or remote script, no eval"
    );
    assert_eq!(
        directives["style-src"],
        ["'self'"],
        "no inline styles injected"
    );
    assert_eq!(
        directives["connect-src"],
        ["ipc:", "http://ipc.localhost"],
        "the webview talks to the Rust side only: no provider, no token endpoint"
    );
    assert_eq!(
        directives["img-src"],
        ["'self'", "data:"],
        "pictures come from Signet as data: URLs: no provider-controlled image is loaded"
    );
    assert!(!csp.contains("unsafe-eval") && !csp.contains("unsafe-inline"));
    assert!(conf["app"]["security"]["dangerousDisableAssetCspModification"].is_null());
    assert!(
        conf["app"]["withGlobalTauri"].as_bool() != Some(true),
        "no window.__TAURI__ global"
    );
}

#[test]
fn one_capability_grants_only_signets_commands_to_the_main_window() {
    let conf = json("tauri.conf.json");
    assert_eq!(
        conf["app"]["security"]["capabilities"],
        serde_json::json!(["main-window"])
    );
    let cap = json("capabilities/main-window.json");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    assert!(cap["remote"].is_null(), "no remote URL may call commands");
    // The one list build.rs declares and the shell registers.
    let list = std::fs::read_to_string(workspace().join("src-tauri/src/command_list.rs"))
        .expect("command_list.rs");
    let declared: Vec<&str> = list
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    for p in cap["permissions"].as_array().expect("permissions") {
        let p = p.as_str().expect("a plain permission id");
        match p {
            "core:event:allow-listen" | "core:event:allow-unlisten" => {}
            _ => {
                let command = p
                    .strip_prefix("allow-")
                    .unwrap_or_else(|| panic!("{p}: only Signet's own allow-* permissions"))
                    .replace('-', "_");
                assert!(
                    declared.contains(&command.as_str()),
                    "{p} names a command command_list.rs does not declare"
                );
            }
        }
        for forbidden in [
            "fs:",
            "shell:",
            "opener:",
            "http:",
            "process:",
            "core:default",
            "core:webview",
            "core:window",
        ] {
            assert!(
                !p.starts_with(forbidden),
                "{p} grants more than Signet needs"
            );
        }
    }
    let dir: Vec<_> = std::fs::read_dir(workspace().join("capabilities"))
        .expect("capabilities/")
        .collect();
    assert_eq!(dir.len(), 1, "no other capability file widens the grant");
}
