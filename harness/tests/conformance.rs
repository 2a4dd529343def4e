//! The conformance suite: `cargo test --test conformance`. See docs/configuration.md for its variables.

fn main() -> std::process::ExitCode {
    createlink::suite::main()
}
