package io.metalr.spark.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;

/** The collectives' results against plain double loops, on every rank, for sizes 1 to 4. */
class PeerMeshTest {

    private static final int[] LENGTHS = {0, 1, 2, 3, 5, 1001};

    /** Rank r's vector: exponents from 2^-60 to 2^60, signed zeros, and a column where order matters. */
    static float[] wide(int rank, int n, long seed) {
        Random rnd = new Random(seed * 31 + rank);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (rnd.nextBoolean() ? -1 : 1) * (1 + rnd.nextFloat()) * (float) Math.scalb(1.0, rnd.nextInt(121) - 60);
        }
        for (int i = 0; i < n; i += 5) {
            // 1 + 2^60 - 2^60 is 0 in rank order and 1 in reverse: an order-sensitive sum, exactly
            v[i] = new float[] {1f, 0x1p60f, -0x1p60f, 0f}[rank % 4];
        }
        for (int i = 2; i < n; i += 5) {
            // a sum whose third is a hair above a float midpoint: sum / 3 rounds up, sum * (1.0 / 3) down
            v[i] = new float[] {0x1.b3988ap+1f, -0x1p-24f, 0x1p-51f, 0f}[rank % 4];
        }
        for (int i = 3; i < n; i += 7) {
            v[i] = -0.0f; // all -0.0 must stay -0.0: a sum started from +0.0 would lose the sign
        }
        return v;
    }

    /** FloatSum.mean's arithmetic, written out. */
    static float[] referenceMean(float[][] byRank) {
        int size = byRank.length;
        float[] out = new float[byRank[0].length];
        for (int i = 0; i < out.length; i++) {
            double s = byRank[0][i];
            for (int r = 1; r < size; r++) {
                s += byRank[r][i];
            }
            out[i] = (float) (Integer.bitCount(size) == 1 ? s * (1.0 / size) : s / size);
        }
        return out;
    }

    static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void allMeanIsTheReferenceMeanBitForBitOnEveryRank(int size) {
        try (Meshes m = Meshes.join(size, 10_000)) {
            for (int n : LENGTHS) {
                float[][] in = new float[size][];
                for (int r = 0; r < size; r++) {
                    in[r] = wide(r, n, n);
                }
                float[] expected = referenceMean(in);
                List<float[]> got = m.run(30, (r, mesh) -> mesh.allMean(in[r]));
                for (int r = 0; r < size; r++) {
                    assertBitsEqual(expected, got.get(r), "size " + size + ", n " + n + ", rank " + r);
                }
                assertBitsEqual(wide(0, n, n), in[0], "the input is left as it was");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void reduceScatterGivesEachRankItsContiguousChunkOfTheMean(int size) {
        try (Meshes m = Meshes.join(size, 10_000)) {
            for (int n : LENGTHS) {
                float[][] in = new float[size][];
                for (int r = 0; r < size; r++) {
                    in[r] = wide(r, n, n + 7);
                }
                float[] expected = referenceMean(in);
                List<PeerMesh.Chunk> got = m.run(30, (r, mesh) -> mesh.reduceScatterMean(in[r]));
                int next = 0;
                for (int r = 0; r < size; r++) {
                    PeerMesh.Chunk c = got.get(r);
                    assertEquals(next, c.from(), "chunks tile the vector in rank order");
                    assertTrue(c.to() - c.from() <= n / size + 1, "balanced: " + c);
                    assertBitsEqual(java.util.Arrays.copyOfRange(expected, c.from(), c.to()), c.mean(),
                            "size " + size + ", n " + n + ", rank " + r);
                    next = c.to();
                }
                assertEquals(n, next);
            }
        }
    }

    @Test
    void allSumAddsInRankOrderOnEveryRank() {
        try (Meshes m = Meshes.join(3, 10_000)) {
            double[][] in = {{1.0, 0.25, -0.0}, {1e16, 0.5, -0.0}, {-1e16, 2.0, -0.0}};
            List<double[]> got = m.run(30, (r, mesh) -> mesh.allSum(in[r]));
            for (double[] sum : got) {
                // (1 + 1e16) - 1e16 is 0 in rank order; any other order gives 1
                assertArrayEquals(new double[] {0.0, 2.75, -0.0}, sum);
                assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(sum[2]));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void broadcastAndGatherCarryFramesFromAndToRankZero(int size) {
        try (Meshes m = Meshes.join(size, 10_000)) {
            List<byte[]> got = m.run(30, (r, mesh) -> mesh.broadcast(r == 0 ? bytes("weights") : null));
            got.forEach(b -> assertArrayEquals(bytes("weights"), b));

            List<byte[][]> gathered = m.run(30, (r, mesh) -> mesh.gather(bytes("loss of " + r)));
            for (int r = 0; r < size; r++) {
                assertEquals(size, m.ranks.get(r).size());
                assertEquals(r, m.ranks.get(r).rank());
            }
            for (int r = 0; r < size; r++) {
                assertArrayEquals(bytes("loss of " + r), gathered.get(0)[r]);
            }
            for (int r = 1; r < size; r++) {
                assertNull(gathered.get(r));
            }
        }
    }

    @Test
    void vectorsOfDifferentLengthsFailOnEveryRank() {
        try (Meshes m = Meshes.join(3, 10_000)) {
            List<Future<float[]>> fs = m.start((r, mesh) -> mesh.allMean(new float[r == 1 ? 11 : 10]));
            for (int r = 0; r < 3; r++) {
                Throwable e = Meshes.failure(fs.get(r), 10, "rank " + r);
                assertInstanceOf(MeshException.class, e);
            }
        }
    }

    @Test
    void ranksCallingDifferentCollectivesFailAndSaySo() {
        try (Meshes m = Meshes.join(2, 10_000)) {
            List<Future<Object>> fs = m.start((r, mesh) -> r == 0 ? mesh.allSum(new double[2]) : mesh.allMean(new float[2]));
            Throwable e = Meshes.failure(fs.get(0), 10, "rank 0");
            assertTrue(e.getMessage().contains("out of step"), e.getMessage());
            assertInstanceOf(MeshException.class, Meshes.failure(fs.get(1), 10, "rank 1"));
        }
    }

    @Test
    void bytesCountPayloadAndFrameHeaders() {
        int size = 3;
        int n = 10; // chunks of 3, 3 and 4 floats
        try (Meshes m = Meshes.join(size, 10_000)) {
            m.run(30, (r, mesh) -> mesh.allMean(new float[n]));
            int header = 4 + 5; // a frame's 4-byte length, then the call and the element count
            for (int r = 0; r < size; r++) {
                int hello = 4 + 16; // the dialer's rank, the size and the secret, sent once at join to each lower rank
                long sent = (long) hello * r;
                long received = (long) hello * (size - 1 - r);
                for (int p = 0; p < size; p++) {
                    if (p != r) {
                        // reduce-scatter: peer p's chunk out, our chunk in; all-gather: ours out, theirs in
                        sent += header + 4 + 4L * Chunks.length(n, size, p) + header + 4 + 4L * Chunks.length(n, size, r);
                        received += header + 4 + 4L * Chunks.length(n, size, r) + header + 4 + 4L * Chunks.length(n, size, p);
                    }
                }
                assertEquals(sent, m.ranks.get(r).bytesSent(), "rank " + r + " sent");
                assertEquals(received, m.ranks.get(r).bytesReceived(), "rank " + r + " received");
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
