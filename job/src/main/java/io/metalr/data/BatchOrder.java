package io.metalr.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which images make each batch: a pure function of (seed, epoch, step), so a run, a resumed run and
 * a retried Spark task all draw the same batches.
 */
public final class BatchOrder {

    private BatchOrder() {}

    /**
     * The training batches of an epoch: a seeded permutation cut into batches; a last batch of one
     * image is dropped (batch-norm cannot train on it).
     */
    public static List<int[]> epoch(int n, int batchSize, long seed, int epoch) {
        int[] perm = permutation(n, new SplittableRandom(mix(seed, epoch, 0x7A11)));
        List<int[]> out = new ArrayList<>();
        for (int start = 0; start < n; start += batchSize) {
            int len = Math.min(batchSize, n - start);
            if (len < 2) {
                break;
            }
            int[] b = new int[len];
            System.arraycopy(perm, start, b, 0, len);
            out.add(b);
        }
        return out;
    }

    /** How many batches {@link #epoch} cuts from n images. */
    public static int steps(int n, int batchSize) {
        return n / batchSize + (n % batchSize >= 2 ? 1 : 0);
    }

    /** Batch {@code step} of {@link #epoch}, without cutting the others. */
    public static int[] batch(int n, int batchSize, long seed, int epoch, int step) {
        if (step < 0 || step >= steps(n, batchSize)) {
            throw new IllegalArgumentException("step " + step + " is outside the epoch: " + steps(n, batchSize)
                    + " steps of batch " + batchSize + " over " + n + " images");
        }
        int[] perm = permutation(n, new SplittableRandom(mix(seed, epoch, 0x7A11)));
        int start = step * batchSize;
        int[] b = new int[Math.min(batchSize, n - start)];
        System.arraycopy(perm, start, b, 0, b.length);
        return b;
    }

    /** A meta (validation) batch for a step: distinct images drawn from a set of size n. */
    public static int[] metaBatch(int n, int batchSize, long seed, int epoch, long step) {
        int[] perm = permutation(n, new SplittableRandom(mix(seed, epoch, step ^ 0x3E7A)));
        int len = Math.min(batchSize, n);
        int[] b = new int[len];
        System.arraycopy(perm, 0, b, 0, len);
        return b;
    }

    static int[] permutation(int n, SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static long mix(long seed, long a, long b) {
        long h = seed * 0x9E3779B97F4A7C15L + a;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + b;
        return h ^ (h >>> 29);
    }
}
