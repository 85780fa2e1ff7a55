package io.metalr.data;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A data set cut into N shards for N data-parallel Spark tasks, and the batches each task draws.
 *
 * <p><b>Shards.</b> Each class's samples are shuffled with the seed and dealt round robin over the
 * shards, the deal continuing from class to class; so shard sizes differ by at most one and each
 * class's count differs by at most one between shards. The shards depend only on (labels, N, seed):
 * the same inputs always give the same shards. A shard's indices are kept ascending.
 *
 * <p><b>Training batches.</b> In each epoch a shard's samples are put in a seeded permutation (from
 * seed, epoch and shard) and cut into consecutive batches of {@code batchSize}. Every shard takes
 * the same number of steps per epoch, {@link #stepsPerEpoch(int)} = (smallest shard size) /
 * batchSize rounded down, at least 1, so synchronous tasks stay in step. <b>End of an epoch:</b>
 * the samples left after the last full batch (fewer than a batch, plus one in the larger shards)
 * are not used in that epoch; the next epoch's fresh permutation gives them their turn. A batch
 * larger than the smallest shard gives one batch per epoch holding the whole shard (then batches
 * of different shards may differ by one in size). Within an epoch a shard's batches are disjoint,
 * and batches of different shards are always disjoint.
 *
 * <p><b>One shard</b> is the single-process order ({@link BatchOrder}): {@link BatchOrder#epoch}'s
 * batches (ceil(n / batchSize) per epoch, a last batch of one image dropped) and
 * {@link BatchOrder#metaBatch}'s meta batches, so a 1-shard Spark run and an in-process run draw the
 * same images at every step.
 *
 * <p><b>Meta batches.</b> {@link #metaBatch} draws {@code min(batchSize, shard size)} distinct
 * samples of the shard afresh for every (seed, epoch, step, shard), independent of the training
 * batches; build a {@code Shards} of the validation set for them when meta-gradients come from it.
 *
 * <p>Instances are immutable and serializable: ship one to the executors and call its methods
 * there; each is a pure function of the instance and its arguments.
 */
public final class Shards implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int[][] shards;
    private final int numClasses;
    private final long[][] classCounts;
    private final long seed;
    private final int total;

    private Shards(int[][] shards, int[] labels, int numClasses, long seed) {
        this.shards = shards;
        this.numClasses = numClasses;
        this.seed = seed;
        this.classCounts = new long[shards.length][numClasses];
        int t = 0;
        for (int s = 0; s < shards.length; s++) {
            for (int i : shards[s]) {
                classCounts[s][labels[i]]++;
            }
            t += shards[s].length;
        }
        this.total = t;
    }

    /**
     * Cuts a data set of the given labels into {@code count} stratified shards.
     *
     * @throws IllegalArgumentException if count is below 1 or above the number of samples
     */
    public static Shards of(int[] labels, int count, long seed) {
        if (count < 1 || count > labels.length) {
            throw new IllegalArgumentException("shards must be in 1.." + labels.length + " (one sample each at least), got " + count);
        }
        int numClasses = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("sample " + i + " has label " + labels[i] + " (labels must be 0 or more)");
            }
            numClasses = Math.max(numClasses, labels[i] + 1);
        }
        int[][] members = Splits.byPart(labels, numClasses);
        int[] shardOf = new int[labels.length];
        int next = 0;
        for (int c = 0; c < numClasses; c++) {
            int[] order = BatchOrder.permutation(members[c].length, new SplittableRandom(BatchOrder.mix(seed, c, 0x54A2D)));
            for (int j : order) {
                shardOf[members[c][j]] = next;
                next = (next + 1) % count;
            }
        }
        return new Shards(Splits.byPart(shardOf, count), labels, numClasses, seed);
    }

    /** {@link #of(int[], int, long)} over an image set's labels. */
    public static Shards of(ImageSet data, int count, long seed) {
        int[] labels = new int[data.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = data.label(i);
        }
        return of(labels, count, seed);
    }

    public int count() {
        return shards.length;
    }

    /** Samples in all shards. */
    public int total() {
        return total;
    }

    /** The seed the shards were cut with (batches take their own seed argument). */
    public long seed() {
        return seed;
    }

    public int size(int shard) {
        return shards[check(shard)].length;
    }

    /** The sample indices of a shard, ascending. */
    public int[] indices(int shard) {
        return shards[check(shard)].clone();
    }

    /** Samples of each class in a shard. */
    public long[] classCounts(int shard) {
        return classCounts[check(shard)].clone();
    }

    /**
     * Steps every shard takes per epoch: smallest shard size / batchSize rounded down, at least 1;
     * with one shard, {@link BatchOrder#steps}.
     */
    public int stepsPerEpoch(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        if (shards.length == 1) {
            return BatchOrder.steps(total, batchSize);
        }
        int min = Integer.MAX_VALUE;
        for (int[] s : shards) {
            min = Math.min(min, s.length);
        }
        return Math.max(1, min / batchSize);
    }

    /**
     * The training batch of a shard at a step of an epoch: sample indices into the whole data set.
     *
     * @param step 0 .. {@link #stepsPerEpoch(int)} - 1
     * @throws IllegalArgumentException for a step outside the epoch or a bad shard
     */
    public int[] trainBatch(int shard, long seed, int epoch, int step, int batchSize) {
        int steps = stepsPerEpoch(batchSize);
        if (step < 0 || step >= steps) {
            throw new IllegalArgumentException("step " + step + " is outside the epoch: " + steps + " steps of batch "
                    + batchSize + " per shard");
        }
        int[] members = shards[check(shard)];
        if (shards.length == 1) {
            return gather(members, BatchOrder.batch(members.length, batchSize, seed, epoch, step));
        }
        int[] perm = BatchOrder.permutation(members.length,
                new SplittableRandom(BatchOrder.mix(BatchOrder.mix(seed, epoch, 0x7A11), shard, 0x5A4D)));
        int start = step * batchSize;
        int len = Math.min(batchSize, members.length - start);
        int[] b = new int[len];
        for (int k = 0; k < len; k++) {
            b[k] = members[perm[start + k]];
        }
        return b;
    }

    /**
     * A meta batch of a shard: {@code min(batchSize, shard size)} distinct samples drawn afresh for
     * each (seed, epoch, step, shard); any step (e.g. a global step count) is valid.
     */
    public int[] metaBatch(int shard, long seed, int epoch, long step, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        int[] members = shards[check(shard)];
        if (shards.length == 1) {
            return gather(members, BatchOrder.metaBatch(members.length, batchSize, seed, epoch, step));
        }
        SplittableRandom rng = new SplittableRandom(
                BatchOrder.mix(BatchOrder.mix(seed, epoch, step ^ 0x3E7A), shard, 0x5A4E));
        int n = members.length;
        int len = Math.min(batchSize, n);
        int[] pool = members.clone();
        int[] b = new int[len];
        for (int k = 0; k < len; k++) {
            int j = k + rng.nextInt(n - k);
            int t = pool[j];
            pool[j] = pool[k];
            pool[k] = t;
            b[k] = t;
        }
        return b;
    }

    private static int[] gather(int[] members, int[] positions) {
        int[] out = new int[positions.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = members[positions[k]];
        }
        return out;
    }

    /** One line per shard: size and class counts. */
    public String describe() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d shards of %d samples, %d classes, seed %d",
                shards.length, total, numClasses, seed));
        for (int s = 0; s < shards.length; s++) {
            sb.append(String.format(Locale.ROOT, "%n  shard %-3d %7d  classes %s", s, shards[s].length,
                    Arrays.toString(classCounts[s])));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    private int check(int shard) {
        if (shard < 0 || shard >= shards.length) {
            throw new IllegalArgumentException("shard " + shard + " is outside 0.." + (shards.length - 1));
        }
        return shard;
    }
}
