package io.metalr.cli;

import com.typesafe.config.ConfigException;

import io.metalr.train.TrainingDivergedException;
import io.metalr.udf.image.BadRecordException;

import java.io.FileNotFoundException;
import java.io.UncheckedIOException;

/** Maps a failure to its exit code, so a pipeline can tell bad input from a broken cluster. */
final class Failures {

    private Failures() {}

    static int exitCode(Throwable e) {
        if (e instanceof TrainingDivergedException) {
            return ExitCodes.DIVERGED;
        }
        if (e instanceof BadRecordException || e instanceof io.metalr.model.BadModelException
                || (e instanceof UncheckedIOException u2 && u2.getCause() instanceof io.metalr.model.BadModelException)
                || (e instanceof UncheckedIOException u && u.getCause() instanceof FileNotFoundException)
                || e instanceof FileNotFoundException) {
            return ExitCodes.BAD_DATA;
        }
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            return ExitCodes.BAD_CONFIG;
        }
        return ExitCodes.INFRASTRUCTURE;
    }
}
