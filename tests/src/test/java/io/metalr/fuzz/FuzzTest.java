package io.metalr.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The fuzz suite: for every format the job reads, at least 2,000 files derived from valid ones by
 * a seeded mutator ({@link Mutator}, format-aware mutations in the {@link FuzzTarget}s) go through
 * the job's own reader in a JVM with {@code -Xmx512m}. Each file must either read, or be refused
 * with the project's bad-input error (BadRecordException for data, BadModelException for model
 * files) whose message names the file; anything else, or more than 10 s for one file, fails.
 *
 * <p>Why a child JVM per format, not a Surefire execution with its own heap: a reader that dies of
 * an {@link OutOfMemoryError} in a thread Spark owns, or takes its JVM down, leaves the child's last
 * words ("which file") to read, and cannot stop the other formats from being counted; and the heap
 * the readers get is exactly 512 MB whatever the Surefire fork's own heap. The children inherit the
 * fork's {@code --add-opens} and DJL flags and its environment.
 *
 * <p>Environment: {@code FUZZ_SEED} (default 11), {@code FUZZ_FILES} per format (default 2000),
 * {@code FUZZ_FORMATS} (comma-separated, default all), {@code FUZZ_FROM} (first index, default 0),
 * {@code FUZZ_PARALLEL} (children at a time, default 2). A failure is reproduced from the seed and
 * index it prints: {@code FUZZ_FORMATS=png FUZZ_FROM=1234 FUZZ_FILES=1}; its bytes are kept in
 * {@code target/fuzz/failures}.
 */
class FuzzTest {

    private static final int SHOWN = 8;

    @Test
    void everyMutatedFileIsReadOrRefusedAsBadInput() throws Exception {
        long seed = Long.parseLong(env("FUZZ_SEED", "11"));
        int files = Integer.parseInt(env("FUZZ_FILES", "2000"));
        int from = Integer.parseInt(env("FUZZ_FROM", "0"));
        int parallel = Integer.parseInt(env("FUZZ_PARALLEL", "2"));
        List<String> formats = env("FUZZ_FORMATS", "").isBlank() ? new ArrayList<>(FuzzMain.TARGETS.keySet())
                : Arrays.asList(env("FUZZ_FORMATS", "").split(","));
        Path root = Path.of("target", "fuzz").toAbsolutePath();
        deleteTree(root.resolve("work"));
        Files.createDirectories(root);
        Path argFile = root.resolve("java-args");
        Files.write(argFile, jvmArgs(), StandardCharsets.UTF_8);

        Map<String, Child> done = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        List<Future<?>> running = new ArrayList<>();
        // the slowest (Spark's) first, so that it does not run alone at the end
        List<String> order = new ArrayList<>(formats);
        order.sort(Comparator.comparing(f -> !f.equals("parquet")));
        for (String format : order) {
            running.add(pool.submit(() -> {
                done.put(format, Child.run(argFile, root, format, seed, from, files));
                return null;
            }));
        }
        for (Future<?> f : running) {
            f.get();
        }
        pool.shutdown();

        List<String> failures = new ArrayList<>();
        for (String format : formats) {
            Child c = done.get(format);
            System.out.println(c.summary());
            failures.addAll(c.failures());
        }
        assertTrue(failures.isEmpty(), failures.size() + " fuzz failures (seed " + seed + "); the first "
                + Math.min(SHOWN, failures.size()) + ":\n" + String.join("\n", failures.subList(0, Math.min(SHOWN,
                failures.size()))));
    }

    /** One child JVM's run: its summary line and its failures. */
    record Child(String format, String summaryLine, List<String> failures) {

        static Child run(Path argFile, Path root, String format, long seed, int from, int files)
                throws IOException, InterruptedException {
            Path log = root.resolve(format + ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "@" + argFile, FuzzMain.class.getName(), format,
                    Long.toString(seed), Integer.toString(from), Integer.toString(files),
                    root.resolve("work").toString(), root.resolve("failures").toString())
                    .redirectError(log.toFile());
            Process p = pb.start();
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            String summary = null;
            String at = null;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("AT ")) {
                        at = line.substring(3);
                    } else if (line.startsWith("FAIL ")) {
                        failures.add(line.length() > 2000 ? line.substring(0, 2000) + "..." : line);
                    } else if (line.startsWith("SUMMARY ")) {
                        summary = line;
                    }
                }
            }
            // the child bounds each file to 10 s; this bounds the child should that machinery itself hang
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
            if (summary == null) {
                failures.add("FAIL " + format + ": the fuzz JVM ended (exit " + p.exitValue() + ") before its summary, "
                        + (at == null ? "before the first file" : "reading index " + at) + " (seed " + seed + ");"
                        + " the last lines of " + log + ":\n" + tail(log, 15));
            }
            return new Child(format, summary, failures);
        }

        /** {@code fuzz png: files 2000, read 812, refused 1188, failed 0 (34.2 s)}. */
        String summary() {
            if (summaryLine == null) {
                return "fuzz " + format + ": no summary, the fuzz JVM died (" + failures.size() + " failures)";
            }
            Map<String, String> kv = new java.util.HashMap<>();
            for (String part : summaryLine.split(" ")) {
                int eq = part.indexOf('=');
                if (eq > 0) {
                    kv.put(part.substring(0, eq), part.substring(eq + 1));
                }
            }
            return String.format("fuzz %-11s files %s, read %s, refused %s, failed %s (%s s)", format + ":",
                    kv.get("files"), kv.get("read"), kv.get("refused"), kv.get("failed"), kv.get("seconds"));
        }
    }

    /**
     * The child's JVM options: a 512 MB heap, this JVM's {@code --add-opens} and {@code -D} flags
     * (Spark and DJL need them), and its test class path.
     */
    private static List<String> jvmArgs() {
        List<String> args = new ArrayList<>();
        args.add("-Xmx512m");
        args.add("-XX:ErrorFile=" + Path.of("target", "hs_err_pid%p.log").toAbsolutePath());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dai.djl")) {
                args.add(a);
            }
        }
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        args.add("-cp");
        args.add("\"" + cp.replace("\\", "\\\\") + "\"");
        return args;
    }

    private static String tail(Path log, int lines) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v.trim();
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> all = Files.walk(p)) {
            for (Path x : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
