import GRDB
import StargraphStore

extension StoreError {
    /// Passes a `StoreError` through and wraps anything else (usually a GRDB `DatabaseError`).
    package static func wrapping(_ error: any Error, operation: String) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        if let databaseError = error as? DatabaseError {
            return .database(operation: operation, detail: databaseError.description)
        }
        return .database(operation: operation, detail: String(describing: error))
    }
}
