package io.metalr.data.read;

import io.metalr.data.records.RecordImage;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.RawImage;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongPredicate;

import org.apache.hadoop.conf.Configuration;

/**
 * Image files (PNG/JPEG) named by a listing or a manifest, one record each: a task reads the files
 * of its part (a chunk of {@link #PART_RECORDS}), sends their bytes on encoded, and the store's
 * builder decodes them with {@link ImageFolderReader}'s checks and messages. A manifest's records
 * are named by their row ({@code m.csv row 7: <the file's message>}), a folder's by their path.
 */
final class ImageFileSource extends PartedFileSource<ImageFileSource.Part> {

    private static final long serialVersionUID = 1L;

    /** Files per task: enough to amortise a task, few enough to spread a folder over the cluster. */
    static final int PART_RECORDS = 512;

    /**
     * Consecutive records: their rids, files, and names (null: named by the file). A volume row of
     * a manifest is a part of its own: the slices {@link ManifestReader#slices} keeps, one file and
     * name (the row's) for all.
     */
    record Part(long[] rid, String[] file, String[] where, boolean volume) implements Serializable {}

    private final long maxFileBytes;

    ImageFileSource(String name, String identity, long maxFileBytes, List<Part> parts) {
        super(name, identity + "\nmax_file_bytes " + maxFileBytes, parts);
        this.maxFileBytes = maxFileBytes;
    }

    @Override
    String whereIn(Part p, long rid) {
        int i = Arrays.binarySearch(p.rid(), rid);
        if (i < 0) {
            return null;
        }
        return p.volume() ? p.where()[0] : p.where() == null ? p.file()[i] : p.where()[i];
    }

    @Override
    public Iterator<RecordImage> read(Part part, LongPredicate wanted) throws IOException {
        Configuration conf = DataPaths.configuration();
        if (part.volume()) {
            return volume(part, wanted, conf).iterator();
        }
        return fetched(part.rid(), wanted, i -> fetch(part, i, conf));
    }

    /** The wanted slices of a volume row, as floats (its normalisation needs the whole volume). */
    private List<RecordImage> volume(Part part, LongPredicate wanted, Configuration conf) throws IOException {
        String file = part.file()[0];
        String where = part.where()[0];
        List<RecordImage> out = new ArrayList<>();
        List<Sample> slices;
        try {
            slices = ManifestReader.slices(file, where, 0, null, null, maxFileBytes, conf);
            if (slices.size() != part.rid().length) {
                throw new BadRecordException(where + ": " + file + " now has " + slices.size()
                        + " slices with foreground, it had " + part.rid().length + " when the manifest was read");
            }
        } catch (BadRecordException e) {
            for (long rid : part.rid()) {
                if (wanted.test(rid)) {
                    out.add(RecordImage.bad(rid, where, e.getMessage()));
                }
            }
            return out;
        }
        for (int k = 0; k < slices.size(); k++) {
            if (wanted.test(part.rid()[k])) {
                out.add(RecordImage.of(part.rid()[k], slices.get(k).id(), slices.get(k).raw()));
            }
        }
        return out;
    }

    private RecordImage fetch(Part part, int i, Configuration conf) {
        long rid = part.rid()[i];
        String file = part.file()[i];
        String where = part.where() == null ? file : part.where()[i];
        try {
            return RecordImage.encoded(rid, where, file, ImageFolderReader.readBytes(file, maxFileBytes, conf));
        } catch (BadRecordException e) {
            return RecordImage.bad(rid, where, named(where, file, e).getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public RawImage decode(RecordImage r, long maxPixels) {
        if (r.bad() != null || r.depth() != null) {
            return super.decode(r, maxPixels);
        }
        try {
            return ImageFolderReader.decode(r.encoded(), r.file(), maxPixels);
        } catch (BadRecordException e) {
            throw named(r.where(), r.file(), e);
        }
    }

    /** A file's message, under the manifest row's name when the record has one. */
    private static BadRecordException named(String where, String file, BadRecordException e) {
        return where.equals(file) ? e : new BadRecordException(where + ": " + e.getMessage(), e);
    }

    /** Cuts records into parts of {@link #PART_RECORDS}. */
    static final class Parts {
        private final List<Part> done = new ArrayList<>();
        private final List<Long> rid = new ArrayList<>();
        private final List<String> file = new ArrayList<>();
        private final List<String> where = new ArrayList<>();
        private final boolean named;

        Parts(boolean named) {
            this.named = named;
        }

        void add(long r, String f, String w) {
            rid.add(r);
            file.add(f);
            where.add(w);
            if (rid.size() == PART_RECORDS) {
                cut();
            }
        }

        /** Ends the current part (a volume row's part goes between two). */
        void cut() {
            if (!rid.isEmpty()) {
                done.add(new Part(rid.stream().mapToLong(Long::longValue).toArray(), file.toArray(new String[0]),
                        named ? where.toArray(new String[0]) : null, false));
                rid.clear();
                file.clear();
                where.clear();
            }
        }

        /** A volume row's slices: a part of their own. */
        void volume(long[] rids, String f, String w) {
            cut();
            if (rids.length > 0) {
                done.add(new Part(rids, new String[] {f}, new String[] {w}, true));
            }
        }

        List<Part> finish() {
            cut();
            return done;
        }
    }
}
