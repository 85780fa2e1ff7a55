package io.metalr.cli;

import com.typesafe.config.ConfigException;

import io.metalr.train.TrainingDivergedException;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Maps a failure to its exit code. */
final class Failures {

    private Failures() {}

    static int exitCode(Throwable e) {
        if (e instanceof TrainingDivergedException) {
            return ExitCodes.DIVERGED;
        }
        if (e instanceof BadDataException) {
            return ExitCodes.BAD_DATA;
        }
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            return ExitCodes.BAD_CONFIG;
        }
        if (e instanceof IOException || e instanceof UncheckedIOException) {
            return ExitCodes.INFRASTRUCTURE;
        }
        return ExitCodes.INFRASTRUCTURE;
    }

    /** Bad input data (as opposed to a bad setting): exit code {@link ExitCodes#BAD_DATA}. */
    static final class BadDataException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadDataException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
