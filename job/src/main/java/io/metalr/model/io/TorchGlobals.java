package io.metalr.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whitelist: the only Python names a torch pickle may use, and what each one builds.
 *
 * <p>Tensors arrive as {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)} where the
 * storage is a persistent id {@code ('storage', torch.FloatStorage, key, location, numel)} naming
 * the record {@code data/<key>}. Storages are loaded once and shared, because several tensors
 * may be views of one storage. Tensors come back as {@link TensorData} with an empty name; the
 * reader names them from the dict key or attribute path they were found under.
 */
final class TorchGlobals implements Unpickler.Resolver {

    /** What {@code torch.FloatStorage} and friends resolve to. */
    record StorageType(TorchDtype dtype) {
    }

    /** A persistent-id storage: the record {@code data/<key>} holding {@code numel} elements. */
    record StorageRef(TorchDtype dtype, String key, long numel) {
    }

    private static final Unpickler.Callable FIRST_ARGUMENT = args -> args.isEmpty() ? null : args.get(0);

    private final TorchArchive archive;
    private final String source;
    private final Map<String, ByteBuffer> storages = new HashMap<>();
    private ByteOrder byteOrder;

    TorchGlobals(TorchArchive archive) {
        this.archive = archive;
        this.source = archive.source();
    }

    @Override
    public Object global(String module, String name) throws IOException {
        String full = module + "." + name;
        switch (full) {
            case "collections.OrderedDict":
                return (Unpickler.Callable) TorchGlobals::orderedDict;
            case "torch._utils._rebuild_tensor_v2":
                return (Unpickler.Callable) this::rebuildTensor;
            // A saved nn.Parameter: (tensor, requires_grad, hooks[, state]); the tensor is all we keep.
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
            // TorchScript tags typed lists and dicts with these; each returns its first argument.
            case "torch.jit._pickle.build_intlist":
            case "torch.jit._pickle.build_doublelist":
            case "torch.jit._pickle.build_boollist":
            case "torch.jit._pickle.build_tensorlist":
            case "torch.jit._pickle.restore_type_tag":
                return FIRST_ARGUMENT;
            case "torch.storage._load_from_bytes":
                throw new IOException(source + ": data.pkl stores a storage as a nested legacy pickle"
                        + " (torch.storage._load_from_bytes), which is not supported;"
                        + " re-save it with a current torch: torch.save(torch.load(f), f)");
            default:
                break;
        }
        if (module.equals("torch")) {
            TorchDtype dtype = TorchDtype.ofStorageClass(name);
            if (dtype != null) {
                return new StorageType(dtype);
            }
        }
        // TorchScript module classes: plain attribute holders here, their code is never looked at.
        if (module.equals("__torch__") || module.startsWith("__torch__.")) {
            return new Unpickler.ClassRef(full);
        }
        throw new IOException(source + ": data.pkl refers to the Python global '" + full
                + "', which is not allowed (only torch tensors, storages and TorchScript modules are read;"
                + " nothing in the file is executed). If it is a model class, save model.state_dict() instead.");
    }

    @Override
    public Object persistentLoad(Object pid) throws IOException {
        if (pid instanceof List<?> t && t.size() == 5 && "storage".equals(t.get(0))
                && t.get(1) instanceof StorageType type && t.get(2) instanceof String key
                && t.get(4) instanceof Long numel) {
            return new StorageRef(type.dtype(), key, numel);
        }
        throw new IOException(source + ": data.pkl has an unknown persistent id " + pid);
    }

