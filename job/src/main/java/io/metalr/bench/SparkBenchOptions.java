package io.metalr.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code submit/bench.sh spark}'s options.
 *
 * @param only the one local case to run ({@code tiny}, {@code small}, {@code resnet18}), or null for all;
 *     with {@code shards}, the network of the cluster runs (null: small)
 * @param steps steps per run, the first {@value SparkBenchmark#WARM_UP} not timed; 0 = each run's default
 * @param shards the shard counts of a standalone-cluster run, ascending; empty = the local[2] cases
 * @param transport {@code distributed.transport} of the local[2] cases: auto (through memory there) or tcp
 */
record SparkBenchOptions(String only, int steps, List<Integer> shards, String transport) {

    static final String USAGE = "usage: submit/bench.sh spark [--only " + String.join("|", SparkBenchmark.caseKeys())
            + "] [--steps N] [--shards 1,2,4] [--transport auto|tcp]";

    SparkBenchOptions {
        shards = List.copyOf(shards);
    }

    static SparkBenchOptions parse(String[] args) {
        String only = null;
        int steps = 0;
        List<Integer> shards = List.of();
        String transport = "auto";
        for (int i = 0; i < args.length; i++) {
            String key = args[i];
            if (!List.of("--only", "--steps", "--shards", "--transport").contains(key)) {
                throw new IllegalArgumentException("unknown option '" + key + "'; " + USAGE);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(key + " needs a value; " + USAGE);
            }
            String value = args[++i];
            switch (key) {
                case "--only" -> {
                    List<String> cases = SparkBenchmark.caseKeys();
                    if (!cases.contains(value)) {
                        throw new IllegalArgumentException("--only " + value + ": the cases are " + cases);
                    }
                    only = value;
                }
                case "--steps" -> {
                    steps = positive(key, value);
                    if (steps <= SparkBenchmark.WARM_UP) {
                        throw new IllegalArgumentException("--steps " + value + ": more than the "
                                + SparkBenchmark.WARM_UP + " warm-up steps are needed");
                    }
                }
                case "--transport" -> {
                    if (!List.of("auto", "tcp").contains(value)) {
                        throw new IllegalArgumentException("--transport " + value + ": auto or tcp");
                    }
                    transport = value;
                }
                default -> shards = shardCounts(value);
            }
        }
        return new SparkBenchOptions(only, steps, shards, transport);
    }

    /** The given steps, or {@code dflt} when none were given. */
    int stepsOr(int dflt) {
        return steps > 0 ? steps : dflt;
    }

    private static List<Integer> shardCounts(String value) {
        List<Integer> out = new ArrayList<>();
        for (String s : value.split(",", -1)) {
            int n = positive("--shards", s.strip());
            if (ShardScalingBenchmark.GLOBAL_BATCH % n != 0) {
                throw new IllegalArgumentException("--shards " + n + ": a shard count must divide the global batch of "
                        + ShardScalingBenchmark.GLOBAL_BATCH);
            }
            if (!out.isEmpty() && n <= out.get(out.size() - 1)) {
                throw new IllegalArgumentException("--shards " + value + ": shard counts must be ascending and distinct");
            }
            out.add(n);
        }
        return out;
    }

    private static int positive(String key, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what was wrong
        }
        throw new IllegalArgumentException(key + " " + value + ": expected a positive whole number");
    }
}
