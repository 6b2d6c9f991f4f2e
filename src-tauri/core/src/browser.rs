//! Opening a URL in the person's browser, the one way both front ends do it: `$BROWSER` or the system opener, never a shell.

use std::process::Command;

use crate::error::{Error, ErrorCode, Result};

/// Refuses what must never reach an opener: control characters (a line break or an escape
/// would let the URL be read as more than one thing) and schemes other than http and https.
pub fn check_url(url: &str) -> Result<()> {
    if url.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::BadCallback,
            "Signet refused to open an address containing control characters.",
        ));
    }
    let scheme = url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(Error::new(
            ErrorCode::BadCallback,
            "Signet only opens web addresses (http or https) in the browser.",
        ));
    }
    Ok(())
}

/// The commands that would open `url`, in the order they are tried: `$BROWSER` when it is set
/// (the Linux convention), else the system opener (`xdg-open` and its fallbacks; `open` on
/// macOS). The URL is always one argument of its own, never part of a line a shell re-reads.
/// Variables named in `hidden_env` (client secrets read from the environment) are removed
/// from each command's environment.
pub fn commands(url: &str, hidden_env: &[String]) -> Vec<Command> {
    let browser = std::env::var("BROWSER")
        .ok()
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty());
    let mut cmds = match browser {
        Some(b) => {
            let mut c = Command::new(b);
            c.arg(url);
            vec![c]
        }
        None => open::commands(url),
    };
    for c in &mut cmds {
        for name in hidden_env {
            c.env_remove(name);
        }
        crate::child_env::strip(c);
    }
    cmds
}

/// Opens `url` in the person's browser. On Windows the shell API (`ShellExecuteExW`) is used,
/// so no command line is ever re-parsed by `cmd.exe`.
pub fn open(url: &str, hidden_env: &[String]) -> Result<()> {
    check_url(url)?;
    let failed = |e: std::io::Error| {
        Error::new(
            ErrorCode::Internal,
            format!("Signet could not open your browser ({e}). Open the address yourself."),
        )
    };
    #[cfg(windows)]
    if std::env::var_os("BROWSER").is_none() {
        return open::that_detached(url).map_err(failed);
    }
    let mut last = std::io::Error::other("no program to open a browser was found");
    for mut cmd in commands(url, hidden_env) {
        match cmd.spawn() {
            Ok(mut child) => {
                // Reaped in the background: the browser (or its launcher) may run for long.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => last = e,
        }
    }
    Err(failed(last))
}

#[cfg(test)]
mod tests {

    /// What the app set for its own web view (WebKit's settings) does not reach the browser.
    #[test]
    fn variables_the_process_kept_to_itself_are_not_passed_on() {
        crate::child_env::keep_to_self("SIGNET_TEST_OWN_SETTING");
        for cmd in commands("https://example.com/", &["SOME_SECRET".to_owned()]) {
            let removed: Vec<_> = cmd
                .get_envs()
                .filter(|(_, v)| v.is_none())
                .map(|(k, _)| k.to_string_lossy().into_owned())
                .collect();
            assert!(
                removed.contains(&"SIGNET_TEST_OWN_SETTING".to_owned()),
                "{removed:?}"
            );
            assert!(removed.contains(&"SOME_SECRET".to_owned()), "{removed:?}");
        }
    }
    use super::*;

    #[test]
    fn the_url_is_one_argument_unchanged_whatever_it_holds() {
        let url = "https://example.com/a?x=1&y=2|3^4&state=%20\"q\"";
        for cmd in commands(url, &[]) {
            let args: Vec<_> = cmd.get_args().collect();
            assert!(
                args.iter().any(|a| *a == std::ffi::OsStr::new(url)),
                "{:?} {args:?}",
                cmd.get_program()
            );
            assert_ne!(cmd.get_program(), "cmd", "never through cmd.exe");
            assert_ne!(cmd.get_program(), "sh", "never through a shell");
        }
    }

    #[test]
    fn control_characters_and_other_schemes_are_refused() {
        assert!(check_url("https://example.com/\u{1b}]0;x\u{7}").is_err());
        assert!(check_url("https://example.com/\nrm").is_err());
        assert!(check_url("file:///etc/passwd").is_err());
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("https://example.com/a?b=1&c=2").is_ok());
    }

    #[test]
    fn secrets_from_the_environment_are_not_passed_on() {
        for cmd in commands("https://example.com", &["CORP_SECRET".into()]) {
            assert!(cmd
                .get_envs()
                .any(|(k, v)| k == "CORP_SECRET" && v.is_none()));
        }
    }
}
