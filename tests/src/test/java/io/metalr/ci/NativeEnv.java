package io.metalr.ci;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** submit/malloc.env, the one list of glibc settings every JVM that runs libtorch gets. */
public final class NativeEnv {

    /** The repository root (tests run in the tests/ module's folder). */
    public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    public static final Path FILE = ROOT.resolve("submit/malloc.env");

    private NativeEnv() {}

    /** Its KEY=VALUE lines, in order (comments and blank lines skipped). */
    public static Map<String, String> variables() {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(FILE)) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                int eq = l.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalStateException(FILE + ": not KEY=VALUE: " + line);
                }
                out.put(l.substring(0, eq), l.substring(eq + 1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
