package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.hadoop.conf.Configuration;

/**
 * The one place a T1 volume is cut into labelled patches on an atlas ({@link NiftiReader}'s steps
 * 1 to 5): the patches kept, in {@link NiftiReader}'s order, each with its label and slab, and
 * their pixels on demand. {@link NiftiReader#read} makes samples of them; {@link NiftiSource}
 * makes records of them (their metadata in one pass, their pixels in a task).
 */
final class NiftiPatches {

    private static final char[] AXES = {'x', 'y', 'z'};

    /** A patch kept: slice {@code slice}, top-left corner at row {@code r0}, column {@code c0}. */
    record Patch(int slice, int r0, int c0, int label) {}

    private final NiftiVolume t1; // on the atlas's grid
    private final NiftiSettings settings;
    private final float lo;
    private final float span;
    private final int axis;
    private final int u; // the columns' axis
    private final int v; // the rows' axis
    private final int ph;
    private final int pw;
    private final List<Patch> patches;

    /** Cuts volumes already read; {@code settings.labelPath()} is not read again. */
    NiftiPatches(NiftiVolume t1, NiftiVolume atlas, NiftiSettings settings) {
        this.t1 = t1.sameGrid(atlas) ? t1 : t1.resampleTo(atlas);
        this.settings = settings;
        float[] range = NiftiReader.robustRange(this.t1);
        lo = range[0];
        span = range[1] - range[0];
        axis = settings.axis();
        u = axis == 0 ? 1 : 0;
        v = axis == 2 ? 1 : 2;
        int height = this.t1.dim(v);
        int width = this.t1.dim(u);
        ph = settings.patchSize() == 0 ? height : settings.patchSize();
        pw = settings.patchSize() == 0 ? width : settings.patchSize();
        patches = kept(classLookup(atlas, settings), height, width);
        if (patches.isEmpty()) {
            throw new BadRecordException(this.t1.source() + ": no patch has at least " + settings.minLabelledFraction()
                    + " of its voxels in the regions " + settings.classNames() + " of " + atlas.source());
        }
    }

    /** Reads the T1 at {@code t1Path} and the atlas of {@code settings}, each at most {@code maxFileBytes}. */
    static NiftiPatches read(String t1Path, NiftiSettings settings, long maxFileBytes, Configuration conf)
            throws IOException {
        NiftiVolume t1 = NiftiVolume.read(t1Path, maxFileBytes, conf);
        NiftiVolume atlas = NiftiVolume.read(settings.labelPath(), maxFileBytes, conf);
        return new NiftiPatches(t1, atlas, settings);
    }

    /** The patches with enough labelled voxels, slice by slice, rows then columns of corners. */
    private List<Patch> kept(int[] classOf, int height, int width) {
        int stride = settings.patchSize() == 0 ? Math.max(height, width) : settings.stride();
        int numClasses = settings.regions().size();
        int minLabelled = (int) Math.ceil(settings.minLabelledFraction() * ph * pw - 1e-9);
        List<Patch> out = new ArrayList<>();
        int[] coord = new int[3];
        int[] counts = new int[numClasses];
        for (int s = 0; s < t1.dim(axis); s++) {
            for (int r0 = 0; r0 + ph <= height; r0 += stride) {
                for (int c0 = 0; c0 + pw <= width; c0 += stride) {
                    Arrays.fill(counts, 0);
                    int labelled = 0;
                    coord[axis] = s;
                    for (int r = 0; r < ph; r++) {
                        coord[v] = r0 + r;
                        for (int c = 0; c < pw; c++) {
                            coord[u] = c0 + c;
                            int k = classOf[NiftiReader.index(t1, coord)];
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
                    out.add(new Patch(s, r0, c0, label));
                }
            }
        }
        return out;
    }

    /** The patches kept, in order (a patch's index here is its place in {@link NiftiReader#read}'s order). */
    List<Patch> patches() {
        return patches;
    }

    /** The T1's file name. */
    String source() {
        return t1.source();
    }

    int height() {
        return ph;
    }

    int width() {
        return pw;
    }

    /** A patch's sample id: the volume, then the corner, slice axis first. */
    String id(Patch p) {
        return t1.source() + ":" + AXES[axis] + "=" + p.slice() + ":" + AXES[v] + "=" + p.r0() + ":" + AXES[u] + "=" + p.c0();
    }

    /** Every patch's id, in order. */
    List<String> ids() {
        List<String> ids = new ArrayList<>(patches.size());
        for (Patch p : patches) {
            ids.add(id(p));
        }
        return ids;
    }

    /** A patch's patient: its slab of {@code slabSlices} slices. */
    String slab(Patch p) {
        return t1.source() + ":slab" + (p.slice() / settings.slabSlices());
    }

    /** A patch's pixels, row-major, scaled to [0, 1]; a NaN or infinite voxel is a bad record. */
    float[] pixels(Patch p) {
        float[] data = new float[ph * pw];
        int[] coord = new int[3];
        coord[axis] = p.slice();
        for (int r = 0; r < ph; r++) {
            coord[v] = p.r0() + r;
            for (int c = 0; c < pw; c++) {
                coord[u] = p.c0() + c;
                float x = t1.data()[NiftiReader.index(t1, coord)];
                if (!Float.isFinite(x)) {
                    throw new BadRecordException(id(p) + ": voxel (" + coord[0] + ", " + coord[1] + ", "
                            + coord[2] + ") of " + t1.source() + " is " + x);
                }
                float y = span > 0 ? (x - lo) / span : (x > lo ? 1f : 0f);
                data[r * pw + c] = Math.min(1f, Math.max(0f, y));
            }
        }
        return data;
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
}
