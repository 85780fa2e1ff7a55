package io.metalr.spark.mesh;

import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The collectives of ranks that all run in one JVM (a local master; an executor that runs every
 * shard), through its memory: each rank lays its vector on a shared table, and after a barrier
 * each sums its chunk straight from the others' vectors, as {@link PeerMesh} does after the
 * transfer, then writes it into every rank's vector. No copy through sockets, the same bits.
 *
 * <p>A rank that fails or is cancelled closes the mesh; the others' waits end with a
 * {@link MeshException} at once, as a closed TCP link ends theirs.
 */
public final class SharedMesh implements Collectives {

    /** This JVM, as the ranks tell one another where they run. */
    public static final String JVM = UUID.randomUUID().toString();

    private static final Map<String, Table> TABLES = new ConcurrentHashMap<>();

    /** What the ranks of one mesh share. */
    private static final class Table {
        final Object[] slots;
        final Phaser barrier;
        volatile String brokenBy;
        int joined;

        Table(int size) {
            slots = new Object[size];
            barrier = new Phaser(size);
        }
    }

    private final String key;
    private final Table table;
    private final int rank;
    private final Cancel cancel;
    private float[] chunkMean;
    private boolean closed;

    private SharedMesh(String key, Table table, int rank, Cancel cancel) {
        this.key = key;
        this.table = table;
        this.rank = rank;
        this.cancel = cancel;
    }

