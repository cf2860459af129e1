/// 一个项目、一人代办: a project has one agent at a time, who must be active, serve the project's region and have room
/// for it; another takes over only by a handover.
public enum ProjectAgent {
    public enum Refusal: Error, Sendable, Hashable {
        /// The project already has this agent: hand it over instead.
        case alreadyAssigned(current: Int64)
        /// There is no agent to hand over from, or to end.
        case noAgent
        /// The agent proposed cannot carry the project (422 on `agentId`).
        case unsuitable(FieldProblem)
    }

    /// An agent as the directory knows them, with the projects they already carry.
    public struct Candidate: Sendable, Hashable {
        public let id: Int64
        public let name: String
        public let active: Bool
        public let region: String
        public let activeProjects: Int
        public let capacity: Int

        public init(id: Int64, name: String, active: Bool, region: String, activeProjects: Int, capacity: Int) {
            self.id = id
            self.name = name
            self.active = active
            self.region = region
            self.activeProjects = activeProjects
            self.capacity = capacity
        }
    }

    /// A first agent for a project that has none.
    public static func checkAssign(current: Int64?, candidate: Candidate?, requested: Int64, projectRegion: String) throws(Refusal) {
        if let current { throw .alreadyAssigned(current: current) }
        try checkSuitable(candidate, requested: requested, projectRegion: projectRegion)
    }

    /// A handover from the current agent to another; answers the former agent.
    public static func checkHandOver(current: Int64?, candidate: Candidate?, requested: Int64, projectRegion: String) throws(Refusal) -> Int64 {
        guard let current else { throw .noAgent }
        guard current != requested else {
            throw .unsuitable(FieldProblem(field: "agentId", detail: "agent \(current) already carries the project"))
        }
        try checkSuitable(candidate, requested: requested, projectRegion: projectRegion)
        return current
    }

    private static func checkSuitable(_ candidate: Candidate?, requested: Int64, projectRegion: String) throws(Refusal) {
        func unsuitable(_ detail: String) -> Refusal { .unsuitable(FieldProblem(field: "agentId", detail: detail)) }
        guard let candidate else { throw unsuitable("user \(requested) is not an agent") }
        guard candidate.active else { throw unsuitable("agent \(candidate.name) is not active") }
        guard Jurisdiction(candidate.region)?.covers(projectRegion) == true else {
            throw unsuitable("agent \(candidate.name) serves region \(candidate.region), which does not include the project's region \(projectRegion)")
        }
        guard candidate.activeProjects < candidate.capacity else {
            throw unsuitable("agent \(candidate.name) already carries \(candidate.activeProjects) projects, their capacity of \(candidate.capacity)")
        }
    }
}
