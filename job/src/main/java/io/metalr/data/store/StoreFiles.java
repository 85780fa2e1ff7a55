package io.metalr.data.store;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Store files this JVM must remove: when their store is closed, when it becomes unreachable
 * (an {@code ImageSet} nobody closes), and at the latest when the JVM exits. A mapped file can be
 * unlinked while mapped (its pages live until the mapping goes), so removing early is safe.
 */
final class StoreFiles {

    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    private static final Cleaner CLEANER = Cleaner.create();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(StoreFiles::delete), "metalr-store-files"));
    }

    private StoreFiles() {}

    /** Removes {@code file} at JVM exit unless it was removed before. */
    static void removeAtExit(Path file) {
        LIVE.add(file);
    }

    /** Removes {@code file} once {@code owner} is unreachable; the returned action removes it now. */
    static Cleaner.Cleanable removeWhenUnreachable(Object owner, Path file) {
        removeAtExit(file);
        return CLEANER.register(owner, () -> delete(file));
    }

    static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // best effort: a leftover temp file is not worth failing a run for
        }
        LIVE.remove(file);
    }

    /** Files still to remove (tests). */
    static boolean isLive(Path file) {
        return LIVE.contains(file);
    }
}
