package io.metalr.model.io;

import io.metalr.model.BadModelException;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;

/**
 * DJL's NDList format ({@code NDList.encode}, what this job writes as {@code .ndlist}), read
 * without DJL's decoder, which allocates whatever length a file states. All numbers are
 * big-endian ({@code DataOutputStream}):
 * <pre>
 * int count, then count times:
 *   UTF "NDAR", int version (1..3),
 *   [version >= 2] byte hasName, [hasName == 1] UTF name,
 *   UTF sparse format (ignored, as DJL does), UTF data type name (FLOAT32, INT64, ...),
 *   shape: int rank, rank longs, int layout length, that many 2-byte chars,
 *   [version >= 3] byte '&gt;' (big-endian data) or '&lt;' (little-endian; older versions: native order),
 *   int length, length bytes of data
 * </pre>
 * Every length is checked against the bytes left before anything is allocated.
 */
public final class NdListReader {

    private static final int MAX_RANK = 64;

    private NdListReader() {
    }

    /** Every array of the file by name, in file order; an unnamed array is refused. */
    public static LinkedHashMap<String, TensorData> read(byte[] file, String source) throws BadModelException {
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        ByteArrayInputStream left = new ByteArrayInputStream(file); // its available() is the bytes left
        DataInputStream in = new DataInputStream(left);
        int index = 0;
        try {
            int count = in.readInt();
            if (count < 0) {
                throw new BadModelException(source + ": not an NDList file (array count " + count + ")");
            }
            for (; index < count; index++) {
                TensorData t = array(file, in, left, source + ": array " + index, source);
                if (out.put(t.name(), t) != null) {
                    throw new BadModelException(source + ": holds two tensors named '" + t.name() + "'");
                }
            }
        } catch (BadModelException e) {
            throw e;
        } catch (IOException e) { // the stream is in memory: only running out of bytes or a malformed string
            throw new BadModelException(source + ": not an NDList file, or truncated (at array " + index
                    + ": " + e.getClass().getSimpleName() + ")", e);
        }
        if (left.available() > 0) {
            throw new BadModelException(source + ": not an NDList file (" + left.available() + " bytes after the last array)");
        }
        return out;
    }

    private static TensorData array(byte[] file, DataInputStream in, ByteArrayInputStream left, String where, String source) throws IOException {
        if (!"NDAR".equals(in.readUTF())) {
            throw new BadModelException(where + ": not an NDList array (no NDAR magic; not an NDList file or corrupt)");
        }
        int version = in.readInt();
        if (version < 1 || version > 3) {
            throw new BadModelException(where + ": NDArray encoding version " + version + " is not supported");
        }
        String name = version >= 2 && in.readByte() == 1 ? in.readUTF() : null;
        if (name == null || name.isEmpty()) {
            throw new BadModelException(source + ": holds an unnamed tensor; weights must be named");
        }
        where = source + ": tensor '" + name + "'";
        in.readUTF(); // sparse format
        TorchDtype dtype = TorchDtype.named(in.readUTF(), d -> d.djl, where);
        int rank = in.readInt();
        if (rank < 0 || rank > MAX_RANK) {
            throw new BadModelException(where + " has rank " + rank + " (corrupt file)");
        }
        long[] shape = new long[rank];
        for (int d = 0; d < rank; d++) {
            shape[d] = in.readLong();
        }
        int layout = in.readInt();
        if (layout < 0 || layout > left.available() / 2) {
            throw new BadModelException(where + " has a shape layout of " + layout + " characters (corrupt or truncated file)");
        }
        in.skipNBytes(2L * layout);
        ByteOrder order = version >= 3 ? (in.readByte() == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
                : ByteOrder.nativeOrder();
        int length = in.readInt();
        if (length < 0 || length > left.available()) {
            throw new BadModelException(where + " declares " + length + " bytes of data, the file has "
                    + left.available() + " left (corrupt or truncated file)");
        }
        ByteBuffer data = ByteBuffer.wrap(file, file.length - left.available(), length).slice().order(order);
        in.skipNBytes(length);
        return dtype.dense(name, shape, data, where);
    }
}
