#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin file-system helpers on the C library (elizac needs nothing more).
enum FileIO {
    /// Reads a whole file.
    static func read(_ path: String) throws(ScriptError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw ScriptError(code: .unreadable("\(path): cannot open: \(String(cString: strerror(errno)))"))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count {
                if ferror(file) != 0 {
                    throw ScriptError(code: .unreadable("\(path): read error"))
                }
                break
            }
        }
        return bytes
    }

    /// Writes a file only when its contents differ, so unchanged tables do not trigger rebuilds.
    static func write(_ text: String, to path: String) throws(ScriptError) {
        if let existing = try? read(path), existing.elementsEqual(text.utf8) { return }
        guard let file = fopen(path, "wb") else {
            throw ScriptError(code: .unreadable("\(path): cannot write: \(String(cString: strerror(errno)))"))
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file)
        if written != bytes.count || closed != 0 {
            throw ScriptError(code: .unreadable("\(path): write failed"))
        }
    }

    /// The names of the entries of a directory, sorted; nil if it cannot be opened.
    static func list(_ directory: String) -> [String]? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes all of `text` to a file descriptor, retrying partial writes and EINTR.
    static func write(_ text: String, fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                raw.baseAddress.map { systemWrite(fd, $0 + offset, raw.count - offset) } ?? 0
            }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

    /// `write(2)`, named through the C library's module (`FileIO.write` shadows the bare name).
    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.write(fd, buffer, count)
        #elseif canImport(Darwin)
        Darwin.write(fd, buffer, count)
        #endif
    }
}

/// The compiler's error: a file it could not read or write. A script that fails to load is not an
/// error value: its diagnostics are returned and printed (`ScriptLoader.load`).
struct ScriptError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable {
        /// The file could not be read or written; the reason, with the path.
        case unreadable(String)
    }

    var code: Code

    var description: String {
        switch code {
        case .unreadable(let reason): reason
        }
    }
}
