//! The conformance suite as a program: `cargo run -- [libtest options]`, same as
//! `cargo test --test conformance`; and `createlink-conformance serve`, the reference server.

use std::ffi::OsStr;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() == Some(OsStr::new("serve")) {
        return createlink::serve::main(args.collect());
    }
    createlink::suite::main()
}
