package io.metalr.spark.mesh;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * This rank's listening socket, opened before addresses are exchanged (through Spark's
 * allGather): since every listener is bound before anyone dials, a dial succeeds through the
 * backlog even before its peer calls accept, and dialing all then accepting all cannot deadlock.
 */
public final class MeshListener implements AutoCloseable {

    private static final int HELLO_BYTES = 16;
    private static final int BACKLOG = 128;

    private final ServerSocket server;

    private MeshListener(ServerSocket server) {
        this.server = server;
    }

    /** Listens on an ephemeral port of {@code bindHost}. */
    public static MeshListener open(String bindHost) {
        try {
            ServerSocket s = new ServerSocket();
            try {
                s.bind(new InetSocketAddress(bindHost, 0), BACKLOG);
            } catch (IOException e) {
                s.close();
                throw e;
            }
            return new MeshListener(s);
        } catch (IOException e) {
            throw new MeshException("cannot listen on " + bindHost + ": " + e, e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /**
     * Connects every pair once (rank i dials every rank j &lt; i, accepts from every j &gt; i; a hello
     * frame names the dialer's rank); all links TCP_NODELAY. {@code timeoutMs} bounds the whole
     * join and, after it, every wait for a peer inside a collective.
     */
    public PeerMesh join(int rank, List<InetSocketAddress> all, Cancel cancel, long timeoutMs) {
        return join(rank, all, cancel, timeoutMs, timeoutMs);
    }

    /**
     * As {@link #join(int, List, Cancel, long)}, with {@code stallMs} bounding each wait for a
     * peer in a collective. It must exceed the longest time one rank may spend computing while
     * the others already wait for it: a rank that stops answering is known dead only after it.
     */
    public PeerMesh join(int rank, List<InetSocketAddress> all, Cancel cancel, long timeoutMs, long stallMs) {
        return join(rank, all, 0, cancel, timeoutMs, stallMs);
    }

    /**
     * As {@link #join(int, List, Cancel, long, long)}, every hello carrying {@code secret}: only
     * the ranks given it (through Spark's task closure) join, not whoever reaches the port first.
     */
    public PeerMesh join(int rank, List<InetSocketAddress> all, long secret, Cancel cancel, long timeoutMs, long stallMs) {
        int size = all.size();
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " outside a mesh of " + size);
        }
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        Link[] links = new Link[size];
        try {
            for (int j = 0; j < rank; j++) {
                InetSocketAddress a = all.get(j);
                links[j] = Link.connect(a.getHostString(), a.getPort(), cancel, remaining(deadline));
                links[j].send(ByteBuffer.allocate(HELLO_BYTES).putInt(rank).putInt(size).putLong(secret).array());
            }
            for (int k = rank + 1; k < size; k++) {
                Link l = Link.accept(server, cancel, remaining(deadline));
                int dialer = hello(l, rank, size, secret, remaining(deadline));
                if (links[dialer] != null) {
                    l.close();
                    throw new MeshException("rank " + rank + ": rank " + dialer + " dialed twice");
                }
                links[dialer] = l;
            }
            return new PeerMesh(rank, links, cancel, stallMs);
        } catch (RuntimeException e) {
            for (Link l : links) {
                if (l != null) {
                    l.close();
                }
            }
            throw e;
        }
    }

    /** Stops listening; the links already made stay open. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }

    /** The dialer's rank from its hello, checked: a stranger on our port must not join the mesh. */
    private static int hello(Link l, int rank, int size, long secret, long timeoutMs) {
        try {
            ByteBuffer h = ByteBuffer.wrap(l.receive(timeoutMs, HELLO_BYTES));
            if (h.remaining() != HELLO_BYTES) {
                throw new MeshException("rank " + rank + ": a short hello from " + l.peer());
            }
            int dialer = h.getInt();
            int theirSize = h.getInt();
            if (h.getLong() != secret) {
                throw new MeshException("rank " + rank + ": a hello without the stage's secret from " + l.peer());
            }
            if (theirSize != size || dialer <= rank || dialer >= size) {
                throw new MeshException("rank " + rank + " of " + size + ": unexpected hello from " + l.peer()
                        + " (rank " + dialer + " of " + theirSize + ")");
            }
            return dialer;
        } catch (RuntimeException e) {
            l.close();
            throw e;
        }
    }

    private static long remaining(long deadline) {
        return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    }
}
