//! The conformance suite: `cargo test --test conformance`. See README.md for its variables.

fn main() -> std::process::ExitCode {
    createlink::suite::main()
}
