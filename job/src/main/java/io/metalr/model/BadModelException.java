package io.metalr.model;

import java.io.IOException;

/** A model directory or weights file that cannot be used as it is: bad input, not a broken cluster. */
public class BadModelException extends IOException {

    private static final long serialVersionUID = 1L;

    public BadModelException(String message) {
        super(message);
    }

    public BadModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
