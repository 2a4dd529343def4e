//! The conformance suite as a program: `cargo run -- [libtest options]`, same as
//! `cargo test --test conformance`.

fn main() -> std::process::ExitCode {
    createlink::suite::main()
}
