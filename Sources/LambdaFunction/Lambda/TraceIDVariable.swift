#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide `_X_AMZN_TRACE_ID`, set for each invocation without leaking.
///
/// glibc's `setenv` never frees a value it replaces (it keeps every value ever set, so that pointers
/// an earlier `getenv` returned stay valid), and every Lambda invocation has a new trace id: one
/// `setenv` per invocation grew the process by ~110 bytes per invocation, about 10 MiB per 100,000
/// (found by Tools/soak-lambda.py). Instead the `NAME=value` entry is a buffer owned here, installed
/// with `putenv` (which does not copy it) and freed once a later call has replaced or removed it.
/// Only the runtime loop's thread sets the variable; nothing in this process keeps a `getenv` pointer
/// to it across invocations.
final class TraceIDVariable {
    static let name = "_X_AMZN_TRACE_ID"
    /// The entry this instance put into the environment last, if any.
    private var installed: UnsafeMutablePointer<CChar>?

    init() {}

    /// Sets the variable to `value`, or removes it when `value` is nil.
    func set(_ value: String?) {
        let previous = installed
        installed = nil
        if let value, let entry = strdup(Self.name + "=" + value) {
            if putenv(entry) == 0 {
                installed = entry
            } else {
                free(entry)
                unsetenv(Self.name)
            }
        } else {
            unsetenv(Self.name)
        }
        // No longer referenced by `environ`: replaced by `putenv` or removed by `unsetenv`.
        free(previous)
    }
}
