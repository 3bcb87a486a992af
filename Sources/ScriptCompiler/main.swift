// Placeholder until the compiler lands: writes empty tables so the plugin pipeline builds.
#if canImport(Glibc)
import Glibc
#endif
let args = CommandLine.arguments
if let i = args.firstIndex(of: "--output"), i + 1 < args.count {
    let path = args[i + 1]
    let f = fopen(path, "w")
    fputs("// DO NOT EDIT.\n", f)
    fclose(f)
}
