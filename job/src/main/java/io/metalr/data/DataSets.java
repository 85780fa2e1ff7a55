package io.metalr.data;

import io.metalr.config.JobConfig;
import io.metalr.data.load.InProcessLoader;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.read.Sample;
import io.metalr.data.read.SampleSet;
import io.metalr.data.records.RecordSources;
import io.metalr.data.records.RecordTable;
import io.metalr.data.store.MappedStore;
import io.metalr.data.store.StoreWriter;
import io.metalr.report.RecordNames;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.RawImage;
import io.metalr.udf.image.Preprocessor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured data set, read, preprocessed and split: readers (by {@code data.format}) give
 * samples, the preprocessor brings every image to one size, channel count and normalisation
 * (bad records fail or are skipped and counted), and the data's own split, or a stratified split
 * grouped by patient, makes train / val / test.
 */
public final class DataSets {

    /** Debug only: its lines name records by their paths and patient ids. */
    private static final Logger LOG = LoggerFactory.getLogger(DataSets.class);

    /**
     * The three splits of a run, the class names, how many bad records were skipped, and the
     * preprocessing every image went through (what inference must repeat).
     */
    public record Loaded(ImageSet train, ImageSet val, ImageSet test, List<String> classNames, long skipped,
            String description, Preprocessor preprocessor) {

        public int channels() {
            return train.channels();
        }

        public int numClasses() {
            return train.numClasses();
        }
    }

    private DataSets() {}

    public static Loaded load(JobConfig cfg) {
        String format = cfg.word("data.format");
        if (format.equals("synthetic")) {
            return synthetic(cfg);
        }
        String path = cfg.string("data.path").trim();
        if (path.isEmpty()) {
            throw new IllegalArgumentException("data.path is empty, but data.format = " + format + " reads from it");
        }
        OnBadRecord onBad = OnBadRecord.parse(cfg.string("data.onBadRecord"));
        RecordTable records;
        try {
            // every format is read as records: the driver holds their metadata, never the whole set's samples
            records = RecordSources.of(cfg);
        } catch (IOException e) {
            throw new UncheckedIOException("data.path " + path + ": " + e.getMessage(), e);
        }
        if (records == null) {
            throw new IllegalArgumentException("data.format = '" + format
                    + "' is not one of synthetic, medmnist, idx, folder, manifest, table, nifti");
        }
        return fromRecords(cfg, records, onBad, cfg.dataLimits().maxImagePixels());
    }

    /**
     * What {@link #fromSamples} stores and splits: an image at source depth with today's sample
     * id, label, patient and split, by index in reader order.
     */
    private interface Items {
        int size();

        RawImage raw(int k);

        String id(int k);

        int label(int k);

        String patient(int k);

        String split(int k);
    }

    /**
     * Stores and splits records as {@link #fromSamples} does their samples, bitwise: each record
     * is read and decoded here in rid order (the readers' sample order) into a scratch store (a
     * bad one fails or is skipped, as the reader did, before the split), then the scratch store
     * goes through the same checks, store and split as samples. No list of the set's samples is
     * ever held.
     */
    static Loaded fromRecords(JobConfig cfg, RecordTable rec, OnBadRecord onBad, long maxPixels) {
        int n = rec.size();
        String[] ids = new String[n];
        List<Long> bad = new ArrayList<>();
        int[] labels = rec.labels();
        MappedStore scratch;
        try (StoreWriter out = StoreWriter.createIn(cacheDir(cfg), "metalr-records-")) {
            int[] kept = {0};
            InProcessLoader.eachDecoded(rec, maxPixels, (i, name, img, why) -> {
                if (why != null) {
                    onBad.handle(why);
                    bad.add(rec.rid(i));
                    return;
                }
                out.add(i, labels[i], img);
                ids[kept[0]++] = name;
            });
            scratch = out.finish();
        }
        try (MappedStore s = scratch) {
            // the records whose images decoded, as a distributed run keeps them (ExecutorData)
            RecordTable good = rec.without(bad.stream().mapToLong(Long::longValue).toArray());
            int[] goodLabels = good.labels();
            String[] splits = good.givenSplits();
            String[] patients = good.patients();
            Items items = new Items() {
                public int size() {
                    return s.size();
                }

                public RawImage raw(int k) {
                    return s.raw(k);
                }

                public String id(int k) {
                    return ids[k];
                }

                public int label(int k) {
                    return goodLabels[k];
                }

                public String patient(int k) {
                    return patients[k];
                }

                public String split(int k) {
                    return splits == null ? null : splits[k];
                }
            };
            return store(cfg, rec.name(), items, rec.classNames(), good.skipped(), onBad);
        }
    }

