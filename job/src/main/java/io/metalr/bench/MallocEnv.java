package io.metalr.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;

/** submit/malloc.env's settings (under the working directory), which executor JVMs running libtorch get. */
final class MallocEnv {

    private MallocEnv() {}

    static Map<String, String> read() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        Path f = Paths.get("submit", "malloc.env");
        if (Files.isRegularFile(f)) {
            for (String line : Files.readAllLines(f)) {
                String l = line.strip();
                int eq = l.indexOf('=');
                if (!l.isEmpty() && !l.startsWith("#") && eq > 0) {
                    env.put(l.substring(0, eq), l.substring(eq + 1));
                }
            }
        }
        return env;
    }
}
