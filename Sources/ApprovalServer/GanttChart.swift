import ApprovalCore
import Foundation

/// The project page's timeline as an SVG drawn on the server (no JavaScript): one row per applicable item under
/// its stage, the bar from acceptance to decision (or today), suspended spans shaded, the deadline marked, default
/// approvals and escalations flagged, and a line for today. Every text is escaped here, since the page embeds
/// the SVG as it is.
struct GanttChart {
    let project: Project
    let view: ProjectView
    let today: CivilDate

    static let labelWidth = 260.0
    static let rowHeight = 22.0
    static let dayWidth = 6.0

    var svg: String {
        let items = project.items.filter { $0.state != .notApplicable }
        let starts = items.compactMap { $0.runs.first?.start ?? $0.runningSince }
        let ends = items.compactMap { $0.deadline?.value } + [view.forecast.completionDate?.value].compactMap { $0 }
        let first = min(starts.min() ?? project.startedOn, project.startedOn).adding(days: -2)
        let last = max(ends.max() ?? today, today).adding(days: 3)
        func x(_ date: CivilDate) -> Double { Self.labelWidth + Double(date - first) * Self.dayWidth }
        let width = x(last) + 20

        var rows: [String] = []
        var y = 30.0
        for stage in project.workflow.stages {
            let stageItems = items.filter { $0.definition.stageID == stage.id }
            guard !stageItems.isEmpty else { continue }
            rows.append(#"<text x="4" y="\#(y + 15)" class="stage">\#(Self.escape(stage.name))（\#(stage.limit) 个工作日）</text>"#)
            y += Self.rowHeight
            for item in stageItems {
                rows.append(row(item, y: y, x: x))
                y += Self.rowHeight
            }
        }
        var axis: [String] = []
        // A grid line at the first of each month.
        var (year, month) = (first.components.year, first.components.month)
        while let monthStart = CivilDate(year: year, month: month, day: 1), monthStart <= last {
            if monthStart >= first {
                axis.append(#"<line x1="\#(x(monthStart))" y1="20" x2="\#(x(monthStart))" y2="\#(y)" class="grid"/>"#)
                axis.append(#"<text x="\#(x(monthStart) + 3)" y="14" class="axis">\#(year)-\#(String(format: "%02d", month))</text>"#)
            }
            (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
        }
        let todayLine = #"<line x1="\#(x(today))" y1="20" x2="\#(x(today))" y2="\#(y)" class="today"/>"#
            + #"<text x="\#(x(today) + 3)" y="\#(y + 14)" class="axis">今天 \#(today)</text>"#
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(y + 24))" role="img" aria-label="项目进度甘特图">
            \(axis.joined())\(rows.joined())\(todayLine)
            </svg>
            """
    }

    private func row(_ item: ProjectItem, y: Double, x: (CivilDate) -> Double) -> String {
        // Long names are cut to fit the label column; the full name is the tooltip.
        let name = item.definition.name
        let label = name.count > 17 ? name.prefix(16) + "…" : name
        var parts = [#"<text x="14" y="\#(y + 15)" class="label">\#(Self.escape(label))<title>\#(Self.escape(name))</title></text>"#]
        guard let start = item.runs.first?.start ?? item.runningSince else {
            let note = item.state == .exempted ? "豁免" : item.state.hasEnded ? "" : "未开始"
            parts.append(#"<text x="\#(Self.labelWidth)" y="\#(y + 15)" class="axis">\#(note)</text>"#)
            return parts.joined()
        }
        let end = item.state.hasEnded ? (item.reachedBy?.on ?? today) : today
        let kind = item.isOverdue(asOf: today) ? "overdue" : item.state.hasEnded ? "ended" : "run"
        parts.append(#"<rect x="\#(x(start))" y="\#(y + 4)" width="\#(max(2, x(end) - x(start)))" height="14" class="\#(kind)"><title>\#(Self.escape(item.definition.name))：\#(item.state.rawValue)</title></rect>"#)
        for stop in item.stops {
            let resumed = stop.resumedOn ?? (item.state == .suspended ? today : stop.stoppedOn)
            parts.append(#"<rect x="\#(x(stop.stoppedOn))" y="\#(y + 4)" width="\#(max(2, x(resumed) - x(stop.stoppedOn)))" height="14" class="pause"><title>计时暂停：\#(Self.escape(stop.reason.code))</title></rect>"#)
        }
        if let deadline = item.deadline?.value {
            parts.append(#"<line x1="\#(x(deadline) + Self.dayWidth)" y1="\#(y + 1)" x2="\#(x(deadline) + Self.dayWidth)" y2="\#(y + 21)" class="deadline"><title>期限 \#(deadline)</title></line>"#)
        }
        if item.defaultApprovalReason != nil {
            parts.append(#"<text x="\#(x(end) + 4)" y="\#(y + 15)" class="flag">默认</text>"#)
        } else if let escalated = item.escalatedOn {
            parts.append(#"<text x="\#(x(escalated) + 4)" y="\#(y + 15)" class="flag">提级</text>"#)
        }
        return parts.joined()
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