    private static Object orderedDict(List<Object> args) {
        Map<Object, Object> dict = new LinkedHashMap<>();
        if (!args.isEmpty() && args.get(0) instanceof List<?> pairs) { // OrderedDict([(k, v), ...])
            for (Object pair : pairs) {
                if (pair instanceof List<?> kv && kv.size() == 2) {
                    dict.put(kv.get(0), kv.get(1));
                }
            }
        }
        return dict;
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])}. */
    private Object rebuildTensor(List<Object> args) throws IOException {
        if (args.size() < 4 || !(args.get(0) instanceof StorageRef ref)) {
            throw new IOException(source + ": malformed _rebuild_tensor_v2 arguments");
        }
        long offset = toLong(args.get(1));
        long[] size = toLongs(args.get(2));
        long[] stride = toLongs(args.get(3));
        if (size.length != stride.length) {
            throw new IOException(source + ": tensor in data/" + ref.key() + " has size and stride of different ranks");
        }
        ByteBuffer buf = storage(ref);
        long available = Math.min(ref.numel(), buf.capacity() / ref.dtype().size);
        long numel;
        long last = offset; // highest storage index the view touches
        try {
            numel = TensorData.numel(size);
            for (int d = 0; d < size.length; d++) {
                if (size[d] < 0 || stride[d] < 0) {
                    throw new IOException(source + ": tensor in data/" + ref.key() + " has a negative size or stride");
                }
                if (size[d] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(size[d] - 1, stride[d]));
                }
            }
        } catch (ArithmeticException ex) {
            throw new IOException(source + ": tensor in data/" + ref.key() + " has an impossible shape", ex);
        }
        if (offset < 0 || numel > Integer.MAX_VALUE - 8) {
            throw new IOException(source + ": tensor in data/" + ref.key() + " has an unsupported offset or size");
        }
        if (numel > 0 && last >= available) {
            throw new IOException(source + ": storage data/" + ref.key() + " holds " + available + " "
                    + ref.dtype().dtypeName + " values, but a tensor view (offset " + offset + ", size "
                    + java.util.Arrays.toString(size) + ", stride " + java.util.Arrays.toString(stride)
                    + ") needs " + (last + 1) + " (storage too short; truncated or corrupt file)");
        }
        return copyView(ref.dtype(), buf, offset, size, stride, (int) numel);
    }

    /** Walks the view in row-major order, so non-contiguous views come out contiguous. */
    private static TensorData copyView(TorchDtype dtype, ByteBuffer buf, long offset, long[] size, long[] stride, int n) {
        float[] floats = dtype.floating ? new float[n] : null;
        long[] longs = dtype.floating ? null : new long[n];
        long[] index = new long[size.length];
        long at = offset;
        for (int k = 0; k < n; k++) {
            if (floats != null) {
                floats[k] = dtype.getFloat(buf, (int) at);
            } else {
                longs[k] = dtype.getLong(buf, (int) at);
            }
            for (int d = size.length - 1; d >= 0; d--) { // odometer step over the last dimension first
                index[d]++;
                at += stride[d];
                if (index[d] < size[d]) {
                    break;
                }
                at -= stride[d] * size[d];
                index[d] = 0;
            }
        }
        return new TensorData("", size, dtype.dtypeName, floats, longs);
    }

    private ByteBuffer storage(StorageRef ref) throws IOException {
        ByteBuffer buf = storages.get(ref.key());
        if (buf == null) {
            if (byteOrder == null) {
                byteOrder = archive.byteOrder();
            }
            if (!archive.has("data/" + ref.key())) {
                throw new IOException(source + ": tensor storage data/" + ref.key()
                        + " is missing from the archive (incomplete or corrupt file)");
            }
            buf = ByteBuffer.wrap(archive.read("data/" + ref.key())).order(byteOrder);
            storages.put(ref.key(), buf);
        }
        return buf;
    }

    private long toLong(Object o) throws IOException {
        if (o instanceof Long v) {
            return v;
        }
        throw new IOException(source + ": expected an int in tensor arguments, got " + o);
    }

    private long[] toLongs(Object o) throws IOException {
        if (!(o instanceof List<?> list)) {
            throw new IOException(source + ": expected a tuple of ints in tensor arguments, got " + o);
        }
        List<Object> items = new ArrayList<>(list);
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toLong(items.get(i));
        }
        return out;
    }
}
