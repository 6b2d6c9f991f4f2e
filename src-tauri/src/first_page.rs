//! The page's HTML with its first screen inside: read while WebKit starts, so the page's script finds the list without asking.
//!
//! Asked over IPC, the first screen's answer reached the page's script 36–51 ms after it was
//! sent, behind the web process's own start (BENCHMARKS.md, idle). Here the set-up reads it
//! while the web process is still loading, and the app's assets hand it to the page inside its
//! `index.html`, as a JSON data block (not a script: the CSP's `script-src 'self'` stands).
//! Once only: a reload of the page asks over IPC like before, and the page catches up with
//! anything that changed since the read (`FirstScreen::changes`).

use std::borrow::Cow;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use signet_core::views::FirstScreen;
use tauri::utils::assets::{AssetKey, AssetsIter, CspHash};
use tauri::{AppHandle, Assets, Manager, Runtime};

/// The id of the data block in the page (read by `ui/src/lib/startup.ts`).
pub(crate) const BLOCK_ID: &str = "signet-first-screen";

/// The IPC capture's name for the first screen sent inside the page.
pub(crate) const CAPTURE_CHANNEL: &str = "page:first_screen";

/// Reads the first screen in the background into the slot the page's request takes it from.
pub(crate) fn prepare(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let screen = crate::services::first_screen(&app).await;
        match &screen {
            // What goes to the webview inside its page, recorded like every command result.
            Ok(first) => crate::events::capture(&app, CAPTURE_CHANNEL, first),
            Err(e) => tracing::warn!(
                code = e.code.as_str(),
                "first screen not read; the page will ask"
            ),
        }
        app.state::<FirstScreenSlot>().fill(screen.as_ref().ok());
    });
}

/// How long the page's request waits for a first screen still being read. It waits on the
/// main thread; past this the page gets its HTML without it and asks over IPC.
const WAIT: Duration = Duration::from_millis(150);

enum State {
    Reading,
    Ready(String),
    Used,
}

/// The first screen between the set-up that reads it and the page request that takes it.
#[derive(Clone)]
pub(crate) struct FirstScreenSlot(Arc<(Mutex<State>, Condvar)>);

impl FirstScreenSlot {
    pub(crate) fn new() -> Self {
        FirstScreenSlot(Arc::new((Mutex::new(State::Reading), Condvar::new())))
    }

    /// The first screen as read, or none when it could not be read (the page then asks).
    pub(crate) fn fill(&self, screen: Option<&FirstScreen>) {
        let json = screen.and_then(|s| match serde_json::to_string(s) {
            Ok(json) => Some(json),
            Err(e) => {
                tracing::warn!(error = %e, "first screen not serialized; the page will ask");
                None
            }
        });
        let (state, ready) = &*self.0;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*state, State::Reading) {
            *state = json.map_or(State::Used, State::Ready);
        }
        ready.notify_all();
    }

    /// The first screen's JSON, once: waits up to `wait` while it is still being read.
    fn take(&self, wait: Duration) -> Option<String> {
        let (state, ready) = &*self.0;
        let deadline = Instant::now() + wait;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        while matches!(*state, State::Reading) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::info!("first screen not read in time; the page will ask");
                break;
            }
            state = ready
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        match std::mem::replace(&mut *state, State::Used) {
            State::Ready(json) => Some(json),
            State::Reading | State::Used => None,
        }
    }
}

/// `html` with the first screen's JSON in a data block before `</body>`. The JSON's `<`, `>`
/// and `&` are written as `\u` escapes (the same string to `JSON.parse`), so nothing in an
/// account's name can end the block.
pub(crate) fn with_first_screen(html: &[u8], json: &str) -> Vec<u8> {
    let mut safe = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            c => safe.push(c),
        }
    }
    let block = format!(r#"<script id="{BLOCK_ID}" type="application/json">{safe}</script>"#);
    let at = find_last(html, b"</body>").unwrap_or(html.len());
    let mut page = Vec::with_capacity(html.len() + block.len());
    page.extend_from_slice(&html[..at]);
    page.extend_from_slice(block.as_bytes());
    page.extend_from_slice(&html[at..]);
    page
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The app's built-in assets, with the first screen added to the first `index.html` served.
pub(crate) struct FirstPage<R: Runtime> {
    inner: Box<dyn Assets<R>>,
    slot: FirstScreenSlot,
}

impl<R: Runtime> FirstPage<R> {
    /// Wraps `context`'s assets; the slot is what the set-up fills.
    pub(crate) fn install(context: &mut tauri::Context<R>, slot: FirstScreenSlot) {
        let inner = context.set_assets(Box::new(NoAssets));
        context.set_assets(Box::new(FirstPage { inner, slot }));
    }
}

impl<R: Runtime> Assets<R> for FirstPage<R> {
    fn setup(&self, app: &tauri::App<R>) {
        self.inner.setup(app);
    }

    fn get(&self, key: &AssetKey) -> Option<Cow<'_, [u8]>> {
        let asset = self.inner.get(key)?;
        if key.as_ref() != "/index.html" {
            return Some(asset);
        }
        let asked = Instant::now();
        match self.slot.take(WAIT) {
            Some(json) => {
                tracing::info!(
                    ms = crate::since_start_ms(),
                    waited_ms = asked.elapsed().as_millis(),
                    "start-up: page served with its first screen"
                );
                Some(Cow::Owned(with_first_screen(&asset, &json)))
            }
            None => Some(asset),
        }
    }

    fn iter(&self) -> Box<AssetsIter<'_>> {
        self.inner.iter()
    }

    fn csp_hashes(&self, html_path: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
        self.inner.csp_hashes(html_path)
    }
}

