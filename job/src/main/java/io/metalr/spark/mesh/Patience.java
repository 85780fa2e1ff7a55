package io.metalr.spark.mesh;

/**
 * How long a blocked call keeps waiting: until {@link Cancel} turns true, the thread is
 * interrupted, or nothing has moved for {@code stallMs}. The clock restarts on progress, so a
 * 47 MB frame over a slow link is fine as long as bytes keep coming.
 */
final class Patience {

    /** How often a blocked read wakes to look at the cancel flag: the ~1 s a killed task may linger. */
    static final int POLL_MS = 200;

    private final Cancel cancel;
    private final long stallMs;
    private final String what;
    private long lastProgress = System.nanoTime();

    Patience(Cancel cancel, long stallMs, String what) {
        this.cancel = cancel;
        this.stallMs = stallMs;
        this.what = what;
    }

    static Patience forever(Cancel cancel, String what) {
        return new Patience(cancel, Long.MAX_VALUE, what);
    }

    void progressed() {
        lastProgress = System.nanoTime();
    }

    /** Throws when the wait must end; call it on every wake-up and every piece of progress. */
    void check() {
        if (cancel.cancelled() || Thread.currentThread().isInterrupted()) {
            throw new MeshException("cancelled while waiting for " + what);
        }
        if (stallMs != Long.MAX_VALUE && (System.nanoTime() - lastProgress) / 1_000_000 >= stallMs) {
            throw new MeshException("timed out after " + stallMs + " ms waiting for " + what);
        }
    }

    /** Milliseconds left before the stall timeout, for a single bounded wait such as connect. */
    long remainingMs() {
        return stallMs == Long.MAX_VALUE ? Long.MAX_VALUE
                : stallMs - (System.nanoTime() - lastProgress) / 1_000_000;
    }
}
