//! Isolation: a hostile exchange on one path never fails a trial on another path.
//!
//! The target floods every request on one path with `103 Early Hints` and never answers; every
//! other request goes through to the reference server. The suite runs whole, with a CPU hog
//! beside it: only that path's trials may fail.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::behaving_target;
use common::front::flooding_front;
use createlink::load::config::{Config, Profile};
use createlink::suite::Suite;

/// The path whose requests are flooded, as sent.
const FLOODED: &str = "/drives/b!conformance-drive/root/createLink";

#[test]
fn a_flood_on_one_path_fails_no_trial_on_another() {
    let reference = behaving_target(Profile::Documented, |_, _| {});
    let upstream = reference.address().to_string();
    let mut config = Config::defaults();
    config.base_url = Some(flooding_front(upstream, FLOODED).parse().unwrap());
    config.timeout = Duration::from_secs(2);
    // The reference behind the front starts empty: the run may delete what it is given.
    config.fresh_items = true;
    let suite = Arc::new(Suite::new(config).unwrap());
    // A loaded machine: one thread spinning beside the suite.
    let stop = Arc::new(AtomicBool::new(false));
    let spinning = Arc::clone(&stop);
    let hog = std::thread::spawn(move || {
        while !spinning.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
    });
    // The trials as the program runs them: 64 at a time, as the schedule lets them (trials that
    // could share a link on one item take turns).
    let ids = suite.trials();
    let failed: Vec<(String, String)> = suite
        .run_scheduled(&ids, 64)
        .into_iter()
        .zip(&ids)
        .filter(|(outcome, _)| !outcome.passed())
        .map(|(outcome, &id)| (suite.trial_name(id), outcome.report()))
        .collect();
    stop.store(true, Ordering::Relaxed);
    hog.join().unwrap();
    let elsewhere: Vec<&(String, String)> = failed
        .iter()
        .filter(|(name, _)| !name.starts_with("POST /drives/{drivesId}/root/createLink"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "{} trials failed on other paths; the first:\n{}",
        elsewhere.len(),
        elsewhere.first().map_or("", |f| f.1.as_str())
    );
    assert!(!failed.is_empty(), "no trial on the flooded path failed");
}
