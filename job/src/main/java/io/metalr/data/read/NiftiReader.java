package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Image;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.hadoop.conf.Configuration;

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
        if (!t1.sameGrid(atlas)) {
            t1 = t1.resampleTo(atlas);
        }
        float[] range = robustRange(t1);
        float lo = range[0];
        float span = range[1] - range[0];
        int[] classOf = classLookup(atlas, settings);

        int axis = settings.axis();
        int u = axis == 0 ? 1 : 0; // columns
        int v = axis == 2 ? 1 : 2; // rows
        int slices = t1.dim(axis);
        int width = t1.dim(u);
        int height = t1.dim(v);
        int ph = settings.patchSize() == 0 ? height : settings.patchSize();
        int pw = settings.patchSize() == 0 ? width : settings.patchSize();
        int stride = settings.patchSize() == 0 ? Math.max(height, width) : settings.stride();
        int numClasses = settings.regions().size();
        int minLabelled = (int) Math.ceil(settings.minLabelledFraction() * ph * pw - 1e-9);

        List<Sample> samples = new ArrayList<>();
        long skipped = 0;
        int[] coord = new int[3];
        int[] counts = new int[numClasses];
        for (int s = 0; s < slices; s++) {
            String slab = t1.source() + ":slab" + (s / settings.slabSlices());
            for (int r0 = 0; r0 + ph <= height; r0 += stride) {
                for (int c0 = 0; c0 + pw <= width; c0 += stride) {
                    Arrays.fill(counts, 0);
                    int labelled = 0;
                    coord[axis] = s;
                    for (int r = 0; r < ph; r++) {
                        coord[v] = r0 + r;
                        for (int c = 0; c < pw; c++) {
                            coord[u] = c0 + c;
                            int k = classOf[index(t1, coord)];
                            if (k >= 0) {
                                counts[k]++;
                                labelled++;
                            }
                        }
                    }
                    if (labelled == 0 || labelled < minLabelled) {
                        continue;
                    }
                    int label = 0;
                    for (int k = 1; k < numClasses; k++) {
                        if (counts[k] > counts[label]) {
                            label = k;
                        }
                    }
                    String id = t1.source() + ":" + AXES[axis] + "=" + s + ":" + AXES[v] + "=" + r0 + ":" + AXES[u] + "=" + c0;
                    try {
                        float[] data = new float[ph * pw];
                        for (int r = 0; r < ph; r++) {
                            coord[v] = r0 + r;
                            for (int c = 0; c < pw; c++) {
                                coord[u] = c0 + c;
                                float x = t1.data()[index(t1, coord)];
                                if (!Float.isFinite(x)) {
                                    throw new BadRecordException(id + ": voxel (" + coord[0] + ", " + coord[1] + ", "
                                            + coord[2] + ") of " + t1.source() + " is " + x);
                                }
                                float y = span > 0 ? (x - lo) / span : (x > lo ? 1f : 0f);
                                data[r * pw + c] = Math.min(1f, Math.max(0f, y));
                            }
                        }
                        samples.add(new Sample(id, new Image(data, 1, ph, pw), label, slab, null));
                    } catch (BadRecordException e) {
                        onBad.handle(e);
                        skipped++;
                    }
                }
            }
        }
        if (samples.isEmpty() && skipped == 0) {
            throw new BadRecordException(t1.source() + ": no patch has at least " + settings.minLabelledFraction()
                    + " of its voxels in the regions " + settings.classNames() + " of " + atlas.source());
        }
        return SampleSets.finish(t1.source(), samples, settings.classNames(), skipped, List.of());
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

    private static int index(NiftiVolume vol, int[] c) {
        return (c[2] * vol.ny() + c[1]) * vol.nx() + c[0];
    }

    /** Per voxel, the region index of its atlas value, or -1 (background or unmapped). */
    private static int[] classLookup(NiftiVolume atlas, NiftiSettings settings) {
        int max = 0;
        for (NiftiSettings.Region r : settings.regions()) {
            max = Math.max(max, r.maxValue());
        }
        int[] lut = new int[max + 1];
        Arrays.fill(lut, -1);
        List<NiftiSettings.Region> regions = settings.regions();
        for (int k = 0; k < regions.size(); k++) {
            for (int[] range : regions.get(k).ranges()) {
                for (int val = range[0]; val <= range[1]; val++) {
                    lut[val] = k;
                }
            }
        }
        int[] out = new int[atlas.data().length];
        for (int i = 0; i < out.length; i++) {
            float a = atlas.data()[i];
            long val = Float.isFinite(a) ? Math.round(a) : 0;
            out[i] = val > 0 && val <= max ? lut[(int) val] : -1;
        }
        return out;
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
