package io.metalr.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What differs between two key = value records of a run (a checkpoint's fingerprint, a sweep's
 * manifest) and the one being started: the one comparison behind every "resume refused" message.
 */
public final class KeyDifferences {

    /** How one differing key is said; a value is null where that side lacks the key. */
    public interface Phrase {
        String of(String key, String was, String now);
    }

    private KeyDifferences() {}

    /** One phrase per key whose values differ, in key order; empty when the two agree. */
    public static List<String> between(Map<String, String> was, Map<String, String> now, Phrase phrase) {
        TreeSet<String> keys = new TreeSet<>(was.keySet());
        keys.addAll(now.keySet());
        List<String> out = new ArrayList<>();
        for (String key : keys) {
            String a = was.get(key);
            String b = now.get(key);
            if (!Objects.equals(a, b)) {
                out.add(phrase.of(key, a, b));
            }
        }
        return out;
    }
}
