//! Failpoints: named places where a crash between two writes would hurt, so that the tests
//! can stop a process exactly there and show that it heals. A process started with
//! `INNOHUB_FAILPOINT=<name>` exits (status 86, no clean-up, as a crash would) when it
//! reaches the failpoint of that name; without the variable nothing happens.

use std::sync::LazyLock;

/// The environment variable that arms a failpoint.
pub const VARIABLE: &str = "INNOHUB_FAILPOINT";
/// The exit status of a process stopped at a failpoint.
pub const EXIT_STATUS: i32 = 86;

static ARMED: LazyLock<Option<String>> = LazyLock::new(|| std::env::var(VARIABLE).ok());

/// Stop the process here if `name` is the armed failpoint.
pub fn reach(name: &str) {
    if ARMED.as_deref() == Some(name) {
        tracing::error!(failpoint = name, "failpoint reached: exiting");
        std::process::exit(EXIT_STATUS);
    }
}
