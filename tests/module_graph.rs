//! The import graph between the top-level modules of `src/`, read from the
//! source text: it must have no cycle, and the lower floors must not look up.
//!
//! A module is `src/<name>.rs` or everything under `src/<name>/`. An edge
//! `a → b` is a `crate::b` path anywhere in `a`'s code outside comments and
//! outside its `#[cfg(test)]` module (tests may reach anywhere). Paths through
//! `super::` stay inside one top-level module, so only `crate::` paths count;
//! `use crate::{a, b}` groups count for each name.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The stages, top to bottom of the flow; everything else is a floor below them.
/// `preflight` is the handler's other path: it drives the writer's own requests
/// (its canary), and nothing else of the flow.
const STAGES: [&str; 7] = [
    "handler",
    "preflight",
    "events",
    "order",
    "batch",
    "writer",
    "metrics",
];

/// The only edges between stages besides the handler's: the preflight runs the
/// writer's real write path rather than a copy of it.
const STAGE_EDGES: [(&str, &str); 1] = [("preflight", "writer")];

#[test]
fn top_level_modules_import_without_a_cycle() {
    let graph = graph();
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "import cycle between src modules: {}\nwhole graph:\n{}",
            cycle.join(" → "),
            render(&graph)
        );
    }
}

/// Config above all: it is the ground floor the stages stand on.
#[test]
fn floors_never_import_a_stage() {
    let graph = graph();
    for (module, edges) in graph.iter().filter(|(m, _)| !STAGES.contains(&m.as_str())) {
        let upward: Vec<&String> = edges
            .iter()
            .filter(|m| STAGES.contains(&m.as_str()))
            .collect();
        assert!(
            upward.is_empty(),
            "{module} (a floor) imports the stage(s) {upward:?}"
        );
    }
}

#[test]
fn only_the_handler_joins_decode_plan_and_write() {
    let graph = graph();
    for stage in ["events", "order", "batch", "writer", "handler", "preflight"] {
        let importers: Vec<&String> = graph
            .iter()
            .filter(|(_, edges)| edges.contains(stage))
            .map(|(m, _)| m)
            .filter(|m| *m != "handler")
            .filter(|m| !STAGE_EDGES.contains(&(m.as_str(), stage)))
            .collect();
        assert!(
            importers.is_empty(),
            "{stage} is imported by {importers:?}; only the handler wires the stages together"
        );
    }
}

#[test]
fn the_writer_imports_neither_decoding_nor_answers_nor_the_whole_config() {
    let graph = graph();
    for forbidden in [
        "events",
        "handler",
        "order",
        "batch",
        "metrics",
        "config",
        "preflight",
    ] {
        assert!(
            !graph["writer"].contains(forbidden),
            "writer imports {forbidden}: it should know records, outcomes and its WriterSettings only"
        );
    }
}

/// Each stage looks only down the flow (decode → plan → write → metrics), and
/// the stages below the handler import no other stage at all: the plan hands
/// its results up, and the metrics read outcomes from `record`.
#[test]
fn stages_only_look_down_and_never_at_each_other() {
    let graph = graph();
    for (n, stage) in STAGES.iter().enumerate() {
        let upward: Vec<&&str> = STAGES[..n]
            .iter()
            .filter(|above| graph[*stage].contains(**above))
            .collect();
        assert!(upward.is_empty(), "{stage} looks up at {upward:?}");
        if *stage != "handler" {
            let sideways: Vec<&String> = graph[*stage]
                .iter()
                .filter(|m| STAGES.contains(&m.as_str()))
                .filter(|m| !STAGE_EDGES.contains(&(*stage, m.as_str())))
                .collect();
            assert!(
                sideways.is_empty(),
                "{stage} imports the stage(s) {sideways:?}\n{}",
                render(&graph)
            );
        }
    }
}

#[test]
fn the_source_table_is_a_floor_of_its_own() {
    let graph = graph();
    assert!(
        graph["source"].is_empty(),
        "source imports {:?}; it is the table everything else reads",
        graph["source"]
    );
}

#[test]
fn the_graph_reader_sees_known_edges() {
    // Guards the reader itself: a parser that saw nothing would pass every check above.
    let graph = graph();
    assert!(graph["handler"].contains("writer"), "{}", render(&graph));
    assert!(graph["handler"].contains("preflight"), "{}", render(&graph));
    for (from, to) in STAGE_EDGES {
        assert!(
            graph[from].contains(to),
            "{from} → {to}\n{}",
            render(&graph)
        );
    }
    assert!(graph.contains_key("config"), "{}", render(&graph));
    assert!(graph["record"].contains("keys"), "{}", render(&graph));
    assert!(graph.len() >= 10, "{}", render(&graph));
    assert_eq!(
        edges_in(
            "use crate::{a::X, b};\nlet x = crate::c::f(); // crate::d\n#[cfg(test)]\nmod tests {\n    use crate::e;\n}\n"
        ),
        ["a", "b", "c"].map(String::from).into_iter().collect()
    );
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut files = Vec::new();
        collect_rs(&path, &mut files);
        let edges = graph.entry(name.clone()).or_default();
        for file in files {
            let text = fs::read_to_string(&file).unwrap();
            edges.extend(edges_in(&text).into_iter().filter(|m| *m != name));
        }
    }
    // Only modules count: `crate::behavior_version()` is a function of the root.
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|m| modules.contains(m));
    }
    graph
}

fn collect_rs(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            collect_rs(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// The top-level modules `text` names through `crate::`.
fn edges_in(text: &str) -> BTreeSet<String> {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        // The unit tests: from `#[cfg(test)]` before `mod` to the end of the file.
        if trimmed == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        let without_comment = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        code.push_str(without_comment);
        code.push('\n');
    }
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if preceded_by_ident {
            continue; // e.g. `other_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            found.extend(group[..end].split(',').filter_map(first_ident));
        } else if let Some(name) = first_ident(rest) {
            found.insert(name);
        }
    }
    found
}

fn first_ident(s: &str) -> Option<String> {
    let name: String = s
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // A lowercase first path segment is a module; `crate::Foo` is an item of the root.
    (!name.is_empty() && name.starts_with(|c: char| c.is_ascii_lowercase())).then_some(name)
}

/// A cycle as the list of modules on it (the first repeated last), if any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, edges)| {
            let edges: Vec<&str> = edges.iter().map(String::as_str).collect();
            format!("  {m} → {}", edges.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