/// Stands in for the assets while they are moved into `FirstPage`.
struct NoAssets;

impl<R: Runtime> Assets<R> for NoAssets {
    fn get(&self, _: &AssetKey) -> Option<Cow<'_, [u8]>> {
        None
    }
    fn iter(&self) -> Box<AssetsIter<'_>> {
        Box::new(std::iter::empty())
    }
    fn csp_hashes(&self, _: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
        Box::new(std::iter::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_core::views::Settings;

    fn screen(name: &str) -> FirstScreen {
        FirstScreen {
            accounts: Vec::new(),
            settings: Settings {
                language: name.into(),
                ..Settings::default()
            },
            desktop_font: Some(name.into()),
            changes: 3,
            providers: 1,
        }
    }

    fn block(page: &[u8]) -> String {
        let page = String::from_utf8(page.to_vec()).expect("utf-8");
        let open = format!(r#"<script id="{BLOCK_ID}" type="application/json">"#);
        let start = page.find(&open).expect("block") + open.len();
        let end = start + page[start..].find("</script>").expect("end of block");
        page[start..end].to_owned()
    }

    #[test]
    fn the_block_goes_before_the_body_ends_and_parses_back() {
        let slot = FirstScreenSlot::new();
        slot.fill(Some(&screen("en")));
        let json = slot.take(Duration::ZERO).expect("json");
        let page = with_first_screen(b"<html><body><div id=app></div></body></html>", &json);
        let text = String::from_utf8(page.clone()).expect("utf-8");
        assert!(text.ends_with("</script></body></html>"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&block(&page)).expect("parses");
        assert_eq!(back["desktopFont"], "en");
        assert_eq!(back["changes"], 3);
    }

    #[test]
    fn a_name_cannot_end_the_block() {
        let hostile = r#"</script><script>alert(1)</script><!-- & >"#;
        let json = serde_json::to_string(&screen(hostile)).expect("json");
        let page = with_first_screen(b"<body></body>", &json);
        let inner = block(&page);
        assert!(!inner.contains('<') && !inner.contains('>') && !inner.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&inner).expect("parses");
        assert_eq!(
            back["desktopFont"], hostile,
            "the same string after JSON.parse"
        );
    }

    #[test]
    fn served_once_then_the_page_asks() {
        let slot = FirstScreenSlot::new();
        slot.fill(Some(&screen("en")));
        assert!(slot.take(Duration::ZERO).is_some());
        assert_eq!(slot.take(Duration::ZERO), None, "a reload asks over IPC");
        slot.fill(Some(&screen("zh-CN")));
        assert_eq!(
            slot.take(Duration::ZERO),
            None,
            "a late fill is not served either"
        );
    }

    #[test]
    fn a_read_still_going_is_waited_for_and_a_failed_one_is_not() {
        let slot = FirstScreenSlot::new();
        let filler = slot.clone();
        let t = std::thread::spawn(move || filler.fill(Some(&screen("en"))));
        assert!(slot.take(Duration::from_secs(30)).is_some());
        t.join().expect("filler");

        let failed = FirstScreenSlot::new();
        failed.fill(None);
        assert_eq!(failed.take(Duration::from_secs(30)), None);
    }

    /// The app's assets in miniature: a page and a script.
    struct Built;

    impl<R: Runtime> Assets<R> for Built {
        fn get(&self, key: &AssetKey) -> Option<Cow<'_, [u8]>> {
            match key.as_ref() {
                "/index.html" => Some(Cow::Borrowed(
                    b"<html><body><div id=app></div></body></html>",
                )),
                "/assets/index.js" => Some(Cow::Borrowed(b"mount()")),
                _ => None,
            }
        }
        fn iter(&self) -> Box<AssetsIter<'_>> {
            Box::new(std::iter::empty())
        }
        fn csp_hashes(&self, _: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
            Box::new(std::iter::empty())
        }
    }

    #[test]
    fn only_the_first_page_served_carries_the_first_screen() {
        let slot = FirstScreenSlot::new();
        slot.fill(Some(&screen("en")));
        let assets: FirstPage<tauri::Wry> = FirstPage {
            inner: Box::new(Built),
            slot,
        };
        let get = |path: &str| {
            Assets::get(&assets, &AssetKey::from(path))
                .map(|a| String::from_utf8_lossy(&a).into_owned())
        };
        assert_eq!(
            get("assets/index.js").as_deref(),
            Some("mount()"),
            "other files untouched"
        );
        assert_eq!(get("missing.css"), None);
        let first = get("index.html").expect("page");
        assert!(first.contains(BLOCK_ID), "{first}");
        let reloaded = get("index.html").expect("page");
        assert_eq!(reloaded, "<html><body><div id=app></div></body></html>");
    }

    #[test]
    fn a_read_that_never_ends_gives_the_plain_page() {
        let slot = FirstScreenSlot::new();
        assert_eq!(slot.take(Duration::from_millis(1)), None);
    }
}
