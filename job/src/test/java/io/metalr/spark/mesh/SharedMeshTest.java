package io.metalr.spark.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

/**
 * The in-memory collectives against plain double loops and against the TCP mesh, bit for bit, on
 * every rank, sizes 1 to 4; a rank that leaves or is cancelled ends the others' waits.
 */
class SharedMeshTest {

    private static final int[] LENGTHS = {0, 1, 2, 3, 5, 1001};

    /** Every rank's result of {@code body}, each rank a thread with its own SharedMesh. */
    private static <T> List<T> run(int size, Cancel[] cancels, BiFunction<Integer, SharedMesh, T> body) throws Exception {
        String key = UUID.randomUUID().toString();
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "rank");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                int rank = r;
                fs.add(threads.submit(() -> {
                    try (SharedMesh m = SharedMesh.join(key, rank, size, cancels == null ? Cancel.NEVER : cancels[rank], 10_000)) {
                        return body.apply(rank, m);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) {
                out.add(f.get(30, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            threads.shutdownNow();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void theMeanIsTheTcpMeshsAndTheReferencesOnEveryRank(int size) throws Exception {
        for (int n : LENGTHS) {
            float[][] in = new float[size][];
            for (int r = 0; r < size; r++) {
                in[r] = PeerMeshTest.wide(r, n, n);
            }
            float[] expected = PeerMeshTest.referenceMean(in);
            List<float[]> shared = run(size, null, (r, m) -> {
                float[] v = in[r].clone();
                m.allMeanInPlace(v);
                return v;
            });
            List<float[]> tcp;
            try (Meshes m = Meshes.join(size, 10_000)) {
                tcp = m.run(30, (r, mesh) -> mesh.allMean(in[r]));
            }
            for (int r = 0; r < size; r++) {
                PeerMeshTest.assertBitsEqual(expected, shared.get(r), "size " + size + ", n " + n + ", rank " + r);
                PeerMeshTest.assertBitsEqual(tcp.get(r), shared.get(r), "as over TCP: size " + size + ", n " + n + ", rank " + r);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void eachRankGetsItsChunkTheSumsInRankOrderAndRankZerosFrames(int size) throws Exception {
        int n = 1001;
        float[][] in = new float[size][];
        for (int r = 0; r < size; r++) {
            in[r] = PeerMeshTest.wide(r, n, 7);
        }
        float[] expected = PeerMeshTest.referenceMean(in);
        List<Object[]> got = run(size, null, (r, m) -> {
            Collectives.Chunk c = m.reduceScatterMean(in[r]);
            float[] chunk = c.mean().clone();
            // 1 + 2^60 - 2^60: 0 in rank order, whatever the rank
            double[] sum = m.allSum(new double[] {new double[] {1, 0x1p60, -0x1p60, 0}[r % 4], r});
            byte[] frame = m.broadcast(r == 0 ? new byte[] {4, 2} : null);
            byte[][] all = m.gather(new byte[] {r.byteValue()});
            return new Object[] {c.from(), c.to(), chunk, sum, frame, all};
        });
        for (int r = 0; r < size; r++) {
            Object[] g = got.get(r);
            int from = (int) g[0], to = (int) g[1];
            assertEquals(Chunks.start(n, size, r), from);
            assertEquals(Chunks.start(n, size, r + 1), to);
            PeerMeshTest.assertBitsEqual(java.util.Arrays.copyOfRange(expected, from, to), (float[]) g[2], "chunk of rank " + r);
            double first = 1;
            for (int q = 1; q < size; q++) {
                first += new double[] {1, 0x1p60, -0x1p60, 0}[q % 4];
            }
            assertEquals(first, ((double[]) g[3])[0], "rank order on rank " + r);
            assertEquals(size * (size - 1) / 2.0, ((double[]) g[3])[1]);
            assertArrayEquals(new byte[] {4, 2}, (byte[]) g[4]);
            if (r == 0) {
                byte[][] all = (byte[][]) g[5];
                for (int q = 0; q < size; q++) {
                    assertArrayEquals(new byte[] {(byte) q}, all[q]);
                }
            } else {
                assertNull(g[5]);
            }
        }
    }

    @Test
    void aRankThatLeavesEndsTheOthersWait() throws Exception {
        List<Object> got = run(3, null, (r, m) -> {
            if (r == 2) {
                return "left"; // closes its mesh without calling
            }
            try {
                m.allSum(new double[] {r});
                return "returned";
            } catch (MeshException e) {
                return e;
            }
        });
        assertInstanceOf(MeshException.class, got.get(0));
        assertInstanceOf(MeshException.class, got.get(1));
    }

    @Test
    void aCancelThatTurnsTrueEndsTheWait() throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        Cancel[] cancels = {Cancel.NEVER, cancelled::get};
        long t0 = System.nanoTime();
        List<Object> got = run(2, cancels, (r, m) -> {
            if (r == 0) {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                cancelled.set(true);
                try {
                    Thread.sleep(3_000); // rank 0 never calls: only the cancel can end rank 1's wait
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "slept";
            }
            try {
                m.allMeanInPlace(new float[] {1});
                return "returned";
            } catch (MeshException e) {
                return e;
            }
        });
        MeshException e = assertInstanceOf(MeshException.class, got.get(1));
        assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "ended by the cancel");
    }
}
