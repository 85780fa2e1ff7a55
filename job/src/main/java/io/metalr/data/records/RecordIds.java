package io.metalr.data.records;

/**
 * The record id of a table row: {@code (file ordinal << 40) | row index}, the file ordinal being the
 * file's place among the table's data files sorted by path and the row index its place in that
 * file (Spark's {@code _metadata.row_index}). Stable across reads of the same files, whatever
 * order Spark schedules them in; ascending ids are file order, then row order.
 */
public final class RecordIds {

    /** Rows per file a rid can address (2^40); the ordinal then has 23 bits (8M files). */
    static final int ROW_BITS = 40;
    static final long MAX_ROW = (1L << ROW_BITS) - 1;
    static final int MAX_FILES = 1 << (63 - ROW_BITS);

    private RecordIds() {}

    public static long of(int file, long row) {
        if (file < 0 || file >= MAX_FILES || row < 0 || row > MAX_ROW) {
            throw new IllegalArgumentException("file " + file + " row " + row + " does not fit a record id");
        }
        return ((long) file << ROW_BITS) | row;
    }

    public static int file(long rid) {
        return (int) (rid >>> ROW_BITS);
    }

    public static long row(long rid) {
        return rid & MAX_ROW;
    }
}
