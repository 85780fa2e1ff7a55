package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Split names and the checks every reader makes before it returns a {@link SampleSet}. */
final class SampleSets {

    static final List<String> NAMES = List.of("train", "val", "test");

    private SampleSets() {}

    /**
     * The split a word names ("train", "val"/"valid"/"validation", "test", any case), null for a null
     * or blank word; anything else is null too, and {@link #isKnown} tells the two apart.
     */
    static String normalize(String word) {
        if (word == null) {
            return null;
        }
        switch (word.trim().toLowerCase(Locale.ROOT)) {
            case "train":
            case "training":
                return "train";
            case "val":
            case "valid":
            case "validation":
                return "val";
            case "test":
            case "testing":
                return "test";
            default:
                return null;
        }
    }

    static boolean isKnown(String word) {
        return word == null || word.isBlank() || normalize(word) != null;
    }

    /**
     * The set, after checking that it is not empty and that every split the data declared (before
     * bad records were skipped) still holds a sample.
     */
    static SampleSet finish(String name, List<Sample> samples, List<String> classNames, long skipped,
            Collection<String> declaredSplits) {
        Set<String> declared = new LinkedHashSet<>();
        for (String s : declaredSplits) {
            if (s != null) {
                declared.add(s);
            }
        }
        for (Sample s : samples) {
            if (s.split() != null) {
                declared.add(s.split());
            }
        }
        for (String split : declared) {
            boolean any = false;
            for (Sample s : samples) {
                if (split.equals(s.split())) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                throw new BadRecordException(name + ": the " + split + " split has no samples"
                        + (skipped > 0 ? " (" + skipped + " bad records were skipped)" : ""));
            }
        }
        if (samples.isEmpty()) {
            throw new BadRecordException(name + ": no samples"
                    + (skipped > 0 ? " (all " + skipped + " records were bad and skipped)" : ""));
        }
        return new SampleSet(name, List.copyOf(samples), List.copyOf(classNames), skipped);
    }

    /**
     * The largest class count a reader infers from integer labels (ImageNet-21k has 21,841): a
     * larger label, with no class list given, is a bad record, not a list of a billion names.
     */
    static final int MAX_INFERRED_CLASSES = 100_000;

    static List<String> numbered(int count) {
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }
}
