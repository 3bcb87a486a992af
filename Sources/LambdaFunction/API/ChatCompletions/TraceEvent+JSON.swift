import ElizaVM

/// The JSON form of the VM's trace events, for the trace extension: a structured object per event
/// plus `description`, the exact text `elizac chat --trace` prints (one source of truth: the VM's
/// `TraceEvent`). Decomposition and reassembly numbers count from 1, as that text does.
extension TraceEvent {
    /// The `event` member: what kind of step this is.
    var kind: String {
        switch self {
        case .input: "input"
        case .scanned: "scanned"
        case .keyword: "keyword"
        case .decomposition: "decomposition"
        case .reassembly: "reassembly"
        case .newKey: "newkey"
        case .link: "link"
        case .pre: "pre"
        case .memoryLaid: "memory_laid"
        case .memoryNotLaid: "memory_not_laid"
        case .memoryRecalled: "memory_recalled"
        case .none: "none"
        case .noMatch: "no_match"
        }
    }

    /// Writes the event's members: `event`, its fields, then `description`.
    /// - Parameter json: The event's object.
    func write(into json: inout JSONText) {
        json.string("event", kind)
        switch self {
        case .input(let words, let limit):
            json.array("words") { list in for word in words { list.string(word) } }
            json.int("limit", limit)
        case .scanned(let text, let keystack):
            json.array("text") { list in for word in text { list.string(word) } }
            json.array("keystack") { list in for keyword in keystack { list.string(keyword) } }
        case .keyword(let keyword, let line):
            json.string("keyword", keyword)
            json.int("line", line)
        case .decomposition(let keyword, let index, let pattern, let parts):
            json.string("keyword", keyword)
            json.int("decomposition", index + 1)
            json.string("pattern", pattern)
            json.array("parts") { list in for part in parts { list.string(part) } }
        case .reassembly(let keyword, let decomposition, let index, let count):
            json.string("keyword", keyword)
            json.int("decomposition", decomposition + 1)
            json.int("reassembly", index + 1)
            json.int("of", count)
        case .newKey(let remaining):
            json.array("keystack") { list in for keyword in remaining { list.string(keyword) } }
        case .link(let target):
            json.string("to", target)
        case .pre(let text, let target):
            json.array("text") { list in for word in text { list.string(word) } }
            json.string("to", target)
        case .memoryLaid(let hash, let memory):
            json.int("hash", hash)
            json.string("memory", memory)
        case .memoryNotLaid(let hash):
            json.int("hash", hash)
        case .memoryRecalled(let memory, let remaining):
            json.string("memory", memory)
            json.int("remaining", remaining)
        case .none:
            break
        case .noMatch(let limit):
            json.int("limit", limit)
        }
        json.string("description", description)
    }

    /// Bytes of the event's object as `write(into:)` encodes it inside an array (braces included).
    var encodedSize: Int {
        var json = JSONText()
        write(into: &json)
        return json.finishUTF8().count
    }
}
