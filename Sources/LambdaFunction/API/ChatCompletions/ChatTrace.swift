import ElizaVM

/// The VM's trace of one reply, returned when a request asks for it with `"eliza": {"trace": true}`
/// (docs/api.md, "The trace extension"): the same `TraceEvent`s `elizac chat --trace` prints.
///
/// Only the reply to the last user message is traced (the one the response answers); earlier turns
/// are replayed without a tracer. The trace is bounded: at most `maxEvents` events and `maxBytes` of
/// encoded events; past either the rest is counted in `omitted`, not kept, so a looping script's
/// trace costs little more than its reply. Written once per response, not per choice.
package struct ChatTrace: Sendable, Equatable {
    /// Most events kept.
    package static let maxEvents = 1_000
    /// Most bytes of encoded events kept (each event's JSON object, as written in the response).
    package static let maxBytes = 128 * 1024

    /// Index in `messages` of the traced user message; nil when there is none (the greeting).
    package var message: Int?
    /// The events kept, in order.
    package var events: [TraceEvent] = []
    /// Events not kept, after the first that did not fit.
    package var omitted = 0
    /// Bytes of `events` as encoded.
    package var bytes = 0

    /// Whether events were left out.
    package var truncated: Bool { omitted > 0 }

    /// Writes the `trace` member of the response's `eliza` object.
    /// - Parameter json: The `eliza` object.
    func write(into json: inout JSONText) {
        json.object("trace") {
            if let message { $0.int("message", message) } else { $0.null("message") }
            $0.array("events") { list in
                for event in events { list.object { event.write(into: &$0) } }
            }
            $0.bool("truncated", truncated)
            $0.int("omitted_events", omitted)
        }
    }

    /// Collects the events of one reply, up to the bounds; discarded events are never built.
    struct Recorder: Tracer {
        var trace: ChatTrace

        init(message: Int) { trace = ChatTrace(message: message) }

        mutating func record(_ event: @autoclosure () -> TraceEvent) {
            // Keep a prefix: once one event did not fit, none after it is built or kept.
            guard trace.omitted == 0, trace.events.count < ChatTrace.maxEvents else {
                trace.omitted += 1
                return
            }
            let event = event()
            let size = event.encodedSize
            guard trace.bytes + size <= ChatTrace.maxBytes else {
                trace.omitted += 1
                return
            }
            trace.bytes += size
            trace.events.append(event)
        }
    }
}
