package io.metalr.bench;

import com.sun.management.GarbageCollectionNotificationInfo;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The peak heap this JVM used: the larger of (a) the heap just before each collection (the sum of
 * the heap pools' usage before GC, from the collectors' notifications) and (b) the heap in use
 * sampled every 50 ms. Between collections the heap only grows, so (a) catches the peaks a sampler
 * misses, and (b) covers a run that ends before any collection. Summing each pool's own peak
 * would overstate it (the pools peak at different moments), so that is not used.
 */
public final class HeapProbe implements AutoCloseable {

    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong collections = new AtomicLong();
    private final List<Runnable> undo = new ArrayList<>();
    private final Thread sampler;
    private volatile boolean stopped;

    private HeapProbe() {
        NotificationListener listener = this::onGc;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
                undo.add(() -> {
                    try {
                        e.removeNotificationListener(listener);
                    } catch (javax.management.ListenerNotFoundException ignored) {
                        // gone already
                    }
                });
            }
        }
        sampler = new Thread(() -> {
            while (!stopped) {
                sample();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-probe");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Starts probing now. */
    public static HeapProbe start() {
        return new HeapProbe();
    }

    private void sample() {
        peak.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
    }

    private void onGc(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long before = 0;
        for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageBeforeGc().entrySet()) {
            if (isHeap(pool.getKey())) {
                before += pool.getValue().getUsed();
            }
        }
        collections.incrementAndGet();
        long b = before;
        peak.accumulateAndGet(b, Math::max);
    }

    /** Heap pools by name (the non-heap ones: Metaspace, Compressed Class Space, CodeHeap ...). */
    private static boolean isHeap(String pool) {
        for (var p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().equals(pool)) {
                return p.getType() == java.lang.management.MemoryType.HEAP;
            }
        }
        return false;
    }

    /** The peak so far, in bytes. */
    public long peakBytes() {
        sample();
        return peak.get();
    }

    /** Collections seen so far. */
    public long collections() {
        return collections.get();
    }

    @Override
    public void close() {
        stopped = true;
        sampler.interrupt();
        undo.forEach(Runnable::run);
    }
}
