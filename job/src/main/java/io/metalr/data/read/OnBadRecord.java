package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a reader does with a bad record (a corrupt or truncated image, a wrong shape, a label out of
 * range or not an integer, a NaN or infinite pixel, a file a manifest names but that is missing).
 *
 * <p>{@link #FAIL}: the {@link BadRecordException} propagates; its message names the file or row.
 * {@link #SKIP}: the record is left out and counted in {@link SampleSet#skipped()}.
 *
 * <p>Problems with a whole file (a truncated {@code .npz}, a bad NIfTI header) fail under either
 * setting, and so does a split left with no samples.
 */
public enum OnBadRecord {
    FAIL,
    SKIP;

    private static final Logger LOG = LoggerFactory.getLogger(OnBadRecord.class);

    /** {@code fail} or {@code skip}, in any case (the config key {@code data.onBadRecord}). */
    public static OnBadRecord parse(String word) {
        if (word != null) {
            switch (word.trim().toLowerCase(Locale.ROOT)) {
                case "fail":
                    return FAIL;
                case "skip":
                    return SKIP;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("onBadRecord must be fail or skip, not '" + word + "'");
    }

    /**
     * Deals with one bad record: rethrows it under {@link #FAIL}, returns normally under
     * {@link #SKIP} (the caller then counts and drops the record).
     */
    public void handle(BadRecordException e) {
        if (this == FAIL) {
            throw e;
        }
        // the message names the file, which may name the patient: debug only (README, "Patient data")
        LOG.debug("skipped a bad record: {}", e.getMessage());
    }
}
