package io.metalr.data.read;

import io.metalr.data.records.RecordImage;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.RawImage;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.stream.LongStream;

import org.apache.hadoop.conf.Configuration;

/**
 * The patches of T1 volumes cut on an atlas ({@link NiftiPatches}), one part per volume: a task
 * reads the T1 and the atlas again (the scaling needs the whole T1's range, so a volume cannot be
 * split) and yields the wanted patches as floats, bitwise {@link NiftiReader#read}'s.
 */
final class NiftiSource extends PartedFileSource<NiftiSource.Part> {

    private static final long serialVersionUID = 1L;

    /**
     * One T1 volume: its patches are records {@code ridBase + i}, {@code ids[i]} the i-th patch's id
     * (bad ones included, so a task can tell the volume still cuts as it did).
     */
    record Part(String t1Path, long ridBase, String[] ids) implements Serializable {}

    private final NiftiSettings settings;
    private final long maxFileBytes;

    NiftiSource(String name, NiftiSettings settings, long maxFileBytes, List<Part> parts) {
        super(name, identity(parts, settings, maxFileBytes), parts);
        this.settings = settings;
        this.maxFileBytes = maxFileBytes;
    }

    /** Every setting spelled out: a record's toString would print the regions' int[] by address. */
    private static String identity(List<Part> parts, NiftiSettings s, long maxFileBytes) {
        StringBuilder b = new StringBuilder("nifti");
        for (Part p : parts) {
            b.append(' ').append(p.t1Path());
        }
        b.append("\natlas ").append(s.labelPath()).append("\naxis ").append(s.axis()).append(" patch ")
                .append(s.patchSize()).append(" stride ").append(s.stride()).append(" min_labelled ")
                .append(s.minLabelledFraction()).append(" slab ").append(s.slabSlices());
        for (NiftiSettings.Region r : s.regions()) {
            b.append("\nregion ").append(r.name());
            for (int[] range : r.ranges()) {
                b.append(' ').append(range[0]).append('-').append(range[1]);
            }
        }
        return b.append("\nmax_file_bytes ").append(maxFileBytes).toString();
    }

    @Override
    String whereIn(Part p, long rid) {
        return rid >= p.ridBase() && rid < p.ridBase() + p.ids().length ? p.ids()[(int) (rid - p.ridBase())] : null;
    }

    @Override
    public Iterator<RecordImage> read(Part part, LongPredicate wanted) throws IOException {
        long[] rids = LongStream.range(part.ridBase(), part.ridBase() + part.ids().length).toArray();
        NiftiPatches cut;
        try {
            cut = NiftiPatches.read(part.t1Path(), settings, maxFileBytes, DataPaths.configuration());
            if (!cut.ids().equals(List.of(part.ids()))) {
                throw new BadRecordException(DataPaths.name(part.t1Path()) + ": no longer cuts into the patches it"
                        + " gave when its records were read (" + cut.patches().size() + " now, " + part.ids().length
                        + " then): the T1 or " + settings.labelPath() + " changed");
            }
        } catch (BadRecordException e) {
            List<RecordImage> bad = new ArrayList<>();
            for (int i = 0; i < rids.length; i++) {
                if (wanted.test(rids[i])) {
                    bad.add(RecordImage.bad(rids[i], part.ids()[i], e.getMessage()));
                }
            }
            return bad.iterator();
        }
        return fetched(rids, wanted, i -> {
            NiftiPatches.Patch p = cut.patches().get(i);
            try {
                return RecordImage.of(rids[i], part.ids()[i], RawImage.f32(cut.pixels(p), 1, cut.height(), cut.width()));
            } catch (BadRecordException e) {
                return RecordImage.bad(rids[i], part.ids()[i], e.getMessage());
            }
        });
    }

    /**
     * What the driver keeps of a volume's patches: every patch's id; of the good ones (rid = index
     * in {@link #ids}) the label and slab; of the bad ones (a NaN or infinite voxel) the message.
     * About 100 bytes a patch (its id is most of it), no pixel. Serializable: a Spark task computes it.
     */
    record Index(String source, String[] ids, long[] rid, int[] label, String[] slab, List<String> bad)
            implements Serializable {

        static Index of(NiftiPatches cut) {
            List<NiftiPatches.Patch> patches = cut.patches();
            List<String> ids = cut.ids();
            long[] rid = new long[patches.size()];
            int[] label = new int[patches.size()];
            String[] slab = new String[patches.size()];
            List<String> bad = new ArrayList<>();
            Map<String, String> slabs = new HashMap<>(); // one String a slab, sent once
            int n = 0;
            for (int i = 0; i < patches.size(); i++) {
                NiftiPatches.Patch p = patches.get(i);
                try {
                    cut.pixels(p); // only to find a bad voxel, as NiftiReader#read would
                    rid[n] = i;
                    label[n] = p.label();
                    slab[n] = slabs.computeIfAbsent(cut.slab(p), k -> k);
                    n++;
                } catch (BadRecordException e) {
                    bad.add(e.getMessage());
                }
            }
            return new Index(cut.source(), ids.toArray(new String[0]), Arrays.copyOf(rid, n),
                    Arrays.copyOf(label, n), Arrays.copyOf(slab, n), Collections.unmodifiableList(bad));
        }
    }
}
