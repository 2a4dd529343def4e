//! The run's configuration, read from `CREATELINK_*` environment variables.
//!
//! Parsing takes a lookup function instead of reading the process environment directly, so every
//! error path is testable without touching global state.

use std::ffi::OsString;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;

use crate::load::error::{SetupError, ShownUrl, UrlFault, VariableFault};
use crate::load::folder::Folder;
pub use crate::load::params::{PARAMS, ParamOverrides};
pub use crate::model::profile::Profile;
pub use crate::model::service::{SERVICE, Service};
pub use crate::model::token::{PLACEHOLDER_TOKEN, TOKEN, Token};

pub const BASE_URL: &str = "CREATELINK_BASE_URL";
pub const TIMEOUT_SECS: &str = "CREATELINK_TIMEOUT_SECS";
pub const PROFILE: &str = "CREATELINK_PROFILE";
pub const CONCURRENCY: &str = "CREATELINK_CONCURRENCY";
pub const CASES: &str = "CREATELINK_CASES";
pub const EXPECTED_FAILURES: &str = "CREATELINK_EXPECTED_FAILURES";
pub const SCHEMAS: &str = "CREATELINK_SCHEMAS";
pub const SUMMARY: &str = "CREATELINK_SUMMARY";
pub const KEEP_LINKS: &str = "CREATELINK_KEEP_LINKS";
pub const FRESH_ITEMS: &str = "CREATELINK_FRESH_ITEMS";

/// Requests in flight at once when `CREATELINK_CONCURRENCY` is unset: enough for the 23
/// documented paths to run in one round trip, small enough that a generated suite of thousands
/// of cases opens no more sockets or threads than this.
pub const DEFAULT_CONCURRENCY: usize = 64;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct Config {
    /// `None`: run against the built-in reference server.
    pub base_url: Option<Url>,
    pub token: Token,
    pub params: ParamOverrides,
    pub timeout: Duration,
    pub profile: Profile,
    /// The service the target stands for: what it lacks is not sent.
    pub service: Service,
    /// `None`: [`DEFAULT_CONCURRENCY`].
    pub concurrency: Option<NonZeroUsize>,
    /// The cases (and their `variants/`): built into the program unless `CREATELINK_CASES`.
    pub cases: Folder,
    /// Built into the program unless `CREATELINK_SCHEMAS`.
    pub schemas: Folder,
    pub expected_failures: Option<PathBuf>,
    /// `CREATELINK_KEEP_LINKS=1`: delete no link after its trial.
    pub keep_links: bool,
    /// `CREATELINK_FRESH_ITEMS=1`: the items hold no link from before the run, so under
    /// `documented` (every answer `200`) a link the run has not seen before is its own.
    pub fresh_items: bool,
}

/// What relative paths in variables are relative to: the clone's root when cargo runs the
/// program (`cargo test`, `cargo nextest run` and `cargo run` set `CARGO_MANIFEST_DIR` to the
/// package, `harness/`, and the first two also make it the working directory), so a path
/// given from the clone's root means the same file under all three; otherwise, as for any
/// program, the working directory. Either way the result is absolute, so errors name the
/// file that was tried.
fn relative_base(lookup: &impl Fn(&str) -> Option<OsString>) -> PathBuf {
    let built_here = env!("CARGO_MANIFEST_DIR");
    match lookup("CARGO_MANIFEST_DIR") {
        Some(dir) if dir == built_here => {
            let root = Path::new(built_here).join("..");
            root.canonicalize().unwrap_or(root)
        }
        _ => std::env::current_dir().unwrap_or_default(),
    }
}

/// `path` made absolute the way relative paths in variables are, for files named on the
/// command line (`--write-baseline`).
pub fn absolute(path: &Path) -> PathBuf {
    relative_base(&|name: &str| std::env::var_os(name)).join(path)
}

/// The repository's own `cases/` and `schemas/`, found from where the crate was built.
pub fn repo_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

