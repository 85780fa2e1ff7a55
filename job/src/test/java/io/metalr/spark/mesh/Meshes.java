package io.metalr.spark.mesh;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/** Ranks as threads of one JVM, each with its own mesh over loopback: what a barrier stage's tasks do. */
final class Meshes implements AutoCloseable {

    final List<PeerMesh> ranks;
    private final ExecutorService threads;

    private Meshes(List<PeerMesh> ranks, ExecutorService threads) {
        this.ranks = ranks;
        this.threads = threads;
    }

    /** {@code cancels[r]} for rank r, or Cancel.NEVER for all when none are given. */
    static Meshes join(int size, long stallMs, Cancel... cancels) {
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "rank");
            t.setDaemon(true); // a hung rank must not keep surefire's JVM alive
            return t;
        });
        List<MeshListener> listeners = new ArrayList<>();
        List<InetSocketAddress> all = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            listeners.add(MeshListener.open("127.0.0.1"));
            all.add(new InetSocketAddress("127.0.0.1", listeners.get(r).port()));
        }
        List<Future<PeerMesh>> joins = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            int rank = r;
            Cancel cancel = cancels.length == 0 ? Cancel.NEVER : cancels[r];
            joins.add(threads.submit(() -> listeners.get(rank).join(rank, all, cancel, 10_000, stallMs)));
        }
        List<PeerMesh> ranks = new ArrayList<>();
        try {
            for (Future<PeerMesh> f : joins) {
                ranks.add(f.get(20, TimeUnit.SECONDS));
            }
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("join failed", e);
        } finally {
            listeners.forEach(MeshListener::close);
        }
        return new Meshes(ranks, threads);
    }

    /** Starts {@code body(rank, mesh)} on every rank at once. */
    <T> List<Future<T>> start(BiFunction<Integer, PeerMesh, T> body) {
        List<Future<T>> out = new ArrayList<>();
        for (int r = 0; r < ranks.size(); r++) {
            int rank = r;
            out.add(threads.submit(() -> body.apply(rank, ranks.get(rank))));
        }
        return out;
    }

    /** Every rank's result; a rank still running after {@code seconds} is a hang, and fails the test. */
    <T> List<T> run(int seconds, BiFunction<Integer, PeerMesh, T> body) {
        List<Future<T>> fs = start(body);
        List<T> out = new ArrayList<>();
        for (int r = 0; r < fs.size(); r++) {
            out.add(get(fs.get(r), seconds, "rank " + r));
        }
        return out;
    }

    /** The exception the call threw, or a failure if it returned or hung past {@code seconds}. */
    static Throwable failure(Future<?> f, int seconds, String who) {
        try {
            f.get(seconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            fail(who + " still blocked after " + seconds + " s");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return fail(who + " returned normally");
    }

    static <T> T get(Future<T> f, int seconds, String who) {
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(who + " failed", e.getCause());
        } catch (TimeoutException e) {
            return fail(who + " still blocked after " + seconds + " s: a deadlock?");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        ranks.forEach(PeerMesh::close);
        threads.shutdownNow();
    }
}
