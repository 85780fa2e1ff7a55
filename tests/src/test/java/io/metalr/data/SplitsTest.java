package io.metalr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.report.RecordNames;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Train/val/test splits and k folds: grouped by patient, stratified, deterministic. */
class SplitsTest {

    /** A random data set: labels, patient ids (some null), the largest patient group. */
    private record Data(int[] labels, String[] patients, int classes, int maxGroup) {}

    /**
     * Patients of 1..maxGroup samples; a patient's samples mostly share a class (as in medical sets),
     * some samples have no patient id; classes are imbalanced.
     */
    private static Data randomData(Random rnd, int n, boolean singletons) {
        int classes = 2 + rnd.nextInt(5);
        int maxGroup = singletons ? 1 : 1 + rnd.nextInt(10);
        double[] weight = new double[classes];
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            weight[c] = 0.2 + rnd.nextDouble() * 3;
            sum += weight[c];
        }
        int[] labels = new int[n];
        String[] patients = new String[n];
        int biggest = 1;
        int i = 0;
        int p = 0;
        while (i < n) {
            int size = Math.min(n - i, 1 + rnd.nextInt(maxGroup));
            double u = rnd.nextDouble() * sum;
            int cls = 0;
            while (cls < classes - 1 && (u -= weight[cls]) > 0) {
                cls++;
            }
            String id = singletons ? (rnd.nextBoolean() ? null : "s" + i) : (size == 1 && rnd.nextInt(4) == 0 ? null : "patient-" + p++);
            biggest = Math.max(biggest, size);
            for (int k = 0; k < size; k++, i++) {
                labels[i] = rnd.nextInt(5) == 0 ? rnd.nextInt(classes) : cls;
                patients[i] = id;
            }
        }
        // shuffle the rows so a patient's samples are scattered
        for (int a = n - 1; a > 0; a--) {
            int b = rnd.nextInt(a + 1);
            int tl = labels[a];
            labels[a] = labels[b];
            labels[b] = tl;
            String tp = patients[a];
            patients[a] = patients[b];
            patients[b] = tp;
        }
        // make sure every class occurs
        for (int c = 0; c < classes; c++) {
            labels[c] = c;
        }
        return new Data(labels, patients, classes, biggest);
    }

    private static Splits.Ratios randomRatios(Random rnd) {
        double train = 0.5 + 0.35 * rnd.nextDouble();
        double val = (1 - train) * (0.2 + 0.6 * rnd.nextDouble());
        return new Splits.Ratios(train, val, 1 - train - val);
    }

    private static long[] classTotals(int[] labels, int classes) {
        long[] t = new long[classes];
        for (int l : labels) {
            t[l]++;
        }
        return t;
    }

    /** Every sample in exactly one split; indices ascending. */
    private static int[] assertPartition(Splits.Assignment a, int n) {
        int[] of = new int[n];
        Arrays.fill(of, -1);
        for (int s = 0; s < 3; s++) {
            int[] ix = a.indices(s);
            for (int k = 0; k < ix.length; k++) {
                assertTrue(k == 0 || ix[k] > ix[k - 1], "indices ascending");
                assertEquals(-1, of[ix[k]], "sample " + ix[k] + " in two splits");
                of[ix[k]] = s;
            }
        }
        for (int i = 0; i < n; i++) {
            assertTrue(of[i] >= 0, "sample " + i + " in no split");
        }
        assertArrayEquals(of, a.splitOf(n));
        return of;
    }

    /** No patient id in two parts. */
    private static void assertNoLeak(String[] patients, int[] partOf, String what) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < patients.length; i++) {
            if (patients[i] == null) {
                continue;
            }
            Integer before = seen.putIfAbsent(patients[i], partOf[i]);
            assertTrue(before == null || before == partOf[i],
                    what + ": patient " + patients[i] + " in parts " + before + " and " + partOf[i]);
        }
    }

    @Test
    void noPatientIsInTwoSplitsOverManyRandomDataSets() {
        Random rnd = new Random(20240611L);
        for (int trial = 0; trial < 300; trial++) {
            Data d = randomData(rnd, 150 + rnd.nextInt(1500), false);
            Splits.Ratios r = randomRatios(rnd);
            long seed = rnd.nextLong();
            Splits.Assignment a = Splits.assign(d.labels(), d.patients(), null, r, seed);
            int[] of = assertPartition(a, d.labels().length);
            assertNoLeak(d.patients(), of, "trial " + trial + " " + r);
            assertTrue(a.warnings().isEmpty(), a.warnings().toString());
        }
    }

    @Test
    void ratiosAndClassesAreRespectedWithinGroupGranularity() {
        Random rnd = new Random(99);
        for (int trial = 0; trial < 200; trial++) {
            Data d = randomData(rnd, 400 + rnd.nextInt(2000), false);
            Splits.Ratios r = randomRatios(rnd);
            Splits.Assignment a = Splits.assign(d.labels(), d.patients(), null, r, trial);
            int n = d.labels().length;
            double[] ratio = {r.train(), r.val(), r.test()};
            long[] totals = classTotals(d.labels(), d.classes());
            for (int s = 0; s < 3; s++) {
                String where = "trial " + trial + ", split " + Splits.NAMES.get(s) + ", largest patient " + d.maxGroup() + ": " + a.describe();
                // whole groups: a split's size is within one largest group of its share
                assertTrue(Math.abs(a.size(s) - ratio[s] * n) <= d.maxGroup(), where);
                long[] cc = a.classCounts(s);
                for (int c = 0; c < d.classes(); c++) {
                    assertTrue(Math.abs(cc[c] - ratio[s] * totals[c]) <= 2.0 * d.maxGroup(), where + " class " + c);
                }
            }
        }
    }

    @Test
    void withSingletonPatientsEveryClassIsWithinOneSampleOfItsShare() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 300; trial++) {
            Data d = randomData(rnd, 30 + rnd.nextInt(3000), true);
            Splits.Ratios r = randomRatios(rnd);
            // singletons whether the ids are null, unique, or absent altogether
            String[] ids = trial % 3 == 0 ? null : d.patients();
            Splits.Assignment a = Splits.assign(d.labels(), ids, null, r, trial * 31L);
            int n = d.labels().length;
            double[] ratio = {r.train(), r.val(), r.test()};
            long[] totals = classTotals(d.labels(), d.classes());
            assertPartition(a, n);
            for (int s = 0; s < 3; s++) {
                long[] cc = a.classCounts(s);
                for (int c = 0; c < d.classes(); c++) {
                    assertTrue(Math.abs(cc[c] - ratio[s] * totals[c]) < 1.0,
                            "trial " + trial + " split " + s + " class " + c + ": " + cc[c] + " vs " + ratio[s] * totals[c]);
                }
                assertTrue(Math.abs(a.size(s) - ratio[s] * n) < 1.0, "trial " + trial + " split " + s + ": " + a.describe());
            }
        }
    }

    @Test
    void sameInputsGiveTheSameSplitsAndSeedsMatter() {
        Random rnd = new Random(3);
        Data d = randomData(rnd, 800, false);
        Splits.Ratios r = new Splits.Ratios(0.7, 0.15, 0.15);
        Splits.Assignment a = Splits.assign(d.labels(), d.patients(), null, r, 42);
        Splits.Assignment b = Splits.assign(d.labels().clone(), d.patients().clone(), null, r, 42);
        for (int s = 0; s < 3; s++) {
            assertArrayEquals(a.indices(s), b.indices(s));
        }
        assertEquals(a.describe(), b.describe());
        Splits.Assignment c = Splits.assign(d.labels(), d.patients(), null, r, 43);
        assertFalse(Arrays.equals(a.test(), c.test()), "another seed, other splits");
        int[] fa = Splits.folds(d.labels(), d.patients(), 5, 42);
        assertArrayEquals(fa, Splits.folds(d.labels(), d.patients(), 5, 42));
        assertFalse(Arrays.equals(fa, Splits.folds(d.labels(), d.patients(), 5, 43)));
    }

    @Test
    void theDatasOwnSplitsAreUsedAsGiven() {
        Random rnd = new Random(11);
        Data d = randomData(rnd, 600, false);
        int n = d.labels().length;
        String[] names = {"train", "VAL", " Test ", "training", "validation", "testing", "dev"};
        String[] splits = new String[n];
        int[] expected = new int[n];
        for (int i = 0; i < n; i++) {
            int k = rnd.nextInt(names.length);
            splits[i] = names[k];
            expected[i] = k == 0 || k == 3 ? Splits.TRAIN : k == 1 || k == 4 || k == 6 ? Splits.VAL : Splits.TEST;
        }
        String[] patients = new String[n];
        for (int i = 0; i < n; i++) {
            patients[i] = "p" + i / 4;
        }
        Splits.Assignment a = Splits.assign(d.labels(), patients, splits, new Splits.Ratios(0.8, 0.1, 0.1), 1);
        assertArrayEquals(expected, a.splitOf(n));
        assertTrue(a.how().contains("own splits"), a.how());
        // random names ignore patients, so patients straddle splits: reported, not moved
        assertEquals(1, a.warnings().size(), a.warnings().toString());
        assertTrue(a.describe().contains("warning: "), a.describe());
    }

    @Test
    void aMissingValSplitIsCarvedOutOfTrainByPatient() {
        Random rnd = new Random(12);
        Data d = randomData(rnd, 1200, false);
        int n = d.labels().length;
        // a test split by patient, the rest train
        String[] splits = new String[n];
        Map<String, String> byPatient = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String p = d.patients()[i];
            String s = p == null ? (rnd.nextInt(5) == 0 ? "test" : "train")
                    : byPatient.computeIfAbsent(p, k -> rnd.nextInt(5) == 0 ? "test" : "train");
            splits[i] = s;
        }
        Splits.Ratios r = new Splits.Ratios(0.6, 0.2, 0.2);
        Splits.Assignment a = Splits.assign(d.labels(), d.patients(), splits, r, 9);
        int[] of = assertPartition(a, n);
        assertNoLeak(d.patients(), of, "carved");
        assertTrue(a.warnings().isEmpty());
        int givenTrain = 0;
        for (int i = 0; i < n; i++) {
            if (splits[i].equals("test")) {
                assertEquals(Splits.TEST, of[i], "the data's test split is untouched");
            } else {
                givenTrain++;
                assertTrue(of[i] == Splits.TRAIN || of[i] == Splits.VAL);
            }
        }
        // val takes the val ratio's share (0.2) of the given train split, within one patient group
        assertTrue(Math.abs(a.size(Splits.VAL) - givenTrain * 0.2) <= d.maxGroup(), a.describe());
        assertTrue(a.how().contains("carved"), a.how());
        // deterministic
        assertArrayEquals(a.val(), Splits.assign(d.labels(), d.patients(), splits, r, 9).val());
    }

    @Test
    void emptyOrUnknownGivenSplitsAreClearErrors() {
        int[] labels = {0, 1, 0, 1, 0, 1};
        Splits.Ratios r = new Splits.Ratios(0.7, 0.15, 0.15);
        IllegalArgumentException noTest = assertThrows(IllegalArgumentException.class,
                () -> Splits.assign(labels, null, new String[] {"train", "train", "val", "val", "train", "train"}, r, 1));
        assertTrue(noTest.getMessage().contains("'test'"), noTest.getMessage());
        IllegalArgumentException noTrain = assertThrows(IllegalArgumentException.class,
                () -> Splits.assign(labels, null, new String[] {"test", "test", "val", "val", "test", "test"}, r, 1));
        assertTrue(noTrain.getMessage().contains("'train'"), noTrain.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Splits.assign(labels, null, new String[] {"train", "train", "holdout", "val", "test", "test"}, r, 1));
        assertTrue(unknown.getMessage().contains("'holdout'"), unknown.getMessage());
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> Splits.assign(labels, null, new String[] {"train", null, "val", "val", "test", "test"}, r, 1));
        assertTrue(mixed.getMessage().contains("sample 1"), mixed.getMessage());
        IllegalArgumentException noVal = assertThrows(IllegalArgumentException.class,
                () -> Splits.assign(labels, null, new String[] {"train", "train", "train", "train", "test", "test"},
                        new Splits.Ratios(0.8, 0, 0.2), 1));
        assertTrue(noVal.getMessage().contains("'val'"), noVal.getMessage());
        // too few patient groups for three splits
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                () -> Splits.assign(labels, new String[] {"a", "a", "a", "b", "b", "b"}, null, r, 1));
        assertTrue(tooFew.getMessage().contains("came out empty"), tooFew.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Splits.Ratios(0.5, 0.2, 0.2));
        assertThrows(IllegalArgumentException.class, () -> new Splits.Ratios(0, 0.5, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Splits.Ratios(1.1, -0.05, -0.05));
    }

    @Test
    void aZeroRatioSplitStaysEmpty() {
        Random rnd = new Random(4);
        Data d = randomData(rnd, 300, false);
        Splits.Assignment a = Splits.assign(d.labels(), d.patients(), null, new Splits.Ratios(0.8, 0.2, 0), 4);
        assertEquals(0, a.size(Splits.TEST));
        assertPartition(a, d.labels().length);
    }

    @Test
    void kFoldsPartitionAreGroupedAndStratified() {
        Random rnd = new Random(77);
        for (int trial = 0; trial < 200; trial++) {
            boolean singletons = trial % 2 == 0;
            Data d = randomData(rnd, 100 + rnd.nextInt(1500), singletons);
            int k = 2 + rnd.nextInt(9);
            int[] fold = Splits.folds(d.labels(), d.patients(), k, trial);
            int n = d.labels().length;
            assertEquals(n, fold.length);
            long[][] perClass = new long[k][d.classes()];
            int[] sizes = new int[k];
            for (int i = 0; i < n; i++) {
                assertTrue(fold[i] >= 0 && fold[i] < k);
                perClass[fold[i]][d.labels()[i]]++;
                sizes[fold[i]]++;
            }
            assertNoLeak(d.patients(), fold, "folds, trial " + trial);
            long[] totals = classTotals(d.labels(), d.classes());
            for (int f = 0; f < k; f++) {
                assertTrue(sizes[f] > 0, "fold " + f + " empty");
                double bound = singletons ? 1.0 : d.maxGroup() + 1e-9;
                assertTrue(Math.abs(sizes[f] - (double) n / k) <= bound,
                        "trial " + trial + " fold " + f + ": " + Splits.describeFolds(d.labels(), fold, k));
                for (int c = 0; c < d.classes(); c++) {
                    double dev = Math.abs(perClass[f][c] - (double) totals[c] / k);
                    if (singletons) {
                        assertTrue(dev < 1.0, "trial " + trial + " fold " + f + " class " + c);
                    } else {
                        assertTrue(dev <= 2.0 * d.maxGroup(), "trial " + trial + " fold " + f + " class " + c);
                    }
                }
            }
        }
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> Splits.folds(new int[] {0, 1, 0, 1}, new String[] {"a", "a", "b", "b"}, 3, 1));
        assertTrue(tooMany.getMessage().contains("patient groups"), tooMany.getMessage());
    }

    @Test
    void foldsOfAnImageSetKeepPatientsTogether() {
        ImageSet data = SyntheticImages.generate("blobs", 3, 60, 1, 8, 1);
        String[] patients = new String[data.size()];
        for (int i = 0; i < patients.length; i++) {
            patients[i] = "p" + (i / 3);
        }
        int[] fold = Folds.assign(data, patients, 4, 7);
        assertNoLeak(patients, fold, "Folds.assign");
        Set<Integer> used = new HashSet<>();
        for (int f : fold) {
            used.add(f);
        }
        assertEquals(4, used.size());
    }

    @Test
    void describeListsSizesAndClassCounts() {
        int[] labels = new int[100];
        String[] patients = new String[100];
        for (int i = 0; i < 100; i++) {
            labels[i] = i < 30 ? 1 : 0;
            patients[i] = "p" + i / 2;
        }
        Splits.Assignment a = Splits.assign(labels, patients, null, new Splits.Ratios(0.6, 0.2, 0.2), 1);
        String text = a.describe(List.of("normal", "tumour"));
        List<String> lines = new ArrayList<>(text.lines().toList());
        assertEquals(4, lines.size(), text);
        assertTrue(lines.get(0).contains("50 patient groups"), text);
        for (int s = 0; s < 3; s++) {
            String line = lines.get(s + 1);
            assertTrue(line.strip().startsWith(Splits.NAMES.get(s)), text);
            assertTrue(line.contains(" " + a.size(s) + " "), text);
            long[] cc = a.classCounts(s);
            assertTrue(line.contains("normal=" + cc[0]) && line.contains("tumour=" + cc[1]), text);
        }
    }

    @Test
    void theLeakWarningNamesPatientsByRecordNeverById() {
        // 8 patients of 2 samples; the data puts patients 1, 4 and 6 on both sides
        int n = 16;
        int[] labels = new int[n];
        String[] patients = new String[n];
        String[] splits = new String[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (i / 2) % 2;
            patients[i] = "PATIENT-SECRET-" + (40 + i / 2);
            int p = i / 2;
            splits[i] = p == 1 || p == 4 || p == 6 ? (i % 2 == 0 ? "train" : "test") : (p < 5 ? "train" : p == 5 ? "val" : "test");
        }
        Splits.Assignment a = Splits.assign(labels, patients, splits, new Splits.Ratios(0.7, 0.15, 0.15), 1);
        assertEquals(List.of(2, 8, 12), a.leaks().stream().map(Splits.Leak::firstSample).toList());
        String byIndex = a.describe();
        assertTrue(byIndex.contains("3 patients are in more than one of the data's own splits (the patient of record #2,"
                + " the patient of record #8, the patient of record #12)"), byIndex);

        RecordNames salted = RecordNames.hashed(new byte[] {1, 2, 3});
        String hashed = a.describe(null, salted);
        assertTrue(hashed.contains("(" + salted.patient(2, "PATIENT-SECRET-41") + ", "), hashed);
        for (String text : List.of(byIndex, hashed)) {
            assertFalse(text.contains("PATIENT-SECRET"), text);
        }
    }
}
