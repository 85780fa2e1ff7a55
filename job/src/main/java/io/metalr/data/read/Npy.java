package io.metalr.data.read;

import io.metalr.formats.BoundedZip;
import io.metalr.formats.MalformedFileException;
import io.metalr.formats.NpyArray;
import io.metalr.formats.NpyFormat;
import io.metalr.udf.image.BadRecordException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * NumPy {@code .npz} archives of a data set, read through the shared bounded parsers
 * ({@link BoundedZip}, {@link NpyFormat}); a malformed file is a {@link BadRecordException} naming
 * the file and key.
 *
 * <p>Dtypes: {@code u1}/{@code b1}, {@code i1}, {@code i2}, {@code u2}, {@code i4}, {@code i8},
 * {@code f4}, {@code f8}, either byte order, C order. No entry may inflate to more than
 * {@code data.max_file_bytes}.
 */
final class Npy {

    private Npy() {}

    static final Set<String> DTYPES = Set.of("u1", "b1", "i1", "i2", "u2", "i4", "i8", "f4", "f8");
    static final String SUPPORTED = "uint8, int8, int16, uint16, int32, int64, float32, float64 only";

    /**
     * The arrays of an {@code .npz}, by key (the entry name without {@code .npy}), in the zip's
     * order. Only the entries of {@code keys} (null = all) are inflated, none to more than
     * {@code maxEntryBytes}.
     */
    static Map<String, NpyArray> parseNpz(byte[] zip, String source, List<String> keys, long maxEntryBytes) {
        try {
            BoundedZip z = open(zip, source, maxEntryBytes);
            Map<String, NpyArray> out = new LinkedHashMap<>();
            for (BoundedZip.Entry e : z.entries().values()) {
                String key = key(e.name());
                if (keys == null || keys.contains(key)) {
                    out.put(key, NpyFormat.parse(z.read(e), source + " key " + key, DTYPES, SUPPORTED));
                }
            }
            return out;
        } catch (MalformedFileException e) {
            throw new BadRecordException(e.getMessage(), e);
        }
    }

    /** The keys of an npz, from its central directory only. */
    static List<String> npzKeys(byte[] zip, String source) {
        try {
            List<String> keys = new ArrayList<>();
            for (String name : open(zip, source, DataLimits.MAX_ARRAY).entries().keySet()) {
                keys.add(key(name));
            }
            return keys;
        } catch (MalformedFileException e) {
            throw new BadRecordException(e.getMessage(), e);
        }
    }

    private static BoundedZip open(byte[] zip, String source, long maxEntryBytes) {
        return BoundedZip.open(zip, source, ".npz file", name -> source + " key " + key(name),
                new BoundedZip.Limits(maxEntryBytes, "data.max_file_bytes", 0));
    }

    static String key(String entryName) {
        return entryName.endsWith(".npy") ? entryName.substring(0, entryName.length() - 4) : entryName;
    }
}
