//! The one error type of setting a run up: whatever stops a run before any request is sent, and
//! every message of one. Where an error arises (config, case, variant, schema, expected, client)
//! it is only said what is wrong, with the data; the words are all here, below the types. The
//! program maps every setup error to exit code 2, in one place (`suite::setup_error`).
//!
//! No message quotes a secret, and the types show it: the token's faults hold nothing of the
//! value, a base URL is held only as it may be shown ([`ShownUrl`]), and an expected-failures
//! line that may hold one (a `.env` file given by mistake) is not held at all.

use std::fmt::{self, Display, Formatter};
use std::io;
use std::path::{Path, PathBuf};

use crate::load::files::FileError;
use crate::model::template::{ACTION, SegmentFault, TemplateError, TemplateFault};

#[derive(Debug)]
pub enum SetupError {
    /// A variable's value, or the file it names, is wrong.
    Variable {
        variable: &'static str,
        fault: VariableFault,
    },
    /// A case, variant or schema file, or a folder of them, is wrong.
    File { file: PathBuf, fault: FileFault },
    /// The harness's own machinery cannot start.
    Start(StartFault),
}

/// What a JSON value is, as [`crate::model::json_text::kind`] names it ("an array"): what was found
/// where something else was expected.
pub type Found = &'static str;

/// `url::ParseError`, which reqwest does not re-export.
pub type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;