impl Config {
    /// Defaults for everything: the built-in server, the documented profile, the built-in cases.
    pub fn defaults() -> Self {
        Config {
            base_url: None,
            token: Token::placeholder(),
            params: ParamOverrides::default(),
            timeout: DEFAULT_TIMEOUT,
            profile: Profile::Documented,
            service: Service::Any,
            concurrency: None,
            cases: Folder::built_in_cases(),
            schemas: Folder::built_in_schemas(),
            expected_failures: None,
            keep_links: false,
            fresh_items: false,
        }
    }

    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, SetupError> {
        let text = |name: &'static str| -> Result<Option<String>, SetupError> {
            match lookup(name) {
                None => Ok(None),
                Some(value) => value
                    .into_string()
                    .map(Some)
                    .map_err(|_| SetupError::in_variable(name, VariableFault::NotUtf8)),
            }
        };
        let base = relative_base(&lookup);
        let path = |raw: &str| base.join(raw);
        let folder = |variable: &'static str, raw: &str, of: &'static str| {
            let dir = path(raw);
            if dir.is_dir() {
                Ok(Folder::Disk(dir))
            } else {
                Err(SetupError::in_variable(
                    variable,
                    VariableFault::NotAFolder(dir, of),
                ))
            }
        };
        let mut config = Config::defaults();
        if let Some(raw) = text(BASE_URL)? {
            config.base_url = Some(parse_base_url(&raw)?);
        }
        if let Some(raw) = text(TOKEN)? {
            config.token = parse_token(raw)?;
        }
        if let Some(raw) = text(PARAMS)? {
            config.params = ParamOverrides::read(&path(&raw))?;
        }
        if let Some(raw) = text(TIMEOUT_SECS)? {
            config.timeout = Duration::from_secs(positive(TIMEOUT_SECS, &raw, "seconds")? as u64);
            // The client adds up to four times the timeout to the clock (the exchange, the wait
            // for budget, the grace): a sum the clock cannot hold would panic a runtime thread.
            let room = config.timeout.checked_mul(4);
            if room
                .and_then(|r| std::time::Instant::now().checked_add(r))
                .is_none()
            {
                return Err(SetupError::in_variable(
                    TIMEOUT_SECS,
                    VariableFault::TimeoutTooLong(raw),
                ));
            }
        }
        if let Some(raw) = text(PROFILE)? {
            config.profile = match raw.as_str() {
                "documented" => Profile::Documented,
                "graph" => Profile::Graph,
                _ => {
                    return Err(SetupError::in_variable(
                        PROFILE,
                        VariableFault::UnknownProfile(raw),
                    ));
                }
            };
        }
        if let Some(raw) = text(SERVICE)? {
            config.service = Service::parse(&raw).ok_or_else(|| {
                SetupError::in_variable(SERVICE, VariableFault::UnknownService(raw))
            })?;
        }
        if let Some(raw) = text(CONCURRENCY)? {
            config.concurrency = NonZeroUsize::new(positive(CONCURRENCY, &raw, "requests")?);
        }
        if let Some(raw) = text(CASES)? {
            config.cases = folder(CASES, &raw, "case files")?;
        }
        if let Some(raw) = text(SCHEMAS)? {
            config.schemas = folder(SCHEMAS, &raw, "schema files")?;
        }
        if let Some(raw) = text(EXPECTED_FAILURES)? {
            config.expected_failures = Some(path(&raw));
        }
        if let Some(raw) = text(KEEP_LINKS)? {
            config.keep_links = switch(KEEP_LINKS, &raw)?;
        }
        if let Some(raw) = text(FRESH_ITEMS)? {
            config.fresh_items = switch(FRESH_ITEMS, &raw)?;
        }
        Ok(config)
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
            .map_or(DEFAULT_CONCURRENCY, NonZeroUsize::get)
    }
}

fn switch(variable: &'static str, raw: &str) -> Result<bool, SetupError> {
    match raw.trim() {
        "1" => Ok(true),
        "0" | "" => Ok(false),
        _ => Err(SetupError::in_variable(
            variable,
            VariableFault::NotASwitch(raw.to_owned()),
        )),
    }
}

fn positive(variable: &'static str, raw: &str, unit: &'static str) -> Result<usize, SetupError> {
    match raw.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(SetupError::in_variable(
            variable,
            VariableFault::NotPositive(raw.to_owned(), unit),
        )),
    }
}

