/// How many uploads stream at once, in all and per organisation. Each holds a database connection while its bytes
/// arrive, so a few slow clients could otherwise take the whole pool from everyone else.
actor UploadGate {
    let total: Int
    let perOrganisation: Int
    private var open = 0
    private var byOrganisation: [String: Int] = [:]

    init(total: Int, perOrganisation: Int) {
        self.total = total
        self.perOrganisation = perOrganisation
    }

    /// Runs `upload` if there is room for one more from `organisation`; otherwise 429 with a time to retry.
    nonisolated func admit<Result: Sendable>(_ organisation: String, _ upload: () async throws -> Result) async throws -> Result {
        try await enter(organisation)
        do {
            let result = try await upload()
            await leave(organisation)
            return result
        } catch {
            await leave(organisation)
            throw error
        }
    }

    private func enter(_ organisation: String) throws(APIError) {
        let mine = byOrganisation[organisation, default: 0]
        guard open < total, mine < perOrganisation else {
            throw .tooSoon(mine >= perOrganisation
                               ? "\(organisation) already has \(mine) uploads under way, the most one organisation may; retry when one ends"
                               : "the server takes \(total) uploads at a time and all are under way; retry shortly",
                           retryAfter: 5)
        }
        open += 1
        byOrganisation[organisation] = mine + 1
    }

    private func leave(_ organisation: String) {
        open -= 1
        let left = byOrganisation[organisation, default: 1] - 1
        byOrganisation[organisation] = left > 0 ? left : nil
    }
}