    /**
     * Stores and splits samples from any reader. Every image goes to one store at its source depth
     * (the image decoder's 8- and 16-bit codes; the array readers' floats as F32 for now: they get
     * raw codes in a later package) and is preprocessed per batch. It is also preprocessed once here,
     * so that a bad record fails or is skipped at load with the same message as before.
     */
    public static Loaded fromSamples(JobConfig cfg, SampleSet set, OnBadRecord onBad) {
        if (set.samples().isEmpty()) {
            throw new BadRecordException(set.name() + " holds no usable samples");
        }
        List<Sample> samples = set.samples();
        Items items = new Items() {
            public int size() {
                return samples.size();
            }

            public RawImage raw(int k) {
                return samples.get(k).raw();
            }

            public String id(int k) {
                return samples.get(k).id();
            }

            public int label(int k) {
                return samples.get(k).label();
            }

            public String patient(int k) {
                return samples.get(k).patientId();
            }

            public String split(int k) {
                return samples.get(k).split();
            }
        };
        return store(cfg, set.name(), items, set.classNames(), set.skipped(), onBad);
    }

    private static Loaded store(JobConfig cfg, String setName, Items set, List<String> classNames, long skippedBefore,
            OnBadRecord onBad) {
        int numClasses = classNames.size();
        Preprocessor pre = preprocessor(cfg, () -> typical(set));
        int n = set.size();
        String[] patients = new String[n];
        String[] splits = new String[n];
        List<String> keptIds = new ArrayList<>(n);
        int kept = 0;
        long skipped = skippedBefore;
        boolean fixedSize = cfg.integer("data.image_size") == 0;
        MappedStore store;
        try (StoreWriter out = StoreWriter.createIn(cacheDir(cfg), "metalr-data-")) {
            long rid = 0;
            for (int k = 0; k < n; k++) {
                String id = set.id(k);
                int label = set.label(k);
                try {
                    RawImage img = set.raw(k);
                    if (fixedSize && (img.height() != pre.height() || img.width() != pre.width())) {
                        throw new BadRecordException(id + ": image is " + img.height() + "x" + img.width() + " but the set's images are "
                                + pre.height() + "x" + pre.width() + " (set data.image_size to resize them all)");
                    }
                    if (label < 0 || label >= numClasses) {
                        throw new BadRecordException(id + ": label " + label + " outside 0.." + (numClasses - 1));
                    }
                    pre.apply(img.toImage(), id);
                    out.add(rid, label, img);
                    keptIds.add(id);
                    patients[kept] = set.patient(k);
                    splits[kept] = set.split(k);
                    kept++;
                } catch (BadRecordException e) {
                    onBad.handle(e);
                    skipped++;
                }
                rid++;
            }
            store = out.finish();
        }
        final int count = kept;
        int[] labels = new int[count];
        Arrays.setAll(labels, store::label);
        String[] givenSplits = Arrays.copyOf(splits, count);
        boolean anyGiven = Arrays.stream(givenSplits).anyMatch(x -> x != null);
        Splits.Assignment a = Splits.assign(labels, Arrays.copyOf(patients, count),
                anyGiven ? givenSplits : null, ratios(cfg), cfg.integer("train.seed"));
        int[] all = new int[count];
        Arrays.setAll(all, i -> i);
        ImageSet whole = new ImageSet(setName, store, all, Arrays.copyOf(patients, count), pre, pre.channels(),
                pre.height(), pre.width(), numClasses);
        // the description goes to stdout, summary.json and report.html: records by index or hash, never by id
        RecordNames names = RecordNames.of(cfg);
        String description = setName + ": " + count + " images " + pre.channels() + "x" + pre.height() + "x" + pre.width()
                + ", " + numClasses + " classes " + classNames + (skipped > 0 ? ", " + skipped + " bad records skipped" : "")
                + "\n" + a.describe(classNames, names);
        if (LOG.isDebugEnabled()) {
            for (Splits.Leak l : a.leaks()) {
                LOG.debug("{} is {}; record #{} is {}", names.patient(l.firstSample(), l.patientId()), l.patientId(),
                        l.firstSample(), keptIds.get(l.firstSample()));
            }
        }
        return new Loaded(whole.subset(setName + "/train", a.train()), whole.subset(setName + "/val", a.val()),
                whole.subset(setName + "/test", a.test()), classNames, skipped, description, pre);
    }

