//! The function's handler against two emulated AWS accounts (ministack with
//! AUTH=true: SigV4, identity, trust and bucket policies enforced), over real
//! HTTPS. One emulator serves the whole binary; `libtest-mimic` gives the
//! usual test output and filtering, and lets `main` stop the emulator after.
//! Each module below holds the scenarios of one concern and lists them with
//! `scenarios!`, so a test's name is its function's name.

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use support::Emulator;

/// One scenario: runs against the shared emulator; panics or returns `Err` on failure.
type Scenario = fn(&Emulator) -> Result<(), Failed>;

/// Defines the module's `scenarios()`: each function named, under its own name.
macro_rules! scenarios {
    ($($scenario:ident),+ $(,)?) => {
        /// This module's scenarios, each named after its function.
        pub(crate) fn scenarios() -> Vec<(&'static str, crate::Scenario)> {
            vec![$((stringify!($scenario), $scenario as crate::Scenario)),+]
        }
    };
}

#[path = "../support/mod.rs"]
mod support;

mod harness;

mod batch;
mod batch_operations;
mod inline_sources;
mod keys;
mod ownership_and_kms;
mod preflight;
mod s3_copy;
mod ses;
mod sessions;
mod sqs;
mod streams;
mod trust_and_access;

fn main() {
    let args = Arguments::from_args();
    let emulator = if args.list {
        None
    } else {
        Some(Arc::new(Emulator::start(&[])))
    };
    let scenarios = [
        sqs::scenarios(),
        inline_sources::scenarios(),
        s3_copy::scenarios(),
        ses::scenarios(),
        trust_and_access::scenarios(),
        sessions::scenarios(),
        ownership_and_kms::scenarios(),
        keys::scenarios(),
        preflight::scenarios(),
        streams::scenarios(),
        batch::scenarios(),
        batch_operations::scenarios(),
    ]
    .concat();
    let trials = scenarios
        .into_iter()
        .map(|(name, scenario)| {
            let emulator = emulator.clone();
            Trial::test(name, move || match &emulator {
                Some(e) => scenario(e),
                None => Ok(()),
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(emulator); // stops the emulator before exiting
    conclusion.exit();
}