#[derive(Debug)]
pub enum VariableFault {
    NotUtf8,
    /// The value, and what the number counts.
    NotPositive(String, &'static str),
    /// A timeout the clock cannot add to the current time: the value.
    TimeoutTooLong(String),
    /// A request URL longer than the HTTP client can send: the path template, its length, the
    /// base URL's length, and the client's limit.
    UrlTooLong {
        template: String,
        length: usize,
        base: usize,
        limit: usize,
    },
    UnknownProfile(String),
    UnknownService(String),
    /// A switch (`CREATELINK_KEEP_LINKS`, `CREATELINK_FRESH_ITEMS`) set to neither 0 nor 1.
    NotASwitch(String),
    /// The folder, and what it was to hold.
    NotAFolder(PathBuf, &'static str),
    BaseUrl(ShownUrl, UrlFault),
    /// User credentials in the base URL: nothing of the value is held.
    BaseUrlCredentials,
    /// Neither token fault holds anything of the value.
    TokenEmpty,
    TokenNotSendable,
    /// The params or expected-failures file cannot be read.
    Unreadable(PathBuf, FileError),
    ParamsNotJson(PathBuf, serde_json::Error),
    ParamsNotAnObject(PathBuf, Found),
    /// The params file, the key, and what its value is.
    ParamNotAString(PathBuf, String, Found),
    /// The params file, the key, its value, and why the value is no path segment.
    ParamNotASegment(PathBuf, String, String, SegmentFault),
    /// A name that no case uses. `file` is `None` when the values were not read from one;
    /// `known` holds the names the cases use, sorted.
    UnknownParam {
        file: Option<PathBuf>,
        key: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    /// The expected-failures file, the line number, and the entry, which is `None` when it
    /// holds an `=` and so may be a secret.
    NamesNoTrial(PathBuf, usize, Option<String>),
    /// The pre-flight request got no answer at all: the client's reason (refused, DNS, TLS,
    /// timeout), which names the host and port but not the URL's path or credentials.
    Unreachable(String),
}

/// `CREATELINK_BASE_URL` as its errors show it.
#[derive(Debug)]
pub enum ShownUrl {
    /// The value without its userinfo.
    Quoted(String),
    /// Not shown: an `@` is left that may belong to credentials the URL parser did not see.
    Hidden,
}

#[derive(Debug)]
pub enum UrlFault {
    NotAUrl(UrlParseError),
    /// Not http(s). The scheme is `None` when the value is hidden: in `user:pw@host` the
    /// "scheme" is the user name.
    Scheme(Option<String>),
    NoHost,
    QueryOrFragment,
}

#[derive(Debug)]
pub enum FileFault {
    /// A file of a folder that cannot be read.
    Unreadable(FileError),
    /// The cases or variants folder (which, and why) cannot be listed.
    FolderUnreadable(&'static str, io::Error),
    NotJson(serde_json::Error),
    NotAnObject(Found),
    Case(CaseFault),
    Variant(VariantFault),
    Schema(SchemaFault),
}

/// What is wrong with a case file, or the cases folder.
#[derive(Debug)]
pub enum CaseFault {
    UnknownMember(String),
    PathNotAString(Found),
    NoPath,
    Path(TemplateError),
    /// A parameter's name, and what its value is.
    ParamNotAString(String, Found),
    /// A parameter's name and value, and why the value is no path segment.
    ParamNotASegment(String, String, SegmentFault),
    ParamsNotAnObject(Found),
    /// A parameter of the template (the second) without a value.
    NoDefault(String, String),
    /// A parameter's name that the template (the second) does not have.
    NotAParameter(String, String),
    NoBody,
    /// The JSON pointer and reason of the body's first violation of `schemas/request.json`.
    InvalidBody(String, String),
    /// A second case of a template; the second is the file of the first.
    SamePath(String, PathBuf),
    /// The folder holds no case.
    NoCases,
    SourceNotAString(Found),
    /// Two parameters of the body that no one service offers together.
    NoServiceOffers(String, String),
}

/// What is wrong with a variant file.
#[derive(Debug)]
pub enum VariantFault {
    /// The file's stem, which is the variant's name.
    BadName(String),
    /// The member, and the members a variant may have.
    UnknownMember(String, &'static [&'static str]),
    NoDescription,
    DescriptionNotAString(Found),
    TwoBodies,
    NoBody,
    RawBodyIsJson,
    RawBodyNotAString(Found),
    RepeatNotABoolean(Found),
    /// A link's body breaks `schemas/request.json`: the first violation's pointer and reason.
    InvalidBody(String, String),
    RawBodyForLink,
    RepeatedRefusal,
    RefusalNotAnObject(Found),
    RefusalMember(String),
    StatusNot4xx(serde_json::Number),
    StatusNotANumber(Found),
    NoStatus,
    AuthorizationNotABoolean(Found),
    /// A refusal that differs from a good request in none, or more than one, of these.
    Differences(Vec<Difference>),
    ServiceNotAnObject(Found),
    ServiceMember(String),
    /// The member of `"service"` that is missing or not a non-empty string.
    ServiceNeeds(&'static str),
    UnknownService(String),
    /// The declared service, and the one the body is available on.
    ServiceDisagrees(&'static str, &'static str),
    /// Two parameters of the body that no one service offers together.
    NoServiceOffers(String, String),
}

/// A respect in which a refusal's request differs from a good one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    NoAuthorization,
    NotJson,
    BreaksSchema,
}

#[derive(Debug)]
pub enum SchemaFault {
    FolderUnreadable(io::Error),
    /// The `$id` the file must have.
    WrongId(String),
    Missing,
    Registry(Box<jsonschema::ReferencingError>),
    Invalid(Box<jsonschema::ValidationError<'static>>),
    /// `graphTypes.json` without a `knownTypes` array of strings.
    KnownTypes,
}

#[derive(Debug)]
pub enum StartFault {
    Runtime(io::Error),
    /// The error and its sources, joined.
    HttpClient(String),
}

impl SetupError {
    /// Exit code of a run stopped by a setup error.
    pub const EXIT_CODE: u8 = 2;

    pub fn in_variable(variable: &'static str, fault: VariableFault) -> Self {
        SetupError::Variable { variable, fault }
    }

    pub fn in_file(file: &Path, fault: impl Into<FileFault>) -> Self {
        SetupError::File {
            file: file.to_owned(),
            fault: fault.into(),
        }
    }

    /// The variable at fault, for a variable's error.
    pub fn variable(&self) -> Option<&'static str> {
        match self {
            SetupError::Variable { variable, .. } => Some(variable),
            _ => None,
        }
    }

    /// What is wrong, without the variable or file it is about.
    pub fn message(&self) -> String {
        match self {
            SetupError::Variable { fault, .. } => fault.to_string(),
            SetupError::File { fault, .. } => fault.to_string(),
            SetupError::Start(fault) => fault.to_string(),
        }
    }
}

impl From<CaseFault> for FileFault {
    fn from(fault: CaseFault) -> Self {
        FileFault::Case(fault)
    }
}

impl From<VariantFault> for FileFault {
    fn from(fault: VariantFault) -> Self {
        FileFault::Variant(fault)
    }
}

impl From<SchemaFault> for FileFault {
    fn from(fault: SchemaFault) -> Self {
        FileFault::Schema(fault)
    }
}

impl std::error::Error for SetupError {}
impl std::error::Error for FileError {}

// Every message, from here on.

impl Display for SetupError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Variable { variable, fault } => write!(f, "{variable}: {fault}"),
            SetupError::File { file, fault } => write!(f, "{}: {fault}", file.display()),
            SetupError::Start(fault) => fault.fmt(f),
        }
    }
}

