package io.metalr.data.read;

import io.metalr.data.records.RecordImage;
import io.metalr.formats.MalformedFileException;
import io.metalr.formats.NpyArray;
import io.metalr.udf.image.BadRecordException;

import java.io.IOException;
import java.io.Serializable;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.stream.LongStream;

/**
 * The images of a gzipped MedMNIST {@code .npz.gz}: one part, whose task inflates the file as a
 * stream ({@link GzippedNpz}) and holds one {@code *_images} entry at a time (in MedMNIST's order,
 * train, val, test; an entry that comes before its turn is held until then, one no record wants
 * is passed over). Pixels are computed by {@link MedMnistReader}'s own code, so they are bitwise
 * today's; uint8 rows stay 8-bit codes, as in {@link NpzSource}.
 */
final class NpzGzSource extends PartedFileSource<NpzGzSource.Part> {

    private static final long serialVersionUID = 1L;

    /** A split's images: records {@code ridBase} to {@code ridBase + n - 1}. */
    record Split(String split, long ridBase, long n) implements Serializable {}

    /** The whole file: its splits in rid order. */
    record Part(List<Split> splits) implements Serializable {
        Part {
            splits = List.copyOf(splits);
        }
    }

    private final String path;
    private final long maxFileBytes;

    NpzGzSource(String path, String name, long maxFileBytes, List<Part> parts) {
        super(name, "npz.gz " + path + "\nmax_file_bytes " + maxFileBytes, parts);
        this.path = path;
        this.maxFileBytes = maxFileBytes;
    }

    @Override
    String whereIn(Part p, long rid) {
        for (Split s : p.splits()) {
            if (rid >= s.ridBase() && rid < s.ridBase() + s.n()) {
                return id(s, rid);
            }
        }
        return null;
    }

    private String id(Split s, long rid) {
        return name() + ":" + s.split() + "[" + (rid - s.ridBase()) + "]";
    }

    @Override
    public Iterator<RecordImage> read(Part part, LongPredicate wanted) throws IOException {
        Set<String> needed = new HashSet<>();
        for (Split s : part.splits()) {
            if (LongStream.range(s.ridBase(), s.ridBase() + s.n()).anyMatch(wanted)) {
                needed.add(s.split() + "_images");
            }
        }
        if (needed.isEmpty()) {
            return Collections.emptyIterator();
        }
        GzippedNpz in = GzippedNpz.open(path, maxFileBytes, DataPaths.configuration());
        Set<String> unmet = new HashSet<>(needed);
        Map<String, NpyArray> early = new HashMap<>();
        return new Iterator<RecordImage>() {
            int k = -1;
            Iterator<RecordImage> rows = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!rows.hasNext() && k + 1 < part.splits().size()) {
                    Split s = part.splits().get(++k);
                    if (needed.contains(s.split() + "_images")) {
                        rows = rows(s, images(in, s.split() + "_images", unmet, early), wanted);
                    }
                }
                return rows.hasNext();
            }

            @Override
            public RecordImage next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return rows.next();
            }
        };
    }

    /**
     * Entry {@code key}: held from earlier, else read on along the stream (holding the
     * {@code unmet} entries met on the way); the stream is closed once none is unmet.
     */
    private NpyArray images(GzippedNpz in, String key, Set<String> unmet, Map<String, NpyArray> early) {
        try {
            NpyArray a = early.remove(key);
            while (a == null) {
                String k = in.next();
                if (k == null) {
                    throw new BadRecordException(name() + ": has no " + key + " now; it had when its records were read");
                }
                if (unmet.contains(k)) {
                    NpyArray got = in.array();
                    if (k.equals(key)) {
                        a = got;
                    } else {
                        early.put(k, got);
                    }
                    unmet.remove(k);
                }
            }
            if (unmet.isEmpty()) {
                in.close();
            }
            return a;
        } catch (MalformedFileException e) {
            throw new BadRecordException(e.getMessage(), e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(name() + ": " + e.getMessage(), e);
        }
    }

    /** The wanted rows of a split's images, each made when asked for. */
    private Iterator<RecordImage> rows(Split s, NpyArray images, LongPredicate wanted) {
        long[] shape = images.shape();
        if (shape[0] != s.n()) {
            throw new BadRecordException(name() + " key " + s.split() + "_images: now holds " + shape[0]
                    + " images, it held " + s.n() + " when its records were read");
        }
        int c = shape.length == 4 ? (int) shape[3] : 1;
        int h = (int) shape[1];
        int w = (int) shape[2];
        float scale = MedMnistReader.pixelScale(images);
        long[] rids = LongStream.range(s.ridBase(), s.ridBase() + s.n()).toArray();
        return fetched(rids, wanted, i -> {
            String id = id(s, rids[i]);
            try {
                return RecordImage.of(rids[i], id, MedMnistReader.raw(images, i, c, h, w, c * h * w, scale, id));
            } catch (BadRecordException e) {
                return RecordImage.bad(rids[i], id, e.getMessage());
            }
        });
    }
}
