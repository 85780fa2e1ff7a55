package io.metalr.spark.mesh;

/**
 * What the training stage's ranks compute together. Every call is a collective: all ranks make
 * the same calls in the same order, and every rank gets the same bits. Two transports: TCP links
 * between the ranks ({@link PeerMesh}), or, when every rank runs in one JVM (a local master, or an
 * executor running all shards), that JVM's memory ({@link SharedMesh}); both compute with
 * {@link RankOrderMean}'s arithmetic, so a run does not depend on which one it used.
 */
public interface Collectives extends AutoCloseable {

    /** This rank's share of a mean: elements [from, to) of the vector, {@code mean[i - from]}. */
    record Chunk(int from, int to, float[] mean) {}

    int rank();

    int size();

    /** Rank 0's frame on every rank (argument ignored elsewhere; may be null there). */
    byte[] broadcast(byte[] fromRank0);

    /** Every rank's frame on rank 0, index = rank; null on other ranks. */
    byte[][] gather(byte[] mine);

    /** The element-wise mean over ranks of each rank's {@code v}, written over {@code v}. */
    void allMeanInPlace(float[] v);

    /** This rank's chunk of the mean; its array is the transport's own, valid until its next call. */
    Chunk reduceScatterMean(float[] mine);

    /** Element-wise sum over ranks in rank order, in double (few numbers). */
    double[] allSum(double[] mine);

    /** Bytes this rank sent to its peers (0 through memory). */
    long bytesSent();

    long bytesReceived();

    @Override
    void close();
}
