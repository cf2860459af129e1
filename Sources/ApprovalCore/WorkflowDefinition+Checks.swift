import Yams

extension WorkflowDefinition {
    /// Checks that need the whole file: dependencies name known items of the same or an earlier stage, form no
    /// cycle, and no chain of item limits exceeds a stage, phase or total limit.
    func checkDependencies(reader: YAMLReader, at top: Fields) {
        let stageIndex = Dictionary(uniqueKeysWithValues: stages.enumerated().flatMap { index, stage in
            stage.items.map { ($0.id, index) }
        })
        for item in items {
            for prerequisite in item.dependsOn {
                let position = reader.positions["depends_on \(item.id) \(prerequisite)"]
                guard let prerequisiteStage = stageIndex[prerequisite] else {
                    // An item declared with errors of its own was already reported; naming it again as
                    // unknown would send the author looking for a typo that is not there.
                    if reader.positions["item \(prerequisite)"] == nil {
                        reader.report("item '\(item.id)' depends on unknown item '\(prerequisite)'", at: position)
                    }
                    continue
                }
                if prerequisite == item.id {
                    reader.report("item '\(item.id)' depends on itself", at: position)
                } else if prerequisiteStage > stageIndex[item.id]! {
                    reader.report("item '\(item.id)' of stage '\(item.stageID)' depends on '\(prerequisite)' of the later stage '\(stages[prerequisiteStage].id)'; an item may only wait for items of its own or an earlier stage", at: position)
                }
            }
        }
        guard reader.issues.isEmpty else { return }

        let graph = dependencyGraph(of: items.map(\.id))
        if let cycle = graph.cycle() {
            reader.report("dependency cycle: \(cycle.joined(separator: " → "))", at: reader.positions["item \(cycle[0])"])
            return
        }
        for stage in stages {
            checkLongestPath(of: stage.items.map(\.id), against: stage.limit, "stage '\(stage.id)' limit",
                             reader: reader, at: reader.positions["stage \(stage.id)"])
        }
        for phase in phases {
            let ids = stages.filter { phase.stages.contains($0.id) }.flatMap(\.items).map(\.id)
            checkLongestPath(of: ids, against: phase.limit, "phase '\(phase.id)' limit",
                             reader: reader, at: reader.positions["phase \(phase.id)"])
        }
        checkLongestPath(of: items.map(\.id), against: totalLimit, "total limit", reader: reader, at: top["total_limit"])
    }

    /// The graph restricted to `ids`: a stage's own chain ignores prerequisites in earlier stages.
    func dependencyGraph(of ids: [String]) -> DependencyGraph {
        DependencyGraph(nodes: ids, prerequisites: Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.dependsOn) }))
    }

    private func checkLongestPath(of ids: [String], against limit: Int, _ what: String, reader: YAMLReader, at node: Node?) {
        let limits = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.limit) })
        let (length, path) = dependencyGraph(of: ids).longestPath { limits[$0]! }
        guard length > limit else { return }
        let shown = path.map { "\($0) (\(limits[$0]!))" }.joined(separator: " → ")
        reader.report("longest path of item limits is \(length) working days, over the \(what) of \(limit): \(shown)", at: node)
    }
}
