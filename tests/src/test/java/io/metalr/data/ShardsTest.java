package io.metalr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/** Stratified shards and the batches each shard's task draws. */
class ShardsTest {

    private static int[] randomLabels(Random rnd, int n, int classes) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            // imbalanced: class 0 is common
            labels[i] = rnd.nextInt(3) == 0 ? rnd.nextInt(classes) : 0;
        }
        return labels;
    }

    @Test
    void shardsPartitionTheDataNearlyEquallyAndStratified() {
        Random rnd = new Random(8);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(3000);
            int classes = 1 + rnd.nextInt(7);
            int count = 1 + rnd.nextInt(Math.min(n, 16));
            int[] labels = randomLabels(rnd, n, classes);
            Shards sh = Shards.of(labels, count, rnd.nextLong());
            assertEquals(count, sh.count());
            assertEquals(n, sh.total());
            boolean[] seen = new boolean[n];
            int minSize = Integer.MAX_VALUE, maxSize = 0;
            int numClasses = Arrays.stream(labels).max().getAsInt() + 1;
            long[] minClass = new long[numClasses];
            long[] maxClass = new long[numClasses];
            Arrays.fill(minClass, Long.MAX_VALUE);
            for (int s = 0; s < count; s++) {
                int[] ix = sh.indices(s);
                long[] cc = new long[numClasses];
                for (int k = 0; k < ix.length; k++) {
                    assertTrue(k == 0 || ix[k] > ix[k - 1], "ascending");
                    assertFalse(seen[ix[k]], "sample " + ix[k] + " in two shards");
                    seen[ix[k]] = true;
                    cc[labels[ix[k]]]++;
                }
                assertArrayEquals(cc, sh.classCounts(s));
                assertEquals(ix.length, sh.size(s));
                minSize = Math.min(minSize, ix.length);
                maxSize = Math.max(maxSize, ix.length);
                for (int c = 0; c < numClasses; c++) {
                    minClass[c] = Math.min(minClass[c], cc[c]);
                    maxClass[c] = Math.max(maxClass[c], cc[c]);
                }
            }
            for (boolean b : seen) {
                assertTrue(b, "a sample in no shard");
            }
            assertTrue(maxSize - minSize <= 1, "sizes " + minSize + ".." + maxSize + "\n" + sh.describe());
            for (int c = 0; c < numClasses; c++) {
                assertTrue(maxClass[c] - minClass[c] <= 1, "class " + c + "\n" + sh.describe());
            }
        }
    }

    @Test
    void shardsAreStableForASeedAndCount() {
        int[] labels = randomLabels(new Random(1), 1000, 4);
        Shards a = Shards.of(labels, 6, 123);
        Shards b = Shards.of(labels.clone(), 6, 123);
        for (int s = 0; s < 6; s++) {
            assertArrayEquals(a.indices(s), b.indices(s));
        }
        assertEquals(a.describe(), b.describe());
        Shards c = Shards.of(labels, 6, 124);
        assertFalse(Arrays.equals(a.indices(0), c.indices(0)), "another seed, other shards");
    }

    @Test
    void trainBatchesAreDeterministicFullAndDisjointWithinAnEpoch() {
        int[] labels = randomLabels(new Random(2), 1003, 3);
        Shards sh = Shards.of(labels, 4, 5);
        int batch = 32;
        int steps = sh.stepsPerEpoch(batch);
        assertEquals(250 / batch, steps, "smallest shard 250, rounded down");
        for (int epoch = 0; epoch < 3; epoch++) {
            Set<Integer> epochSeen = new HashSet<>();
            for (int s = 0; s < sh.count(); s++) {
                Set<Integer> shard = new HashSet<>();
                for (int i : sh.indices(s)) {
                    shard.add(i);
                }
                for (int step = 0; step < steps; step++) {
                    int[] b = sh.trainBatch(s, 77, epoch, step, batch);
                    assertEquals(batch, b.length);
                    assertArrayEquals(b, sh.trainBatch(s, 77, epoch, step, batch), "same arguments, same batch");
                    for (int i : b) {
                        assertTrue(shard.contains(i), "batch of shard " + s + " holds " + i + " from elsewhere");
                        assertTrue(epochSeen.add(i), "image " + i + " twice in epoch " + epoch);
                    }
                }
            }
            assertEquals(steps * batch * sh.count(), epochSeen.size());
        }
        // the order changes with the epoch and the seed, and differs between shards
        assertFalse(Arrays.equals(sh.trainBatch(0, 77, 0, 0, batch), sh.trainBatch(0, 77, 1, 0, batch)));
        assertFalse(Arrays.equals(sh.trainBatch(0, 77, 0, 0, batch), sh.trainBatch(0, 78, 0, 0, batch)));
        assertThrows(IllegalArgumentException.class, () -> sh.trainBatch(0, 77, 0, steps, batch));
        assertThrows(IllegalArgumentException.class, () -> sh.trainBatch(0, 77, 0, -1, batch));
        assertThrows(IllegalArgumentException.class, () -> sh.trainBatch(4, 77, 0, 0, batch));
    }

    @Test
    void everySampleGetsTrainedOnOverEpochs() {
        // leftovers at the end of an epoch come round in later ones
        int[] labels = randomLabels(new Random(3), 103, 2);
        Shards sh = Shards.of(labels, 2, 9);
        int batch = 16;
        Set<Integer> seen = new HashSet<>();
        for (int epoch = 0; epoch < 20; epoch++) {
            for (int s = 0; s < 2; s++) {
                for (int step = 0; step < sh.stepsPerEpoch(batch); step++) {
                    for (int i : sh.trainBatch(s, 1, epoch, step, batch)) {
                        seen.add(i);
                    }
                }
            }
        }
        assertEquals(103, seen.size());
    }

    @Test
    void aBatchLargerThanTheShardIsTheWholeShard() {
        int[] labels = randomLabels(new Random(4), 21, 2);
        Shards sh = Shards.of(labels, 2, 9);
        assertEquals(1, sh.stepsPerEpoch(64));
        for (int s = 0; s < 2; s++) {
            int[] b = sh.trainBatch(s, 3, 0, 0, 64);
            int[] sorted = b.clone();
            Arrays.sort(sorted);
            assertArrayEquals(sh.indices(s), sorted);
        }
    }

    @Test
    void metaBatchesAreDeterministicDistinctAndFromTheShard() {
        int[] labels = randomLabels(new Random(6), 500, 3);
        Shards sh = Shards.of(labels, 3, 11);
        for (int s = 0; s < 3; s++) {
            Set<Integer> shard = new HashSet<>();
            for (int i : sh.indices(s)) {
                shard.add(i);
            }
            for (long step = 0; step < 50; step++) {
                int[] m = sh.metaBatch(s, 4, 1, step, 40);
                assertEquals(40, m.length);
                assertArrayEquals(m, sh.metaBatch(s, 4, 1, step, 40));
                Set<Integer> distinct = new HashSet<>();
                for (int i : m) {
                    assertTrue(shard.contains(i));
                    assertTrue(distinct.add(i), "repeated image in a meta batch");
                }
            }
        }
        assertFalse(Arrays.equals(sh.metaBatch(0, 4, 1, 0, 40), sh.metaBatch(0, 4, 1, 1, 40)), "steps differ");
        assertFalse(Arrays.equals(sh.metaBatch(0, 4, 1, 0, 40), sh.metaBatch(0, 4, 2, 0, 40)), "epochs differ");
        assertEquals(sh.size(0), sh.metaBatch(0, 4, 1, 0, 10_000).length, "capped at the shard");
    }

    @Test
    void aShardSetShippedToAnExecutorDrawsTheSameBatches() throws IOException, ClassNotFoundException {
        int[] labels = randomLabels(new Random(7), 300, 3);
        Shards sh = Shards.of(labels, 3, 13);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(sh);
        }
        Shards back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (Shards) in.readObject();
        }
        for (int s = 0; s < 3; s++) {
            assertArrayEquals(sh.trainBatch(s, 1, 2, 3, 16), back.trainBatch(s, 1, 2, 3, 16));
            assertArrayEquals(sh.metaBatch(s, 1, 2, 3, 16), back.metaBatch(s, 1, 2, 3, 16));
        }
    }

    @Test
    void badArgumentsAreRejected() {
        int[] labels = {0, 1, 0};
        assertThrows(IllegalArgumentException.class, () -> Shards.of(labels, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Shards.of(labels, 4, 1));
        assertThrows(IllegalArgumentException.class, () -> Shards.of(new int[] {0, -1}, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Shards.of(labels, 1, 1).stepsPerEpoch(0));
    }
}
