//! Stage 1, load: from the environment and the files to a plan. `CREATELINK_*` variables
//! ([`config`], [`params`]), the folders and bounded file reads ([`folder`], [`files`]), the
//! schemas, cases, variants and expected failures ([`schema`], [`case`], [`variant`],
//! [`expected`]), and the one setup error with every message of one ([`error`]).

pub mod case;
pub mod config;
pub mod error;
pub mod expected;
pub mod files;
pub mod folder;
pub mod params;
pub mod schema;
pub mod variant;
