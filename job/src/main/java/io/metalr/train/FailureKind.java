package io.metalr.train;

import com.typesafe.config.ConfigException;

import io.metalr.model.BadModelException;
import io.metalr.udf.image.BadRecordException;

import java.io.FileNotFoundException;
import java.io.UncheckedIOException;

/**
 * What a failure says about its cause: the user's config, the user's data (or model), a training
 * run that diverged, or the machinery (engine, cluster, file system). Exit codes and failed sweep
 * trials are both decided here.
 */
public enum FailureKind {
    CONFIG,
    DATA,
    DIVERGED,
    INFRASTRUCTURE;

    public static FailureKind of(Throwable e) {
        // a task's failure reaches the driver wrapped (SparkException, ExecutionException...): its cause decides
        Throwable c = e;
        for (int depth = 0; c != null && depth < 16; depth++, c = c.getCause()) {
            if (c instanceof TrainingDivergedException) {
                return DIVERGED;
            }
            if (c instanceof BadRecordException || c instanceof BadModelException) {
                return DATA;
            }
        }
        Throwable io = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (io instanceof FileNotFoundException) {
            return DATA;
        }
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            return CONFIG;
        }
        return INFRASTRUCTURE;
    }
}
