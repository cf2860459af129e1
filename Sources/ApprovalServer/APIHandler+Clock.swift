import ApprovalAPI
import ApprovalCore
import Foundation

extension APIHandler {
    func getClock(_ input: Operations.GetClock.Input) async throws -> Operations.GetClock.Output {
        try Access.checkAdmin(try currentUser(), "the clock")
        return .ok(.init(body: .json(clockState(swept: nil))))
    }

    func moveClock(_ input: Operations.MoveClock.Input) async throws -> Operations.MoveClock.Output {
        try Access.checkAdmin(try currentUser(), "moving the clock")
        guard let clock = context.virtualClock else {
            throw APIError(status: 404, type: "/problems/virtual-clock-off", title: "The virtual clock is off",
                           detail: "time moves only on a server started with --clock virtual --development")
        }
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let target = try Self.clockTarget(request, now: clock.now(), in: context.timeZone)
        // Day by day, as the background sweeper would see it: each midnight passed gets its sweep, so an item
        // opened by a default approval on day 3 is itself seen on day 4, not only at the end. A move passes at most
        // one midnight per day of it, each later than the last, so the loop is bounded; a shutdown (or a dropped
        // request) stops it between two days rather than after ten years of them.
        let sweeper = DeadlineSweeper(context: context)
        var result = DeadlineSweeper.Result()
        for _ in 0...Self.maximumClockMoveDays {
            try Task.checkCancellation()
            let midnight = context.today.endOfDay(in: context.timeZone)
            guard midnight < target else { break }
            clock.set(midnight)
            result += try await sweeper.sweepAll()
        }
        clock.set(target)
        result += try await sweeper.sweepAll()
        return .ok(.init(body: .json(clockState(swept: result))))
    }

    /// The longest move of the virtual clock in one request: ten years, more than any project needs, and a bound
    /// on the day-by-day sweeps one request runs. `advanceHours` is held to the same span (87,840 hours).
    static let maximumClockMoveDays = 3660

    /// Where the clock goes: exactly one of advanceDays, advanceHours or set, forward (time only moves forward:
    /// an earlier instant would date actions before ones already recorded), at most `maximumClockMoveDays`, and
    /// never past the last year dates may name (`CivilDate.acceptedYears`).
    static func clockTarget(_ request: Operations.MoveClock.Input.Body.JsonPayload, now: Date, in timeZone: TimeZone) throws(APIError) -> Date {
        let given = [request.advanceDays != nil, request.advanceHours != nil, request.set != nil].filter { $0 }.count
        guard given == 1 else { throw .invalid(field: "advanceDays", "give exactly one of advanceDays, advanceHours or set") }
        let field: String
        let target: Date
        if let set = request.set {
            field = "set"
            guard set > now else { throw .invalid(field: field, "\(set) is not later than the clock's now, \(now)") }
            guard set.timeIntervalSince(now) <= Double(maximumClockMoveDays) * 86_400 else {
                throw .invalid(field: field, "\(set) is more than \(maximumClockMoveDays) days after the clock's now, \(now); move the clock in steps of at most ten years")
            }
            target = set
        } else if let days = request.advanceDays {
            // The contract holds advanceDays and advanceHours within 0…maximumClockMoveDays days.
            field = "advanceDays"
            target = now.addingTimeInterval(Double(days) * 86_400)
        } else {
            field = "advanceHours"
            target = now.addingTimeInterval(Double(request.advanceHours ?? 0) * 3_600)
        }
        let lastYear = CivilDate.acceptedYears.upperBound
        guard CivilDate(instant: target, in: timeZone).year <= lastYear else {
            throw .invalid(field: field, "the clock would pass the end of \(lastYear), the last year the service's dates cover")
        }
        return target
    }

    private func clockState(swept: DeadlineSweeper.Result?) -> Components.Schemas.ClockState {
        let now = context.clock.now()
        return .init(now: now, today: CivilDate(instant: now, in: context.timeZone).description, virtual: context.virtualClock != nil,
                     swept: swept.map { .init(projects: $0.projects, defaultApprovals: $0.defaultApprovals, escalations: $0.escalations,
                                              warnings: $0.warnings) })
    }
}
