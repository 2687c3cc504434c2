//! What the fault campaign's kinds share: a seeded generator, the outcome
//! of one trial, the tally and its `campaign:` line (the format
//! tests/fault_campaign.sh reads).

use std::time::Instant;

/// splitmix64: small, seedable, good enough to pick sizes and places.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// Trials, data lost and failures of one kind.
#[derive(Default)]
pub struct Tally {
    /// Trials run.
    pub trials: u64,
    /// Trials that lost data.
    pub lost: u64,
    /// Trials with another failure.
    pub failures: u64,
    /// Trials where verify --repair found and corrected something.
    pub repaired: u64,
}

impl Tally {
    /// Prints the kind's `campaign:` line.
    pub fn print(&self, kind: &str, started: Instant) {
        println!(
            "campaign: kind={kind} trials={} data_lost={} failures={} repaired_divergence={} seconds={:.1}",
            self.trials,
            self.lost,
            self.failures,
            self.repaired,
            started.elapsed().as_secs_f64()
        );
    }
}

/// What one trial found.
#[derive(Default)]
pub struct Outcome {
    /// Problems that lost data.
    pub lost: Vec<String>,
    /// Other failures.
    pub failed: Vec<String>,
    /// What verify --repair corrected, if it corrected anything.
    pub repaired: Option<String>,
}

impl Outcome {
    /// Records a failure that lost no data.
    pub fn fail(&mut self, s: impl Into<String>) {
        self.failed.push(s.into());
    }

    /// Records lost data.
    pub fn lose(&mut self, s: impl Into<String>) {
        self.lost.push(s.into());
    }

    /// Adds the trial to the tally and prints what went wrong, named by
    /// `what` (which holds the seed).
    pub fn record(self, t: &mut Tally, what: &str) {
        t.trials += 1;
        if !self.lost.is_empty() {
            t.lost += 1;
        }
        if !self.failed.is_empty() {
            t.failures += 1;
        }
        for l in &self.lost {
            println!("DATA LOST {what}: {l}");
        }
        for f in &self.failed {
            println!("FAILURE {what}: {f}");
        }
        if let Some(d) = &self.repaired {
            t.repaired += 1;
            println!("repaired: {what}: {d}");
        }
    }
}

/// `FAULT_SEED` when set: rerun one trial.
pub fn only_seed() -> Option<u64> {
    std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
}

/// `name` from the environment, else `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
