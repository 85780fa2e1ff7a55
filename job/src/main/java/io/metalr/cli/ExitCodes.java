package io.metalr.cli;

/** Exit codes that scheduled pipelines can branch on. */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int BAD_CONFIG = 2;
    public static final int BAD_DATA = 3;
    public static final int DIVERGED = 4;
    public static final int INFRASTRUCTURE = 5;

    private ExitCodes() {}
}
