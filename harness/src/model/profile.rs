//! The two behaviours a target can be held to.

/// Which behaviour the suite holds the target to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// The API document: `200 OK` and `{"value": permission}`.
    Documented,
    /// The live service: `201 Created` (or `200 OK` for an existing link) and the bare permission.
    Graph,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Documented => "documented",
            Profile::Graph => "graph",
        }
    }
}
