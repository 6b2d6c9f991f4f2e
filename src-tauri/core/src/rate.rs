//! Rate limits: token requests per second to each provider (governor's GCRA), on the engine's clock so that tests control time.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};

use crate::clock::Clock;

/// The engine's clock as governor's (milliseconds; a clock stepping back counts as no time).
#[derive(Clone)]
struct EngineTime(Arc<dyn Clock>);

impl governor::clock::Clock for EngineTime {
    type Instant = Nanos;
    fn now(&self) -> Nanos {
        Nanos::from(Duration::from_millis(self.0.now_ms().max(0) as u64))
    }
}

type Limiter = governor::RateLimiter<NotKeyed, InMemoryState, EngineTime, NoOpMiddleware<Nanos>>;

/// One limiter per provider, made at its first request with the rate configured then.
pub struct RateLimits {
    time: EngineTime,
    limiters: Mutex<HashMap<String, Arc<Limiter>>>,
}

/// The longest a waiting request sleeps before looking again (a clock that jumps is noticed).
const LOOK_AGAIN: Duration = Duration::from_secs(1);

impl RateLimits {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        RateLimits {
            time: EngineTime(clock),
            limiters: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until one more request to `provider` keeps it within `per_second` (bursts of up
    /// to `per_second` at once).
    pub async fn until_ready(&self, provider: &str, per_second: u32) {
        let limiter = self.limiter(provider, per_second);
        loop {
            match limiter.check() {
                Ok(()) => return,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.time.now());
                    tokio::time::sleep(wait.clamp(Duration::from_millis(1), LOOK_AGAIN)).await;
                }
            }
        }
    }

    fn limiter(&self, provider: &str, per_second: u32) -> Arc<Limiter> {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let mut m = match self.limiters.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.entry(provider.to_owned())
            .or_insert_with(|| {
                Arc::new(governor::RateLimiter::direct_with_clock(
                    governor::Quota::per_second(per_second),
                    self.time.clone(),
                ))
            })
            .clone()
    }
}
