package io.metalr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;

/** The meta hold-out cut: a disjoint, patient-grouped, stratified slice of the training set, the same every time. */
public class MetaHoldoutTest {

    /**
     * {@code patients} patients of 1 to 5 images each (a patient's images share a class, of 3) and
     * {@code unnamed} images without a patient id; each class brightens its own band of a 12x12 image.
     */
    public static ImageSet withPatients(int patients, int unnamed, long seed) {
        Random r = new Random(seed);
        int[] sizes = new int[patients];
        int n = unnamed;
        for (int p = 0; p < patients; p++) {
            sizes[p] = 1 + r.nextInt(5);
            n += sizes[p];
        }
        int[] labels = new int[n];
        String[] ids = new String[n];
        float[] pixels = new float[n * 144];
        int i = 0;
        for (int p = 0; p < patients; p++) {
            for (int k = 0; k < sizes[p]; k++, i++) {
                labels[i] = p % 3;
                ids[i] = "patient-" + p;
            }
        }
        for (; i < n; i++) {
            labels[i] = i % 3;
        }
        for (int j = 0; j < n; j++) {
            for (int q = 0; q < 144; q++) {
                pixels[j * 144 + q] = (float) (0.2 * r.nextGaussian() + ((q / 12) / 4 == labels[j] ? 1 : 0));
            }
        }
        return new ImageSet("patients", pixels, labels, ids, 1, 12, 12, 3);
    }

    private static final ImageSet TRAIN = withPatients(80, 10, 3);

    @Test
    void theCutIsDisjointCoversTrainAndKeepsPatientsTogether() {
        MetaHoldout h = MetaHoldout.cut(TRAIN, 0.2, 0);
        int[] both = IntStream.concat(Arrays.stream(h.restIndices()), Arrays.stream(h.holdoutIndices())).sorted().toArray();
        assertArrayEquals(IntStream.range(0, TRAIN.size()).toArray(), both, "disjoint, and together the whole train set");
        assertEquals(h.restIndices().length, h.rest().size());
        assertEquals(h.holdoutIndices().length, h.holdout().size());
        String[] ids = TRAIN.patientIds();
        for (int k = 0; k < h.holdout().size(); k++) {
            assertEquals(TRAIN.label(h.holdoutIndices()[k]), h.holdout().label(k), "the hold-out holds its indices' images");
            assertEquals(ids[h.holdoutIndices()[k]], h.holdout().patientIds()[k]);
        }
        for (int k = 0; k < h.rest().size(); k++) {
            assertEquals(TRAIN.label(h.restIndices()[k]), h.rest().label(k), "the rest holds its indices' images");
        }
        Set<String> held = patients(ids, h.holdoutIndices());
        Set<String> rest = patients(ids, h.restIndices());
        assertFalse(held.isEmpty());
        held.retainAll(rest);
        assertTrue(held.isEmpty(), "patients on both sides: " + held);
        Set<String> all = new HashSet<>();
        int groups = 0;
        for (int i : h.holdoutIndices()) {
            groups += ids[i] == null ? 1 : all.add(ids[i]) ? 1 : 0;
        }
        assertEquals(groups, h.patients(), "patients of the hold-out (an image without an id counts one)");
        assertTrue(h.describe().startsWith("meta hold-out: " + h.holdout().size() + " images (" + h.patients()
                + " patients) carved from train"), h.describe());
    }

    @Test
    void theCutIsStratifiedAndNearItsFraction() {
        MetaHoldout h = MetaHoldout.cut(TRAIN, 0.2, 0);
        long[] total = TRAIN.classCounts();
        long[] held = h.holdout().classCounts();
        // whole patients of up to 5 images: each class within a patient of its share
        for (int c = 0; c < total.length; c++) {
            assertEquals(0.2 * total[c], held[c], 5.0, "class " + c + ": " + Arrays.toString(held) + " of " + Arrays.toString(total));
        }
        assertEquals(0.2 * TRAIN.size(), h.holdout().size(), 5.0);
        // one image a patient: every class within one image of its share
        ImageSet singles = withPatients(0, 301, 9);
        long[] all = singles.classCounts();
        long[] cut = MetaHoldout.cut(singles, 0.2, 0).holdout().classCounts();
        for (int c = 0; c < all.length; c++) {
            assertEquals(0.2 * all[c], cut[c], 1.0, "class " + c + ": " + Arrays.toString(cut) + " of " + Arrays.toString(all));
        }
    }

    @Test
    void theCutIsAFunctionOfItsSeedOnly() {
        MetaHoldout a = MetaHoldout.cut(TRAIN, 0.1, 7);
        MetaHoldout b = MetaHoldout.cut(TRAIN, 0.1, 7);
        assertArrayEquals(a.holdoutIndices(), b.holdoutIndices());
        assertArrayEquals(a.restIndices(), b.restIndices());
        assertFalse(Arrays.equals(a.holdoutIndices(), MetaHoldout.cut(TRAIN, 0.1, 8).holdoutIndices()),
                "another meta.holdout_seed cuts elsewhere");
    }

    @Test
    void aBadFractionOrAnEmptySideIsRefused() {
        for (double f : new double[] {0, -0.1, 0.51, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetaHoldout.cut(TRAIN, f, 0));
            assertTrue(e.getMessage().contains("meta.holdout_fraction"), e.getMessage());
        }
        // two patients of 10 images: a tenth is not a whole patient, so nothing is held out
        float[] px = new float[20 * 64];
        String[] ids = new String[20];
        Arrays.fill(ids, 0, 10, "a");
        Arrays.fill(ids, 10, 20, "b");
        ImageSet two = new ImageSet("two", px, new int[20], ids, 1, 8, 8, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetaHoldout.cut(two, 0.1, 0));
        assertTrue(e.getMessage().contains("meta.holdout_fraction") && e.getMessage().contains("empty"), e.getMessage());
    }

    private static Set<String> patients(String[] ids, int[] at) {
        Set<String> s = new HashSet<>();
        for (int i : at) {
            if (ids[i] != null) {
                s.add(ids[i]);
            }
        }
        return s;
    }
}
