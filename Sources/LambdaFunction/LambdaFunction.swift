import ElizaVM
import ElizaScripts

/// Placeholder entry point.
public enum LambdaFunction {
    public static func main() {}
}
