package io.metalr.data.read;

import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Image;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * A T1 volume and an atlas (label) volume turned into labelled 2D samples.
 *
 * <ol>
 *   <li>Both volumes are read ({@link NiftiVolume}). When their grids differ, the T1 is resampled
 *       (trilinear, by the two files' sform/qform affines) onto the atlas's grid; with no affine to
 *       go by, that is an error naming both files.</li>
 *   <li>Intensities are scaled to [0, 1] by the T1's robust range: the 1st and 99th percentiles of
 *       its non-zero finite voxels map to 0 and 1, and values beyond are clipped.</li>
 *   <li>The volume is sliced along {@link NiftiSettings#axis()}. A slice's rows run along the higher
 *       of the two remaining axes and its columns along the lower (axial: rows y, columns x).</li>
 *   <li>Each slice is cut into square patches of {@link NiftiSettings#patchSize()} at
 *       {@link NiftiSettings#stride()} (every patch lies wholly inside the slice; size 0 = the whole
 *       slice). A voxel is labelled when its atlas value (rounded) falls in one of the regions; a
 *       patch with fewer than {@link NiftiSettings#minLabelledFraction()} labelled voxels is dropped
 *       (not counted as skipped). A patch's label is the region most of its labelled voxels belong
 *       to (ties to the lower index).</li>
 *   <li>A patch with a NaN or infinite T1 voxel is a bad record.</li>
 * </ol>
 *
 * <p>Sample ids name the volume and the patch's corner, slice axis first:
 * {@code ch2bet.nii.gz:z=40:y=16:x=32}. The patientId is the slab, {@code ch2bet.nii.gz:slab5}
 * for slices {@code 5 * slabSlices} to {@code 6 * slabSlices - 1}, so that a split grouped by patient
 * keeps neighbouring slices together. Class names are the regions' names in order; split is null.
 */
public final class NiftiReader {

    private static final char[] AXES = {'x', 'y', 'z'};

    private NiftiReader() {}

    public static SampleSet read(String t1Path, NiftiSettings settings, OnBadRecord onBad) throws IOException {
        return read(t1Path, settings, onBad, DataPaths.configuration());
    }

    public static SampleSet read(String t1Path, NiftiSettings settings, OnBadRecord onBad, Configuration conf)
            throws IOException {
        return read(t1Path, settings, onBad, DataLimits.DEFAULTS, conf);
    }

    public static SampleSet read(String t1Path, NiftiSettings settings, OnBadRecord onBad, DataLimits limits,
            Configuration conf) throws IOException {
        NiftiVolume t1 = NiftiVolume.read(t1Path, limits.maxFileBytes(), conf);
        NiftiVolume atlas = NiftiVolume.read(settings.labelPath(), limits.maxFileBytes(), conf);
        return read(t1, atlas, settings, onBad);
    }

    /** Cuts volumes already read; {@code settings.labelPath()} is not read again. */
    public static SampleSet read(NiftiVolume t1, NiftiVolume atlas, NiftiSettings settings, OnBadRecord onBad) {
        NiftiPatches cut = new NiftiPatches(t1, atlas, settings);
        List<Sample> samples = new ArrayList<>();
        long skipped = 0;
        for (NiftiPatches.Patch p : cut.patches()) {
            try {
                Image image = new Image(cut.pixels(p), 1, cut.height(), cut.width());
                samples.add(new Sample(cut.id(p), image, p.label(), cut.slab(p), null));
            } catch (BadRecordException e) {
                onBad.handle(e);
                skipped++;
            }
        }
        return SampleSets.finish(cut.source(), samples, settings.classNames(), skipped, List.of());
    }

    /**
     * The volume's records, without their pixels on the driver: rid = the patch's place in
     * {@link #read}'s order (bad patches counted), labels, slabs as patients, and bad patches
     * handled as {@link #read} handles them (same messages, same skipped count). Finding which
     * patches are kept and which hold a NaN voxel needs both volumes whole: with a Spark session
     * active that pass is one Spark task, which sends back only the patches' ids, labels and slabs;
     * without one it runs here. The images are one part (one task) that reads both volumes again.
     */
    public static RecordTable records(String t1Path, NiftiSettings settings, OnBadRecord onBad, DataLimits limits,
            Configuration conf) throws IOException {
        var spark = SparkSession.getActiveSession();
        return records(t1Path, settings, onBad, limits, conf, spark.isDefined() ? spark.get() : null);
    }

    /** {@link #records} with the patch pass in a task of {@code spark}, or here when it is null. */
    static RecordTable records(String t1Path, NiftiSettings settings, OnBadRecord onBad, DataLimits limits,
            Configuration conf, SparkSession spark) throws IOException {
        long maxFileBytes = limits.maxFileBytes();
        NiftiSource.Index index = spark == null
                ? NiftiSource.Index.of(NiftiPatches.read(t1Path, settings, maxFileBytes, conf))
                : indexInTask(spark, t1Path, settings, maxFileBytes);
        for (String message : index.bad()) {
            onBad.handle(new BadRecordException(message));
        }
        RecordList records = new RecordList();
        for (int i = 0; i < index.rid().length; i++) {
            records.add(index.rid()[i], index.label()[i], index.slab()[i], null);
        }
        NiftiSource source = new NiftiSource(index.source(), settings, maxFileBytes,
                List.of(new NiftiSource.Part(t1Path, 0, index.ids())));
        return records.finish(source, index.source(), settings.classNames(), index.bad().size(), List.of());
    }

    /**
     * The patch index computed by one Spark task; a bad file or a missing one comes back as a value
     * (a task that failed would be retried for nothing) and is thrown here as it would be on the driver.
     */
    private static NiftiSource.Index indexInTask(SparkSession spark, String t1Path, NiftiSettings settings,
            long maxFileBytes) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Object result = SparkTables.guarded(() -> jsc.parallelize(List.of(t1Path), 1).map(path -> {
            try {
                return (Object) NiftiSource.Index.of(NiftiPatches.read(path, settings, maxFileBytes,
                        DataPaths.configuration()));
            } catch (BadRecordException | IOException e) {
                return e;
            }
        }).collect().get(0), t1Path);
        if (result instanceof BadRecordException e) {
            throw new BadRecordException(e.getMessage(), e);
        }
        if (result instanceof IOException e) {
            throw e;
        }
        return (NiftiSource.Index) result;
    }

    /**
     * A volume labelled as a whole (a manifest row pointing at a {@code .nii.gz}): its slices along
     * {@code axis}, scaled by the volume's robust range, each a sample with the row's label; a
     * slice with under 1% foreground (above the range's low end) is left out.
     */
    public static List<Sample> volumeSlices(NiftiVolume vol, int axis, int label, String patient, String split) {
        float[] range = robustRange(vol);
        float lo = range[0];
        float span = range[1] - range[0];
        int u = axis == 0 ? 1 : 0;
        int v = axis == 2 ? 1 : 2;
        int width = vol.dim(u);
        int height = vol.dim(v);
        List<Sample> out = new ArrayList<>();
        int[] coord = new int[3];
        for (int s = 0; s < vol.dim(axis); s++) {
            coord[axis] = s;
            float[] data = new float[height * width];
            int foreground = 0;
            for (int r = 0; r < height; r++) {
                coord[v] = r;
                for (int c = 0; c < width; c++) {
                    coord[u] = c;
                    float x = vol.data()[index(vol, coord)];
                    String id = vol.source() + ":" + AXES[axis] + "=" + s;
                    if (!Float.isFinite(x)) {
                        throw new BadRecordException(id + ": voxel (" + coord[0] + ", " + coord[1] + ", " + coord[2] + ") is " + x);
                    }
                    float y = span > 0 ? (x - lo) / span : (x > lo ? 1f : 0f);
                    data[r * width + c] = Math.min(1f, Math.max(0f, y));
                    if (x > lo) {
                        foreground++;
                    }
                }
            }
            if (foreground >= 0.01 * height * width) {
                out.add(new Sample(vol.source() + ":" + AXES[axis] + "=" + s, new Image(data, 1, height, width), label,
                        patient == null ? vol.source() : patient, split));
            }
        }
        return out;
    }

    /** The place of voxel {@code c} (x, y, z) in {@code vol.data()}. */
    static int index(NiftiVolume vol, int[] c) {
        return (c[2] * vol.ny() + c[1]) * vol.nx() + c[0];
    }

    /**
     * The 1st and 99th percentiles of the volume's non-zero finite voxels ({0, 1} when it has none).
     */
    static float[] robustRange(NiftiVolume vol) {
        float[] d = vol.data();
        int n = 0;
        for (float x : d) {
            if (x != 0 && Float.isFinite(x)) {
                n++;
            }
        }
        if (n == 0) {
            return new float[] {0f, 1f};
        }
        float[] nz = new float[n];
        int j = 0;
        for (float x : d) {
            if (x != 0 && Float.isFinite(x)) {
                nz[j++] = x;
            }
        }
        Arrays.sort(nz);
        return new float[] {percentile(nz, 1), percentile(nz, 99)};
    }

    /** Linear interpolation between order statistics, as NumPy's default. */
    static float percentile(float[] sorted, double q) {
        double pos = q / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double f = pos - lo;
        return (float) (sorted[lo] + (sorted[hi] - sorted[lo]) * f);
    }
}
