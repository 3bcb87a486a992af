/// Why the configuration was refused at start-up: a flag, or an environment variable's value, named in
/// the message. The start-up concern's one error type (the log level's parsing throws it too).
package struct ConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    package enum Code: Sendable, Equatable {
        /// A bad value in the environment or a flag.
        case invalidValue
        /// The command line itself is wrong (exit 64).
        case usage
        /// Scripts named by `--script` or `ELIZA_SCRIPTS` could not be loaded: the message holds every
        /// diagnostic, one a line, `file:line:col: error: …`.
        case scripts
    }

    package var code: Code
    /// For a person, naming the variable or flag and the value, e.g. `ELIZA_PORT='x' is not a port number (0-65535)`.
    package var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
