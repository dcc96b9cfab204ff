import StargraphCore
/// The one shape of every list route: `{items, next_cursor, total, limit}`.
///
/// `next_cursor` is the opaque token that fetches the next page (`?cursor=…`), `null` on the
/// last page and on lists that come whole; `limit` is the page size asked for, `null` for a
/// list that is not paged.
enum ListPage {
    static func json(items: [JSONValue], total: Int? = nil, limit: Int? = nil, nextCursor: String? = nil) -> JSONValue {
        [
            "items": .array(items), "next_cursor": nextCursor.map(JSONValue.string) ?? .null,
            "total": .number(Double(total ?? items.count)), "limit": limit.map { .number(Double($0)) } ?? .null,
        ]
    }
}
