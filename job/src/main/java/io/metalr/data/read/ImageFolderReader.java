package io.metalr.data.read;

import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.RawImage;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;

/**
 * Images in class folders: {@code root/<class>/*.png|jpg|jpeg}, or with the data's own split,
 * {@code root/{train,val,test}/<class>/...} ({@code valid}/{@code validation} count as val). The
 * split layout is recognised when every folder directly under the root names a split.
 *
 * <p>Class names are the class folders' names, sorted (across all splits); a class's label is its
 * index. Files with other extensions and hidden files are ignored; so are files directly under the
 * root or a split folder. Each image is decoded with {@link ImageDecoder}; a corrupt one is a bad
 * record (its message names the file). With {@code sameShape}, an image whose shape differs from the
 * first good one's is a bad record too. Sample ids are the files' paths; patientId is null.
 */
public final class ImageFolderReader {

    private ImageFolderReader() {}

    public static SampleSet read(String root, OnBadRecord onBad) throws IOException {
        return read(root, onBad, false, DataPaths.configuration());
    }

    /** @param sameShape whether every image must have the first image's shape (channels, height, width) */
    public static SampleSet read(String root, OnBadRecord onBad, boolean sameShape) throws IOException {
        return read(root, onBad, sameShape, DataPaths.configuration());
    }

    public static SampleSet read(String root, OnBadRecord onBad, boolean sameShape, Configuration conf)
            throws IOException {
        return read(root, onBad, sameShape, DataLimits.DEFAULTS, conf);
    }

    /** Reads the folders; an image over {@code limits} (bytes or declared pixels) is a bad record. */
    public static SampleSet read(String root, OnBadRecord onBad, boolean sameShape, DataLimits limits,
            Configuration conf) throws IOException {
        Listing listing = list(root, conf);
        List<Sample> samples = new ArrayList<>();
        long skipped = 0;
        int[] shape = null;
        String shapeFrom = null;
        for (Listing.File f : listing.files()) {
            String id = f.path();
            try {
                RawImage image = decode(id, limits, conf);
                if (sameShape) {
                    int[] s = {image.channels(), image.height(), image.width()};
                    if (shape == null) {
                        shape = s;
                        shapeFrom = id;
                    } else if (!java.util.Arrays.equals(shape, s)) {
                        throw new BadRecordException(id + ": shape " + s[0] + "x" + s[1] + "x" + s[2]
                                + " differs from the set's " + shape[0] + "x" + shape[1] + "x" + shape[2]
                                + " (first seen in " + shapeFrom + ")");
                    }
                }
                samples.add(new Sample(id, image, f.label(), null, f.split()));
            } catch (BadRecordException e) {
                onBad.handle(e);
                skipped++;
            }
        }
        return SampleSets.finish(DataPaths.name(root), samples, listing.classes(), skipped, listing.splits());
    }

    /**
     * The folders' records, listed on the driver without reading an image: rid = the file's place
     * in the order {@link #read} reads them (splits by name, class folders and files sorted), so
     * the records are {@link #read}'s samples in its order. An unreadable image is found where it
     * is decoded, with {@link #read}'s message.
     */
    public static RecordTable records(String root, DataLimits limits, Configuration conf) throws IOException {
        Listing listing = list(root, conf);
        RecordList records = new RecordList();
        ImageFileSource.Parts parts = new ImageFileSource.Parts(false);
        long rid = 0;
        for (Listing.File f : listing.files()) {
            records.add(rid, f.label(), null, f.split());
            parts.add(rid, f.path(), null);
            rid++;
        }
        String name = DataPaths.name(root);
        ImageFileSource source = new ImageFileSource(name, "folder " + root, limits.maxFileBytes(), parts.finish());
        return records.finish(source, name, listing.classes(), 0, listing.splits());
    }

    /** The image files in reading order, with their labels and splits; the class names; the split folders. */
    record Listing(List<File> files, List<String> classes, List<String> splits) {
        record File(String path, int label, String split) {}
    }

