import ApprovalAPI
import ApprovalCore
import Foundation

extension APIHandler {
    static let serviceTimeZone = TimeZone(identifier: "Asia/Shanghai")!

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
        let given = [request.advanceDays != nil, request.advanceHours != nil, request.set != nil].filter { $0 }.count
        guard given == 1 else { throw APIError.invalid(field: "advanceDays", "give exactly one of advanceDays, advanceHours or set") }
        let target: Date
        if let set = request.set {
            // Time only moves forward: an earlier instant would date actions before ones already recorded.
            guard set > clock.now() else { throw APIError.invalid(field: "set", "\(set) is not later than the clock's now, \(clock.now())") }
            target = set
        } else {
            target = clock.now().addingTimeInterval(Double(request.advanceDays ?? 0) * 86_400 + Double(request.advanceHours ?? 0) * 3_600)
        }
        // Day by day, as the background sweeper would see it: each midnight passed gets its sweep, so an item
        // opened by a default approval on day 3 is itself seen on day 4, not only at the end.
        let sweeper = DeadlineSweeper(context: context)
        var result = DeadlineSweeper.Result()
        while true {
            let midnight = CivilDate(instant: clock.now(), in: Self.serviceTimeZone).endOfDay(in: Self.serviceTimeZone)
            guard midnight < target else { break }
            clock.set(midnight)
            result += try await sweeper.sweepAll()
        }
        clock.set(target)
        result += try await sweeper.sweepAll()
        return .ok(.init(body: .json(clockState(swept: result))))
    }

    private func clockState(swept: DeadlineSweeper.Result?) -> Components.Schemas.ClockState {
        let now = context.clock.now()
        return .init(now: now, today: CivilDate(instant: now, in: Self.serviceTimeZone).description, virtual: context.virtualClock != nil,
                     swept: swept.map { .init(projects: $0.projects, defaultApprovals: $0.defaultApprovals, escalations: $0.escalations,
                                              warnings: $0.warnings) })
    }
}
