//! The page's HTML with its first screen inside: read while WebKit starts, so the page's script finds the list without asking.
//!
//! Asked over IPC, the first screen's answer reached the page's script 36–51 ms after it was
//! sent, behind the web process's own start (BENCHMARKS.md, idle). Here the set-up reads it
//! while the web process is still loading, and the app's assets hand it to the page inside its
//! `index.html`, as a JSON data block (not a script: the CSP's `script-src 'self'` stands).
//! Once only: a reload of the page asks over IPC like before, and the page catches up with
//! anything that changed since the read (`FirstScreen::changes`).
//!
//! When the window opens on the account list, the page also comes with that list drawn
//! (first_markup.rs) and its stylesheets inline, and its script is loaded only after that frame
//! is painted: the first frame needs none of the page's script (BENCHMARKS.md, idle).

use std::borrow::Cow;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use signet_core::views::FirstScreen;

use crate::first_markup::{first_markup, FirstMarkup};
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
    Ready(Served),
    Used,
}

/// What the first page is served with: the first screen's JSON, and the frame drawn from it
/// when the window opens on the account list.
#[derive(Debug, PartialEq, Eq)]
struct Served {
    json: String,
    frame: Option<FirstMarkup>,
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
        let served = screen.and_then(|s| match serde_json::to_string(s) {
            Ok(json) => Some(Served {
                json,
                frame: first_markup(s, now_ms()),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "first screen not serialized; the page will ask");
                None
            }
        });
        let (state, ready) = &*self.0;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*state, State::Reading) {
            *state = served.map_or(State::Used, State::Ready);
        }
        ready.notify_all();
    }

    /// The first screen, once: waits up to `wait` while it is still being read.
    fn take(&self, wait: Duration) -> Option<Served> {
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
            State::Ready(served) => Some(served),
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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Where the app mounts (`ui/index.html`).
const APP_DIV: &str = r#"<div id="app"></div>"#;

/// Runs once the drawn frame is painted: tells the shell (the start-up time, as the page's
/// `windowReady` does), then loads the page's script, which mounts the app over the frame. If
/// the script cannot load, the frame goes: better an empty window than a list that looks
/// usable and never answers. `ENTRY` is the script's address as a JSON string.
const LOADER: &str = "requestAnimationFrame(function(){\
var i=window.__TAURI_INTERNALS__;\
if(i)i.invoke(\"window_ready\",{phases:{frame:Math.round(performance.now())},interactive:false}).catch(function(){});\
setTimeout(function(){import(ENTRY).catch(function(){var f=document.querySelector(\"[data-first-frame]\");if(f)f.remove()})},0)})";

/// `html` (the page with its first screen) with `frame` drawn in it: the frame in the app's
/// element with its style rules, the page's language set to the frame's, each stylesheet
/// inline (`css` reads one by its address), and the page's module script loaded by
/// [`LOADER`] after the frame instead of before it (still fetched at once, as a module
/// preload). Inline parts carry Tauri's nonce placeholders, which it fills in as it serves the
/// page with its CSP. A page not shaped as expected is returned as it was: the page's script
/// then draws the frame itself.
pub(crate) fn with_first_frame<'a>(
    html: Vec<u8>,
    frame: &FirstMarkup,
    css: impl Fn(&str) -> Option<Cow<'a, [u8]>>,
) -> Vec<u8> {
    let mut page = match String::from_utf8(html) {
        Ok(page) => page,
        Err(e) => return e.into_bytes(),
    };
    let Some((script, entry)) = module_script(&page) else {
        return page.into_bytes();
    };
    if !page.contains(APP_DIV) || !page.contains("</head>") || !page.contains("</body>") {
        return page.into_bytes();
    }
    let preload = format!(r#"<link rel="modulepreload" crossorigin href="{entry}">"#);
    page = page.replacen(&script, &preload, 1);
    page = inline_stylesheets(page, css);
    if let Some(at) = page.find("<html lang=\"") {
        let start = at + "<html lang=\"".len();
        if let Some(len) = page[start..].find('"') {
            page.replace_range(start..start + len, frame.lang);
        }
    }
    let style = format!(
        r#"<style nonce="__TAURI_STYLE_NONCE__">{}</style></head>"#,
        frame.style
    );
    page = page.replacen("</head>", &style, 1);
    let app = format!(r#"<div id="app">{}</div>"#, frame.markup);
    page = page.replacen(APP_DIV, &app, 1);
    let entry = serde_json::to_string(&entry).unwrap_or_default();
    let loader = format!(
        r#"<script nonce="__TAURI_SCRIPT_NONCE__">{}</script></body>"#,
        LOADER.replace("ENTRY", &entry)
    );
    if let Some(at) = page.rfind("</body>") {
        page.replace_range(at..at + "</body>".len(), &loader);
    }
    page.into_bytes()
}

/// The page's module script tag and its address (Vite writes one, in the head).
fn module_script(page: &str) -> Option<(String, String)> {
    let start = page.find(r#"<script type="module""#)?;
    let end = start + page[start..].find("</script>")? + "</script>".len();
    let tag = &page[start..end];
    let src = tag.split(r#" src=""#).nth(1)?.split('"').next()?;
    (!src.is_empty() && !src.contains('<')).then(|| (tag.to_owned(), src.to_owned()))
}

/// Each `<link rel="stylesheet" … href="./…">` replaced by the stylesheet itself, when it is
/// one of the app's files and cannot end its `<style>` element.
fn inline_stylesheets<'a>(mut page: String, css: impl Fn(&str) -> Option<Cow<'a, [u8]>>) -> String {
    let mut from = 0;
    while let Some(at) = page[from..]
        .find(r#"<link rel="stylesheet""#)
        .map(|i| i + from)
    {
        let Some(len) = page[at..].find('>') else {
            break;
        };
        let tag = page[at..=at + len].to_owned();
        let href = tag
            .split(r#" href=""#)
            .nth(1)
            .and_then(|h| h.split('"').next());
        let text = href
            .and_then(|h| css(h.trim_start_matches('.')))
            .and_then(|bytes| String::from_utf8(bytes.into_owned()).ok())
            .filter(|text| !text.to_ascii_lowercase().contains("</style"));
        match text {
            Some(text) => {
                let style = format!(r#"<style nonce="__TAURI_STYLE_NONCE__">{text}</style>"#);
                page.replace_range(at..=at + len, &style);
                from = at + style.len();
            }
            None => from = at + tag.len(),
        }
    }
    page
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
            Some(served) => {
                let page = with_first_screen(&asset, &served.json);
                let page = match &served.frame {
                    Some(frame) => {
                        with_first_frame(page, frame, |href| self.inner.get(&href.into()))
                    }
                    None => page,
                };
                tracing::info!(
                    ms = crate::since_start_ms(),
                    waited_ms = asked.elapsed().as_millis(),
                    frame = served.frame.is_some(),
                    "start-up: page served with its first screen"
                );
                Some(Cow::Owned(page))
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
        let json = slot.take(Duration::ZERO).expect("json").json;
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

    const PAGE: &str = concat!(
        "<!doctype html>\n<html lang=\"en\">\n  <head>\n",
        "    <script type=\"module\" crossorigin src=\"./assets/index-A.js\"></script>\n",
        "    <link rel=\"stylesheet\" crossorigin href=\"./assets/index-B.css\">\n",
        "    <link rel=\"stylesheet\" crossorigin href=\"./assets/gone.css\">\n",
        "    <link rel=\"stylesheet\" crossorigin href=\"./assets/odd.css\">\n",
        "    <link rel=\"modulepreload\" crossorigin href=\"./assets/start-D.js\">\n",
        "  </head>\n  <body>\n    <div id=\"app\"></div>\n  </body>\n</html>\n"
    );

    fn frame() -> FirstMarkup {
        FirstMarkup {
            lang: "zh-CN",
            markup: "<div data-first-frame>账户</div>".into(),
            style: ".track{--total:72px}".into(),
        }
    }

    fn stylesheets(href: &str) -> Option<Cow<'static, [u8]>> {
        match href {
            "/assets/index-B.css" => Some(Cow::Borrowed(b".app{color:red}")),
            "/assets/odd.css" => Some(Cow::Borrowed(b"a::after{content:'</STYLE>'}")),
            _ => None,
        }
    }

    #[test]
    fn the_frame_is_drawn_styled_and_the_script_waits_for_it() {
        let page = with_first_frame(PAGE.as_bytes().to_vec(), &frame(), stylesheets);
        let page = String::from_utf8(page).expect("utf-8");
        assert!(page.contains("<html lang=\"zh-CN\">"), "{page}");
        assert!(page.contains("<div id=\"app\"><div data-first-frame>账户</div></div>"));
        assert!(
            !page.contains("<script type=\"module\""),
            "the script waits: {page}"
        );
        assert!(
            page.contains(r#"<link rel="modulepreload" crossorigin href="./assets/index-A.js">"#)
        );
        assert!(page.contains(r#"import("./assets/index-A.js")"#), "{page}");
        assert!(page.contains(r#"<script nonce="__TAURI_SCRIPT_NONCE__">requestAnimationFrame("#));
        assert!(page.contains(r#"<style nonce="__TAURI_STYLE_NONCE__">.app{color:red}</style>"#));
        assert!(page.contains(
            r#"<style nonce="__TAURI_STYLE_NONCE__">.track{--total:72px}</style></head>"#
        ));
        assert!(
            page.contains(r#"href="./assets/gone.css">"#),
            "a stylesheet not found stays linked"
        );
        assert!(
            page.contains(r#"href="./assets/odd.css">"#),
            "one that could end its element too"
        );
        assert!(
            page.trim_end().ends_with("</script></body>\n</html>"),
            "{page}"
        );
    }

    #[test]
    fn a_page_of_another_shape_is_left_to_draw_its_own_frame() {
        for page in [
            "<html><body><div id=app></div></body></html>",
            "<html><head><script type=\"module\" src=\"./a.js\"></script></head><body><main></main></body></html>",
        ] {
            let out = with_first_frame(page.as_bytes().to_vec(), &frame(), stylesheets);
            assert_eq!(String::from_utf8(out).expect("utf-8"), page);
        }
        let bytes = vec![0xff, 0xfe, b'<'];
        assert_eq!(
            with_first_frame(bytes.clone(), &frame(), stylesheets),
            bytes
        );
    }

    /// The page Vite built (`ui/dist`, which the shell embeds): still the shape the frame
    /// goes into.
    #[test]
    fn the_built_page_takes_the_frame() {
        let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/dist");
        let built = std::fs::read(dist.join("index.html")).expect("ui/dist/index.html");
        let read = |href: &str| {
            std::fs::read(dist.join(href.trim_start_matches('/')))
                .ok()
                .map(Cow::Owned)
        };
        let page = String::from_utf8(with_first_frame(built, &frame(), read)).expect("utf-8");
        assert!(page.contains("data-first-frame"), "{page}");
        assert!(page.contains("import(\"./assets/index-"), "{page}");
        assert!(!page.contains("<script type=\"module\""), "{page}");
        assert!(
            !page.contains("rel=\"stylesheet\""),
            "every stylesheet inline: {page}"
        );
    }

    #[test]
    fn a_read_that_never_ends_gives_the_plain_page() {
        let slot = FirstScreenSlot::new();
        assert_eq!(slot.take(Duration::from_millis(1)), None);
    }
}
