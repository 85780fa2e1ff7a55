package io.metalr.spark.mesh;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Length-prefixed frames over one TCP connection (used for the driver link too): a 4-byte
 * big-endian length, then the payload. Sends hold one lock and receives another, so one thread
 * may send while another receives (the mesh's senders and its calling thread).
 *
 * <p>Floats go as one frame of little-endian bytes, converted in {@link #PIECE}-sized runs through
 * a reusable buffer: the JIT turns a bulk {@code FloatBuffer} copy into a memory copy, where a
 * per-float {@code writeFloat} would cost a call per element (12M per ResNet-18 gradient).
 */
public final class Link implements AutoCloseable {

    /** The conversion buffer: big enough for few system calls, small enough to keep per link. */
    static final int PIECE = 1 << 20;

    private static final int HEADER = 4;
    private static final int SOCKET_BUFFER = 1 << 16;

    private final Socket socket;
    private final String peer;
    private final InputStream in;
    private final OutputStream out;
    private final Cancel cancel;
    private final Object sendLock = new Object();
    private final Object receiveLock = new Object();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private byte[] sendPiece;
    private byte[] receivePiece;

    private Link(Socket socket, Cancel cancel) throws IOException {
        this.socket = socket;
        this.peer = String.valueOf(socket.getRemoteSocketAddress());
        this.cancel = cancel;
        socket.setTcpNoDelay(true); // a small frame (a header, a few sums) must not wait for an ACK
        socket.setSoTimeout(Patience.POLL_MS); // reads wake up to look at the cancel flag
        this.in = new BufferedInputStream(socket.getInputStream(), SOCKET_BUFFER);
        this.out = new BufferedOutputStream(socket.getOutputStream(), SOCKET_BUFFER);
    }

    /** Dials {@code host:port}, retrying while nobody listens yet, until {@code timeoutMs}. */
    public static Link connect(String host, int port, Cancel cancel, long timeoutMs) {
        Patience patience = new Patience(cancel, timeoutMs, "a connection to " + host + ":" + port);
        while (true) {
            patience.check();
            Socket s = new Socket();
            try {
                int wait = (int) Math.max(1, Math.min(Patience.POLL_MS * 5L, patience.remainingMs()));
                s.connect(new InetSocketAddress(host, port), wait);
                return new Link(s, cancel);
            } catch (ConnectException | SocketTimeoutException e) {
                closeQuietly(s); // not listening yet (or the SYN was lost): try again
                sleep(100);
            } catch (IOException e) {
                closeQuietly(s);
                throw new MeshException("cannot connect to " + host + ":" + port + ": " + e, e);
            }
        }
    }

    /** Accepts one connection on {@code server}, until {@code timeoutMs}. */
    public static Link accept(ServerSocket server, Cancel cancel, long timeoutMs) {
        Patience patience = new Patience(cancel, timeoutMs, "a connection on port " + server.getLocalPort());
        try {
            server.setSoTimeout(Patience.POLL_MS);
            while (true) {
                patience.check();
                Socket s;
                try {
                    s = server.accept();
                } catch (SocketTimeoutException e) {
                    continue; // nobody yet: look at the cancel flag and the clock again
                }
                try {
                    return new Link(s, cancel);
                } catch (IOException e) {
                    closeQuietly(s);
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new MeshException("cannot accept on port " + server.getLocalPort() + ": " + e, e);
        }
    }

    /** Sends one frame. */
    public void send(byte[] frame) {
        synchronized (sendLock) {
            try {
                writeHeader(frame.length);
                out.write(frame);
                out.flush();
            } catch (IOException e) {
                throw failed("send to", e);
            }
            sent.addAndGet(HEADER + frame.length);
        }
    }

    /** Blocks for one frame, however long; only cancel or the peer's end stop it. */
    public byte[] receive() {
        return receive(Long.MAX_VALUE);
    }

    /** One frame; MeshException when no byte came for {@code timeoutMs}. */
    public byte[] receive(long timeoutMs) {
        return receive(timeoutMs, Integer.MAX_VALUE);
    }

    /** One frame of at most {@code maxLength} bytes, so a stranger's bytes cannot make us allocate GBs. */
    byte[] receive(long timeoutMs, int maxLength) {
        synchronized (receiveLock) {
            Patience patience = patience(timeoutMs);
            int length = readHeader(patience);
            if (length > maxLength) {
                throw new MeshException("a frame of " + length + " bytes from " + peer + ", at most " + maxLength
                        + " expected: not a mesh peer?");
            }
            byte[] frame = new byte[length];
            readFully(frame, 0, length, patience);
            received.addAndGet(HEADER + length);
            return frame;
        }
    }

    /** Sends {@code v[from, from + len)} as one frame of little-endian floats. */
    public void sendFloats(float[] v, int from, int len) {
        synchronized (sendLock) {
            if (sendPiece == null) {
                sendPiece = new byte[PIECE];
            }
            var floats = ByteBuffer.wrap(sendPiece).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            try {
                writeHeader(floatBytes(len));
                for (int done = 0; done < len; ) {
                    int n = Math.min(len - done, PIECE / Float.BYTES);
                    floats.clear();
                    floats.put(v, from + done, n);
                    out.write(sendPiece, 0, n * Float.BYTES);
                    done += n;
                }
                out.flush();
            } catch (IOException e) {
                throw failed("send to", e);
            }
            sent.addAndGet(HEADER + (long) len * Float.BYTES);
        }
    }

    /** Blocks for one frame of exactly {@code len} floats, stored into {@code into[from, from + len)}. */
    public void receiveFloats(float[] into, int from, int len) {
        receiveFloats(into, from, len, Long.MAX_VALUE);
    }

    /** As {@link #receiveFloats(float[], int, int)}, failing when no byte came for {@code timeoutMs}. */
    public void receiveFloats(float[] into, int from, int len, long timeoutMs) {
        synchronized (receiveLock) {
            Patience patience = patience(timeoutMs);
            int length = readHeader(patience);
            if (length != floatBytes(len)) {
                throw new MeshException("expected " + len + " floats from " + peer + ", got a frame of " + length
                        + " bytes");
            }
            if (receivePiece == null) {
                receivePiece = new byte[PIECE];
            }
            var floats = ByteBuffer.wrap(receivePiece).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int done = 0; done < len; ) {
                int n = Math.min(len - done, PIECE / Float.BYTES);
                readFully(receivePiece, 0, n * Float.BYTES, patience);
                floats.clear();
                floats.get(into, from + done, n);
                done += n;
            }
            received.addAndGet(HEADER + (long) length);
        }
    }

    /** Payload and frame headers sent so far. */
    public long bytesSent() {
        return sent.get();
    }

    /** Payload and frame headers received so far. */
    public long bytesReceived() {
        return received.get();
    }

    /** The other end, for messages. */
    String peer() {
        return peer;
    }

    /** Idempotent; unblocks a thread sending or receiving on this link (it gets a MeshException). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeQuietly(socket); // no flush: it could block on a peer that stopped reading
        }
    }

    private Patience patience(long timeoutMs) {
        return new Patience(cancel, timeoutMs, "a frame from " + peer);
    }

    private static int floatBytes(int len) {
        if (len < 0 || len > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("cannot send " + len + " floats in one frame");
        }
        return len * Float.BYTES;
    }

    private void writeHeader(int length) throws IOException {
        out.write(length >>> 24);
        out.write(length >>> 16);
        out.write(length >>> 8);
        out.write(length);
    }

    private int readHeader(Patience patience) {
        byte[] h = new byte[HEADER];
        readFully(h, 0, HEADER, patience);
        int length = (h[0] & 0xff) << 24 | (h[1] & 0xff) << 16 | (h[2] & 0xff) << 8 | (h[3] & 0xff);
        if (length < 0) {
            throw new MeshException("a frame of negative length from " + peer + ": not a mesh peer?");
        }
        return length;
    }

    /**
     * Our own loop rather than DataInputStream.readFully: that one forgets the bytes it already
     * read when a read times out, and a timeout here only means "look at the cancel flag".
     */
    private void readFully(byte[] b, int off, int len, Patience patience) {
        int done = 0;
        while (done < len) {
            patience.check();
            int n;
            try {
                n = in.read(b, off + done, len - done);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                throw failed("receive from", e);
            }
            if (n < 0) {
                throw new MeshException(peer + " closed the connection");
            }
            done += n;
            patience.progressed();
        }
    }

    private MeshException failed(String what, IOException e) {
        return new MeshException((closed.get() ? "link closed: cannot " : "cannot ") + what + " " + peer + ": " + e, e);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing is all we wanted; a second error says nothing new
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // Patience.check sees it and ends the wait
        }
    }
}
