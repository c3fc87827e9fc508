//! Fleets: which clusters of the project file a run selects (names, globs, `--all-clusters`). Pure:
//! names in, names out; running the clusters is `commands::fleet`'s, and the report of a run over
//! several (one entry per cluster, and how the whole run ends) is `render::fleet`'s data.

use globset::{Glob, GlobMatcher};
/// Which clusters a run is about, as the command line gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Names and globs (`prod-*`), in the order given.
    pub patterns: Vec<String>,
    /// `--all-clusters`: every cluster of the project file.
    pub all: bool,
}

/// Why a selection names no cluster to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// A pattern is not a valid glob.
    #[error("`--cluster {pattern}` is not a valid glob: {reason}")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// A name (no glob characters) that the project file does not have.
    #[error("the project file has no cluster `{name}`; it has: {}", known.join(", "))]
    Unknown {
        /// The name.
        name: String,
        /// The clusters it has.
        known: Vec<String>,
    },
    /// A glob that matches no cluster.
    #[error("`--cluster {pattern}` matches no cluster of the project file; it has: {}", known.join(", "))]
    NoMatch {
        /// The glob.
        pattern: String,
        /// The clusters it has.
        known: Vec<String>,
    },
    /// No cluster named, and the project file has several.
    #[error("the project file has several clusters; name one or more with --cluster, or use --all-clusters: {}", known.join(", "))]
    Choose {
        /// The clusters it has.
        known: Vec<String>,
    },
    /// The project file names no cluster at all.
    #[error("the project file names no cluster")]
    NoClusters,
}

/// Whether `pattern` has glob characters (else it is a cluster's name).
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

impl Selection {
    /// Whether the run is about one cluster as before fleets: no `--all-clusters`, and at most one name
    /// that is not a glob. Such a run keeps its single-cluster output exactly.
    pub fn single(&self) -> Option<Option<&str>> {
        match (self.all, self.patterns.as_slice()) {
            (false, []) => Some(None),
            (false, [name]) if !is_glob(name) => Some(Some(name)),
            _ => None,
        }
    }

    /// Whether every cluster was named explicitly (a list of names or `--all-clusters`, no glob): what
    /// `apply` over several clusters demands, so that a new cluster matching `prod-*` is never changed
    /// by surprise.
    pub fn explicit(&self) -> bool {
        self.all || self.patterns.iter().all(|p| !is_glob(p))
    }

    /// The clusters selected among `known` (the project file's, in its order), each once: in the order
    /// given, a glob's matches in the project file's order; `--all-clusters` in the project file's order.
    pub fn resolve(&self, known: &[String]) -> Result<Vec<String>, SelectError> {
        if known.is_empty() {
            return Err(SelectError::NoClusters);
        }
        if self.all {
            return Ok(known.to_vec());
        }
        if self.patterns.is_empty() {
            return match known {
                [only] => Ok(vec![only.clone()]),
                _ => Err(SelectError::Choose { known: known.to_vec() }),
            };
        }
        let mut chosen: Vec<String> = Vec::new();
        let mut choose = |name: &String| {
            if !chosen.contains(name) {
                chosen.push(name.clone());
            }
        };
        for pattern in &self.patterns {
            if is_glob(pattern) {
                let matcher: GlobMatcher = Glob::new(pattern)
                    .map_err(|e| SelectError::BadGlob { pattern: pattern.clone(), reason: e.kind().to_string() })?
                    .compile_matcher();
                let matches: Vec<&String> = known.iter().filter(|n| matcher.is_match(n.as_str())).collect();
                if matches.is_empty() {
                    return Err(SelectError::NoMatch { pattern: pattern.clone(), known: known.to_vec() });
                }
                matches.into_iter().for_each(&mut choose);
            } else {
                match known.iter().find(|k| *k == pattern) {
                    Some(name) => choose(name),
                    None => return Err(SelectError::Unknown { name: pattern.clone(), known: known.to_vec() }),
                }
            }
        }
        Ok(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        ["dev", "staging", "prod-eu", "prod-us"].map(str::to_owned).to_vec()
    }

    #[test]
    fn selections_resolve_in_the_project_files_order() {
        let sel =
            |patterns: &[&str], all| Selection { patterns: patterns.iter().map(|p| p.to_string()).collect(), all };
        type Case<'a> = (&'a str, Selection, Result<Vec<&'a str>, &'a str>);
        let cases: [Case; 7] = [
            ("all", sel(&[], true), Ok(vec!["dev", "staging", "prod-eu", "prod-us"])),
            ("glob", sel(&["prod-*"], false), Ok(vec!["prod-eu", "prod-us"])),
            (
                "a list keeps its order, once each",
                sel(&["prod-us", "dev", "prod-*"], false),
                Ok(vec!["prod-us", "dev", "prod-eu"]),
            ),
            (
                "unknown name",
                sel(&["qa"], false),
                Err("the project file has no cluster `qa`; it has: dev, staging, prod-eu, prod-us"),
            ),
            (
                "glob matching nothing",
                sel(&["qa-*"], false),
                Err("`--cluster qa-*` matches no cluster of the project file; it has: dev, staging, prod-eu, prod-us"),
            ),
            ("one name", sel(&["staging"], false), Ok(vec!["staging"])),
            ("braces", sel(&["{dev,staging}"], false), Ok(vec!["dev", "staging"])),
        ];
        for (name, selection, want) in cases {
            let got = selection.resolve(&known()).map_err(|e| e.to_string());
            let want = want.map(|v| v.into_iter().map(str::to_owned).collect::<Vec<_>>()).map_err(str::to_owned);
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(sel(&[], false).resolve(&[]), Err(SelectError::NoClusters));
        assert_eq!(sel(&[], false).resolve(&["only".into()]), Ok(vec!["only".to_owned()]));
        assert!(matches!(sel(&[], false).resolve(&known()), Err(SelectError::Choose { .. })));
    }

    #[test]
    fn only_one_plain_name_is_a_single_cluster_run() {
        let sel =
            |patterns: &[&str], all| Selection { patterns: patterns.iter().map(|p| p.to_string()).collect(), all };
        assert_eq!(sel(&[], false).single(), Some(None));
        assert_eq!(sel(&["prod"], false).single(), Some(Some("prod")));
        assert_eq!(sel(&["prod-*"], false).single(), None);
        assert_eq!(sel(&["a", "b"], false).single(), None);
        assert_eq!(sel(&["a"], true).single(), None);
        assert!(sel(&["a", "b"], false).explicit() && sel(&[], true).explicit());
        assert!(!sel(&["prod-*"], false).explicit());
    }
}
