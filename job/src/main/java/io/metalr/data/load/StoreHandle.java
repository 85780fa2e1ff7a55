package io.metalr.data.load;

import java.io.Serializable;
import java.util.List;

/**
 * A built store as the driver sees it: which store, how many images it holds, its file's size and
 * SHA-256, the executor that holds it (the driver's id in-process), and the records of its part
 * that did not decode (left out of it).
 */
public record StoreHandle(StoreKey key, int count, long bytes, String sha256, String executorId,
        List<BadRecord> bad) implements Serializable {

    public StoreHandle {
        bad = List.copyOf(bad);
    }
}
