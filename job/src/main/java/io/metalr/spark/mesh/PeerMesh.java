package io.metalr.spark.mesh;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The executors' collectives over a full mesh of TCP links, one per pair of ranks. Every call is a
 * collective: all ranks make the same calls in the same order. Each message is a small header
 * frame (which call, how many elements) and then the payload, so a rank that called something
 * else, or brings a vector of another length, fails loudly instead of reading garbage.
 *
 * <p>Any failure (a peer gone, a timeout, cancel) closes the whole mesh: its state is unknown, and
 * closing our ends makes the other ranks fail at once instead of after their timeout.
 */
public final class PeerMesh implements Collectives {

    private enum Op { BROADCAST, GATHER, REDUCE_SCATTER, ALL_GATHER, ALL_SUM }

    private static final int HEADER_BYTES = 5;

    private final int rank;
    private final Link[] links;
    private final Cancel cancel;
    private final long stallMs;
    private final Senders senders;
    private volatile boolean closed;
    /**
     * Reused from call to call: each rank's copy of this rank's chunk, and the chunk's mean. A
     * step reduces the same vector lengths every time; fresh arrays would be tens of MB of garbage
     * per step, and the collector's pauses for them cost more than the transfer.
     */
    private float[][] byRank;
    private float[] chunkMean;

    /** {@code links[rank]} is null; {@code stallMs} bounds every wait for a peer. */
    PeerMesh(int rank, Link[] links, Cancel cancel, long stallMs) {
        this.rank = rank;
        this.links = links;
        this.cancel = cancel;
        this.stallMs = stallMs;
        this.senders = new Senders(rank, links.length);
    }

    public int rank() {
        return rank;
    }

    public int size() {
        return links.length;
    }

    /** Rank 0's frame on every rank (argument ignored elsewhere; may be null there). */
    public byte[] broadcast(byte[] fromRank0) {
        return collective("broadcast", () -> {
            if (rank != 0) {
                expect(0, Op.BROADCAST, -1);
                return links[0].receive(stallMs);
            }
            byte[] frame = Objects.requireNonNull(fromRank0, "rank 0's frame");
            for (int p = 1; p < size(); p++) {
                sendBytes(p, Op.BROADCAST, frame.length, frame);
            }
            awaitSends();
            return frame;
        });
    }

    /** Every rank's frame on rank 0, index = rank; null on other ranks. */
    public byte[][] gather(byte[] mine) {
        return collective("gather", () -> {
            byte[] frame = Objects.requireNonNull(mine, "this rank's frame");
            if (rank != 0) {
                sendBytes(0, Op.GATHER, frame.length, frame);
                awaitSends();
                return null;
            }
            byte[][] all = new byte[size()][];
            all[0] = frame;
            for (int q = 1; q < size(); q++) {
                expect(q, Op.GATHER, -1);
                all[q] = links[q].receive(stallMs);
            }
            return all;
        });
    }

    /**
     * The element-wise mean over ranks, bit-identical on every rank ({@link RankOrderMean}'s
     * arithmetic): a reduce-scatter, where rank c sums chunk c, then an all-gather of the chunks.
     * Each rank sends and receives about 2 n (size - 1) / size floats, whatever the size.
     */
    public float[] allMean(float[] mine) {
        Objects.requireNonNull(mine, "this rank's vector");
        float[] out = mine.clone();
        allMeanInPlace(out);
        return out;
    }

    /** As {@link #allMean}, the mean written over {@code v} itself: no vector-sized allocation. */
    public void allMeanInPlace(float[] v) {
        Objects.requireNonNull(v, "this rank's vector");
        collective("allMean", () -> {
            Chunk own = reduceScatter(v);
            int n = v.length;
            // reduceScatter waited for its sends: v is ours to overwrite
            System.arraycopy(own.mean(), 0, v, own.from(), own.mean().length);
            for (int p = 0; p < size(); p++) {
                if (p != rank) {
                    int peer = p;
                    senders.submit(peer, () -> {
                        links[peer].send(header(Op.ALL_GATHER, n));
                        links[peer].sendFloats(own.mean(), 0, own.mean().length);
                    });
                }
            }
            for (int q = 0; q < size(); q++) {
                if (q != rank) {
                    expect(q, Op.ALL_GATHER, n);
                    links[q].receiveFloats(v, Chunks.start(n, size(), q), Chunks.length(n, size(), q), stallMs);
                }
            }
            awaitSends();
            return null;
        });
    }

    /**
     * Reduce-scatter only: this rank's chunk of the mean, for a caller that needs only a function
     * of the mean per chunk (e.g. squared norms), at half of allMean's traffic. The chunk's array
     * is the mesh's own, valid until its next call.
     */
    public Chunk reduceScatterMean(float[] mine) {
        return collective("reduceScatterMean", () -> reduceScatter(Objects.requireNonNull(mine, "this rank's vector")));
    }

