//! Batches of engine events: what changed over about 100 ms as one message, lost events as one reload, alerts grouped by kind.
//!
//! A refresh storm of 1,000 accounts emits thousands of events. The window, the tray and the
//! notifications need to know *which* accounts changed, not every step: [`Batcher`] gathers the
//! events of a short window into one [`Batch`], and a listener that fell behind (the broadcast
//! channel overflowed) gets a batch that says "reload everything" instead of silence.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast::{self, error::RecvError};
use ts_rs::TS;

use crate::views::KeyringStatus;
use crate::views::{AlertKind, EngineEvent};

/// How long events are gathered into one batch.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);

/// The least time between two batches: a change after a quiet spell shows within
/// [`BATCH_WINDOW`], while a storm that goes on for minutes updates the window and the tray
/// once a second, not ten times.
pub const BATCH_MIN_GAP: Duration = Duration::from_secs(1);

/// What the window is told about accounts in one batch (event `accounts-changed`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AccountsChanged {
    /// Accounts added or changed.
    pub changed: Vec<i64>,
    /// Accounts removed.
    pub removed: Vec<i64>,
    /// Anything may have changed (another process wrote, or events were lost): reload all.
    pub all: bool,
}

/// One alert for a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub account_id: i64,
    pub kind: AlertKind,
    pub account: String,
    pub title: String,
    pub message: String,
}

/// The events of one window, coalesced.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub accounts: AccountsChanged,
    /// The keyring's latest status, if it changed.
    pub keyring: Option<KeyringStatus>,
    /// Sign-ins that finished, in order (each one answers a person waiting in the window).
    pub sign_ins: Vec<EngineEvent>,
    pub alerts: Vec<Alert>,
    /// Engine events gathered into this batch.
    pub events: usize,
    /// Events lost to an overflow (the batch then says reload all).
    pub lost: u64,
}

impl Batch {
    /// Whether the account list (window and tray) needs reloading.
    pub fn touches_accounts(&self) -> bool {
        self.accounts.all || !self.accounts.changed.is_empty() || !self.accounts.removed.is_empty()
    }

    fn add(&mut self, ev: EngineEvent, changed: &mut BTreeSet<i64>, removed: &mut BTreeSet<i64>) {
        self.events += 1;
        match ev {
            // A removal is final: a late change of a removed account is not news.
            EngineEvent::AccountChanged { account_id } if !removed.contains(&account_id) => {
                changed.insert(account_id);
            }
            EngineEvent::AccountChanged { .. } | EngineEvent::Refreshed { .. } => {}
            EngineEvent::AccountRemoved { account_id } => {
                changed.remove(&account_id);
                removed.insert(account_id);
            }
            EngineEvent::ExternalChange => self.accounts.all = true,
            EngineEvent::KeyringChanged { status } => self.keyring = Some(status),
            EngineEvent::SignInFinished { account_id, .. } => {
                if let Some(id) = account_id {
                    changed.insert(id);
                }
                self.sign_ins.push(ev);
            }
            EngineEvent::Alert {
                account_id,
                kind,
                account,
                title,
                message,
            } => self.alerts.push(Alert {
                account_id,
                kind,
                account,
                title,
                message,
            }),
        }
    }
}

/// Turns an engine subscription into batches.
pub struct Batcher {
    rx: broadcast::Receiver<EngineEvent>,
    window: Duration,
    min_gap: Duration,
    last: Option<tokio::time::Instant>,
}

impl Batcher {
    pub fn new(rx: broadcast::Receiver<EngineEvent>) -> Self {
        Batcher {
            rx,
            window: BATCH_WINDOW,
            min_gap: BATCH_MIN_GAP,
            last: None,
        }
    }