    private static Listing list(String root, Configuration conf) throws IOException {
        List<FileStatus> top = folders(DataPaths.listStatus(root, conf));
        boolean splitLayout = !top.isEmpty();
        for (FileStatus d : top) {
            if (SampleSets.normalize(d.getPath().getName()) == null) {
                splitLayout = false;
            }
        }
        // split ("" = none) -> class folders
        TreeMap<String, List<FileStatus>> classDirs = new TreeMap<>();
        if (splitLayout) {
            for (FileStatus s : top) {
                String split = SampleSets.normalize(s.getPath().getName());
                classDirs.computeIfAbsent(split, k -> new ArrayList<>())
                        .addAll(folders(DataPaths.listStatus(s.getPath().toString(), conf)));
            }
        } else {
            classDirs.put("", top);
        }
        TreeSet<String> names = new TreeSet<>();
        for (List<FileStatus> dirs : classDirs.values()) {
            for (FileStatus d : dirs) {
                names.add(d.getPath().getName());
            }
        }
        if (names.isEmpty()) {
            throw new FileNotFoundException(root + ": no class folders (expected root/<class>/*.png|jpg|jpeg"
                    + " or root/{train,val,test}/<class>/...)");
        }
        List<String> classes = new ArrayList<>(names);
        List<Listing.File> files = new ArrayList<>();
        List<String> splits = new ArrayList<>();
        for (var entry : classDirs.entrySet()) {
            String split = entry.getKey().isEmpty() ? null : entry.getKey();
            if (split != null) {
                splits.add(split);
            }
            for (FileStatus classDir : entry.getValue()) {
                int label = classes.indexOf(classDir.getPath().getName());
                for (FileStatus f : DataPaths.listStatus(classDir.getPath().toString(), conf)) {
                    if (f.isFile() && isImageName(f.getPath().getName())) {
                        files.add(new Listing.File(f.getPath().toString(), label, split));
                    }
                }
            }
        }
        return new Listing(files, classes, splits);
    }

    static boolean isImageName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
    }

    /**
     * Reads and decodes one image file. A missing file, an undecodable one, one over the limits
     * (file bytes, declared pixels), or one that decodes to a non-finite pixel is a bad record naming
     * it; any other I/O failure is an {@link IOException} (an infrastructure problem, never skipped).
     */
    static RawImage decode(String path, DataLimits limits, Configuration conf) throws IOException {
        return decode(readBytes(path, limits.maxFileBytes(), conf), path, limits.maxImagePixels());
    }

    /** The bytes of one image file; a missing one or one over {@code maxFileBytes} is a bad record naming it. */
    static byte[] readBytes(String path, long maxFileBytes, Configuration conf) throws IOException {
        try {
            return DataPaths.readData(path, false, maxFileBytes, conf);
        } catch (FileNotFoundException e) {
            throw new BadRecordException(path + ": file not found", e);
        }
    }

    /** Decodes the bytes of image file {@code path} (see {@link #decode(String, DataLimits, Configuration)}). */
    static RawImage decode(byte[] bytes, String path, long maxPixels) {
        RawImage image;
        try {
            // codes, not floats: the store keeps them and scales them per batch
            image = ImageDecoder.decodeRaw(bytes, path, maxPixels);
        } catch (BadRecordException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadRecordException(path + ": not a readable image: " + e, e);
        }
        if (image.depth() == RawImage.Depth.F32) { // 8- and 16-bit codes are finite by construction
            for (float v : image.floats()) {
                if (Float.isNaN(v) || Float.isInfinite(v)) {
                    throw new BadRecordException(path + ": decoded to a non-finite pixel");
                }
            }
        }
        return image;
    }

    private static List<FileStatus> folders(List<FileStatus> entries) {
        List<FileStatus> out = new ArrayList<>();
        for (FileStatus s : entries) {
            if (s.isDirectory() && !s.getPath().getName().startsWith(".") && !s.getPath().getName().startsWith("_")) {
                out.add(s);
            }
        }
        return out;
    }
}
