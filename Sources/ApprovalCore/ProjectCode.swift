/// The national investment project code (项目代码): `TTTT-RRRRRR-DD-TT-NNNNNN` — time code (YYMM), region
/// (6-digit division code), supervising-department code, project type, serial. 24 characters.
public struct ProjectCode: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public var description: String { text }
    public var region: String { String(text.split(separator: "-")[1]) }

    /// Checks a code the national platform assigned: its shape, a real month in the time code, and that its
    /// region segment is the project's region. The error says which part is wrong.
    public init(national text: String, region: String) throws(ProjectCodeError) {
        let segments = text.split(separator: "-", omittingEmptySubsequences: false)
        let widths = [4, 6, 2, 2, 6]
        guard text.count == 24, segments.count == 5,
              zip(segments, widths).allSatisfy({ $0.count == $1 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
            throw ProjectCodeError(message: "'\(text)' is not a project code: expected TTTT-RRRRRR-DD-TT-NNNNNN (24 characters, digits in five hyphen-separated segments), e.g. 2509-320193-89-01-544060")
        }
        // Two ASCII digits, checked above.
        guard let month = Int(segments[0].suffix(2)), (1...12).contains(month) else {
            throw ProjectCodeError(message: "'\(text)': the time code \(segments[0]) is YYMM and \(segments[0].suffix(2)) is not a month")
        }
        // Local issue writes 00 in both: a given code with either would be taken for a local one, and could take
        // a serial the region is about to issue.
        guard segments[2] != "00", segments[3] != "00" else {
            throw ProjectCodeError(message: "'\(text)': the department and type segments 00 are reserved for codes issued locally; leave the code out to have one issued")
        }
        guard segments[1] == region else {
            throw ProjectCodeError(message: "'\(text)': the code's region \(segments[1]) is not the project's region \(region)")
        }
        self.text = text
    }

    /// A locally issued code of the same shape: this month's time code, the region, `00` for the department
    /// and type segments (not assigned by the national platform), and the region's next serial.
    public init(localFor region: String, on date: CivilDate, serial: Int) {
        let (year, month, _) = date.components
        let time = padded(year % 100, 2) + padded(month, 2)
        text = "\(time)-\(region)-00-00-\(padded(serial, 6))"
    }

    /// The largest serial a code can carry (six digits).
    public static let maximumSerial = 999_999

    /// The prefix whose serials count up together for locally issued codes.
    public static func localPrefix(region: String, on date: CivilDate) -> String {
        String(ProjectCode(localFor: region, on: date, serial: 0).text.dropLast(6))
    }
}

public struct ProjectCodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

private func padded(_ number: Int, _ width: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
