package io.metalr.fuzz;

import io.metalr.fuzz.FuzzTarget.Seed;
import io.metalr.fuzz.Mutator.Mutant;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The fuzz run of one format, in a JVM of its own ({@link FuzzTest} starts it with
 * {@code -Xmx512m}): mutant {@code i} of run {@code seed} is rebuilt from (seed, i) alone, written
 * where the reader looks, and read the way the job reads it, with 10 s allowed. Prints one
 * {@code FAIL} line per failure and one {@code SUMMARY} line; a failing mutant's bytes are kept in
 * the failures folder.
 *
 * <p>Arguments: format, seed, first index, count, work folder, failures folder. By hand, one file:
 * {@code java -Xmx512m -cp <test class path> io.metalr.fuzz.FuzzMain png 11 1234 1 /tmp/w /tmp/f}.
 */
public final class FuzzMain {

    /** The longest one file may take. */
    static final long SECONDS_PER_FILE = 10;

    static final Map<String, Supplier<FuzzTarget>> TARGETS = new java.util.LinkedHashMap<>();

    static {
        TARGETS.put("png", ImageTargets.Png::new);
        TARGETS.put("jpeg", ImageTargets.Jpeg::new);
        TARGETS.put("npy", ArrayTargets.Npy::new);
        TARGETS.put("npz", ArrayTargets.Npz::new);
        TARGETS.put("idx", () -> new VolumeTargets.Idx(false));
        TARGETS.put("idx.gz", () -> new VolumeTargets.Idx(true));
        TARGETS.put("nifti", () -> new VolumeTargets.Nifti(false));
        TARGETS.put("nii.gz", () -> new VolumeTargets.Nifti(true));
        TARGETS.put("csv", ManifestTargets.Csv::new);
        TARGETS.put("parquet", ManifestTargets.Parquet::new);
        TARGETS.put("pt", () -> new ModelTargets.TorchZip("pt", List.of("mixed_dtypes.pt", "mixed_dtypes_protocol4.pt",
                "reference_cnn_state_dict.pt", "reference_cnn_wrapped.pt")));
        TARGETS.put("torchscript", () -> new ModelTargets.TorchZip("torchscript",
                List.of("reference_cnn_scripted.pt", "reference_cnn_traced.pt")));
        TARGETS.put("safetensors", ModelTargets.Safetensors::new);
    }

    private FuzzMain() {}

    /** What became of one file. */
    enum Outcome { READ, REFUSED, FAILED }

    public static void main(String[] args) throws Exception {
        String format = args[0];
        long seed = Long.parseLong(args[1]);
        int from = Integer.parseInt(args[2]);
        int count = Integer.parseInt(args[3]);
        Path root = Path.of(args[4]);
        Path failures = Path.of(args[5]);
        FuzzTarget target = TARGETS.get(format).get();
        long start = System.nanoTime();
        int generation = 0;
        Path work = root.resolve(target.name().replace('.', '_') + "-" + generation);
        List<Seed> seeds = target.seeds(work);
        ExecutorService runner = newRunner();
        // an unmutated seed must read: otherwise the mutants never get past the first check
        for (Seed s : seeds) {
            Throwable t = run(runner, target, work, s, s.bytes(), false);
            if (t != null) {
                System.out.println("FAIL " + format + " seed file " + s.file() + " does not read :: " + describe(t));
            }
        }
        int[] counts = new int[3];
        for (int i = from; i < from + count; i++) {
            Random r = new Random(seed * 0x9E3779B97F4A7C15L + i);
            Seed s = seeds.get(r.nextInt(seeds.size()));
            Mutant m = r.nextInt(100) < 45 ? target.structured(s, r) : Mutator.generic(s.bytes(), r);
            if (r.nextInt(100) < 20) {
                Mutant more = Mutator.generic(m.bytes(), r);
                m = new Mutant(more.bytes(), m.what() + " then " + more.what());
            }
            byte[] bytes = target.fixup(m.bytes(), r);
            boolean skip = (i & 1) == 1;
            // should the reader take the JVM down (a native crash), the parent names this file
            System.out.println("AT " + i + " " + m.what());
            Throwable t;
            try {
                t = run(runner, target, work, s, bytes, skip);
            } catch (TimeoutException e) {
                t = new TimeoutException("no answer within " + SECONDS_PER_FILE + " s");
                // the stuck reader keeps its thread and folder; carry on with fresh ones
                runner.shutdownNow();
                runner = newRunner();
                work = root.resolve(target.name().replace('.', '_') + "-" + ++generation);
                seeds = target.seeds(work);
            }
            Outcome o = classify(t, target, target.names(work, s));
            System.out.flush();
            counts[o.ordinal()]++;
            if (o == Outcome.FAILED) {
                Path saved = failures.resolve(format + "-" + seed + "-" + i + ".bin");
                Files.createDirectories(failures);
                Files.write(saved, bytes);
                System.out.println("FAIL " + format + " seed=" + seed + " index=" + i + " (" + (skip ? "skip" : "fail")
                        + ", " + m.what() + ", saved as " + saved + ") :: " + describe(t));
                System.err.println("FAIL " + format + " index " + i + ", the whole trace:");
                t.printStackTrace();
            }
        }
        runner.shutdownNow();
        System.out.printf("SUMMARY %s files=%d read=%d refused=%d failed=%d seconds=%.1f%n", format, count,
                counts[0], counts[1], counts[2], (System.nanoTime() - start) / 1e9);
        System.out.flush();
        System.exit(0); // a stuck reader thread or Spark must not keep the JVM alive
    }

    private static ExecutorService newRunner() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-reader");
            t.setDaemon(true);
            return t;
        });
    }

    /** Null when the file was read; else what the reader threw. */
    private static Throwable run(ExecutorService runner, FuzzTarget target, Path work, Seed s, byte[] bytes,
            boolean skip) throws TimeoutException, InterruptedException {
        Future<?> f = runner.submit(() -> {
            target.read(work, s, bytes, skip);
            return null;
        });
        try {
            f.get(SECONDS_PER_FILE, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    static Outcome classify(Throwable t, FuzzTarget target, List<String> names) {
        if (t == null) {
            return Outcome.READ;
        }
        String msg = t.getMessage();
        if (target.refusal().isInstance(t) && msg != null && names.stream().anyMatch(msg::contains)) {
            return Outcome.REFUSED;
        }
        return Outcome.FAILED;
    }

    /** The exception, its causes and the top frames, on one line. */
    static String describe(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String msg = String.valueOf(c.getMessage()).replace('\n', ' ');
            b.append(c == t ? "" : " | caused by ").append(c.getClass().getName()).append(": ")
                    .append(msg.length() > 300 ? msg.substring(0, 300) + "..." : msg);
        }
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < Math.min(4, frames.length); i++) {
            b.append(i == 0 ? " at " : " < ").append(frames[i]);
        }
        return b.toString();
    }
}
