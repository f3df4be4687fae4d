//! The `slant` command. Parses the command line, runs the subcommand, and is the one place that
//! prints a fatal error. Exit codes: 0 success, 1 some inputs failed (the rest were processed),
//! 2 fatal or usage error. A closed output pipe ends the run quietly.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(status) => status.into(),
        // A closed output pipe (`| head`) ends the run quietly, with the status the inputs
        // read so far earned.
        Err(e) if cli::is_broken_pipe(&e) => {
            cli::Status::from_failures(cli::INPUT_FAILED.load(std::sync::atomic::Ordering::Relaxed))
                .into()
        }
        Err(e) => {
            cli::say!("{} {e:#}", cli::error_prefix());
            cli::Status::Fatal.into()
        }
    }
}
