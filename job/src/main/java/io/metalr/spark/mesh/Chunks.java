package io.metalr.spark.mesh;

/**
 * Which contiguous elements each rank owns in a reduce-scatter: chunk c is
 * [n*c/size, n*(c+1)/size), so chunk lengths differ by at most one and some are empty when
 * n &lt; size.
 */
final class Chunks {

    private Chunks() {
    }

    static int start(int n, int size, int chunk) {
        return (int) ((long) n * chunk / size);
    }

    static int length(int n, int size, int chunk) {
        return start(n, size, chunk + 1) - start(n, size, chunk);
    }
}
