import Foundation

/// A standard 5-field cron expression — `minute hour day-of-month month day-of-week` — evaluated
/// in one IANA time zone.
///
/// Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and comma lists; months and
/// week days also take names (`JAN`, `MON`; Sunday is 0 or 7). `@yearly`, `@annually`,
/// `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` are accepted. As in Vixie cron,
/// when both day fields are restricted a day matches either of them.
///
/// Daylight-saving time: fire times are wall-clock times in the zone. A time that does not exist
/// (skipped by a spring-forward change) does not fire that day; a time that occurs twice (fall
/// back) fires once, at its first occurrence.
package struct CronExpression: Sendable, Hashable {
    package let minutes: Set<Int>
    package let hours: Set<Int>
    package let daysOfMonth: Set<Int>
    package let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday.
    package let daysOfWeek: Set<Int>
    package let restrictsDayOfMonth: Bool
    package let restrictsDayOfWeek: Bool
    package let timeZone: TimeZone

    /// How far ahead ``nextFire(after:)`` looks before deciding an expression never fires.
    private static let horizonYears = 8

    /// Parses `text` in the zone named `timeZone`.
    /// - Throws: a message naming the bad field and what it accepts.
    package init(_ text: String, timeZone zoneName: String) throws(CronSyntaxError) {
        guard let zone = TimeZone(identifier: zoneName) else {
            throw CronSyntaxError("unknown time zone '\(zoneName)'; use an IANA name such as UTC or Europe/Paris")
        }
        let expanded = Self.macros[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? text
        let fields = expanded.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw CronSyntaxError("'\(text)' has \(fields.count) fields; a cron expression has 5: minute hour day-of-month month day-of-week")
        }
        minutes = try CronField.parse(fields[0], name: "minute", range: 0...59)
        hours = try CronField.parse(fields[1], name: "hour", range: 0...23)
        daysOfMonth = try CronField.parse(fields[2], name: "day-of-month", range: 1...31)
        months = try CronField.parse(fields[3], name: "month", range: 1...12, names: CronField.monthNames)
        daysOfWeek = Set(try CronField.parse(fields[4], name: "day-of-week", range: 0...7, names: CronField.dayNames).map { $0 % 7 })
        restrictsDayOfMonth = !fields[2].hasPrefix("*")
        restrictsDayOfWeek = !fields[4].hasPrefix("*")
        timeZone = zone
        guard nextFire(after: Date()) != nil else {
            throw CronSyntaxError("'\(text)' never fires (no such date within \(Self.horizonYears) years)")
        }
    }

    /// The first fire time strictly after `date`, or `nil` when none exists within the horizon.
    package func nextFire(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let limit = date.addingTimeInterval(Double(Self.horizonYears) * 366 * 86_400)
        // Whole minutes: the first minute boundary after `date`.
        var candidate = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        while candidate < limit {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: candidate)
            guard let month = parts.month, let day = parts.day, let hour = parts.hour, let minute = parts.minute,
                  let weekday = parts.weekday
            else { return nil }
            if !months.contains(month) {
                candidate = Self.start(of: .month, after: candidate, calendar: calendar)
            } else if !matchesDay(dayOfMonth: day, dayOfWeek: weekday - 1) {
                candidate = Self.start(of: .day, after: candidate, calendar: calendar)
            } else if !hours.contains(hour) {
                candidate = Self.start(of: .hour, after: candidate, calendar: calendar)
            } else if !minutes.contains(minute) || Self.isRepeatedWallTime(candidate, calendar: calendar) {
                candidate = candidate.addingTimeInterval(60)
            } else {
                return candidate
            }
        }
        return nil
    }

    /// The latest fire time in `(after, upTo]`, if any (used to catch up once after downtime).
    package func latestFire(after start: Date, upTo end: Date) -> Date? {
        var latest: Date?
        var cursor = start
        while let next = nextFire(after: cursor), next <= end {
            latest = next
            cursor = next
        }
        return latest
    }

    private func matchesDay(dayOfMonth: Int, dayOfWeek: Int) -> Bool {
        let byMonth = daysOfMonth.contains(dayOfMonth)
        let byWeek = daysOfWeek.contains(dayOfWeek)
        if restrictsDayOfMonth && restrictsDayOfWeek { return byMonth || byWeek }
        return byMonth && byWeek
    }

    /// The first instant of the next `unit` (month, day or hour) after `date`, in the zone.
    private static func start(of unit: Calendar.Component, after date: Date, calendar: Calendar) -> Date {
        guard let interval = calendar.dateInterval(of: unit, for: date) else { return date.addingTimeInterval(60) }
        return interval.end
    }

    /// Whether the wall-clock time of `date` already occurred earlier the same day (the second
    /// pass through a fall-back hour).
    private static func isRepeatedWallTime(_ date: Date, calendar: Calendar) -> Bool {
        let offset = calendar.timeZone.secondsFromGMT(for: date)
        let hourEarlier = date.addingTimeInterval(-3600)
        guard calendar.timeZone.secondsFromGMT(for: hourEarlier) != offset else { return false }
        let now = calendar.dateComponents([.day, .hour, .minute], from: date)
        let before = calendar.dateComponents([.day, .hour, .minute], from: hourEarlier)
        return now == before
    }

    private static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
}

/// A cron expression that does not parse; the message says which part and why.
package struct CronSyntaxError: Error, Sendable {
    package var message: String

    package init(_ message: String) { self.message = message }
}

/// Parsing of one cron field into the set of values it matches.
package enum CronField {
    package static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        .enumerated().reduce(into: [String: Int]()) { $0[$1.element] = $1.offset + 1 }
    package static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        .enumerated().reduce(into: [String: Int]()) { $0[$1.element] = $1.offset }

    package static func parse(
        _ text: String, name: String, range: ClosedRange<Int>, names: [String: Int] = [:]
    ) throws(CronSyntaxError) -> Set<Int> {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw invalid(text, name, range) }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw invalid(text, name, range) }
                step = parsed
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, let low = value(bounds[0], names), let high = bounds.count == 2 ? value(bounds[1], names) : low,
                      range.contains(low), range.contains(high), low <= high
                else { throw invalid(text, name, range) }
                span = pieces.count == 2 && bounds.count == 1 ? low...range.upperBound : low...high
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    private static func value(_ text: Substring, _ names: [String: Int]) -> Int? {
        Int(text) ?? names[text.uppercased()]
    }

    private static func invalid(_ text: String, _ name: String, _ range: ClosedRange<Int>) -> CronSyntaxError {
        CronSyntaxError("\(name) field '\(text)' is not valid; use *, a number \(range.lowerBound)-\(range.upperBound), a range a-b, a step */n or a-b/n, or a comma list")
    }
}