    /// Waits for an event, gathers what follows within the window, and returns the batch.
    /// `None` once the engine is gone and nothing is left.
    pub async fn next(&mut self) -> Option<Batch> {
        let mut batch = Batch::default();
        let mut changed = BTreeSet::new();
        let mut removed = BTreeSet::new();
        // The first event (or overflow) opens the window.
        match self.rx.recv().await {
            Ok(ev) => batch.add(ev, &mut changed, &mut removed),
            Err(RecvError::Lagged(n)) => {
                batch.lost += n;
                batch.accounts.all = true;
            }
            Err(RecvError::Closed) => return None,
        }
        let mut deadline = tokio::time::Instant::now() + self.window;
        if let Some(last) = self.last {
            deadline = deadline.max(last + self.min_gap);
        }
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Ok(ev)) => batch.add(ev, &mut changed, &mut removed),
                Ok(Err(RecvError::Lagged(n))) => {
                    batch.lost += n;
                    batch.accounts.all = true;
                }
                Ok(Err(RecvError::Closed)) | Err(_) => break,
            }
        }
        batch.accounts.changed = changed.into_iter().collect();
        batch.accounts.removed = removed.into_iter().collect();
        self.last = Some(tokio::time::Instant::now());
        Some(batch)
    }
}

/// How long notifications wait for more alerts of a storm, and at most.
pub const ALERT_QUIET: Duration = Duration::from_secs(2);
pub const ALERT_MAX_WAIT: Duration = Duration::from_secs(10);

/// Alerts from successive batches, held until none arrived for `quiet` or `max` has passed
/// since the first, so that a storm makes one notification per kind. `None` once the sender
/// is gone and nothing is held.
pub async fn gather_alerts(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<Alert>>,
    quiet: Duration,
    max: Duration,
) -> Option<Vec<Alert>> {
    let mut held = rx.recv().await?;
    let end = tokio::time::Instant::now() + max;
    loop {
        let until = (tokio::time::Instant::now() + quiet).min(end);
        match tokio::time::timeout_at(until, rx.recv()).await {
            Ok(Some(more)) => held.extend(more),
            Ok(None) | Err(_) => return Some(held),
        }
    }
}

/// Notifications for a set of alerts: one per kind, however many accounts it concerns
/// ("12 accounts need signing in again"), never one popup per account.
pub fn group_alerts(alerts: &[Alert]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for kind in AlertKind::ALL {
        let of_kind: Vec<&Alert> = alerts.iter().filter(|a| a.kind == kind).collect();
        match of_kind.as_slice() {
            [] => {}
            [one] => out.push((one.title.clone(), one.message.clone())),
            many => {
                let mut ids = BTreeSet::new();
                let names: Vec<&str> = many
                    .iter()
                    .filter(|a| ids.insert(a.account_id))
                    .map(|a| a.account.as_str())
                    .collect();
                out.push((
                    kind.group_title(ids.len()),
                    list_some(&names, 3, "; ", |more| format!(" and {more} more")),
                ));
            }
        }
    }
    out
}

