package io.metalr.data.records;

import java.io.IOException;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * A record source read a part at a time: a part is what one task reads (a chunk of a file list, a
 * row range of an array, one volume), and its records come in ascending rid, parts in ascending
 * rid too, so reading the parts in order gives every record in rid order. The parts are the
 * driver's; the source an executor gets leaves them out (each task gets its own part).
 *
 * @param <P> what names a part (serializable: it travels to a task)
 */
public interface PartedSource<P extends Serializable> extends RecordSource {

    /** The parts, in ascending rid order. */
    List<P> parts();

    /**
     * The records of {@code part} that {@code wanted} accepts, in ascending rid. A record that
     * cannot be read comes as {@link RecordImage#bad}; an I/O failure that is no fault of the
     * data (an unreachable file system) throws.
     */
    Iterator<RecordImage> read(P part, LongPredicate wanted) throws IOException;
}
