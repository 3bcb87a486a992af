/// Placeholder; the real table model lands with the VM.
public struct Script: Sendable {
    public let name: String
    public let greeting: String
    public init(name: String, greeting: String) {
        self.name = name
        self.greeting = greeting
    }
}