/// The first `shown` of `items` joined by `sep`, then `more(n)` for the `n` left out:
/// "a; b; c and 9 more".
pub fn list_some(
    items: &[&str],
    shown: usize,
    sep: &str,
    more: impl Fn(usize) -> String,
) -> String {
    let mut s = items
        .iter()
        .take(shown)
        .copied()
        .collect::<Vec<_>>()
        .join(sep);
    if items.len() > shown {
        s.push_str(&more(items.len() - shown));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(id: i64) -> EngineEvent {
        EngineEvent::AccountChanged { account_id: id }
    }

    #[tokio::test(start_paused = true)]
    async fn a_storm_of_events_is_one_batch_of_ids() {
        let (tx, rx) = broadcast::channel(4096);
        let mut b = Batcher::new(rx);
        for round in 0..3 {
            for id in 0..1000 {
                let _ = tx.send(changed(id));
                if round == 1 && id == 500 {
                    let _ = tx.send(EngineEvent::AccountRemoved { account_id: 7 });
                }
            }
        }
        let batch = b.next().await.expect("a batch");
        assert_eq!(batch.events, 3001);
        assert_eq!(batch.accounts.changed.len(), 999);
        assert_eq!(batch.accounts.removed, vec![7]);
        assert!(!batch.accounts.all);
        // Nothing more: the next batch waits for the next event.
        let waiting = tokio::time::timeout(Duration::from_secs(60), b.next()).await;
        assert!(waiting.is_err(), "no empty batches");
    }

    #[tokio::test(start_paused = true)]
    async fn events_after_the_window_are_the_next_batch() {
        let (tx, rx) = broadcast::channel(16);
        let mut b = Batcher::new(rx);
        let _ = tx.send(changed(1));
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = tx.send(changed(2));
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = tx.send(changed(3));
            tx
        });
        let start = tokio::time::Instant::now();
        assert_eq!(b.next().await.expect("first").accounts.changed, vec![1, 2]);
        assert_eq!(
            start.elapsed(),
            BATCH_WINDOW,
            "a first change shows at once"
        );
        assert_eq!(b.next().await.expect("second").accounts.changed, vec![3]);
        drop(sender.await.expect("sender"));
        assert!(b.next().await.is_none(), "engine gone");
    }

    /// Events every 10 ms for a minute (a long storm): one batch a second, each naming every
    /// account changed in it.
    #[tokio::test(start_paused = true)]
    async fn a_long_storm_is_one_batch_a_second() {
        let (tx, rx) = broadcast::channel(256);
        let mut b = Batcher::new(rx);
        let sender = tokio::spawn(async move {
            for id in 0..6000 {
                let _ = tx.send(changed(id));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let mut batches = Vec::new();
        while let Some(batch) = b.next().await {
            batches.push(batch);
        }
        sender.await.expect("sender");
        assert!(batches.len() <= 61, "{} batches", batches.len());
        let named: usize = batches.iter().map(|b| b.accounts.changed.len()).sum();
        assert_eq!(named, 6000, "no change left out");
        assert!(batches.iter().all(|b| b.lost == 0));
    }

    /// A listener that fell behind hears "reload everything", then keeps listening.
    #[tokio::test(start_paused = true)]
    async fn an_overflow_becomes_a_reload_not_silence() {
        let (tx, rx) = broadcast::channel(8);
        let mut b = Batcher::new(rx);
        for id in 0..100 {
            let _ = tx.send(changed(id));
        }
        let batch = b.next().await.expect("a batch");
        assert!(batch.accounts.all, "told to reload");
        assert_eq!(batch.lost, 92);
        assert!(batch.touches_accounts());
        // Still listening afterwards.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _ = tx.send(EngineEvent::AccountRemoved { account_id: 5 });
        let next = b.next().await.expect("next batch");
        assert_eq!(next.accounts.removed, vec![5]);
        assert!(!next.accounts.all);
    }

    #[tokio::test(start_paused = true)]
    async fn alerts_arriving_over_a_storm_are_held_and_shown_together() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let alert = |id: i64| Alert {
            account_id: id,
            kind: AlertKind::SignInAgain,
            account: format!("user{id}"),
            title: "t".into(),
            message: "m".into(),
        };
        let sender = tokio::spawn(async move {
            // Twelve batches 1.5 s apart (never 2 s quiet), then one after a long pause.
            for id in 0..12 {
                let _ = tx.send(vec![alert(id)]);
                tokio::time::sleep(Duration::from_millis(1500)).await;
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
            let _ = tx.send(vec![alert(99)]);
        });
        let first = gather_alerts(&mut rx, ALERT_QUIET, ALERT_MAX_WAIT)
            .await
            .expect("held");
        // At most ten seconds are held: the alerts sent at 0 s … 9 s, then the other five.
        assert_eq!(first.len(), 7);
        let second = gather_alerts(&mut rx, ALERT_QUIET, ALERT_MAX_WAIT)
            .await
            .expect("held");
        assert_eq!(second.len(), 5);
        let third = gather_alerts(&mut rx, ALERT_QUIET, ALERT_MAX_WAIT)
            .await
            .expect("held");
        assert_eq!(third[0].account_id, 99);
        sender.await.expect("sender");
        assert!(gather_alerts(&mut rx, ALERT_QUIET, ALERT_MAX_WAIT)
            .await
            .is_none());
    }

    #[test]
    fn alerts_of_one_kind_are_one_notification() {
        let alert = |id: i64, kind: AlertKind| Alert {
            account_id: id,
            kind,
            account: format!("user{id} (corp)"),
            title: format!("user{id} (corp) needs you"),
            message: "m".into(),
        };
        let mut alerts: Vec<Alert> = (0..12).map(|i| alert(i, AlertKind::SignInAgain)).collect();
        alerts.push(alert(99, AlertKind::EndsSoon));
        let shown = group_alerts(&alerts);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert_eq!(shown[0].0, "12 accounts need signing in again");
        assert_eq!(
            shown[0].1,
            "user0 (corp); user1 (corp); user2 (corp) and 9 more"
        );
        assert_eq!(shown[1], ("user99 (corp) needs you".into(), "m".into()));
    }
}
