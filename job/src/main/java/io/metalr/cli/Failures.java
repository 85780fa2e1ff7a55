package io.metalr.cli;

import io.metalr.train.FailureKind;

/** Maps a failure to its exit code, so a pipeline can tell bad input from a broken cluster. */
final class Failures {

    private Failures() {}

    static int exitCode(Throwable e) {
        return switch (FailureKind.of(e)) {
            case DIVERGED -> ExitCodes.DIVERGED;
            case DATA -> ExitCodes.BAD_DATA;
            case CONFIG -> ExitCodes.BAD_CONFIG;
            case INFRASTRUCTURE -> ExitCodes.INFRASTRUCTURE;
        };
    }
}
