import ApprovalCore
import Foundation

/// The repository's own Workflows/ directory: tests run against the definitions that ship.
let workflowsDirectory: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Workflows").path

let shippedCatalog: DefinitionCatalog = {
    do { return try DefinitionCatalog.load(directory: workflowsDirectory) } catch { fatalError("shipped definitions are invalid:\n\(error)") }
}()

let officialCalendar = shippedCatalog.calendars["cn-mainland"]!

/// A date from `YYYY-MM-DD`; test tables read like the State Council notices.
func day(_ text: String) -> CivilDate {
    guard let date = CivilDate(iso: text) else { fatalError("bad test date \(text)") }
    return date
}