impl Display for VariableFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use VariableFault::*;
        match self {
            NotUtf8 => write!(f, "is not valid UTF-8"),
            NotPositive(raw, unit) => {
                write!(f, "expected a positive whole number of {unit}, got {raw:?}")
            }
            TimeoutTooLong(raw) => write!(
                f,
                "{raw:?} seconds is more than the clock can add to the current time (an \
                 exchange may take up to four times the timeout); expected a number of seconds \
                 such as 30"
            ),
            UrlTooLong {
                template,
                length,
                base,
                limit,
            } => write!(
                f,
                "the request URL of {template} would be {length} bytes, and the HTTP client \
                 sends at most {limit}; the base URL takes {base} of them, the path with its \
                 parameter values the rest: shorten CREATELINK_BASE_URL or the values of \
                 CREATELINK_PARAMS"
            ),
            UnknownProfile(name) => write!(
                f,
                "unknown profile {name:?}; expected \"documented\" or \"graph\""
            ),
            UnknownService(name) => write!(
                f,
                "unknown service {name:?}; expected \"any\", \"personal\" (OneDrive personal) \
                 or \"business\" (OneDrive for Business and SharePoint)"
            ),
            NotASwitch(value) => write!(f, "{value:?} is neither 1 (on) nor 0 (off)"),
            NotAFolder(dir, of) => write!(f, "{} is not a directory of {of}", dir.display()),
            BaseUrl(value, fault) => write!(
                f,
                "{value} {fault}; expected an http(s) URL such as https://graph.microsoft.com/beta"
            ),
            BaseUrlCredentials => write!(
                f,
                "contains user credentials; pass the token in CREATELINK_TOKEN instead"
            ),
            TokenEmpty => write!(f, "is set but empty; unset it to use a placeholder token"),
            TokenNotSendable => write!(
                f,
                "contains white space, control or non-ASCII characters, which cannot be sent in \
                 an Authorization header (the value is not shown)"
            ),
            Unreadable(file, error) => write!(f, "{}: {error}", file.display()),
            ParamsNotJson(file, error) => {
                write!(f, "{} is not valid JSON: {error}", file.display())
            }
            ParamsNotAnObject(file, found) => write!(
                f,
                "{} must hold a JSON object from parameter names to strings, not {found}",
                file.display()
            ),
            ParamNotAString(file, key, found) => write!(
                f,
                "{}: key {key:?} must be a string, not {found}",
                file.display()
            ),
            ParamNotASegment(file, key, value, fault) => write!(
                f,
                "{}: key {key:?}: the value {value:?} {fault}",
                file.display()
            ),
            UnknownParam {
                file,
                key,
                suggestion,
                known,
            } => {
                if let Some(file) = file {
                    write!(f, "{}: ", file.display())?;
                }
                write!(f, "key {key:?} is not a path parameter of any case")?;
                if let Some(name) = suggestion {
                    write!(f, " (did you mean {name:?}?)")?;
                }
                write!(f, "; known: {}", known.join(", "))
            }
            NamesNoTrial(file, line, entry) => {
                let entry = entry.as_ref().map_or_else(
                    || "the line (not shown: it holds an '=')".to_owned(),
                    |e| format!("{e:?}"),
                );
                write!(
                    f,
                    "{}:{line}: {entry} names no trial; write a documented path \
                     (\"/drives/{{drivesId}}/root/createLink\"), a trial name (\"POST \
                     /drives/{{drivesId}}/root/createLink embed\") or a variant (\"embed\")",
                    file.display()
                )
            }
            Unreachable(reason) => write!(
                f,
                "the target does not answer, so no trial was run: {reason}; check the URL \
                 (scheme, host, port) and that the service is running"
            ),
        }
    }
}

impl Display for ShownUrl {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ShownUrl::Quoted(value) => write!(f, "{value:?}"),
            ShownUrl::Hidden => write!(f, "the value (not shown: it may hold credentials)"),
        }
    }
}

impl Display for UrlFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            UrlFault::NotAUrl(e) => write!(f, "is not a URL ({e})"),
            UrlFault::Scheme(Some(scheme)) => write!(f, "has scheme {scheme:?}"),
            UrlFault::Scheme(None) => write!(f, "is not an http or https URL"),
            UrlFault::NoHost => write!(f, "has no host"),
            UrlFault::QueryOrFragment => write!(f, "has a query or fragment"),
        }
    }
}