    /** Where this JVM's stores go: data.cache.dir, else Spark's local dirs, else java.io.tmpdir. */
    static Path cacheDir(JobConfig cfg) {
        // on an executor (a sweep's trials) that is Spark's local dir, as for the loaders' stores
        return io.metalr.data.load.LocalStores.directory(cfg.string("data.cache.dir"));
    }

    /**
     * The most common image shape (channels, height, width), so an odd image out is the one named
     * in the error; of equally common shapes the one seen first (as ExecutorData picks, by lowest rid).
     */
    private static int[] typical(Items samples) {
        java.util.Map<List<Integer>, Integer> counts = new java.util.LinkedHashMap<>();
        for (int k = 0; k < samples.size(); k++) {
            RawImage i = samples.raw(k);
            counts.merge(List.of(i.channels(), i.height(), i.width()), 1, Integer::sum);
        }
        List<Integer> best = null;
        for (java.util.Map.Entry<List<Integer>, Integer> e : counts.entrySet()) {
            if (best == null || e.getValue() > counts.get(best)) {
                best = e.getKey();
            }
        }
        return best.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The preprocessing of {@code data.image_size}, {@code data.channels}, {@code data.mean} and
     * {@code data.std}, checked; where the size or the channels are 0 the set's most common shape
     * gives them: {@code typical} (channels, height, width), asked only then. One for both the
     * in-process load and a distributed run's ({@code ExecutorData}).
     */
    public static Preprocessor preprocessor(JobConfig cfg, java.util.function.Supplier<int[]> typical) {
        int size = cfg.integer("data.image_size");
        int channels = cfg.integer("data.channels");
        if (size < 0 || !(channels == 0 || channels == 1 || channels == 3)) {
            throw new IllegalArgumentException("data.image_size must be >= 0 and data.channels 0, 1 or 3; got "
                    + size + " and " + channels);
        }
        int[] shape = size == 0 || channels == 0 ? typical.get() : null;
        int c = channels == 0 ? shape[0] : channels;
        int h = size == 0 ? shape[1] : size;
        int w = size == 0 ? shape[2] : size;
        return new Preprocessor(h, w, c, perChannel(cfg, "data.mean", c), perChannel(cfg, "data.std", c));
    }

    private static float[] perChannel(JobConfig cfg, String key, int channels) {
        List<Double> v = cfg.raw().getDoubleList(key);
        if (v.size() != 1 && v.size() != channels) {
            throw new IllegalArgumentException(key + " needs 1 or " + channels + " values, got " + v);
        }
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = v.get(v.size() == 1 ? 0 : c).floatValue();
        }
        if (key.equals("data.std")) {
            for (float s : out) {
                if (!(s > 0)) {
                    throw new IllegalArgumentException("data.std values must be > 0, got " + v);
                }
            }
        }
        return out;
    }

    /** {@code data.split.*}, checked. */
    public static Splits.Ratios ratios(JobConfig cfg) {
        try {
            return new Splits.Ratios(cfg.number("data.split.train"), cfg.number("data.split.val"), cfg.number("data.split.test"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("data.split: " + e.getMessage(), e);
        }
    }

    private static Loaded synthetic(JobConfig cfg) {
        String task = cfg.string("data.synthetic.task");
        int classes = cfg.integer("data.synthetic.classes");
        int size = cfg.integer("data.synthetic.size");
        int channels = cfg.integer("data.synthetic.channels");
        long seed = cfg.integer("data.synthetic.seed");
        ImageSet train = SyntheticImages.generate(task, classes, cfg.integer("data.synthetic.train"), channels, size, seed,
                cacheDir(cfg));
        ImageSet val = SyntheticImages.generate(task, classes, cfg.integer("data.synthetic.val"), channels, size, seed + 1,
                cacheDir(cfg));
        ImageSet test = SyntheticImages.generate(task, classes, cfg.integer("data.synthetic.test"), channels, size, seed + 2,
                cacheDir(cfg));
        List<String> names = new ArrayList<>();
        IntStream.range(0, classes).forEach(i -> names.add(String.valueOf(i)));
        // synthetic pixels are generated already normalised: identity normalisation
        return new Loaded(train, val, test, names, 0, train + "\n" + val + "\n" + test,
                Preprocessor.of(size, size, channels, 0f, 1f));
    }
}
