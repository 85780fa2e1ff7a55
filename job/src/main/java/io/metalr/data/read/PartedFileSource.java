package io.metalr.data.read;

import io.metalr.data.records.PartedSource;
import io.metalr.data.records.RecordImage;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.IntFunction;
import java.util.function.LongPredicate;

/**
 * What every file-backed {@link PartedSource} shares, so that a format's source holds only its own
 * code: the name and identity, the parts (the driver's: an executor's copy has none, each task gets its part),
 * {@link #where} by asking each part, and a lazy walk over a part's wanted records.
 *
 * @param <P> what names a part
 */
abstract class PartedFileSource<P extends Serializable> implements PartedSource<P> {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final String identity;
    /** The driver's; transient, so a task is not sent every part. */
    private final transient List<P> parts;

    /** @param identity what a load of it reads (see {@link #identity()}) */
    PartedFileSource(String name, String identity, List<P> parts) {
        this.name = name;
        this.identity = identity;
        this.parts = List.copyOf(parts);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String identity() {
        return identity;
    }

    @Override
    public final List<P> parts() {
        if (parts == null) {
            throw new IllegalStateException(name + ": the parts of a source are the driver's");
        }
        return parts;
    }

    @Override
    public final String where(long rid) {
        for (P p : parts()) {
            String w = whereIn(p, rid);
            if (w != null) {
                return w;
            }
        }
        return name + " record " + rid;
    }

    /** Where record {@code rid} is, when {@code part} holds it; else null. */
    abstract String whereIn(P part, long rid);

    /**
     * The records {@code rid[i]} that {@code wanted} accepts, each fetched by {@code fetch(i)} only
     * when the consumer asks for it (so a part holds one fetched image at a time).
     */
    static Iterator<RecordImage> fetched(long[] rid, LongPredicate wanted, IntFunction<RecordImage> fetch) {
        return new Iterator<RecordImage>() {
            int i = skip(0);

            int skip(int from) {
                while (from < rid.length && !wanted.test(rid[from])) {
                    from++;
                }
                return from;
            }

            @Override
            public boolean hasNext() {
                return i < rid.length;
            }

            @Override
            public RecordImage next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                RecordImage r = fetch.apply(i);
                i = skip(i + 1);
                return r;
            }
        };
    }
}
