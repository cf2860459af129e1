/// The prerequisite graph of a workflow's items: cycle detection for validation and longest weighted path for
/// both the limit checks and the critical-path forecast.
struct DependencyGraph {
    /// Node ids in definition order, so results are deterministic.
    let nodes: [String]
    /// node → its prerequisites (restricted to `nodes`).
    let prerequisites: [String: [String]]

    init(nodes: [String], prerequisites: [String: [String]]) {
        let members = Set(nodes)
        self.nodes = nodes
        self.prerequisites = prerequisites.mapValues { $0.filter(members.contains) }
    }

    /// One dependency cycle as a closed walk (a → b → a), or nil when the graph is acyclic.
    func cycle() -> [String]? {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var stack: [String] = []
        func visit(_ node: String) -> [String]? {
            switch marks[node] {
            case .done: return nil
            case .visiting:
                let start = stack.firstIndex(of: node)!
                return Array(stack[start...]) + [node]
            case nil:
                marks[node] = .visiting
                stack.append(node)
                for prerequisite in prerequisites[node] ?? [] {
                    if let found = visit(prerequisite) { return found }
                }
                stack.removeLast()
                marks[node] = .done
                return nil
            }
        }
        for node in nodes {
            if let found = visit(node) { return found.reversed() }
        }
        return nil
    }

    /// The heaviest chain prerequisite → … → dependent, with its total weight. Requires an acyclic graph.
    func longestPath(weight: (String) -> Int) -> (length: Int, path: [String]) {
        var best: [String: (length: Int, previous: String?)] = [:]
        func solve(_ node: String) -> Int {
            if let known = best[node] { return known.length }
            var previous: String?, longest = 0
            for prerequisite in prerequisites[node] ?? [] {
                let length = solve(prerequisite)
                if previous == nil || length > longest { longest = length; previous = prerequisite }
            }
            let total = longest + weight(node)
            best[node] = (total, previous)
            return total
        }
        var end: String?, length = 0
        for node in nodes {
            let value = solve(node)
            if end == nil || value > length { end = node; length = value }
        }
        var path: [String] = []
        var cursor = end
        while let node = cursor {
            path.append(node)
            cursor = best[node]?.previous
        }
        return (length, path.reversed())
    }
}
