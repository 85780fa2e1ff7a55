package io.metalr.data;

import io.metalr.report.RecordNames;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Which samples train, validate and test: a pure function of the labels, the patient ids, the data's
 * own split names, the ratios and the seed.
 *
 * <p><b>Patient groups.</b> All samples of one patient land in one split (or fold): a group is the
 * set of samples sharing a non-blank patient id; a sample whose patient id is null or blank is a
 * group of its own. No patient is ever in two splits that this class chooses.
 *
 * <p><b>Stratification.</b> First each split's quota of every class is fixed in whole samples:
 * {@code ratio * classTotal} rounded down, with the left-over samples of each class going to the
 * splits whose fractional shares they are, preferring the split that is furthest below its size
 * target. So a quota is always within one sample of its exact share. Then the groups, in a seeded
 * shuffle and largest first, are handed out greedily: each goes to the split where it reduces the
 * per-class and total shortfall the most (ties: the split that is proportionally emptiest, then
 * the first). When every patient has one sample this meets every quota exactly, so each split
 * holds each class within one sample of its share; with larger groups it is as close as the greedy
 * gets (groups are never cut).
 *
 * <p><b>The data's own splits.</b> If every sample names a split, those are used: "train" and
 * "test" must then hold samples; a data set without "val" gets one carved out of "train" by the
 * same grouped, stratified method, taking the val ratio's share of it (val = 0.15: 15% of the
 * data's train split, as conf/reference.conf documents for data.split). Names are case-insensitive; "training", "valid", "validation", "dev",
 * "testing" are accepted as synonyms. If only some samples name a split, that is an error (a silent
 * mix would either drop the data's test split or leak across it).
 */
public final class Splits {

    /** The three split names, in index order. */
    public static final List<String> NAMES = List.of("train", "val", "test");

    public static final int TRAIN = 0;
    public static final int VAL = 1;
    public static final int TEST = 2;

    private static final double EPS = 1e-9;

    private Splits() {}

    /** Fractions of the data for train, val and test; each in [0, 1], train above 0, summing to 1. */
    public record Ratios(double train, double val, double test) {

        public Ratios {
            for (double d : new double[] {train, val, test}) {
                if (!(d >= 0 && d <= 1)) {
                    throw new IllegalArgumentException("split ratios must each be in [0, 1], got " + text(train, val, test));
                }
            }
            if (train <= 0) {
                throw new IllegalArgumentException("the train ratio must be above 0, got " + text(train, val, test));
            }
            if (Math.abs(train + val + test - 1) > 1e-6) {
                throw new IllegalArgumentException("split ratios must sum to 1, got " + text(train, val, test)
                        + " (sum " + (train + val + test) + ")");
            }
        }

        double[] toArray() {
            return new double[] {train, val, test};
        }

        @Override
        public String toString() {
            return text(train, val, test);
        }

        private static String text(double train, double val, double test) {
            return "train " + fmt(train) + " / val " + fmt(val) + " / test " + fmt(test);
        }
    }

    /**
     * The chosen splits: sorted sample indices of each, the class counts, how they were chosen, and
     * the patients the data's own splits put in more than one split (warned about, never by id).
     */
    public static final class Assignment {

        private final int[][] indices;
        private final long[][] classCounts;
        private final int groups;
        private final String how;
        private final List<Leak> leaks;

        Assignment(int[][] indices, int[] labels, int numClasses, int groups, String how, List<Leak> leaks) {
            this.indices = indices;
            this.classCounts = new long[indices.length][numClasses];
            for (int s = 0; s < indices.length; s++) {
                for (int i : indices[s]) {
                    classCounts[s][labels[i]]++;
                }
            }
            this.groups = groups;
            this.how = how;
            this.leaks = List.copyOf(leaks);
        }

        public int[] train() {
            return indices[TRAIN].clone();
        }

        public int[] val() {
            return indices[VAL].clone();
        }

        public int[] test() {
            return indices[TEST].clone();
        }

        /** The indices of split {@link #TRAIN}, {@link #VAL} or {@link #TEST}, ascending. */
        public int[] indices(int split) {
            return indices[split].clone();
        }

        public int size(int split) {
            return indices[split].length;
        }

        /** Samples of each class in a split. */
        public long[] classCounts(int split) {
            return classCounts[split].clone();
        }

        /** The split of each sample ({@link #TRAIN}, {@link #VAL}, {@link #TEST}); n = total samples. */
        public int[] splitOf(int n) {
            int[] of = new int[n];
            Arrays.fill(of, -1);
            for (int s = 0; s < indices.length; s++) {
                for (int i : indices[s]) {
                    of[i] = s;
                }
            }
            return of;
        }

        /** Patient groups seen (patients plus samples without a patient id). */
        public int groups() {
            return groups;
        }

        /** How the splits were chosen, e.g. "stratified by ratio train 0.7 / val 0.15 / test 0.15, seed 1". */
        public String how() {
            return how;
        }

        /** {@link #warnings(RecordNames)}, patients named by their first record's index. */
        public List<String> warnings() {
            return warnings(RecordNames.byIndex());
        }

        /** The patients the data's own splits put in more than one split, by their first sample. */
        public List<Leak> leaks() {
            return leaks;
        }

        /**
         * Patients that the data's own splits put in more than one split (at most one warning),
         * named as {@code names} says: never by their id, since the warning goes to the log and the
         * run's reports.
         */
        public List<String> warnings(RecordNames names) {
            if (leaks.isEmpty()) {
                return List.of();
            }
            List<String> shown = new ArrayList<>();
            for (Leak l : leaks.subList(0, Math.min(SHOWN, leaks.size()))) {
                shown.add(names.patient(l.firstSample(), l.patientId()));
            }
            return List.of(leaks.size() + " patients are in more than one of the data's own splits ("
                    + String.join(", ", shown) + (leaks.size() > SHOWN ? ", ..." : "")
                    + "); their samples were kept where the data put them");
        }

        /** {@link #describe(List)} with classes named by their index. */
        public String describe() {
            return describe(null);
        }

        /** {@link #describe(List, RecordNames)}, patients named by their first record's index. */
        public String describe(List<String> classNames) {
            return describe(classNames, RecordNames.byIndex());
        }

        /**
         * A few lines for the log and the run's reports: how, then each split's size and class
         * counts, then warnings (records named as {@code names} says).
         */
        public String describe(List<String> classNames, RecordNames names) {
            StringBuilder sb = new StringBuilder("splits: ").append(how).append(", ").append(groups).append(" patient groups");
            int total = 0;
            for (int[] ix : indices) {
                total += ix.length;
            }
            for (int s = 0; s < indices.length; s++) {
                sb.append(String.format(Locale.ROOT, "%n  %-5s %7d (%5.1f%%)", NAMES.get(s), indices[s].length,
                        total == 0 ? 0.0 : 100.0 * indices[s].length / total));
                sb.append("  classes ");
                for (int c = 0; c < classCounts[s].length; c++) {
                    if (c > 0) {
                        sb.append(", ");
                    }
                    sb.append(classNames != null && c < classNames.size() ? classNames.get(c) : String.valueOf(c))
                            .append('=').append(classCounts[s][c]);
                }
            }
            for (String w : warnings(names)) {
                sb.append(System.lineSeparator()).append("  warning: ").append(w);
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /**
     * Assigns every sample to train, val or test.
     *
     * @param labels class of each sample, 0-based
     * @param patientIds patient of each sample (null or blank: its own group); the array may be null
     * @param splits the data's own split name of each sample, or null; the array may be null
     * @param r the ratios (used whole when the data has no splits; only for carving val otherwise)
     * @param seed the shuffle seed
     * @throws IllegalArgumentException naming the split that came out empty, a split name not
     *     understood, or data where only some samples name a split
     */
    public static Assignment assign(int[] labels, String[] patientIds, String[] splits, Ratios r, long seed) {
        int n = labels.length;
        int numClasses = checkLabels(labels);
        checkLength("patientIds", patientIds, n);
        checkLength("splits", splits, n);
        int named = 0;
        if (splits != null) {
            for (String s : splits) {
                if (s != null && !s.isBlank()) {
                    named++;
                }
            }
        }
        List<int[]> groups = groups(n, patientIds);
        if (named == 0) {
            int[] of = assignGroups(labels, numClasses, groups, r.toArray(), seed);
            int[][] idx = byPart(of, 3);
            for (int s = 0; s < 3; s++) {
                if (idx[s].length == 0 && r.toArray()[s] > 0) {
                    throw new IllegalArgumentException("split '" + NAMES.get(s) + "' came out empty: " + n + " samples in "
                            + groups.size() + " patient groups are too few for " + r);
                }
            }
            return new Assignment(idx, labels, numClasses, groups.size(),
                    "stratified by ratio " + r + ", grouped by patient, seed " + seed, List.of());
        }
        if (named < n) {
            int first = -1;
            for (int i = 0; i < n && first < 0; i++) {
                if (splits[i] == null || splits[i].isBlank()) {
                    first = i;
                }
            }
            throw new IllegalArgumentException((n - named) + " of " + n + " samples name no split (first: sample " + first
                    + ") while the others do; give every sample a split or none");
        }
        int[] of = new int[n];
        for (int i = 0; i < n; i++) {
            of[i] = splitIndex(splits[i], i);
        }
        int[][] idx = byPart(of, 3);
        for (int s : new int[] {TRAIN, TEST}) {
            if (idx[s].length == 0) {
                throw new IllegalArgumentException("the data's own split '" + NAMES.get(s) + "' has no samples (found: "
                        + foundNames(splits) + ")");
            }
        }
        String how = "the data's own splits";
        if (idx[VAL].length == 0) {
            double f = r.val();
            if (f <= 0) {
                throw new IllegalArgumentException("the data has no 'val' split and the val ratio is 0: nothing to validate on");
            }
            int[] train = idx[TRAIN];
            int[] subLabels = new int[train.length];
            for (int k = 0; k < train.length; k++) {
                subLabels[k] = labels[train[k]];
            }
            List<int[]> subGroups = groups(train.length, patientIds == null ? null : gatherIds(patientIds, train));
            int[] sub = assignGroups(subLabels, numClasses, subGroups, new double[] {1 - f, f}, seed);
            int[][] parts = byPart(sub, 2);
            if (parts[1].length == 0 || parts[0].length == 0) {
                throw new IllegalArgumentException("carving split 'val' (" + fmt(f) + " of train) out of " + train.length
                        + " train samples in " + subGroups.size() + " patient groups left " + (parts[1].length == 0 ? "val" : "train")
                        + " empty");
            }
            idx[TRAIN] = gather(train, parts[0]);
            idx[VAL] = gather(train, parts[1]);
            how += "; val carved from train (" + fmt(f) + " of it, stratified, grouped by patient, seed " + seed + ")";
        }
        return new Assignment(idx, labels, numClasses, groups.size(), how, leaks(patientIds, idx));
    }

    /**
     * Stratified, patient-grouped k-fold assignment: the fold (0..k-1) of each sample. Every fold
     * holds each class within one sample of its share when every patient has one sample.
     *
     * @throws IllegalArgumentException if k &lt; 2 or there are fewer than k patient groups
     */
    public static int[] folds(int[] labels, String[] patientIds, int k, long seed) {
        int numClasses = checkLabels(labels);
        checkLength("patientIds", patientIds, labels.length);
        List<int[]> groups = groups(labels.length, patientIds);
        if (k < 2 || k > groups.size()) {
            throw new IllegalArgumentException("k folds must be in 2.." + groups.size() + " (the number of patient groups), got " + k);
        }
        double[] ratios = new double[k];
        Arrays.fill(ratios, 1.0 / k);
        int[] fold = assignGroups(labels, numClasses, groups, ratios, seed ^ 0xF01DL);
        int[][] parts = byPart(fold, k);
        for (int f = 0; f < k; f++) {
            if (parts[f].length == 0) {
                throw new IllegalArgumentException("fold " + f + " of " + k + " came out empty: " + groups.size()
                        + " patient groups of " + labels.length + " samples are too uneven for " + k + " folds");
            }
        }
        return fold;
    }

    /** Sizes and class counts of k folds, for the log. */
    public static String describeFolds(int[] labels, int[] fold, int k) {
        int numClasses = checkLabels(labels);
        long[][] counts = new long[k][numClasses];
        int[] sizes = new int[k];
        for (int i = 0; i < fold.length; i++) {
            counts[fold[i]][labels[i]]++;
            sizes[fold[i]]++;
        }
        StringBuilder sb = new StringBuilder(k + " folds, stratified, grouped by patient:");
        for (int f = 0; f < k; f++) {
            sb.append(String.format(Locale.ROOT, "%n  fold %-2d %7d  classes %s", f, sizes[f], Arrays.toString(counts[f])));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- the grouped, stratified core

    /**
     * Hands whole groups to parts with the given ratios (summing to 1): the part of each sample.
     * Parts with ratio 0 get nothing.
     */
    static int[] assignGroups(int[] labels, int numClasses, List<int[]> groups, double[] ratios, long seed) {
        int parts = ratios.length;
        long[] total = new long[numClasses];
        for (int l : labels) {
            total[l]++;
        }
        long[][] quota = quotas(total, ratios);
        long[][] deficit = new long[parts][numClasses];
        long[] sizeDeficit = new long[parts];
        long[] sizeQuota = new long[parts];
        for (int s = 0; s < parts; s++) {
            for (int c = 0; c < numClasses; c++) {
                deficit[s][c] = quota[s][c];
                sizeQuota[s] += quota[s][c];
            }
            sizeDeficit[s] = sizeQuota[s];
        }

        // a seeded shuffle, then largest groups first (stable, so equal sizes stay shuffled)
        int[] perm = BatchOrder.permutation(groups.size(), new SplittableRandom(BatchOrder.mix(seed, groups.size(), 0x5B11)));
        Integer[] order = new Integer[groups.size()];
        for (int g = 0; g < order.length; g++) {
            order[g] = perm[g];
        }
        Arrays.sort(order, (a, b) -> Integer.compare(groups.get(b).length, groups.get(a).length));

        int[] of = new int[labels.length];
        int[] classes = new int[numClasses];
        long[] counts = new long[numClasses];
        for (int g : order) {
            int[] members = groups.get(g);
            int distinct = 0;
            for (int i : members) {
                if (counts[labels[i]]++ == 0) {
                    classes[distinct++] = labels[i];
                }
            }
            int best = -1;
            long bestScore = Long.MIN_VALUE;
            double bestFill = 0;
            for (int s = 0; s < parts; s++) {
                if (ratios[s] <= 0) {
                    continue;
                }
                long score = gain(sizeDeficit[s], members.length);
                for (int k = 0; k < distinct; k++) {
                    int c = classes[k];
                    score += gain(deficit[s][c], counts[c]);
                }
                double fill = sizeQuota[s] == 0 ? -1 : (double) sizeDeficit[s] / sizeQuota[s];
                if (score > bestScore || (score == bestScore && fill > bestFill)) {
                    best = s;
                    bestScore = score;
                    bestFill = fill;
                }
            }
            for (int k = 0; k < distinct; k++) {
                int c = classes[k];
                deficit[best][c] -= counts[c];
                counts[c] = 0;
            }
            sizeDeficit[best] -= members.length;
            for (int i : members) {
                of[i] = best;
            }
        }
        return of;
    }

    /** How much closer to 0 a shortfall gets when {@code take} samples fill it. */
    private static long gain(long deficit, long take) {
        return Math.abs(deficit) - Math.abs(deficit - take);
    }

    /**
     * Whole-sample quotas per part and class: each within one of {@code ratio * total}, each class's
     * quotas summing to its total; a class's left-over samples go to the parts with a fractional
     * share, those furthest below their size target first.
     */
    static long[][] quotas(long[] total, double[] ratios) {
        int parts = ratios.length;
        int numClasses = total.length;
        long[][] q = new long[parts][numClasses];
        double[][] frac = new double[parts][numClasses];
        double[] sizeDeficit = new double[parts];
        long all = 0;
        for (long t : total) {
            all += t;
        }
        for (int s = 0; s < parts; s++) {
            sizeDeficit[s] = ratios[s] * all;
        }
        for (int c = 0; c < numClasses; c++) {
            for (int s = 0; s < parts; s++) {
                double exact = ratios[s] * total[c];
                q[s][c] = (long) Math.floor(exact + EPS);
                frac[s][c] = Math.max(0, exact - q[s][c]);
                sizeDeficit[s] -= q[s][c];
            }
        }
        for (int c = 0; c < numClasses; c++) {
            long left = total[c];
            for (int s = 0; s < parts; s++) {
                left -= q[s][c];
            }
            int cc = c;
            List<Integer> cand = new ArrayList<>();
            for (int s = 0; s < parts; s++) {
                if (ratios[s] > 0) {
                    cand.add(s);
                }
            }
            // parts with a real fractional share first, then the furthest below size target, then the larger share
            cand.sort((a, b) -> {
                boolean fa = frac[a][cc] > EPS, fb = frac[b][cc] > EPS;
                if (fa != fb) {
                    return fa ? -1 : 1;
                }
                int d = Double.compare(sizeDeficit[b], sizeDeficit[a]);
                return d != 0 ? d : Double.compare(frac[b][cc], frac[a][cc]);
            });
            for (int k = 0; left > 0; k = (k + 1) % cand.size(), left--) {
                int s = cand.get(k);
                q[s][c]++;
                sizeDeficit[s] -= 1;
            }
        }
        return q;
    }

    // ---------------------------------------------------------------- helpers

    /** Groups of sample indices: one per distinct non-blank patient id (first-seen order), one per other sample. */
    static List<int[]> groups(int n, String[] patientIds) {
        Map<String, List<Integer>> byPatient = new LinkedHashMap<>();
        List<Object> slots = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = patientIds == null ? null : patientIds[i];
            if (p == null || p.isBlank()) {
                slots.add(new int[] {i});
            } else {
                List<Integer> members = byPatient.get(p);
                if (members == null) {
                    members = new ArrayList<>();
                    byPatient.put(p, members);
                    slots.add(members);
                }
                members.add(i);
            }
        }
        List<int[]> out = new ArrayList<>(slots.size());
        for (Object o : slots) {
            if (o instanceof int[] single) {
                out.add(single);
            } else {
                @SuppressWarnings("unchecked")
                List<Integer> members = (List<Integer>) o;
                out.add(members.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        return out;
    }

    private static int checkLabels(int[] labels) {
        int max = -1;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("sample " + i + " has label " + labels[i] + " (labels must be 0 or more)");
            }
            max = Math.max(max, labels[i]);
        }
        return max + 1;
    }

    private static void checkLength(String what, String[] a, int n) {
        if (a != null && a.length != n) {
            throw new IllegalArgumentException(what + " has " + a.length + " entries for " + n + " samples");
        }
    }

    private static int splitIndex(String name, int sample) {
        switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "train", "training":
                return TRAIN;
            case "val", "valid", "validation", "dev":
                return VAL;
            case "test", "testing":
                return TEST;
            default:
                throw new IllegalArgumentException("sample " + sample + " names split '" + name
                        + "'; known: train (training), val (valid, validation, dev), test (testing)");
        }
    }

    private static String foundNames(String[] splits) {
        TreeSet<String> names = new TreeSet<>();
        for (String s : splits) {
            names.add(s.strip().toLowerCase(Locale.ROOT));
        }
        return String.join(", ", names);
    }

    /** Indices of each part, ascending. */
    static int[][] byPart(int[] of, int parts) {
        int[] sizes = new int[parts];
        for (int p : of) {
            sizes[p]++;
        }
        int[][] out = new int[parts][];
        for (int p = 0; p < parts; p++) {
            out[p] = new int[sizes[p]];
        }
        int[] at = new int[parts];
        for (int i = 0; i < of.length; i++) {
            out[of[i]][at[of[i]]++] = i;
        }
        return out;
    }

    private static int[] gather(int[] from, int[] at) {
        int[] out = new int[at.length];
        for (int k = 0; k < at.length; k++) {
            out[k] = from[at[k]];
        }
        return out;
    }

    private static String[] gatherIds(String[] ids, int[] at) {
        String[] out = new String[at.length];
        for (int k = 0; k < at.length; k++) {
            out[k] = ids[at[k]];
        }
        return out;
    }

    /** How many leaked patients a warning names. */
    private static final int SHOWN = 5;

    /** A patient in more than one split, and the first of its samples (by index). */
    public record Leak(int firstSample, String patientId) {}

    /** The patients that the data's own splits put in more than one split, by their first sample. */
    private static List<Leak> leaks(String[] patientIds, int[][] idx) {
        if (patientIds == null) {
            return List.of();
        }
        Map<String, Integer> splitOf = new HashMap<>();
        Map<String, Integer> first = new HashMap<>();
        Set<String> leaked = new HashSet<>();
        for (int s = 0; s < idx.length; s++) {
            for (int i : idx[s]) {
                String p = patientIds[i];
                if (p == null || p.isBlank()) {
                    continue;
                }
                first.merge(p, i, Math::min);
                Integer before = splitOf.putIfAbsent(p, s);
                if (before != null && before != s) {
                    leaked.add(p);
                }
            }
        }
        List<Leak> out = new ArrayList<>();
        for (String p : leaked) {
            out.add(new Leak(first.get(p), p));
        }
        out.sort(Comparator.comparingInt(Leak::firstSample));
        return out;
    }

    private static String fmt(double d) {
        String s = String.format(Locale.ROOT, "%.4f", d);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
