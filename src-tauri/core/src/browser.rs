//! Opening a URL in the person's browser when `$BROWSER` names one (the Linux convention).

/// Starts `$BROWSER <url>` if the variable is set; `None` means "use the system opener".
pub fn open_with_env_browser(url: &str) -> Option<std::io::Result<()>> {
    let browser = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())?;
    Some(
        std::process::Command::new(browser.trim())
            .arg(url)
            .spawn()
            .map(|_| ()),
    )
}
