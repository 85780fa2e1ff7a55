package io.metalr.spark.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Frames and floats over one connection, and every way a wait on it ends. */
class LinkTest {

    /** A connected pair: [0] dialed, [1] accepted. */
    private static Link[] pair(Cancel cancel) throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            var accepted = CompletableFuture.supplyAsync(() -> Link.accept(server, cancel, 5_000));
            Link dialed = Link.connect("127.0.0.1", server.getLocalPort(), cancel, 5_000);
            return new Link[] {dialed, accepted.join()};
        }
    }

    @Test
    void framesAndFloatsArriveWholeAndAreCountedWithTheirHeaders() throws IOException {
        Link[] l = pair(Cancel.NEVER);
        try (Link a = l[0]; Link b = l[1]) {
            // more than one conversion piece, from an offset, with bits a float cast could change
            int len = Link.PIECE / 4 + 3;
            float[] v = new float[len + 5];
            for (int i = 0; i < v.length; i++) {
                v[i] = i * 0.37f - 1e6f;
            }
            v[7] = -0.0f;
            v[8] = Float.intBitsToFloat(0x7fc00123); // a NaN with a payload
            v[9] = Float.MIN_VALUE;
            var sending = CompletableFuture.runAsync(() -> {
                a.send(new byte[0]);
                a.send(new byte[] {1, 2, 3});
                a.sendFloats(v, 5, len);
            });
            assertArrayEquals(new byte[0], b.receive());
            assertArrayEquals(new byte[] {1, 2, 3}, b.receive(5_000));
            float[] got = new float[len + 2];
            b.receiveFloats(got, 2, len);
            sending.join();
            for (int i = 0; i < len; i++) {
                assertEquals(Float.floatToRawIntBits(v[5 + i]), Float.floatToRawIntBits(got[2 + i]), "float " + i);
            }
            long expected = 4 + 0 + 4 + 3 + 4 + 4L * len;
            assertEquals(expected, a.bytesSent());
            assertEquals(expected, b.bytesReceived());
            assertEquals(0, a.bytesReceived());
        }
    }

    @Test
    void floatsOfAnotherLengthAreRefused() throws IOException {
        Link[] l = pair(Cancel.NEVER);
        try (Link a = l[0]; Link b = l[1]) {
            a.sendFloats(new float[4], 0, 4);
            MeshException e = assertThrows(MeshException.class, () -> b.receiveFloats(new float[3], 0, 3));
            assertTrue(e.getMessage().contains("expected 3 floats"), e.getMessage());
        }
    }

    @Test
    void aReceiveWithNothingComingTimesOut() throws IOException {
        Link[] l = pair(Cancel.NEVER);
        try (Link a = l[0]; Link b = l[1]) {
            MeshException e = assertThrows(MeshException.class, () -> b.receive(300));
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        }
    }

    @Test
    void aPeerClosingEndsAReceiveWithAMeshException() throws Exception {
        Link[] l = pair(Cancel.NEVER);
        try (Link b = l[1]) {
            var receiving = CompletableFuture.supplyAsync(() -> assertThrows(MeshException.class, b::receive));
            Thread.sleep(200);
            l[0].close();
            l[0].close(); // idempotent
            MeshException e = receiving.get(5, TimeUnit.SECONDS);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(MeshException.class, () -> l[0].send(new byte[1]));
        }
    }

    @Test
    void aCancelEndsABlockedReceive() throws Exception {
        AtomicBoolean killed = new AtomicBoolean();
        Link[] l = pair(killed::get);
        try (Link a = l[0]; Link b = l[1]) {
            var receiving = CompletableFuture.supplyAsync(() -> assertThrows(MeshException.class, b::receive));
            Thread.sleep(300);
            killed.set(true);
            MeshException e = receiving.get(2, TimeUnit.SECONDS);
            assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        }
    }

    @Test
    void connectRetriesUntilTheListenerIsUp() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort(); // free now; nobody listens on it for the next 600 ms
        }
        var accepting = CompletableFuture.supplyAsync(() -> {
            try (ServerSocket late = new ServerSocket()) {
                Thread.sleep(600);
                late.bind(new InetSocketAddress("127.0.0.1", port));
                return Link.accept(late, Cancel.NEVER, 5_000);
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        try (Link a = Link.connect("127.0.0.1", port, Cancel.NEVER, 5_000); Link b = accepting.get(5, TimeUnit.SECONDS)) {
            a.send(new byte[] {42});
            assertArrayEquals(new byte[] {42}, b.receive(5_000));
        }
    }

    @Test
    void aStrangerOnTheListenerFailsTheJoinInsteadOfJoiningTheMesh() throws Exception {
        try (MeshListener listener = MeshListener.open("127.0.0.1");
                Socket stranger = new Socket("127.0.0.1", listener.port())) {
            OutputStream out = stranger.getOutputStream();
            out.write("GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            var all = List.of(new InetSocketAddress("127.0.0.1", listener.port()), new InetSocketAddress("127.0.0.1", 1));
            MeshException e = assertThrows(MeshException.class, () -> listener.join(0, all, Cancel.NEVER, 5_000));
            assertTrue(e.getMessage().contains("not a mesh peer"), e.getMessage());
        }
    }

    /** A dialer that names itself rank 1 of 2 but lacks the stage's secret is refused, not joined. */
    @Test
    void aDialerWithoutTheSecretFailsTheJoin() throws Exception {
        try (MeshListener zero = MeshListener.open("127.0.0.1"); MeshListener one = MeshListener.open("127.0.0.1")) {
            var all = List.of(new InetSocketAddress("127.0.0.1", zero.port()), new InetSocketAddress("127.0.0.1", one.port()));
            java.util.concurrent.ExecutorService t = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                var dialer = t.submit(() -> one.join(1, all, 7L, Cancel.NEVER, 5_000, 5_000));
                MeshException e = assertThrows(MeshException.class, () -> zero.join(0, all, 8L, Cancel.NEVER, 5_000, 5_000));
                assertTrue(e.getMessage().contains("secret"), e.getMessage());
                dialer.get(10, TimeUnit.SECONDS).close(); // its side joined: it only finds out at its first call
            } finally {
                t.shutdownNow();
            }
        }
    }
}
