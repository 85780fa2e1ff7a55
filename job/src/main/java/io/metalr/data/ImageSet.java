package io.metalr.data;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.data.store.BatchAssembler;
import io.metalr.data.store.JoinedStore;
import io.metalr.data.store.MappedStore;
import io.metalr.data.store.Store;
import io.metalr.data.store.StoreStream;
import io.metalr.data.store.StoreWriter;
import io.metalr.udf.image.Augmenter;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.Preprocessor;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A labelled image set: {@code n} images that become {@code channels x height x width} model
 * inputs, and their class labels. The pixels are not on the heap: they live in a {@link Store}
 * (a memory-mapped local file, at the source depth), addressed by positions; the set holds only
 * those positions, the patient ids and the preprocessing that turns a stored image into a model
 * input, done per batch ({@link BatchAssembler}). So {@link #subset} and {@link #concat} are views,
 * not copies.
 *
 * <p>Serializable for the transitional paths that still send a set to executors: the images
 * travel one by one and the receiving JVM rebuilds a local store.
 */
public final class ImageSet implements Serializable {

    @Serial
    private static final long serialVersionUID = 2L;

    private final String name;
    /** Not serialized itself: {@link Wire} streams the images of this set's positions. */
    private final transient Store store;
    private final int[] positions;
    private final int channels;
    private final int height;
    private final int width;
    private final int numClasses;
    /** Turns a stored image into a model input; null when the store holds model inputs already. */
    private final transient Preprocessor pre;
    /** The patient (or volume slab) of each image, null entries where unknown; splits and folds group by it. */
    private final String[] patientIds;

    public ImageSet(String name, float[] pixels, int[] labels, int channels, int height, int width, int numClasses) {
        this(name, pixels, labels, new String[labels.length], channels, height, width, numClasses);
    }

    /** A set of ready model inputs, {@code labels.length} images one after the other in {@code pixels}. */
    public ImageSet(String name, float[] pixels, int[] labels, String[] patientIds, int channels, int height, int width,
            int numClasses) {
        this(name, floats(name, pixels, labels, patientIds, channels, height, width, numClasses), identity(labels.length),
                patientIds, null, channels, height, width, numClasses);
    }

    /**
     * The images at {@code positions} of {@code store}.
     *
     * @param pre turns a stored image into a {@code channels x height x width} model input; null
     *     when every stored image is one already
     */
    public ImageSet(String name, Store store, int[] positions, String[] patientIds, Preprocessor pre, int channels,
            int height, int width, int numClasses) {
        if (patientIds.length != positions.length) {
            throw new IllegalArgumentException(name + ": " + patientIds.length + " patient ids for " + positions.length + " images");
        }
        if (pre != null && (pre.channels() != channels || pre.height() != height || pre.width() != width)) {
            throw new IllegalArgumentException(name + ": " + pre + " does not give " + channels + "x" + height + "x" + width);
        }
        for (int i = 0; i < positions.length; i++) {
            int p = positions[i];
            if (store.label(p) < 0 || store.label(p) >= numClasses) {
                throw new IllegalArgumentException(
                        name + ": row " + i + " has label " + store.label(p) + ", outside 0.." + (numClasses - 1));
            }
            if (pre == null && (store.channels(p) != channels || store.height(p) != height || store.width(p) != width)) {
                throw new IllegalArgumentException(name + ": row " + i + " is " + store.channels(p) + "x" + store.height(p)
                        + "x" + store.width(p) + ", not " + channels + "x" + height + "x" + width);
            }
        }
        this.name = name;
        this.store = store;
        this.positions = positions;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.numClasses = numClasses;
        this.pre = pre;
        this.patientIds = patientIds;
    }

    /** Writes ready model inputs to a temporary store, image by image. */
    private static Store floats(String name, float[] pixels, int[] labels, String[] patientIds, int channels,
            int height, int width, int numClasses) {
        long per = (long) channels * height * width;
        if (per * labels.length != pixels.length) {
            throw new IllegalArgumentException(
                    name + ": " + pixels.length + " pixel values for " + labels.length + " images of "
                            + channels + "x" + height + "x" + width);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException(
                        name + ": row " + i + " has label " + labels[i] + ", outside 0.." + (numClasses - 1));
            }
        }
        if (patientIds.length != labels.length) {
            throw new IllegalArgumentException(name + ": " + patientIds.length + " patient ids for " + labels.length + " images");
        }
        try (StoreWriter w = StoreWriter.createIn(null, "metalr-images-")) {
            for (int i = 0; i < labels.length; i++) {
                float[] one = Arrays.copyOfRange(pixels, (int) (i * per), (int) ((i + 1) * per));
                w.add(i, labels[i], new Image(one, channels, height, width));
            }
            return w.finish();
        }
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        Arrays.setAll(p, i -> i);
        return p;
    }

    /** A copy of the patient ids (null entries where unknown). */
    public String[] patientIds() {
        return patientIds.clone();
    }

    public String name() {
        return name;
    }

    public int size() {
        return positions.length;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int numClasses() {
        return numClasses;
    }

    public int label(int i) {
        return store.label(positions[i]);
    }

    public int imageSize() {
        return channels * height * width;
    }

    /** The preprocessing applied per batch; null when the stored images are model inputs already. */
    public Preprocessor preprocessor() {
        return pre;
    }

    /** Images per class. */
    public long[] classCounts() {
        long[] c = new long[numClasses];
        for (int p : positions) {
            c[store.label(p)]++;
        }
        return c;
    }

    /** The images at the given indices, as a new set over the same store. */
    public ImageSet subset(String subsetName, int[] indices) {
        int[] pos = new int[indices.length];
        String[] pid = new String[indices.length];
        for (int k = 0; k < indices.length; k++) {
            pos[k] = positions[indices[k]];
            pid[k] = patientIds[indices[k]];
        }
        return new ImageSet(subsetName, store, pos, pid, pre, channels, height, width, numClasses);
    }

    /** The images of several sets of one shape and preprocessing, in order, over their stores. */
    public static ImageSet concat(String name, ImageSet... sets) {
        ImageSet first = sets[0];
        int per = first.imageSize();
        int n = 0;
        Map<Store, Integer> partOf = new IdentityHashMap<>();
        List<Store> parts = new ArrayList<>();
        for (ImageSet s : sets) {
            if (s.imageSize() != per || s.channels != first.channels || s.numClasses != first.numClasses
                    || !java.util.Objects.equals(s.pre, first.pre)) {
                throw new IllegalArgumentException("cannot join " + s.name + " and " + first.name
                        + ": shapes, classes or preprocessing differ");
            }
            n = Math.addExact(n, s.size());
            if (!partOf.containsKey(s.store)) {
                partOf.put(s.store, parts.size());
                parts.add(s.store);
            }
        }
        JoinedStore joined = parts.size() == 1 ? null : new JoinedStore(parts);
        int[] pos = new int[n];
        String[] pid = new String[n];
        int at = 0;
        for (ImageSet s : sets) {
            int base = joined == null ? 0 : joined.start(partOf.get(s.store));
            for (int k = 0; k < s.size(); k++) {
                pos[at + k] = base + s.positions[k];
            }
            System.arraycopy(s.patientIds, 0, pid, at, s.size());
            at += s.size();
        }
        Store store = joined == null ? first.store : joined;
        return new ImageSet(name, store, pos, pid, first.pre, first.channels, first.height, first.width,
                first.numClasses);
    }

    /**
     * Adds this set's shape, labels and pixels (after preprocessing) to {@code d}: the same images
     * in the same order give the same digest, so a run can tell whether its data changed. Streams
     * image by image; the bytes digested are those of one array of all model inputs.
     */
    public FloatDigest digestInto(FloatDigest d) {
        int[] labels = new int[size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = label(i);
        }
        d.add(channels).add(height).add(width).add(numClasses).add(labels);
        d.add((long) size() * imageSize());
        for (int p : positions) {
            d.addValues(BatchAssembler.input(store, p, pre));
        }
        return d;
    }

    /**
     * A training batch with augmentation: each image is cropped, resized back and maybe flipped as
     * {@code augmenter} draws for (seed, epoch, image index), so a rerun or a retried task sees
     * the same pixels.
     */
    public Batch augmentedBatch(NDManager manager, int[] indices, Augmenter augmenter, long seed, int epoch) {
        return augmentedBatch(manager, indices, indices, augmenter, seed, epoch);
    }

    /**
     * As {@link #augmentedBatch(NDManager, int[], Augmenter, long, int)}, with each image's random
     * draw keyed by {@code sampleKeys} (a shard keys its images by their index in the whole set,
     * so a distributed run augments exactly as a single process does).
     */
    public Batch augmentedBatch(NDManager manager, int[] indices, int[] sampleKeys, Augmenter augmenter, long seed, int epoch) {
        if (indices.length == 0) {
            return empty(manager);
        }
        return BatchAssembler.augmentedBatch(manager, store, positions(indices), sampleKeys, pre, augmenter, seed, epoch);
    }

    /** A batch on the manager's device, from the images at the given indices. */
    public Batch batch(NDManager manager, int[] indices) {
        if (indices.length == 0) {
            return empty(manager);
        }
        return BatchAssembler.batch(manager, store, positions(indices), pre);
    }

    private int[] positions(int[] indices) {
        int[] pos = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            pos[k] = positions[indices[k]];
        }
        return pos;
    }

    private Batch empty(NDManager manager) {
        return new Batch(manager.create(new float[0], new Shape(0, channels, height, width)), manager.create(new long[0]));
    }

    @Override
    public String toString() {
        return name + ": " + size() + " images " + channels + "x" + height + "x" + width
                + ", class counts " + Arrays.toString(classCounts());
    }

    @Serial
    private Object writeReplace() {
        return new Wire(this);
    }

    @Serial
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("an ImageSet travels as its Wire form");
    }

    /**
     * The serialized form: the set's metadata, then its images one at a time at their source depth
     * ({@link StoreStream}); reading it back writes them to a local temporary store.
     */
    private static final class Wire implements Serializable {

        @Serial
        private static final long serialVersionUID = 1L;

        private transient ImageSet set;

        Wire(ImageSet set) {
            this.set = set;
        }

        @Serial
        private void writeObject(ObjectOutputStream out) throws IOException {
            ImageSet s = set;
            out.writeObject(s.name);
            out.writeObject(s.patientIds);
            out.writeInt(s.channels);
            out.writeInt(s.height);
            out.writeInt(s.width);
            out.writeInt(s.numClasses);
            out.writeBoolean(s.pre != null);
            if (s.pre != null) {
                out.writeInt(s.pre.height());
                out.writeInt(s.pre.width());
                out.writeInt(s.pre.channels());
                out.writeObject(s.pre.mean());
                out.writeObject(s.pre.std());
            }
            StoreStream.write(s.store, s.positions, out);
        }

        @Serial
        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            String name = (String) in.readObject();
            String[] patientIds = (String[]) in.readObject();
            int c = in.readInt();
            int h = in.readInt();
            int w = in.readInt();
            int classes = in.readInt();
            Preprocessor pre = null;
            if (in.readBoolean()) {
                int ph = in.readInt();
                int pw = in.readInt();
                int pc = in.readInt();
                pre = new Preprocessor(ph, pw, pc, (float[]) in.readObject(), (float[]) in.readObject());
            }
            // received on an executor: its store goes where the executor's other stores go
            MappedStore store = StoreStream.read(in, io.metalr.data.load.LocalStores.directory(null));
            set = new ImageSet(name, store, identity(store.size()), patientIds, pre, c, h, w, classes);
        }

        @Serial
        private Object readResolve() {
            return set;
        }
    }
}
