package io.metalr.udf.predict;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One {@link Scorer} per model directory per JVM: the first call for a path loads the model, every
 * later call (any thread, any task of the executor) gets the same instance. A load that fails is
 * not remembered, so a later call tries again.
 */
public final class Scorers {

    private static final ConcurrentMap<String, Slot> CACHE = new ConcurrentHashMap<>();

    private Scorers() {}

    /**
     * The scorer of {@code modelDir}, loaded on first use.
     *
     * @throws UncheckedIOException if the model cannot be read (its cause names the file; a
     *     missing file is a {@link java.io.FileNotFoundException})
     * @throws IllegalStateException if no {@link ScorerFactory} is on the class path
     */
    public static Scorer forModel(String modelDir) {
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException("no model directory given (modelDir is empty)");
        }
        return CACHE.computeIfAbsent(modelDir, k -> new Slot()).get(modelDir);
    }

    /** Holds one path's scorer; loading under its own lock keeps other paths' lookups free. */
    private static final class Slot {
        private Scorer scorer;

        synchronized Scorer get(String modelDir) {
            if (scorer == null) {
                try {
                    scorer = factory().open(modelDir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            }
            return scorer;
        }
    }

    /** The registered factory: the task's class loader first (Spark loads user jars there). */
    static ScorerFactory factory() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader cl : new ClassLoader[] {context, Scorers.class.getClassLoader()}) {
            if (cl != null) {
                var found = ServiceLoader.load(ScorerFactory.class, cl).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new IllegalStateException("no " + ScorerFactory.class.getName() + " on the class path:"
                + " predictions need the metalr-job jar (which registers io.metalr.inference.BundleScorerFactory)"
                + " on the driver and the executors");
    }
}
