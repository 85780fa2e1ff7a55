package io.metalr.udf.image;

/**
 * A record that cannot be used: a corrupt or truncated image, a wrong shape, a label out of range,
 * a NaN pixel. The message names the file or row. With {@code data.onBadRecord = skip} readers
 * count and skip these; otherwise the run stops with the message.
 */
public class BadRecordException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BadRecordException(String message) {
        super(message);
    }

    public BadRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
