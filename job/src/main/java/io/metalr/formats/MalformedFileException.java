package io.metalr.formats;

/**
 * An untrusted file that does not hold what its format promises: truncated, corrupt, or declaring
 * more than it has. The message names the file (and entry or array). Unchecked and neutral, so the
 * parsers here serve both sides: the data readers turn it into a bad record, the model readers into
 * a bad model file.
 */
public class MalformedFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MalformedFileException(String message) {
        super(message);
    }

    public MalformedFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