    /**
     * Joins the mesh named {@code key} (unique to one stage attempt) as {@code rank} of {@code size},
     * once all ranks have joined or {@code timeoutMs} passed.
     */
    public static SharedMesh join(String key, int rank, int size, Cancel cancel, long timeoutMs) {
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " outside a mesh of " + size);
        }
        Table t = TABLES.computeIfAbsent(key, k -> new Table(size));
        synchronized (t) {
            if (t.slots.length != size) {
                throw new MeshException("rank " + rank + ": mesh " + key + " has " + t.slots.length + " ranks, not " + size);
            }
            if (++t.joined == size) {
                TABLES.remove(key); // every rank holds it now: a later stage attempt gets a table of its own
            }
        }
        SharedMesh m = new SharedMesh(key, t, rank, cancel);
        m.sync(timeoutMs);
        return m;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return table.slots.length;
    }

    @Override
    public byte[] broadcast(byte[] fromRank0) {
        return collective("broadcast", () -> {
            if (rank == 0) {
                table.slots[0] = Objects.requireNonNull(fromRank0, "rank 0's frame");
            }
            sync();
            byte[] out = (byte[]) table.slots[0];
            sync(); // rank 0 may lay the next frame only once everyone has this one
            return out;
        });
    }

    @Override
    public byte[][] gather(byte[] mine) {
        return collective("gather", () -> {
            table.slots[rank] = Objects.requireNonNull(mine, "this rank's frame");
            sync();
            byte[][] all = null;
            if (rank == 0) {
                all = new byte[size()][];
                for (int r = 0; r < size(); r++) {
                    all[r] = (byte[]) table.slots[r];
                }
            }
            sync();
            return all;
        });
    }

    @Override
    public void allMeanInPlace(float[] v) {
        collective("allMean", () -> {
            Chunk own = reduceScatter(v);
            for (Object slot : table.slots) {
                System.arraycopy(own.mean(), 0, (float[]) slot, own.from(), own.mean().length);
            }
            sync(); // every vector holds the whole mean before any rank goes on
            return null;
        });
    }

    @Override
    public Chunk reduceScatterMean(float[] mine) {
        return collective("reduceScatterMean", () -> reduceScatter(mine));
    }

    /** Lays {@code mine} out, and after the others did, averages this rank's chunk of all of them. */
    private Chunk reduceScatter(float[] mine) {
        table.slots[rank] = Objects.requireNonNull(mine, "this rank's vector");
        sync();
        float[][] all = new float[size()][];
        for (int r = 0; r < size(); r++) {
            all[r] = (float[]) table.slots[r];
            if (all[r].length != mine.length) {
                throw new MeshException("rank " + rank + " has " + mine.length + " elements, rank " + r + " has "
                        + all[r].length + ": every rank must bring a vector of the same length");
            }
        }
        int from = Chunks.start(mine.length, size(), rank);
        int to = Chunks.start(mine.length, size(), rank + 1);
        if (chunkMean == null || chunkMean.length != to - from) {
            chunkMean = new float[to - from];
        }
        RankOrderMean.of(all, from, to, chunkMean, 0);
        sync(); // no rank changes its vector while another still reads it
        return new Chunk(from, to, chunkMean);
    }

    @Override
    public double[] allSum(double[] mine) {
        return collective("allSum", () -> {
            table.slots[rank] = Objects.requireNonNull(mine, "this rank's numbers");
            sync();
            double[] sum = ((double[]) table.slots[0]).clone();
            for (int r = 1; r < size(); r++) {
                double[] v = (double[]) table.slots[r];
                if (v.length != sum.length) {
                    throw new MeshException("rank " + rank + ": rank " + r + " brought " + v.length + " numbers, rank 0 "
                            + sum.length);
                }
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += v[i];
                }
            }
            sync();
            return sum;
        });
    }

    @Override
    public long bytesSent() {
        return 0;
    }

    @Override
    public long bytesReceived() {
        return 0;
    }

    /**
     * Ends this rank's part; any other rank's next wait fails at once (the mesh is done for all;
     * one that had already arrived at a barrier everyone passed still gets through it).
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            fail("rank " + rank + " left the mesh");
            TABLES.remove(key, table);
        }
    }

    private <T> T collective(String call, java.util.function.Supplier<T> body) {
        if (closed || table.brokenBy != null) {
            throw new MeshException("rank " + rank + ": the mesh is closed (" + table.brokenBy + "), cannot " + call);
        }
        try {
            return body.get();
        } catch (MeshException | Error e) {
            close();
            throw e;
        } catch (RuntimeException e) {
            close();
            throw new MeshException("rank " + rank + ": " + call + " failed: " + e, e);
        }
    }

    private void sync() {
        sync(Long.MAX_VALUE);
    }

    /** Waits until every rank arrived, looking at the cancel flag and the other ranks' failures. */
    private void sync(long timeoutMs) {
        long deadline = timeoutMs == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutMs * 1_000_000;
        int phase = table.barrier.arrive();
        if (phase < 0) {
            throw new MeshException("rank " + rank + ": " + (table.brokenBy == null ? "the mesh ended" : table.brokenBy));
        }
        while (true) {
            int now = table.barrier.getPhase();
            // a terminated phaser reports its last phase + Integer.MIN_VALUE: everyone may have
            // arrived just before another rank closed the mesh at the end of the stage
            if ((now >= 0 ? now : now - Integer.MIN_VALUE) != phase) {
                return;
            }
            if (now < 0 || table.brokenBy != null) {
                throw new MeshException("rank " + rank + ": " + (table.brokenBy == null ? "the mesh ended" : table.brokenBy));
            }
            if (cancel.cancelled() || Thread.currentThread().isInterrupted()) {
                fail("rank " + rank + " was cancelled");
                throw new MeshException("rank " + rank + ": cancelled while waiting for the other ranks");
            }
            if (System.nanoTime() > deadline) {
                fail("rank " + rank + " timed out waiting for the others");
                throw new MeshException("rank " + rank + ": timed out after " + timeoutMs + " ms waiting for the other ranks");
            }
            try {
                table.barrier.awaitAdvanceInterruptibly(phase, Patience.POLL_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // look at the flags again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Marks the mesh failed and wakes every waiting rank. */
    private void fail(String why) {
        if (table.brokenBy == null) {
            table.brokenBy = why;
        }
        table.barrier.forceTermination();
    }
}
