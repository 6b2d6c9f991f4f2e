//! AIHubMix beyond sign-in: the balance sampled into history on every refresh, the low-balance alert and the forecast, a refused token refreshed once, profile fields, errors, another user refused.

mod common;

use common::{harness, Setup};
use signet_core::{ErrorCode, Status};
use signet_testkit::{Fault, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_balance_is_sampled_into_history_on_every_refresh() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    assert_eq!(a.profile["username"], "user123");
    assert_eq!(a.profile["status"], 1);
    assert_eq!(a.profile["createdTime"], 1_640_995_200);

    h.server.set_balance(900_000, 350_000, "650.00");
    h.clock.advance_secs(7200);
    h.engine
        .tick()
        .await
        .expect("tick refreshes the due account");
    h.server.set_balance(800_000, 450_000, "550.00");
    h.engine.refresh_all().await.expect("refresh all");
    // `signetctl refresh` and `signetctl token` refresh in their own process: they sample too.
    h.server.set_balance(790_000, 460_000, "540.00");
    h.engine.refresh(a.id, true).await.expect("refresh");
    h.server.set_balance(780_000, 470_000, "530.00");
    h.clock.advance_secs(7200);
    h.engine
        .access_token(a.id)
        .await
        .expect("token, refreshed first");

    let d = h.engine.detail(a.id).await.expect("detail");
    let shown: Vec<&str> = d
        .balance_history
        .iter()
        .map(|b| b.formatted.as_str())
        .collect();
    assert_eq!(
        shown,
        ["530.00", "540.00", "550.00", "650.00", "750.00"],
        "newest first, one sample per refresh"
    );
    assert_eq!(d.account.balance.expect("latest").quota, Some(780_000));
    assert!(d.can_top_up);
    h.server.assert_no_violations();
}

/// The balance falls $2 a day; the person asked to hear when it is under $15. One alert as it
/// crosses, none while it stays under, none from a later sample that only confirms it, and one
/// again after a top-up and a second fall. The forecast reads the last 7 days' spending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_balance_alerts_once_per_fall_and_the_forecast_reads_the_last_week() {
    let h = harness(Setup::aihubmix()).await;
    let dollars = |d: i64| d * 500_000;
    h.server.set_balance(dollars(20), 0, "20.00");
    let a = h.sign_in().await;
    let mut events = h.engine.subscribe();
    let set = h
        .engine
        .set_low_balance(a.id, Some(15.0))
        .await
        .expect("threshold set");
    assert_eq!(set.low_balance_below, Some(15.0));
    assert_eq!(
        h.engine.detail(a.id).await.expect("detail").forecast,
        None,
        "one sample is no history"
    );

    let mut alerts = Vec::new();
    for (day, left) in [
        (1, 18),
        (2, 16),
        (3, 14),
        (4, 12),
        (5, 40),
        (6, 38),
        (7, 13),
    ] {
        let _ = day;
        h.server
            .set_balance(dollars(left), 0, &format!("{left}.00"));
        h.clock.advance_secs(86_400);
        h.engine.refresh(a.id, true).await.expect("refresh samples");
        while let Ok(ev) = events.try_recv() {
            if let signet_core::EngineEvent::Alert { kind, message, .. } = ev {
                alerts.push((left, kind, message));
            }
        }
    }
    let lows: Vec<i64> = alerts
        .iter()
        .filter(|(_, k, _)| *k == signet_core::views::AlertKind::LowBalance)
        .map(|(left, _, _)| *left)
        .collect();
    assert_eq!(
        lows,
        [14, 13],
        "once under 15, again after the top-up and a new fall"
    );
    let msg = &alerts.iter().find(|(l, _, _)| *l == 14).expect("alert").2;
    assert!(msg.contains("14.00") && msg.contains("15.00"), "{msg}");

    // Last 7 days: 20→18→16→14→12 (8 spent), top-up to 40, →38→13 (27 spent): 35 in 7 days.
    let f = h
        .engine
        .detail(a.id)
        .await
        .expect("detail")
        .forecast
        .expect("a week of history");
    assert!((f.spent_per_day - 5.0).abs() < 1e-6, "{f:?}");
    assert!((f.days_left.expect("spending") - 13.0 / 5.0).abs() < 1e-6);
    assert!((f.basis_days - 7.0).abs() < 1e-6);

    // Removing the alert: no more notifications, and the view says so.
    let off = h
        .engine
        .set_low_balance(a.id, None)
        .await
        .expect("threshold removed");
    assert_eq!(off.low_balance_below, None);
    assert_eq!(
        h.engine
            .set_low_balance(a.id, Some(-3.0))
            .await
            .expect_err("refused")
            .code,
        ErrorCode::Config
    );
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_from_userinfo_refreshes_once_and_retries_once() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    h.server.expire_access_tokens();
    let before = h.server.refresh_requests();
    let v = h
        .engine
        .sync_profile(a.id)
        .await
        .expect("profile after one refresh");
    assert_eq!(v.display_name, "user123");
    assert_eq!(
        h.server.refresh_requests(),
        before + 1,
        "exactly one refresh"
    );
    let userinfo = h.server.requests_to("/api/oauth2/userinfo");
    assert_eq!(
        userinfo.len(),
        4,
        "sign-in, the refused call, the refresh's balance sample, the retry"
    );

    // A second refusal after the refresh is not retried again: sign in again. (Three refusals:
    // the call, the refresh's balance sample, the retry.)
    for _ in 0..3 {
        h.server.push_api_fault(Fault::InvalidGrant);
    }
    let e = h
        .engine
        .sync_profile(a.id)
        .await
        .expect_err("refused twice");
    assert_eq!(e.code, ErrorCode::ReauthRequired);
    assert_eq!(h.server.refresh_requests(), before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_errors_in_the_documented_shape_are_named() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    h.server.push_fault(Fault::Respond {
        status: 400,
        content_type: "application/json".into(),
        body: r#"{"error":"invalid_client"}"#.into(),
    });
    let e = h
        .engine
        .refresh(a.id, true)
        .await
        .expect_err("invalid_client");
    assert_eq!(e.code, ErrorCode::SetupProblem);
    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Setup
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_as_another_aihubmix_user_is_refused_naming_both() {
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    h.server
        .set_user(User::new("67890", "other_user", "other@example.com"));
    let e = h.try_sign_in(Some(a.id)).await.expect_err("different user");
    assert_eq!(e.code, ErrorCode::SubjectMismatch);
    assert!(
        e.message.contains("other@example.com") && e.message.contains("user@example.com"),
        "{}",
        e.message
    );
}