impl Display for FileError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io(reason) => write!(f, "cannot read: {reason}"),
            FileError::NotAFile(kind) => write!(f, "is {kind}, not a regular file"),
            FileError::TooLarge { cap } => {
                write!(f, "is larger than {} KiB; not read further", cap / 1024)
            }
            FileError::NotUtf8 => write!(f, "is not UTF-8 text"),
        }
    }
}

impl Display for FileFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FileFault::Unreadable(error) => error.fmt(f),
            FileFault::FolderUnreadable(what, error) => {
                write!(f, "cannot read the {what} folder: {error}")
            }
            FileFault::NotJson(error) => write!(f, "not valid JSON: {error}"),
            FileFault::NotAnObject(found) => write!(f, "must be a JSON object, not {found}"),
            FileFault::Case(fault) => fault.fmt(f),
            FileFault::Variant(fault) => fault.fmt(f),
            FileFault::Schema(fault) => fault.fmt(f),
        }
    }
}

impl Display for CaseFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use CaseFault::*;
        match self {
            UnknownMember(key) => write!(
                f,
                "unknown member {key:?}; a case has \"source\", \"path\", \"params\" and \"body\""
            ),
            SourceNotAString(found) => write!(
                f,
                "\"source\" must be a non-empty string (\"seed\" or the published page, such as \
                 \"driveitem-createlink\"), not {found}"
            ),
            NoServiceOffers(a, b) => write!(
                f,
                "\"body\" asks {a} and {b}, which no one service offers together"
            ),
            PathNotAString(found) => write!(f, "\"path\" must be a string, not {found}"),
            NoPath => write!(f, "missing \"path\""),
            Path(error) => error.fmt(f),
            ParamNotAString(name, found) => {
                write!(f, "\"params\".{name} must be a string, not {found}")
            }
            ParamNotASegment(name, value, fault) => {
                write!(f, "\"params\".{name}: {value:?} {fault}")
            }
            ParamsNotAnObject(found) => write!(f, "\"params\" must be an object, not {found}"),
            NoDefault(name, template) => {
                write!(f, "\"params\" has no default for {{{name}}} of {template}")
            }
            NotAParameter(name, template) => {
                write!(f, "\"params\".{name} is not a parameter of {template}")
            }
            NoBody => write!(f, "missing \"body\""),
            InvalidBody(pointer, reason) => write!(
                f,
                "\"body\" is not a valid createLink request: at {pointer:?}: {reason}"
            ),
            SamePath(template, first) => write!(
                f,
                "{template} is already the path of {}; one case per documented path",
                first.display()
            ),
            NoCases => write!(f, "no *.json case files"),
        }
    }
}

impl Display for TemplateError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use TemplateFault::*;
        let path = &self.path;
        match &self.fault {
            NoLeadingSlash => write!(f, "path {path:?} must start with '/'"),
            EmptySegment => write!(f, "path {path:?} has an empty segment"),
            Unclosed(part) => write!(
                f,
                "path {path:?}: segment {part:?} opens '{{' but does not close it"
            ),
            BadName(part) => write!(
                f,
                "path {path:?}: parameter {part:?} must be {{name}} with an ASCII letter then \
                 letters or digits"
            ),
            Twice(name) => write!(f, "path {path:?}: parameter {{{name}}} appears twice"),
            DotSegment(part) => write!(
                f,
                "path {path:?}: segment {part:?} is a dot-segment, which URLs resolve away (the \
                 request would not go to this path)"
            ),
            BadLiteral(part) => write!(
                f,
                "path {path:?}: segment {part:?} must be a literal (letters, digits and \
                 -._~!$&'()*+,;=:@) or a whole {{parameter}}"
            ),
            NoAction => write!(f, "path {path:?} must end in /{ACTION}"),
        }
    }
}

impl Display for SegmentFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SegmentFault::Empty => write!(f, "is empty; a path segment needs a value"),
            SegmentFault::DotSegment => write!(
                f,
                "is a dot-segment ('.' or '..'), which URLs resolve away instead of sending"
            ),
        }
    }
}

