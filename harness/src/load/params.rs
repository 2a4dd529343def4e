//! Path-parameter values from `CREATELINK_PARAMS`: the file's values, checked as path segments
//! when read, and their names checked against the cases once those are loaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::load::error::{SetupError, VariableFault};

/// The variable that names the file.
pub const PARAMS: &str = "CREATELINK_PARAMS";

/// Path-parameter values from the file. Names are checked against the loaded cases
/// later, by [`ParamOverrides::check_names`], since only the cases know which names exist.
#[derive(Clone, Debug, Default)]
pub struct ParamOverrides {
    pub file: Option<PathBuf>,
    pub values: BTreeMap<String, String>,
}

impl ParamOverrides {
    /// The values of the file `CREATELINK_PARAMS` names: a JSON object of strings, each usable
    /// as one path segment.
    pub fn read(path: &Path) -> Result<Self, SetupError> {
        let err = |why| SetupError::in_variable(PARAMS, why);
        let file = || path.to_owned();
        let text = crate::load::files::read_text(path, crate::load::files::CAP)
            .map_err(|error| err(VariableFault::Unreadable(file(), error)))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|error| err(VariableFault::ParamsNotJson(file(), error)))?;
        let serde_json::Value::Object(map) = value else {
            let found = crate::model::json_text::kind(&value);
            return Err(err(VariableFault::ParamsNotAnObject(file(), found)));
        };
        let mut values = BTreeMap::new();
        for (key, value) in map {
            let serde_json::Value::String(value) = value else {
                let found = crate::model::json_text::kind(&value);
                return Err(err(VariableFault::ParamNotAString(file(), key, found)));
            };
            if let Some(why) = crate::model::template::unusable_segment(&value) {
                return Err(err(VariableFault::ParamNotASegment(
                    file(),
                    key,
                    value,
                    why,
                )));
            }
            values.insert(key, value);
        }
        Ok(ParamOverrides {
            file: Some(file()),
            values,
        })
    }

    /// Rejects a name that no case uses, most likely a typo (`driveId` for `drivesId`).
    pub fn check_names(&self, known: &[&str]) -> Result<(), SetupError> {
        let Some(key) = self.values.keys().find(|k| !known.contains(&k.as_str())) else {
            return Ok(());
        };
        let suggestion = known
            .iter()
            .map(|k| (strsim::levenshtein(k, key), k))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, k)| k.to_string());
        let mut names: Vec<String> = known.iter().map(|k| k.to_string()).collect();
        names.sort_unstable();
        names.dedup();
        Err(SetupError::in_variable(
            PARAMS,
            VariableFault::UnknownParam {
                file: self.file.clone(),
                key: key.clone(),
                suggestion,
                known: names,
            },
        ))
    }
}
