package io.metalr.udf.ml;

import java.util.Locale;

/**
 * What {@link MetalrClassifier} does with a row whose image is corrupt or whose values do not fit
 * the model (Spark ML's {@code handleInvalid} convention): fail the job naming the row, drop the
 * row, or keep it with null outputs. A null input is not invalid: it gives null outputs.
 */
enum HandleInvalid {
    ERROR,
    SKIP,
    KEEP;

    static final String[] NAMES = {"error", "skip", "keep"};

    static HandleInvalid parse(String word) {
        return valueOf(word.toUpperCase(Locale.ROOT));
    }
}