pub fn parse_base_url(raw: &str) -> Result<Url, SetupError> {
    // The value is held without its userinfo, whatever else is wrong with it; and not at all
    // when an '@' is left that might still belong to credentials the URL parser did not see.
    let stripped = crate::model::redact::strip_userinfo(raw);
    let hidden = stripped.contains('@');
    let err = |why| {
        let value = if hidden {
            ShownUrl::Hidden
        } else {
            ShownUrl::Quoted(stripped.clone())
        };
        SetupError::in_variable(BASE_URL, VariableFault::BaseUrl(value, why))
    };
    let url = Url::parse(raw.trim()).map_err(|e| err(UrlFault::NotAUrl(e)))?;
    if !matches!(url.scheme(), "http" | "https") {
        // In `user:pw@host` the "scheme" is the user name.
        let scheme = (!hidden).then(|| url.scheme().to_owned());
        return Err(err(UrlFault::Scheme(scheme)));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(err(UrlFault::NoHost));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err(UrlFault::QueryOrFragment));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in the URL would be printed in every curl line; the token variable is the
        // place for them.
        return Err(SetupError::in_variable(
            BASE_URL,
            VariableFault::BaseUrlCredentials,
        ));
    }
    Ok(url)
}

fn parse_token(raw: String) -> Result<Token, SetupError> {
    // The faults hold nothing of the value: it is a secret.
    if raw.is_empty() {
        return Err(SetupError::in_variable(TOKEN, VariableFault::TokenEmpty));
    }
    if !raw.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(SetupError::in_variable(
            TOKEN,
            VariableFault::TokenNotSendable,
        ));
    }
    Ok(Token::new(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Config, SetupError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn nothing_set_means_defaults() {
        let c = from(&[]).unwrap();
        assert!(c.base_url.is_none());
        assert_eq!(c.profile, Profile::Documented);
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert_eq!(c.concurrency(), DEFAULT_CONCURRENCY);
    }

    #[test]
    fn base_url_must_be_http() {
        for bad in [
            "ftp://example.com/beta",
            "not a url",
            "graph.microsoft.com/beta",
            "http://",
        ] {
            let e = from(&[(BASE_URL, bad)]).unwrap_err();
            assert_eq!(e.variable(), Some(BASE_URL), "{bad}");
            assert!(e.to_string().starts_with("CREATELINK_BASE_URL: "), "{e}");
        }
        for with_credentials in [
            "https://alice:hunter2@example.com/",
            "https://alice:hunter2@example.com/beta?x=1",
            "https://alice:hunter2@example.com/beta#top",
            "https://alice:hunter2@example.com:99999/beta",
            "ftp://alice:hunter2@example.com/beta",
            "https://alice:hunter2@exa mple.com/beta",
            "alice:hunter2@example.com/beta",
            "http://alice:hunter2@[::1/beta",
        ] {
            let e = from(&[(BASE_URL, with_credentials)]).unwrap_err();
            let shown = e.to_string();
            assert!(shown.starts_with("CREATELINK_BASE_URL: "), "{shown}");
            assert!(
                !shown.contains("hunter2") && !shown.contains("alice"),
                "{with_credentials}: {shown}"
            );
        }
        assert!(from(&[(BASE_URL, "https://graph.microsoft.com/beta")]).is_ok());
    }

    #[test]
    fn timeout_and_concurrency_must_be_positive_whole_numbers() {
        for bad in ["0", "-1", "1.5", "ten", ""] {
            assert_eq!(
                from(&[(TIMEOUT_SECS, bad)]).unwrap_err().variable(),
                Some(TIMEOUT_SECS)
            );
            assert_eq!(
                from(&[(CONCURRENCY, bad)]).unwrap_err().variable(),
                Some(CONCURRENCY)
            );
        }
        let c = from(&[(TIMEOUT_SECS, "5"), (CONCURRENCY, "3")]).unwrap();
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.concurrency(), 3);
    }

    #[test]
    fn a_params_path_that_is_no_regular_file_is_named_not_read() {
        for (path, why) in [("/dev/zero", "is a device"), ("/", "is a directory")] {
            let e = from(&[(PARAMS, path)]).unwrap_err();
            assert_eq!(e.variable(), Some(PARAMS));
            assert!(
                e.message().contains(path) && e.message().contains(why),
                "{e}"
            );
        }
    }

    #[test]
    fn switches_are_0_or_1() {
        let c = from(&[(KEEP_LINKS, "1"), (FRESH_ITEMS, "0")]).unwrap();
        assert!(c.keep_links && !c.fresh_items);
        assert!(!Config::defaults().keep_links && !Config::defaults().fresh_items);
        let e = from(&[(FRESH_ITEMS, "yes")]).unwrap_err();
        assert_eq!(e.variable(), Some(FRESH_ITEMS));
        assert!(e.message().contains("\"yes\" is neither 1"), "{e}");
    }

    #[test]
    fn profile_is_one_of_two_names() {
        assert_eq!(from(&[(PROFILE, "graph")]).unwrap().profile, Profile::Graph);
        let e = from(&[(PROFILE, "Graph")]).unwrap_err();
        assert_eq!(e.variable(), Some(PROFILE));
        assert!(e.message().contains("\"Graph\""), "{e}");
    }

    #[test]
    fn service_is_one_of_three_names() {
        assert_eq!(from(&[]).unwrap().service, Service::Any);
        assert_eq!(
            from(&[(SERVICE, "personal")]).unwrap().service,
            Service::Personal
        );
        assert_eq!(
            from(&[(SERVICE, "business")]).unwrap().service,
            Service::Business
        );
        let e = from(&[(SERVICE, "sharepoint")]).unwrap_err();
        assert_eq!(e.variable(), Some(SERVICE));
        assert!(e.message().contains("\"sharepoint\""), "{e}");
    }

    #[test]
    fn token_errors_never_show_the_token() {
        let e = from(&[(TOKEN, "secret value")]).unwrap_err();
        assert_eq!(e.variable(), Some(TOKEN));
        assert!(!e.to_string().contains("secret"), "{e}");
        assert_eq!(from(&[(TOKEN, "")]).unwrap_err().variable(), Some(TOKEN));
        let c = from(&[(TOKEN, "s3cret")]).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn params_file_errors_name_the_file_and_key() {
        let dir = crate::load::files::TempDir::new("config");
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p.display().to_string()
        };
        let missing = dir.join("missing.json").display().to_string();
        let e = from(&[(PARAMS, &missing)]).unwrap_err();
        assert!(
            e.variable() == Some(PARAMS) && e.message().contains(&missing),
            "{e}"
        );

        let bad = write("bad.json", "{\"drivesId\": ");
        let e = from(&[(PARAMS, &bad)]).unwrap_err();
        assert!(
            e.message().contains(&bad) && e.message().contains("not valid JSON"),
            "{e}"
        );

        let array = write("array.json", "[]");
        assert!(
            from(&[(PARAMS, &array)])
                .unwrap_err()
                .message()
                .contains("object")
        );

        let number = write("number.json", "{\"drivesId\": 5}");
        let e = from(&[(PARAMS, &number)]).unwrap_err();
        assert!(
            e.message().contains("\"drivesId\"") && e.message().contains(&number),
            "{e}"
        );

        let dots = write("dots.json", "{\"drivesId\": \"..\"}");
        let e = from(&[(PARAMS, &dots)]).unwrap_err();
        assert!(
            e.message().contains("\"drivesId\"") && e.message().contains("dot-segment"),
            "{e}"
        );

        let typo = write("typo.json", "{\"driveId\": \"x\"}");
        let overrides = from(&[(PARAMS, &typo)]).unwrap().params;
        let e = overrides.check_names(&["drivesId", "groupId"]).unwrap_err();
        assert_eq!(e.variable(), Some(PARAMS));
        assert!(
            e.message().contains("\"driveId\"") && e.message().contains(&typo),
            "{e}"
        );
        assert!(e.message().contains("did you mean \"drivesId\""), "{e}");
    }
}
