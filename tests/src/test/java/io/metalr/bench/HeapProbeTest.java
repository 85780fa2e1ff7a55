package io.metalr.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The heap probe sees a peak that was freed before it was asked. */
class HeapProbeTest {

    static volatile byte[] sink;

    @Test
    void seesAFreedPeak() throws Exception {
        System.gc();
        long base = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        try (HeapProbe probe = HeapProbe.start()) {
            sink = new byte[96 << 20];
            Thread.sleep(150); // the sampler's turn
            sink = null;
            System.gc();
            Thread.sleep(100);
            long peak = probe.peakBytes();
            long now = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            assertTrue(peak >= (96L << 20), "peak " + peak + " under the 96 MB array (base " + base + ")");
            assertTrue(now < peak - (64L << 20), "the array was freed: now " + now + ", peak " + peak);
        }
    }
}
