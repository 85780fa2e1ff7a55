package io.metalr.data.read;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How {@link NiftiReader} cuts a T1 volume into labelled 2D patches.
 *
 * @param labelPath the atlas (label) volume: integer region values, 0 = background; on the T1's grid
 *     (a T1 on another grid is resampled onto the atlas's, see {@link NiftiReader})
 * @param axis the axis to slice along: 0 = x (sagittal), 1 = y (coronal), 2 = z (axial for RAS)
 * @param patchSize square patch side in voxels; 0 = whole slices
 * @param stride step between patches within a slice (ignored for whole slices)
 * @param minLabelledFraction a patch is kept when at least this fraction of its voxels carry a
 *     mapped atlas value
 * @param slabSlices consecutive slices per slab; a slab is one "patient" so that a split grouped by
 *     patient never puts neighbouring slices on both sides
 * @param regions the coarse classes, in label order: each a name and the atlas values it takes
 */
public record NiftiSettings(String labelPath, int axis, int patchSize, int stride, double minLabelledFraction,
        int slabSlices, List<Region> regions) implements Serializable {

    /** Where Debian's {@code mricron-data} package puts its templates. */
    public static final String MRICRON_TEMPLATES = "/usr/share/mricron/templates";

    /** The demo's T1: mricron-data's brain-extracted Colin 27, on the AAL atlas's 1 mm grid. */
    public static final String MRICRON_T1 = MRICRON_TEMPLATES + "/ch2bet.nii.gz";

    /** The demo's atlas: mricron-data's AAL (116 regions, numbered as in {@code aal.nii.txt}). */
    public static final String MRICRON_AAL = MRICRON_TEMPLATES + "/aal.nii.gz";

    /** The second task's T1: mricron-data's INIA19 rhesus macaque template (brain only, 0.5 mm). */
    public static final String MRICRON_INIA19_T1 = MRICRON_TEMPLATES + "/inia19-t1-brain.nii.gz";

    /** The second task's atlas: mricron-data's NeuroMaps labels on the INIA19 grid. */
    public static final String MRICRON_INIA19_ATLAS = MRICRON_TEMPLATES + "/inia19-NeuroMaps.nii.gz";

    public NiftiSettings {
        if (labelPath == null || labelPath.isBlank()) {
            throw new IllegalArgumentException("nifti: labelPath (the atlas volume) is required");
        }
        if (axis < 0 || axis > 2) {
            throw new IllegalArgumentException("nifti: axis must be 0, 1 or 2, not " + axis);
        }
        if (patchSize < 0) {
            throw new IllegalArgumentException("nifti: patch size must be >= 0, not " + patchSize);
        }
        if (patchSize > 0 && stride < 1) {
            throw new IllegalArgumentException("nifti: stride must be >= 1, not " + stride);
        }
        if (!(minLabelledFraction >= 0 && minLabelledFraction <= 1)) {
            throw new IllegalArgumentException("nifti: minLabelledFraction must be in [0, 1], not " + minLabelledFraction);
        }
        if (slabSlices < 1) {
            throw new IllegalArgumentException("nifti: slabSlices must be >= 1, not " + slabSlices);
        }
        if (regions == null || regions.isEmpty()) {
            throw new IllegalArgumentException("nifti: at least one region is required");
        }
        regions = List.copyOf(regions);
        for (int i = 0; i < regions.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (regions.get(i).overlaps(regions.get(j))) {
                    throw new IllegalArgumentException("nifti: regions " + regions.get(j).name() + " and "
                            + regions.get(i).name() + " share atlas values");
                }
                if (regions.get(i).name().equals(regions.get(j).name())) {
                    throw new IllegalArgumentException("nifti: two regions are named " + regions.get(i).name());
                }
            }
        }
    }

    /** A coarse class: a name and the atlas values (inclusive ranges) that belong to it. */
    public record Region(String name, List<int[]> ranges) implements Serializable {

        public Region {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("nifti: a region needs a name");
            }
            if (ranges == null || ranges.isEmpty()) {
                throw new IllegalArgumentException("nifti: region " + name + " has no atlas values");
            }
            List<int[]> copy = new ArrayList<>();
            for (int[] r : ranges) {
                if (r.length != 2 || r[0] > r[1] || r[0] < 1) {
                    throw new IllegalArgumentException("nifti: region " + name + ": bad range " + java.util.Arrays.toString(r)
                            + " (atlas values are >= 1; 0 is background)");
                }
                copy.add(r.clone());
            }
            ranges = List.copyOf(copy);
        }

        /** A region from text such as {@code "1-28, 31, 33-36"}. */
        public static Region of(String name, String values) {
            List<int[]> ranges = new ArrayList<>();
            for (String part : values.split(",")) {
                String t = part.trim();
                if (t.isEmpty()) {
                    continue;
                }
                int dash = t.indexOf('-', 1);
                try {
                    if (dash < 0) {
                        int v = Integer.parseInt(t);
                        ranges.add(new int[] {v, v});
                    } else {
                        ranges.add(new int[] {Integer.parseInt(t.substring(0, dash).trim()),
                            Integer.parseInt(t.substring(dash + 1).trim())});
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("nifti: region " + name + ": '" + t
                            + "' is not an atlas value or range like 1-28", e);
                }
            }
            return new Region(name, ranges);
        }

        public boolean contains(int value) {
            for (int[] r : ranges) {
                if (value >= r[0] && value <= r[1]) {
                    return true;
                }
            }
            return false;
        }

        boolean overlaps(Region other) {
            for (int[] a : ranges) {
                for (int[] b : other.ranges) {
                    if (a[0] <= b[1] && b[0] <= a[1]) {
                        return true;
                    }
                }
            }
            return false;
        }

        int maxValue() {
            int m = 0;
            for (int[] r : ranges) {
                m = Math.max(m, r[1]);
            }
            return m;
        }
    }

    /** The class names, in label order. */
    public List<String> classNames() {
        List<String> names = new ArrayList<>();
        for (Region r : regions) {
            names.add(r.name());
        }
        return names;
    }

    /**
     * The AAL-116 atlas (Tzourio-Mazoyer 2002, numbered as in mricron's {@code aal.nii.txt}) grouped
     * into five coarse classes a small CNN can tell apart from 32x32 axial patches:
     *
     * <ol start="0">
     *   <li>{@code frontal} 1-28: precentral, superior/middle/inferior frontal (with orbital,
     *       opercular and triangular parts), rolandic operculum, supplementary motor area,
     *       olfactory, superior medial and medial orbital frontal, gyrus rectus</li>
     *   <li>{@code parietal_occipital} 43-70: calcarine, cuneus, lingual, superior/middle/inferior
     *       occipital, fusiform (AAL's occipital block), postcentral, superior/inferior parietal,
     *       supramarginal, angular, precuneus, paracentral lobule</li>
     *   <li>{@code temporal} 79-90: Heschl, superior/middle/inferior temporal, temporal poles</li>
     *   <li>{@code subcortical_limbic} 29-42 and 71-78: insula, anterior/middle/posterior cingulate,
     *       hippocampus, parahippocampal, amygdala; caudate, putamen, pallidum, thalamus (deep,
     *       next to the ventricles)</li>
     *   <li>{@code cerebellum} 91-116: cerebellar hemispheres and vermis (foliated texture)</li>
     * </ol>
     *
     * <p>Parietal and occipital share a class: their boundary is not visible in a T1 patch, and
     * apart each has too few patches to balance the others. Labels come from the atlas alone, so the
     * counts do not depend on which T1 is cut. On mricron-data's AAL, axial, min labelled 0.5:
     * patch 32 / stride 16 gives 1839 / 1823 / 916 / 691 / 720 patches (5989, in 19 slabs of 8
     * slices); patch 32 / stride 8 about four times as many (23837); patch 64 / stride 32 only 1129.
     *
     * <p>T1: {@link #MRICRON_T1} ({@code ch2bet}, brain-extracted Colin 27 on AAL's own 1 mm grid);
     * {@code ch2better} (0.5 mm, another grid) works too, resampled onto AAL's grid.
     *
     * @param labelPath the AAL volume, such as {@code /usr/share/mricron/templates/aal.nii.gz}
     */
    public static NiftiSettings demoAal(String labelPath) {
        return new NiftiSettings(labelPath, 2, 32, 16, 0.5, 8, aalCoarse());
    }

    /** {@link #demoAal(String)} on mricron-data's {@code aal.nii.gz}. */
    public static NiftiSettings demoAal() {
        return demoAal(MRICRON_AAL);
    }

    /** The five coarse AAL classes of {@link #demoAal(String)}. */
    public static List<Region> aalCoarse() {
        return List.of(
                Region.of("frontal", "1-28"),
                Region.of("parietal_occipital", "43-70"),
                Region.of("temporal", "79-90"),
                Region.of("subcortical_limbic", "29-42, 71-78"),
                Region.of("cerebellum", "91-116"));
    }

    /**
     * The INIA19 rhesus macaque template cut into 32x32 CORONAL patches (0.5 mm voxels: 16 mm, about
     * the physical share of a macaque brain that the human task's 32 mm patches are of a human
     * one), labelled by five blocks of NeuroMaps structure ids ({@link #inia19Blocks()}), slabs of 8
     * slices (4 mm). On mricron-data, min labelled 0.5: 573 / 696 / 584 / 467 / 601 patches (2921,
     * in 18 slabs).
     *
     * @param labelPath the NeuroMaps volume, such as {@code /usr/share/mricron/templates/inia19-NeuroMaps.nii.gz}
     */
    public static NiftiSettings demoInia19(String labelPath) {
        return new NiftiSettings(labelPath, 1, 32, 16, 0.5, 8, inia19Blocks());
    }

    /** {@link #demoInia19(String)} on mricron-data's {@code inia19-NeuroMaps.nii.gz}. */
    public static NiftiSettings demoInia19() {
        return demoInia19(MRICRON_INIA19_ATLAS);
    }

    /**
     * NeuroMaps (Rohlfing et al. 2012) numbers a structure v in the left hemisphere and v + 1000 in
     * the right; mricron-data ships no table of the structures' names, so these classes are blocks
     * of ids, both hemispheres together, each a set of whole atlas structures. Their voxels' mean
     * positions (INIA19 voxel y, posterior to anterior, 0-205; z, inferior to superior, 0-127) differ
     * block to block: 1-19 at y 52 z 70 (posterior), 20-59 at y 88 z 64, 60-149 at y 102 z 68, 150-199
     * at y 122 z 75 (anterior), 200 and up at y 92 z 53 (the spread one: inferior and deep structures). Ids are checked
     * against the volume: every structure in it falls in exactly one block.
     */
    public static List<Region> inia19Blocks() {
        List<Region> blocks = new ArrayList<>();
        for (String range : List.of("1-19", "20-59", "60-149", "150-199", "200-999")) {
            String[] ab = range.split("-");
            String name = String.format(Locale.ROOT, "nm_%03d_%03d", Integer.parseInt(ab[0]), Integer.parseInt(ab[1]));
            int a = Integer.parseInt(ab[0]);
            int b = Integer.parseInt(ab[1]);
            blocks.add(Region.of(name, a + "-" + b + ", " + (a + 1000) + "-" + (b + 1000)));
        }
        return blocks;
    }

    /**
     * Regions by name, as the config key {@code data.nifti.regions} gives them: {@code aal_coarse}
     * or {@code inia19_blocks}.
     */
    public static List<Region> namedRegions(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (key) {
            case "aal_coarse" -> aalCoarse();
            case "inia19_blocks" -> inia19Blocks();
            default -> throw new IllegalArgumentException(
                    "nifti: unknown regions '" + name + "' (known: aal_coarse, inia19_blocks)");
        };
    }
}
