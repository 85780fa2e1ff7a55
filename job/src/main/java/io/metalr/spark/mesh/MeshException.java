package io.metalr.spark.mesh;

/**
 * A failure of the mesh (a peer gone, a timeout, cancelled): the task must fail, and with it the
 * barrier stage, since no rank can finish a collective step without every other.
 */
public final class MeshException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MeshException(String message) {
        super(message);
    }

    public MeshException(String message, Throwable cause) {
        super(message, cause);
    }
}
