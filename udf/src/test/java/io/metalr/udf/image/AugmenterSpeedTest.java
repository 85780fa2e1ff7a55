package io.metalr.udf.image;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * {@link Augmenter#apply} runs for every training image: checks that it allocates no image-sized
 * buffers and is comfortably fast on one thread, and prints the measured rates.
 */
class AugmenterSpeedTest {

    @Test
    void fastAndAllocationFree() {
        Result small = measure(1, 28, 28);
        Result large = measure(3, 64, 64);
        System.out.printf("Augmenter.apply, one thread: 28x28x1 %.0f images/s (%.1f bytes/call), "
                + "64x64x3 %.0f images/s (%.1f bytes/call)%n",
                small.perSecond, small.bytesPerCall, large.perSecond, large.bytesPerCall);
        // Far below what is measured (see the printout) so a busy CI machine cannot fail it.
        assertTrue(small.perSecond > 5_000, "28x28x1: " + small.perSecond + " images/s");
        assertTrue(large.perSecond > 500, "64x64x3: " + large.perSecond + " images/s");
        // At most the random generator and the Crop record (if escape analysis keeps them),
        // never an image-sized buffer (3 KB for 28x28, 48 KB for 64x64x3).
        assertTrue(small.bytesPerCall < 256, "28x28x1 allocates " + small.bytesPerCall + " bytes per call");
        assertTrue(large.bytesPerCall < 256, "64x64x3 allocates " + large.bytesPerCall + " bytes per call");
    }

    private record Result(double perSecond, double bytesPerCall) {}

    private static Result measure(int c, int h, int w) {
        Augmenter aug = Augmenter.defaults();
        Image in = TestImages.random(c, h, w, 1, 0, 1);
        int n = c * h * w;
        int batch = 64;
        float[] dst = new float[batch * n];
        // warm up until the JIT has compiled the hot loop
        long deadline = System.nanoTime() + 1_000_000_000L;
        int key = 0;
        while (System.nanoTime() < deadline) {
            aug.apply(in.data(), c, h, w, dst, (key % batch) * n, 1, 0, key++);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        int calls = 0;
        long bytes0 = mx.getThreadAllocatedBytes(tid);
        long t0 = System.nanoTime();
        long end = t0 + 1_000_000_000L;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1000; i++) {
                aug.apply(in.data(), c, h, w, dst, (i % batch) * n, 1, 1, calls + i);
            }
            calls += 1000;
        }
        long t1 = System.nanoTime();
        long bytes1 = mx.getThreadAllocatedBytes(tid);
        // -1 when the JVM cannot count allocations: then only the speed is checked
        double perCall = bytes0 < 0 || bytes1 < 0 ? 0 : (bytes1 - bytes0) / (double) calls;
        return new Result(calls / ((t1 - t0) / 1e9), perCall);
    }
}
