package io.metalr.data.read;

import java.util.List;

/**
 * What a reader returns: the samples, the class names (index = label), and how many bad records
 * it skipped (with {@code data.onBadRecord = skip}; 0 otherwise, since a bad record then fails).
 */
public record SampleSet(String name, List<Sample> samples, List<String> classNames, long skipped) {

    public int numClasses() {
        return classNames.size();
    }
}
