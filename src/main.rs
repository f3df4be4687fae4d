//! The `slant` command. Parses the command line, runs the subcommand, and is the one place that
//! prints a fatal error. Exit codes: 0 success, 1 some inputs failed (the rest were processed),
//! 2 fatal or usage error. A closed output pipe ends the run quietly.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(status) => status.into(),
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{} {e:#}", cli::error_prefix());
            cli::Status::Fatal.into()
        }
    }
}
