package io.metalr.model.io;

import io.metalr.formats.BoundedZip;
import io.metalr.formats.MalformedFileException;
import io.metalr.formats.NpyArray;
import io.metalr.formats.NpyFormat;
import io.metalr.model.BadModelException;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * NumPy {@code .npz} weights ({@code np.savez}, DJL's NPZ encoding): a zip of one {@code .npy}
 * per tensor, named by the entry without {@code .npy}. Read through the shared bounded parsers
 * ({@link BoundedZip}, {@link NpyFormat}, the data readers' too), so sizes are checked against the
 * file before anything is allocated; a malformed file is a {@link BadModelException}.
 */
public final class NpzWeightsReader {

    /** The npy dtype codes weights may have. */
    private static final Set<String> DTYPES = Arrays.stream(TorchDtype.values()).map(d -> d.npy)
            .filter(Objects::nonNull).collect(Collectors.toUnmodifiableSet());
    private static final String SUPPORTED = "float16/32/64, int8/16/32/64, uint8, bool";

    private NpzWeightsReader() {
    }

    /** Every array of the archive by name, in the archive's order. */
    public static LinkedHashMap<String, TensorData> read(byte[] file, String source) throws BadModelException {
        BoundedZip zip = TorchArchive.openZip(file, source, ".npz weights file");
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        for (BoundedZip.Entry e : zip.entries().values()) {
            String name = e.name().endsWith(".npy") ? e.name().substring(0, e.name().length() - 4) : e.name();
            if (name.isEmpty()) {
                throw new BadModelException(source + ": holds an unnamed array; weights must be named");
            }
            String where = source + ": tensor '" + name + "'";
            NpyArray a;
            try {
                a = NpyFormat.parse(zip.read(e), where, DTYPES, SUPPORTED);
            } catch (MalformedFileException x) {
                throw new BadModelException(x.getMessage(), x);
            }
            out.put(name, TorchDtype.named(a.dtype(), d -> d.npy, where).dense(name, a.shape(), a.data(), where));
        }
        return out;
    }
}
