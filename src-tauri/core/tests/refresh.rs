//! Background refresh against protocol servers: due times on a controlled clock, rotation, single flight, faults.

mod common;

use std::time::Duration;

use common::{harness, Harness, Setup};
use signet_core::{ErrorCode, RefreshOutcome, Status};
use signet_testkit::{Fault, TokenState};

async fn account(h: &Harness, id: i64) -> signet_core::AccountView {
    h.engine.account(id).await.expect("account")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_happens_before_expiry_on_the_scheduler_tick() {
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    let a = h.sign_in().await;
    let expires = a.access_expires_at.expect("expiry");
    let due = a.next_refresh_at.expect("due");
    // 1 h token: due between 52.8 and 54 minutes after issue.
    let lifetime = expires - h.clock_now();
    assert!(
        expires - due >= 6 * 60_000 && expires - due <= 6 * 60_000 + 72_000,
        "margin {}",
        expires - due
    );
    assert_eq!(lifetime, 3_600_000);

    assert_eq!(
        h.engine.tick().await.expect("tick"),
        0,
        "nothing due at sign-in"
    );
    h.clock.set(due - 1_000);
    assert_eq!(h.engine.tick().await.expect("tick"), 0);
    assert_eq!(h.server.refresh_requests(), 0);
    h.clock.set(due);
    assert_eq!(h.engine.tick().await.expect("tick"), 1);
    assert_eq!(h.server.refresh_requests(), 1);
    let after = account(&h, a.id).await;
    assert!(
        after.last_refresh_at.expect("refreshed") < expires,
        "refreshed before the old token expired"
    );
    assert!(after.access_expires_at.expect("new expiry") > expires);
    assert_eq!(after.status, Status::Fresh);
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wall_clock_jump_of_hours_is_caught_within_one_tick() {
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    for i in 0..100 {
        h.server.set_user(signet_testkit::User::new(
            &format!("u{i}"),
            &format!("User {i}"),
            &format!("u{i}@example.com"),
        ));
        h.sign_in().await;
    }
    // Suspend for three hours: every access token has expired when the machine wakes.
    h.clock.advance_secs(3 * 3600);
    let started = std::time::Instant::now();
    assert_eq!(h.engine.tick().await.expect("one tick"), 100);
    // The scheduler ticks at least every 30 s of wall time, so after a resume every account is
    // fresh within 30 s plus this tick (measured here, not asserted: it is machine-dependent).
    println!(
        "100 accounts renewed in one tick of {:?} after a 3-hour jump",
        started.elapsed()
    );
    for a in h.engine.list().await.expect("list") {
        assert_eq!(a.status, Status::Fresh);
        assert!(a.access_expires_at.expect("expiry") > h.clock_now());
    }
    // A clock set back does not stop refreshing: due times are absolute, the next one still comes.
    h.clock.advance_secs(-2 * 3600);
    assert_eq!(h.engine.tick().await.expect("tick"), 0);
    h.clock.advance_secs(2 * 3600 + 3600);
    assert_eq!(h.engine.tick().await.expect("tick"), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_rotations_lose_nothing() {
    let h = harness(Setup::aihubmix()).await; // rotating, single-use refresh tokens
    let a = h.sign_in().await;
    let mut previous = h.refresh_token(a.id).await;
    for _ in 0..200 {
        assert_eq!(
            h.engine.refresh(a.id, true).await.expect("refresh"),
            RefreshOutcome::Refreshed
        );
        let current = h.refresh_token(a.id).await;
        assert_ne!(current, previous, "rotated");
        assert_eq!(h.server.token_state(&previous), Some(TokenState::Consumed));
        previous = current;
    }
    assert_eq!(
        h.server.token_state(&previous),
        Some(TokenState::Live),
        "the stored token is the live one"
    );
    assert_eq!(h.server.refresh_requests(), 200);
    assert_eq!(account(&h, a.id).await.status, Status::Fresh);
    // Old generations are cleaned up: one token entry left for the account.
    let keys = h.memory.as_ref().expect("memory vault").keys();
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with(&format!("account/{}/tokens/", a.id)) && !k.contains('#'))
            .count(),
        1,
        "{keys:?}"
    );
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

/// Removing an account while its refresh waits for the provider: the removal waits for the
/// refresh, so the tokens it brings are not left in the keyring, and the token revoked is the
/// one the provider considers live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_during_a_refresh_leaves_no_token_behind() {
    let h = harness(Setup::oidc()).await;
    let a = h.sign_in().await;
    let hold = h.server.hold_token_responses();
    let before = h.server.refresh_requests();
    let refresh = tokio::spawn({
        let engine = h.engine.clone();
        async move { engine.refresh(a.id, true).await }
    });
    while h.server.refresh_requests() == before {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let remove = tokio::spawn({
        let engine = h.engine.clone();
        async move { engine.remove(a.id).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !remove.is_finished(),
        "the removal waits for the refresh under way"
    );
    hold.release();
    refresh.await.expect("task").expect("refreshed");
    let revocation = remove.await.expect("task").expect("removed");
    assert!(revocation.revoked(), "{revocation:?}");
    let keys = h.memory.as_ref().expect("memory vault").keys();
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with(&format!("account/{}/", a.id))),
        "nothing of the account is left in the keyring: {keys:?}"
    );
    let live = h
        .server
        .issued_secrets()
        .into_iter()
        .filter(|t| h.server.token_state(t) == Some(TokenState::Live));
    assert_eq!(
        live.count(),
        0,
        "the provider holds no live token of the account"
    );
}

/// Signing in again while a refresh of the account waits for the provider: the sign-in waits
/// for the refresh to be stored, then its own tokens become the account's. Without the wait,
/// the refresh would be stored last and put the older grant's tokens back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_during_a_refresh_keeps_the_sign_ins_tokens() {
    let h = harness(Setup::oidc()).await;
    let a = h.sign_in().await;
    let hold = h.server.hold_refresh_responses();
    let before = h.server.refresh_requests();
    let refresh = tokio::spawn({
        let engine = h.engine.clone();
        async move { engine.refresh(a.id, true).await }
    });
    while h.server.refresh_requests() == before {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let issued_before = h.server.issued_secrets().len();
    let release = async {
        // The sign-in's code exchange is answered (its tokens issued) while the refresh waits.
        while h.server.issued_secrets().len() < issued_before + 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let sign_ins_tokens = h.server.issued_secrets()[issued_before..].to_vec();
        hold.release();
        sign_ins_tokens
    };
    let (again, sign_ins_tokens) = tokio::join!(h.sign_in(), release);
    assert_eq!(again.id, a.id, "the same account");
    refresh.await.expect("task").expect("refreshed");
    let stored = h.refresh_token(a.id).await;
    assert!(
        sign_ins_tokens.contains(&stored),
        "the account keeps the tokens of the sign-in, made last"
    );
    assert_eq!(h.server.token_state(&stored), Some(TokenState::Live));
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_refreshes_send_one_token_request() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    let hold = h.server.hold_token_responses();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let engine = h.engine.clone();
        tasks.spawn(async move { engine.refresh(a.id, true).await });
    }
    h.server.wait_token_requests(2).await; // sign-in exchange + the one refresh
    hold.release();
    let mut refreshed = 0;
    while let Some(r) = tasks.join_next().await {
        match r.expect("task").expect("refresh") {
            RefreshOutcome::Refreshed => refreshed += 1,
            RefreshOutcome::AlreadyRefreshed => {}
            RefreshOutcome::NotDue => panic!("forced refresh reported not due"),
        }
    }
    assert_eq!(refreshed, 1);
    assert_eq!(h.server.refresh_requests(), 1);
}

/// `refresh.max_concurrent` is what a provider sees: at most that many token requests in flight
/// at once, however many accounts are due (the local work around them may overlap).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_never_has_more_token_requests_in_flight_than_configured() {
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    for i in 0..20 {
        h.server.set_user(signet_testkit::User::new(
            &format!("u{i}"),
            &format!("User {i}"),
            &format!("u{i}@example.com"),
        ));
        h.sign_in().await;
    }
    let signed_in = h.server.token_requests();
    let limit = h.engine.config().refresh.max_concurrent;
    assert_eq!(limit, 8, "the default");
    h.clock.advance_secs(3 * 3600);
    let hold = h.server.hold_token_responses();
    let engine = h.engine.clone();
    let tick = tokio::spawn(async move { engine.tick().await });
    h.server.wait_token_requests(signed_in + limit).await;
    // No answer comes while held: a ninth request could only be one too many.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.server.refresh_requests(), limit);
    hold.release();
    assert_eq!(tick.await.expect("task").expect("tick"), 20);
    assert_eq!(h.server.refresh_requests(), 20);
    for a in h.engine.list().await.expect("list") {
        assert_eq!(a.status, Status::Fresh, "{}", a.display_name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_back_off_then_recover_without_sign_in() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    for fault in [
        Fault::Status503,
        Fault::ResetConnection,
        Fault::HtmlError(502),
        Fault::HugeBody(10 * 1024 * 1024),
    ] {
        h.server.push_fault(fault);
        let e = h.engine.refresh(a.id, true).await.expect_err("fault");
        assert_eq!(e.code, ErrorCode::Temporary, "{}", e.message);
        let v = account(&h, a.id).await;
        assert_eq!(v.status, Status::Retrying);
        assert!(v.next_refresh_at.expect("retry time") > h.clock_now());
        // The scheduler retries when the back-off has passed, and it works.
        h.clock.set(v.next_refresh_at.expect("retry"));
        assert_eq!(h.engine.tick().await.expect("tick"), 1);
        assert_eq!(account(&h, a.id).await.status, Status::Fresh);
    }
    // 429 honours Retry-After.
    h.server.push_fault(Fault::TooManyRequests {
        retry_after_secs: 900,
    });
    h.engine.refresh(a.id, true).await.expect_err("429");
    let v = account(&h, a.id).await;
    assert_eq!(v.status_code.as_deref(), Some("rate_limited"));
    assert!(v.next_refresh_at.expect("retry") >= h.clock_now() + 900_000);
    h.clock.advance_secs(899);
    assert_eq!(
        h.engine.tick().await.expect("tick"),
        0,
        "not before Retry-After"
    );
    h.clock.advance_secs(1);
    assert_eq!(h.engine.tick().await.expect("tick"), 1);
    assert_eq!(account(&h, a.id).await.status, Status::Fresh);
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_retried_and_recovers_when_tokens_do_not_rotate() {
    let h = harness(
        Setup::oidc()
            .redirect("deep-link")
            .rotating(false)
            .timeout(Duration::from_millis(400)),
    )
    .await;
    let a = h.sign_in().await;
    h.server
        .push_fault(Fault::Delay(Duration::from_millis(1500)));
    let e = h.engine.refresh(a.id, true).await.expect_err("timeout");
    assert_eq!(e.code, ErrorCode::Temporary);
    assert_eq!(account(&h, a.id).await.status, Status::Retrying);
    h.clock.advance_secs(IN_DOUBT_SECS);
    h.engine.refresh(a.id, true).await.expect("recovers");
    assert_eq!(account(&h, a.id).await.status, Status::Fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_asks_to_sign_in_again_and_keeps_the_account() {
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    let a = h.sign_in().await;
    let mut events = h.engine.subscribe();
    h.server.revoke_all();
    let e = h.engine.refresh(a.id, true).await.expect_err("revoked");
    assert_eq!(e.code, ErrorCode::ReauthRequired);
    let v = account(&h, a.id).await;
    assert_eq!(v.status, Status::Reauth);
    assert_eq!(v.status_code.as_deref(), Some("invalid_grant"));
    assert!(v
        .status_message
        .as_deref()
        .unwrap_or("")
        .contains("Sign in again"));
    assert_eq!(v.next_refresh_at, None, "no more automatic attempts");
    assert_eq!(h.engine.tick().await.expect("tick"), 0);
    // One alert for the episode.
    let mut alerts = 0;
    while let Ok(ev) = events.try_recv() {
        if matches!(ev, signet_core::EngineEvent::Alert { .. }) {
            alerts += 1;
        }
    }
    assert_eq!(alerts, 1);
    // Signing in again brings it back.
    h.sign_in().await;
    assert_eq!(account(&h, a.id).await.status, Status::Fresh);
    let activity = h.engine.store().activity(50).await.expect("activity");
    assert!(activity
        .iter()
        .any(|r| r.kind == "refresh" && r.outcome == "reauth"));
    assert!(
        activity
            .iter()
            .filter(|r| r.kind == "sign_in" && r.outcome == "ok")
            .count()
            == 2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_rotating_refresh_ends_in_sign_in_again_with_the_reason() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    h.server.push_fault(Fault::DropAfterProcessing);
    let e = h.engine.refresh(a.id, true).await.expect_err("answer lost");
    assert_eq!(e.code, ErrorCode::Temporary);
    assert_eq!(account(&h, a.id).await.status, Status::Retrying);
    // Try the old token once the in-doubt grace has passed: the server already spent it.
    h.clock.advance_secs(IN_DOUBT_SECS);
    let e = h.engine.refresh(a.id, true).await.expect_err("spent");
    assert_eq!(e.code, ErrorCode::ReauthRequired);
    let v = account(&h, a.id).await;
    assert_eq!(v.status, Status::Reauth);
    assert_eq!(v.status_code.as_deref(), Some("refresh_answer_lost"));
    assert!(
        v.status_message
            .as_deref()
            .unwrap_or("")
            .contains("answer was lost"),
        "{:?}",
        v.status_message
    );
    assert_eq!(
        h.engine.list().await.expect("list").len(),
        1,
        "account kept"
    );
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_answer_is_retried_not_trusted() {
    let h = harness(Setup::oidc().redirect("deep-link").rotating(false)).await;
    let a = h.sign_in().await;
    h.server.push_fault(Fault::TruncatedJson);
    assert_eq!(
        h.engine
            .refresh(a.id, true)
            .await
            .expect_err("truncated")
            .code,
        ErrorCode::Temporary
    );
    h.clock.advance_secs(IN_DOUBT_SECS);
    h.engine.refresh(a.id, true).await.expect("next one works");
    // Without rotation the refresh response carries no refresh_token: the stored one is kept.
    assert_eq!(
        h.server.token_state(&h.refresh_token(a.id).await),
        Some(TokenState::Live)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_revokes_and_deletes_everything() {
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    let a = h.sign_in().await;
    let rt = h.refresh_token(a.id).await;
    assert!(
        h.engine.remove(a.id).await.expect("remove").revoked(),
        "revoked at the provider"
    );
    assert_eq!(h.server.revoked_tokens(), vec![rt]);
    assert!(h.engine.list().await.expect("list").is_empty());
    let keys = h.memory.as_ref().expect("memory").keys();
    assert!(keys.iter().all(|k| !k.starts_with("account/")), "{keys:?}");
}

trait ClockNow {
    fn clock_now(&self) -> i64;
}
impl ClockNow for Harness {
    fn clock_now(&self) -> i64 {
        use signet_core::Clock;
        self.clock.now_ms()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_streak_alerts_only_after_the_grace_period() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    let mut events = h.engine.subscribe();
    let alerts = |events: &mut tokio::sync::broadcast::Receiver<signet_core::EngineEvent>| {
        let mut n = 0;
        while let Ok(ev) = events.try_recv() {
            if matches!(ev, signet_core::EngineEvent::Alert { .. }) {
                n += 1;
            }
        }
        n
    };
    // Failures for 25 minutes: retrying, no alert.
    for _ in 0..5 {
        h.server.push_fault(Fault::Status503);
        h.engine.refresh(a.id, true).await.expect_err("503");
        h.clock.advance_secs(5 * 60);
    }
    assert_eq!(alerts(&mut events), 0, "a blip is not announced");
    // Still failing after 30 minutes: one alert, and only one.
    for _ in 0..3 {
        h.server.push_fault(Fault::Status503);
        h.engine.refresh(a.id, true).await.expect_err("503");
        h.clock.advance_secs(5 * 60);
    }
    assert_eq!(alerts(&mut events), 1);
    assert_eq!(account(&h, a.id).await.status, Status::Retrying);
    h.engine.refresh(a.id, true).await.expect("recovers");
    assert_eq!(account(&h, a.id).await.status, Status::Fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_waits_for_a_refresh_in_flight_to_be_stored() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    assert!(
        h.engine.drain(Duration::from_millis(10)).await,
        "idle: nothing to wait for"
    );
    let hold = h.server.hold_token_responses();
    let engine = h.engine.clone();
    let refresh = tokio::spawn(async move { engine.refresh(a.id, true).await });
    h.server.wait_token_requests(2).await;
    assert!(
        !h.engine.drain(Duration::from_millis(50)).await,
        "a refresh is in flight"
    );
    let engine = h.engine.clone();
    let quit = tokio::spawn(async move { engine.drain(Duration::from_secs(10)).await });
    hold.release();
    assert!(
        quit.await.expect("join"),
        "drain returns once the new tokens are stored"
    );
    assert_eq!(
        refresh.await.expect("join").expect("refresh"),
        RefreshOutcome::Refreshed
    );
    // The rotated token is the stored one: nothing was lost by quitting.
    assert_eq!(
        h.server.token_state(&h.refresh_token(a.id).await),
        Some(TokenState::Live)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_503s_is_ridden_out_on_the_scheduler() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    for _ in 0..4 {
        h.server.push_fault(Fault::Status503);
    }
    h.clock.set(a.next_refresh_at.expect("due"));
    let mut ticks = 0;
    while account(&h, a.id).await.status != Status::Fresh || ticks == 0 {
        assert!(ticks < 10, "recovered within a few back-off steps");
        h.engine.tick().await.expect("tick");
        let v = account(&h, a.id).await;
        if v.status == Status::Retrying {
            h.clock.set(v.next_refresh_at.expect("retry"));
        }
        ticks += 1;
    }
    assert_eq!(ticks, 5, "four failures, then success");
    assert_eq!(
        h.server.refresh_requests(),
        5,
        "no retry storm: one request per attempt"
    );
    let log = h.engine.store().activity(20).await.expect("activity");
    assert_eq!(log.iter().filter(|r| r.outcome == "retrying").count(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aihubmix_top_up_page_comes_from_the_provider() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    let url = h.engine.topup_url(a.id).await.expect("top-up url");
    assert!(
        url.as_str()
            .starts_with(&format!("{}/topup", h.server.base_url())),
        "{url}"
    );
    let req = h.server.requests_to("/api/oauth2/topup");
    assert_eq!(req.len(), 1);
    assert!(req[0]
        .authorization
        .as_deref()
        .unwrap_or("")
        .starts_with("Bearer "));
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_cannot_be_extended_is_announced_before_it_runs_out() {
    use signet_core::store::TokenTiming;
    // A server that does not rotate: refreshing never extends the refresh token's life.
    let h = harness(Setup::oidc().redirect("deep-link").rotating(false)).await;
    let a = h.sign_in().await;
    let now = h.clock_now();
    let day = 86_400_000;
    // The provider said the refresh token lives until 3 days + 1 hour from now.
    let row = h.engine.store().require(a.id).await.expect("row");
    let mut tokens = h
        .engine
        .vault()
        .get_tokens(a.id, row.token_gen)
        .await
        .expect("vault")
        .expect("tokens");
    tokens.refresh_expires_at = Some(now + 3 * day + 3_600_000);
    // A generation is never rewritten (Signet caches them): the changed tokens are the next one.
    h.engine
        .vault()
        .put_tokens(a.id, row.token_gen + 1, &tokens)
        .await
        .expect("vault");
    let timing = TokenTiming {
        token_gen: row.token_gen + 1,
        access_expires_at: row.access_expires_at,
        refresh_expires_at: tokens.refresh_expires_at,
        access_lifetime_ms: row.access_lifetime_ms,
        next_refresh_at: row.next_refresh_at,
    };
    h.engine
        .store()
        .record_tokens(a.id, &timing, now)
        .await
        .expect("timing");
    let mut events = h.engine.subscribe();
    let alerts = |events: &mut tokio::sync::broadcast::Receiver<signet_core::EngineEvent>| {
        let mut found = Vec::new();
        while let Ok(ev) = events.try_recv() {
            if let signet_core::EngineEvent::Alert { message, .. } = ev {
                found.push(message);
            }
        }
        found
    };
    h.engine.refresh(a.id, true).await.expect("refresh");
    assert!(
        alerts(&mut events).is_empty(),
        "still more than 3 days left"
    );
    h.clock.advance_secs(2 * 3600);
    h.engine.refresh(a.id, true).await.expect("refresh");
    let found = alerts(&mut events);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("cannot extend it"), "{}", found[0]);
    h.clock.advance_secs(3600);
    h.engine.refresh(a.id, true).await.expect("refresh");
    assert!(
        alerts(&mut events).is_empty(),
        "announced once, not on every refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_by_another_process_is_announced_as_soon_as_it_is_written() {
    // Another Signet process (signetctl) is another engine on the same database file.
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    let a = h.sign_in().await;
    let mut events = h.engine.subscribe();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = h.engine.clone();
    let task = tokio::spawn(async move {
        watcher
            // An hour's poll: what wakes the watch within the 5 s below is the file event.
            .watch_external_changes(std::time::Duration::from_secs(3600), stop_rx)
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    let other = h.another_process().await;
    other
        .set_client_secret("corp", &signet_core::Secret::new(h.server.client_secret()))
        .await
        .expect("secret");
    other
        .refresh(a.id, true)
        .await
        .expect("refresh by the other process");
    let seen = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            if let Ok(signet_core::EngineEvent::ExternalChange) = events.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(seen.is_ok(), "the other process's refresh was announced");
    stop_tx.send_replace(true);
    task.await.expect("watcher stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_all_sends_no_dead_token_and_a_transient_error_keeps_sign_in_again() {
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    let dead = h.sign_in().await;
    h.server.revoke_all();
    h.engine.refresh(dead.id, true).await.expect_err("revoked");
    assert_eq!(account(&h, dead.id).await.status, Status::Reauth);

    // Refresh all: nothing is sent for the account that needs signing in again.
    let before = h.server.token_requests();
    let results = h.engine.refresh_all().await.expect("refresh all");
    assert!(results.iter().all(|(id, _)| *id != dead.id), "{results:?}");
    assert_eq!(
        h.server.token_requests(),
        before,
        "no dead refresh token sent"
    );

    // Asked for it by name anyway, the provider is down: still "sign in again", not "retrying".
    h.server.push_fault(Fault::Status503);
    let _ = h.engine.refresh(dead.id, true).await;
    let v = account(&h, dead.id).await;
    assert_eq!(
        v.status,
        Status::Reauth,
        "a 503 says nothing about the grant"
    );
    assert_eq!(v.status_code.as_deref(), Some("invalid_grant"));
    assert_eq!(v.next_refresh_at, None);
}

/// The in-doubt grace, in seconds (a refresh whose answer was lost is not repeated before it).
const IN_DOUBT_SECS: i64 = signet_core::refresh::IN_DOUBT_RETRY.as_secs() as i64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_is_never_raced_and_never_leaves_the_account_fresh_with_dead_tokens() {
    let h = harness(
        Setup::oidc()
            .redirect("deep-link")
            .timeout(Duration::from_millis(300)),
    )
    .await;
    let a = h.sign_in().await;
    // The provider spends the single-use refresh token, then holds its answer past the
    // client's timeout.
    h.server
        .push_fault(Fault::Delay(Duration::from_millis(1500)));
    let e = h.engine.refresh(a.id, true).await.expect_err("timeout");
    assert_eq!(e.code, ErrorCode::Temporary);
    let sent = h.server.token_requests();

    // Everyone else asks at once: Refresh now, Refresh all, the scheduler, `signetctl` or
    // another process (the in-doubt state is in the shared database). Nothing is sent.
    let e = h.engine.refresh(a.id, true).await.expect_err("held back");
    assert_eq!(e.code, ErrorCode::Temporary);
    assert!(e.message.contains("never sent twice"), "{}", e.message);
    h.engine.refresh_all().await.expect("refresh all");
    assert_eq!(h.engine.tick().await.expect("tick"), 0);
    assert_eq!(
        h.server.token_requests(),
        sent,
        "no second request within the grace"
    );

    // After the grace: one attempt settles it.
    h.clock.advance_secs(IN_DOUBT_SECS);
    let _ = h.engine.refresh(a.id, true).await;
    let v = account(&h, a.id).await;
    match v.status {
        // Working: the token Signet holds must be the one the provider considers live.
        Status::Fresh => {
            let token = h.engine.access_token(a.id).await.expect("token");
            assert_eq!(
                h.server.token_state(token.expose()),
                Some(signet_testkit::TokenState::Live),
                "shown fresh with a dead token"
            );
        }
        Status::Reauth => {
            assert_eq!(v.status_code.as_deref(), Some("refresh_answer_lost"))
        }
        other => panic!("left {other:?}"),
    }
}
