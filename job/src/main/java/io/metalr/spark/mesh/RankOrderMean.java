package io.metalr.spark.mesh;

/**
 * The mean of one chunk over ranks, with FloatSum.mean's arithmetic so that the mesh's step is the
 * driver's step to the bit: per element the sum in double in rank order (v0 + v1 + ...), then one
 * rounding to float of {@code sum * (1.0 / size)} when size is a power of two (the same number,
 * faster) or {@code sum / size} otherwise. The sum starts at v0, not at 0.0, which would turn a
 * -0.0 into +0.0.
 */
final class RankOrderMean {

    /** Elements summed at once: the double accumulator stays in cache. */
    private static final int BLOCK = 1 << 12;

    private RankOrderMean() {
    }

    /** {@code byRank[r]} is rank r's chunk; all have the same length. */
    static float[] of(float[][] byRank) {
        float[] out = new float[byRank[0].length];
        of(byRank, out);
        return out;
    }

    /** As {@link #of(float[][])}, into {@code out} (of the chunks' length). */
    static void of(float[][] byRank, float[] out) {
        of(byRank, 0, byRank[0].length, out, 0);
    }

    /**
     * Elements [from, to) of each rank's vector, their mean into {@code out[outFrom...]}: a chunk
     * of the ranks' whole vectors in place (shared memory), or whole chunks (received over TCP).
     */
    static void of(float[][] vectors, int from, int to, float[] out, int outFrom) {
        int size = vectors.length;
        boolean pow2 = Integer.bitCount(size) == 1;
        double scale = 1.0 / size;
        double[] sum = new double[Math.max(0, Math.min(to - from, BLOCK))];
        for (int start = from; start < to; start += BLOCK) {
            int n = Math.min(BLOCK, to - start);
            float[] first = vectors[0];
            for (int i = 0; i < n; i++) {
                sum[i] = first[start + i];
            }
            for (int r = 1; r < size; r++) {
                float[] v = vectors[r];
                for (int i = 0; i < n; i++) {
                    sum[i] += v[start + i];
                }
            }
            for (int i = 0; i < n; i++) {
                out[outFrom + start - from + i] = (float) (pow2 ? sum[i] * scale : sum[i] / size);
            }
        }
    }
}
