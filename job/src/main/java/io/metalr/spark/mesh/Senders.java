package io.metalr.spark.mesh;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * One sending thread per peer, so that the calling thread is free to receive. In a collective
 * every rank sends to every other at once; a rank that first sent everything and only then read
 * would block as soon as the socket buffers filled (a few MB against 47 MB per gradient), and
 * so would its peers: a deadlock. One thread per peer also keeps each link's frames in order.
 */
final class Senders implements AutoCloseable {

    private final ExecutorService[] perPeer;
    private final List<Future<?>> pending = new ArrayList<>();

    Senders(int rank, int size) {
        perPeer = new ExecutorService[size];
        for (int p = 0; p < size; p++) {
            if (p != rank) {
                String name = "mesh-send-" + rank + "-to-" + p;
                perPeer[p] = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true); // a mesh left open must not keep an executor JVM alive
                    return t;
                });
            }
        }
    }

    /** Queues {@code send} behind the frames already queued for {@code peer}. */
    void submit(int peer, Runnable send) {
        pending.add(perPeer[peer].submit(send));
    }

    /**
     * Waits until every queued send is done, so the caller may reuse the arrays they read. A send
     * blocked on a peer that stopped reading makes no {@code progress}: the patience runs out.
     */
    void await(Patience patience, LongSupplier progress) {
        long seen = progress.getAsLong();
        try {
            for (Future<?> f : pending) {
                while (true) {
                    patience.check();
                    try {
                        f.get(Patience.POLL_MS, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        long now = progress.getAsLong();
                        if (now != seen) {
                            seen = now;
                            patience.progressed();
                        }
                    } catch (ExecutionException e) {
                        Throwable cause = e.getCause();
                        throw cause instanceof MeshException m ? m : new MeshException("send failed: " + cause, cause);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt(); // patience.check ends the wait
                    }
                }
            }
        } finally {
            pending.clear();
        }
    }

    /** Stops the threads; a send still blocked ends when the caller closes its link. */
    @Override
    public void close() {
        for (ExecutorService e : perPeer) {
            if (e != null) {
                e.shutdownNow();
            }
        }
        pending.clear();
    }
}