impl Display for VariantFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use VariantFault::*;
        match self {
            BadName(name) => write!(
                f,
                "the file name {name:?} is the variant's name and must be lower-case ASCII words \
                 joined by '-', such as edit-organization.json"
            ),
            UnknownMember(key, members) => {
                let members: Vec<String> = members.iter().map(|m| format!("{m:?}")).collect();
                write!(
                    f,
                    "unknown member {key:?}; a variant has {}",
                    members.join(", ")
                )
            }
            NoDescription => write!(
                f,
                "needs a \"description\": what the variant asks, in one sentence"
            ),
            DescriptionNotAString(found) => {
                write!(f, "\"description\" must be a string, not {found}")
            }
            TwoBodies => write!(
                f,
                "has both \"body\" and \"rawBody\"; a request has one body"
            ),
            NoBody => write!(f, "missing \"body\" (or \"rawBody\")"),
            RawBodyIsJson => write!(
                f,
                "\"rawBody\" is valid JSON; write it as \"body\", or make it the text that is not \
                 JSON that the variant sends"
            ),
            RawBodyNotAString(found) => write!(f, "\"rawBody\" must be a string, not {found}"),
            RepeatNotABoolean(found) => write!(f, "\"repeat\" must be a boolean, not {found}"),
            InvalidBody(pointer, reason) => write!(
                f,
                "\"body\" is not a valid createLink request (at {pointer:?}: {reason}); only a \
                 refusal sends one"
            ),
            RawBodyForLink => write!(
                f,
                "\"rawBody\" is only for a refusal: a link needs a JSON \"body\""
            ),
            RepeatedRefusal => write!(f, "\"repeat\" is for links; a refusal is sent once"),
            RefusalNotAnObject(found) => write!(
                f,
                "\"refusal\" must be an object such as {{\"status\": 400}}, not {found}"
            ),
            RefusalMember(key) => write!(
                f,
                "\"refusal\" has an unknown member {key:?}; it has \"status\" and \"authorization\""
            ),
            StatusNot4xx(n) => write!(f, "\"refusal\".status must be a 4xx status code, not {n}"),
            StatusNotANumber(found) => {
                write!(f, "\"refusal\".status must be a number, not {found}")
            }
            NoStatus => write!(f, "\"refusal\" needs a \"status\""),
            AuthorizationNotABoolean(found) => write!(
                f,
                "\"refusal\".authorization must be a boolean, not {found}"
            ),
            Differences(found) => {
                let found: Vec<String> = found.iter().map(Difference::to_string).collect();
                let found = if found.is_empty() {
                    "none".to_owned()
                } else {
                    found.join(" and ")
                };
                write!(
                    f,
                    "a refusal must differ from a good request in exactly one respect (no \
                     Authorization header, a body that is not JSON, or a body that breaks \
                     schemas/request.json); this one has {found}"
                )
            }
            ServiceNotAnObject(found) => write!(
                f,
                "\"service\" must be an object such as {{\"on\": \"business\", \"says\": \
                 \"<the page's sentence>\", \"page\": \"<page, section>\"}}, not {found}"
            ),
            ServiceMember(key) => write!(
                f,
                "\"service\" has an unknown member {key:?}; it has \"on\", \"says\" and \"page\""
            ),
            ServiceNeeds(member) => write!(f, "\"service\" needs {member:?}, a non-empty string"),
            UnknownService(name) => write!(
                f,
                "\"service\".on is {name:?}; expected \"any\", \"personal\" or \"business\""
            ),
            ServiceDisagrees(declared, needed) => write!(
                f,
                "\"service\".on says {declared:?}, but the body is available on {needed:?} (what \
                 each parameter needs is in harness/src/model/service.rs, with its page)"
            ),
            NoServiceOffers(a, b) => write!(
                f,
                "the body asks {a} and {b}, which no one service offers together"
            ),
        }
    }
}

impl Display for Difference {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Difference::NoAuthorization => "no Authorization header",
            Difference::NotJson => "a body that is not JSON",
            Difference::BreaksSchema => "a body that breaks schemas/request.json",
        })
    }
}

impl Display for SchemaFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SchemaFault::FolderUnreadable(error) => {
                write!(f, "cannot read the schemas folder: {error}")
            }
            SchemaFault::WrongId(expected) => write!(f, "\"$id\" must be {expected:?}"),
            SchemaFault::Missing => write!(
                f,
                "missing; a schemas folder needs envelope.json, permission.json and request.json"
            ),
            SchemaFault::Registry(error) => write!(f, "cannot build the schema registry: {error}"),
            SchemaFault::Invalid(error) => write!(f, "invalid schema: {error}"),
            SchemaFault::KnownTypes => write!(
                f,
                "\"knownTypes\" must be an array of type names such as \"microsoft.graph.user\""
            ),
        }
    }
}

impl Display for StartFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            StartFault::Runtime(error) => write!(f, "cannot start the async runtime: {error}"),
            StartFault::HttpClient(causes) => write!(f, "cannot start the HTTP client: {causes}"),
        }
    }
}
