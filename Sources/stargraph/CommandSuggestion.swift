import StargraphHost
import StargraphCore

/// The "did you mean" of a mistyped subcommand: `stargraph rnu` names `run` instead of printing
/// the whole usage.
enum CommandSuggestion {
    /// An error message when the first argument looks like a subcommand (no leading `-`) but is
    /// none of `known`; `nil` when it is one, or when there are no arguments.
    static func unknownSubcommand(in arguments: ArraySlice<String>, known: [String]) -> String? {
        guard let word = arguments.first, !word.hasPrefix("-"), !known.contains(word) else { return nil }
        let hint = Suggestion.closest(to: word, among: known).map { "; did you mean '\($0)'?" }
            ?? "; the commands are \(known.joined(separator: ", "))"
        return "unknown command '\(word)'\(hint) (see `stargraph --help`)"
    }
}