    /** Element-wise sum over ranks in rank order, in double, identical on every rank (few numbers). */
    public double[] allSum(double[] mine) {
        return collective("allSum", () -> {
            Objects.requireNonNull(mine, "this rank's numbers");
            // everyone sends to everyone and sums alike: one round trip instead of gather + broadcast
            byte[] frame = new byte[mine.length * Double.BYTES];
            ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(mine);
            for (int p = 0; p < size(); p++) {
                if (p != rank) {
                    sendBytes(p, Op.ALL_SUM, mine.length, frame);
                }
            }
            double[][] byRank = new double[size()][];
            byRank[rank] = mine;
            for (int q = 0; q < size(); q++) {
                if (q != rank) {
                    expect(q, Op.ALL_SUM, mine.length);
                    byte[] got = links[q].receive(stallMs);
                    byRank[q] = new double[mine.length];
                    ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(byRank[q]);
                }
            }
            awaitSends();
            double[] sum = byRank[0].clone();
            for (int r = 1; r < size(); r++) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += byRank[r][i];
                }
            }
            return sum;
        });
    }

    /** Over all links, cumulative: payload and frame headers. */
    public long bytesSent() {
        return Arrays.stream(links).filter(Objects::nonNull).mapToLong(Link::bytesSent).sum();
    }

    /** Over all links, cumulative: payload and frame headers. */
    public long bytesReceived() {
        return Arrays.stream(links).filter(Objects::nonNull).mapToLong(Link::bytesReceived).sum();
    }

    /** Idempotent: stops the sending threads and closes every link, which the peers see at once. */
    @Override
    public void close() {
        closed = true;
        senders.close();
        for (Link l : links) {
            if (l != null) {
                l.close();
            }
        }
    }

    private Chunk reduceScatter(float[] mine) {
        int n = mine.length;
        int from = Chunks.start(n, size(), rank);
        int to = Chunks.start(n, size(), rank + 1);
        for (int p = 0; p < size(); p++) {
            if (p != rank) {
                int peer = p;
                senders.submit(peer, () -> {
                    links[peer].send(header(Op.REDUCE_SCATTER, n));
                    links[peer].sendFloats(mine, Chunks.start(n, size(), peer), Chunks.length(n, size(), peer));
                });
            }
        }
        int len = to - from;
        if (byRank == null || byRank[rank].length != len) {
            byRank = new float[size()][len];
            chunkMean = new float[len];
        }
        System.arraycopy(mine, from, byRank[rank], 0, len);
        for (int q = 0; q < size(); q++) {
            if (q != rank) {
                expect(q, Op.REDUCE_SCATTER, n);
                links[q].receiveFloats(byRank[q], 0, len, stallMs);
            }
        }
        awaitSends(); // the senders read mine: the caller may change it once we return
        RankOrderMean.of(byRank, chunkMean);
        return new Chunk(from, to, chunkMean);
    }

    private <T> T collective(String call, Supplier<T> body) {
        if (closed) {
            throw new MeshException("rank " + rank + ": the mesh is closed (an earlier failure?), cannot " + call);
        }
        try {
            return body.get();
        } catch (MeshException | Error e) {
            close(); // an OutOfMemoryError too: the peers must not wait for us until their timeout
            throw e;
        } catch (RuntimeException e) {
            close();
            throw new MeshException("rank " + rank + ": " + call + " failed: " + e, e);
        }
    }

    private void sendBytes(int peer, Op op, int count, byte[] payload) {
        senders.submit(peer, () -> {
            links[peer].send(header(op, count));
            links[peer].send(payload);
        });
    }

    private void awaitSends() {
        senders.await(new Patience(cancel, stallMs, "rank " + rank + "'s sends"), this::bytesSent);
    }

    private static byte[] header(Op op, int count) {
        return ByteBuffer.allocate(HEADER_BYTES).put((byte) op.ordinal()).putInt(count).array();
    }

    /** Reads peer q's header; {@code count} -1 accepts any count (a frame's length is its own). */
    private void expect(int q, Op op, int count) {
        ByteBuffer h = ByteBuffer.wrap(links[q].receive(stallMs, HEADER_BYTES));
        int got = h.remaining() == HEADER_BYTES ? h.get() : -1;
        if (got < 0 || got >= Op.values().length) {
            throw new MeshException("rank " + rank + ": a malformed header from rank " + q);
        }
        if (got != op.ordinal()) {
            throw new MeshException("rank " + rank + " called " + op + " while rank " + q + " called "
                    + Op.values()[got] + ": the ranks' calls went out of step");
        }
        int theirs = h.getInt();
        if (count >= 0 && theirs != count) {
            throw new MeshException("rank " + rank + " has " + count + " elements, rank " + q + " has " + theirs
                    + ": every rank must bring a vector of the same length");
        }
    }
}
