import ElizaVM

/// How much compiling one script may cost. Unbounded for the package's own files and `elizac`; the
/// server bounds every script it compiles, loaded at start-up or sent inline with a request.
///
/// Work is counted in units: one per token, one per decomposition element and per reassembly word,
/// and one per keyword a `(/TAG)` element stands for, the one place tables can grow faster than the
/// source (every `(/FAMILY)` holds every keyword tagged FAMILY). Time and memory are linear in the
/// units spent: lexing, parsing and checking each walk a token a bounded number of times.
package struct CompileLimits: Sendable, Equatable {
    /// UTF-8 bytes of source.
    package var sourceBytes: Int
    /// Units of work.
    package var work: Int

    /// The bounds given.
    package init(sourceBytes: Int, work: Int) {
        self.sourceBytes = sourceBytes
        self.work = work
    }

    /// No bounds: the package's own scripts and the author's `elizac`.
    package static let unlimited = CompileLimits(sourceBytes: .max, work: .max)

    /// The bound a compilation went over.
    package enum Limit: Sendable, Equatable {
        case sourceBytes, work
    }
}

/// What compiling one script produced.
package struct ScriptCompilation: Sendable {
    /// The checked tables; nil when there was an error or a limit was passed.
    package var script: Script?
    /// Every diagnostic, sorted by location, `file` set.
    package var diagnostics: [Diagnostic]
    /// Units of work spent (`CompileLimits.work`).
    package var work: Int
    /// The limit passed, if any (its diagnostic comes first).
    package var exceeded: CompileLimits.Limit?

    /// The errors only.
    package var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
}
