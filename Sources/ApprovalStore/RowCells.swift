import PostgresNIO

/// A row read cell by cell from a position on, so that one statement can return several things side by side
/// (a project with its agent, agreement and newest progress update) and each is decoded by its own repository.
struct RowCells {
    private let row: PostgresRandomAccessRow
    private(set) var position: Int

    init(_ row: PostgresRow, from position: Int = 0) {
        self.row = row.makeRandomAccess()
        self.position = position
    }

    mutating func next<Value: PostgresDecodable>(_ type: Value.Type = Value.self) throws -> Value {
        defer { position += 1 }
        return try row[position].decode(Value.self, context: .default)
    }

    /// Whether the cell at the current position is NULL (a LEFT JOIN found nothing).
    var nextIsNull: Bool { row[position].bytes == nil }

    mutating func skip(_ count: Int) { position += count }
}
