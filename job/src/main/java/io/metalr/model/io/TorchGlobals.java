package io.metalr.model.io;

import io.metalr.model.BadModelException;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whitelist: the only Python names a torch pickle may use, and what each one builds.
 *
 * <p>Tensors arrive as {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)} where the
 * storage is a persistent id {@code ('storage', torch.FloatStorage, key, location, numel)} naming
 * the record {@code data/<key>}. Storages are loaded once and shared, because several tensors
 * may be views of one storage. Tensors come back as {@link TensorView}s, which the reader names
 * from the dict key or attribute path they were found under and then materialises.
 */
final class TorchGlobals implements Unpickler.Resolver {

    /** What {@code torch.FloatStorage} and friends resolve to. */
    record StorageType(TorchDtype dtype) {
    }

    /** A persistent-id storage: the record {@code data/<key>} holding {@code numel} elements. */
    record StorageRef(TorchDtype dtype, String key, long numel) {
    }

    /**
     * A tensor as the pickle describes it, not yet read: the reader names it (from its dict key
     * or attribute path) and then {@link #materialise}s it, so errors name the tensor, and
     * tensors nobody asks for (an optimizer's state in a checkpoint) are never read.
     */
    record TensorView(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** See {@link #materialise}. */
    private static final long VALUES_PER_STORED_VALUE = 2;
    private static final long VALUES_SLACK = 1 << 16;
    /** More dimensions than any real tensor has; torch's own kernels stop at 25. */
    private static final int MAX_RANK = 64;

    private static final Unpickler.Callable FIRST_ARGUMENT = args -> args.isEmpty() ? null : args.get(0);

    private final TorchArchive archive;
    private final String source;
    private final Map<String, ByteBuffer> storages = new HashMap<>();
    private final Map<TensorView, TensorData> materialised = new IdentityHashMap<>();
    /** Size and stride tuples by identity: a pickle shares one tuple among many tensors through its memo. */
    private final Map<Object, long[]> tuples = new IdentityHashMap<>();
    private ByteOrder byteOrder;
    private long storedValues;
    private long valuesBuilt;

    TorchGlobals(TorchArchive archive) {
        this.archive = archive;
        this.source = archive.source();
    }

    @Override
    public Object global(String module, String name) throws IOException {
        String full = module + "." + name;
        switch (full) {
            case "collections.OrderedDict":
                return (Unpickler.Callable) this::orderedDict;
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
                throw new BadModelException(source + ": data.pkl stores a storage as a nested legacy pickle"
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
        throw new BadModelException(source + ": data.pkl refers to the Python global '" + full
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
        throw new BadModelException(source + ": data.pkl has an unknown persistent id " + brief(pid, 1));
    }

    private Object orderedDict(List<Object> args) throws BadModelException {
        Map<Object, Object> dict = new LinkedHashMap<>();
        if (!args.isEmpty() && args.get(0) instanceof List<?> pairs) { // OrderedDict([(k, v), ...])
            for (Object pair : pairs) {
                if (pair instanceof List<?> kv && kv.size() == 2) {
                    if (!Unpickler.isFlatKey(kv.get(0))) {
                        throw new BadModelException(source + ": data.pkl has an OrderedDict keyed by "
                                + Unpickler.describe(kv.get(0)) + ", which is not supported");
                    }
                    dict.put(kv.get(0), kv.get(1));
                }
            }
        }
        return dict;
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])}. */
    private Object rebuildTensor(List<Object> args) throws IOException {
        if (args.size() < 4 || !(args.get(0) instanceof StorageRef ref)) {
            throw new BadModelException(source + ": malformed _rebuild_tensor_v2 arguments");
        }
        long[] size = toLongs(args.get(2));
        long[] stride = toLongs(args.get(3));
        if (size.length != stride.length || size.length > MAX_RANK) {
            throw new BadModelException(source + ": tensor in data/" + ref.key() + " has size and stride of ranks "
                    + size.length + " and " + stride.length + " (they must be equal and at most " + MAX_RANK + ")");
        }
        return new TensorView(ref, toLong(args.get(1)), size, stride);
    }

    /**
     * The values of a view, copied out of its storage in row-major order; {@code name} is the
     * key it was found under, for messages. Everything the pickle claims is checked against the
     * storage before the copy is allocated, and all tensors together may hold at most
     * {@value #VALUES_PER_STORED_VALUE} values per value in the storages they use (plus
     * {@value #VALUES_SLACK}): views and small expanded (stride 0) tensors pass, a tensor of
     * 2^31 values over a 1-value storage does not.
     */
    TensorData materialise(TensorView view, String name) throws IOException {
        TensorData done = materialised.get(view);
        if (done != null) {
            return done.withName(name);
        }
        StorageRef ref = view.storage();
        String where = source + ": tensor '" + name + "' (storage data/" + ref.key() + ", offset " + view.offset()
                + ", size " + Arrays.toString(view.size()) + ", stride " + Arrays.toString(view.stride()) + ")";
        long numel = 1;
        long last = view.offset(); // highest storage index the view touches
        if (view.offset() < 0) {
            throw new BadModelException(where + " has a negative storage offset");
        }
        try {
            for (int d = 0; d < view.size().length; d++) {
                long n = view.size()[d];
                long s = view.stride()[d];
                if (n < 0 || s < 0) { // torch writes neither
                    throw new BadModelException(where + " has a negative size or stride");
                }
                numel = Math.multiplyExact(numel, n);
                if (n > 0) {
                    last = Math.addExact(last, Math.multiplyExact(n - 1, s));
                }
            }
        } catch (ArithmeticException ex) {
            throw new BadModelException(where + " has sizes and strides whose extent overflows (corrupt or crafted file)");
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw new BadModelException(where + " has " + numel + " values, more than one tensor can hold here");
        }
        ByteBuffer buf = storage(ref, where);
        long available = Math.min(ref.numel(), buf.capacity() / ref.dtype().size);
        if (numel > 0 && last >= available) {
            throw new BadModelException(where + ": the storage holds " + available + " " + ref.dtype().dtypeName
                    + " values, but the view needs " + (last + 1) + " (storage too short; truncated or corrupt file)");
        }
        valuesBuilt += numel;
        if (valuesBuilt > VALUES_PER_STORED_VALUE * storedValues + VALUES_SLACK) {
            throw new BadModelException(where + " brings the tensors to " + valuesBuilt + " values from storages of "
                    + storedValues + " (a view repeating its storage far more than any model does; corrupt or crafted file)");
        }
        TensorData t = copyView(ref.dtype(), buf, view.offset(), view.size(), view.stride(), (int) numel).withName(name);
        materialised.put(view, t);
        return t;
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

    private ByteBuffer storage(StorageRef ref, String where) throws IOException {
        ByteBuffer buf = storages.get(ref.key());
        if (buf == null) {
            if (byteOrder == null) {
                byteOrder = archive.byteOrder();
            }
            if (!archive.has("data/" + ref.key())) {
                throw new BadModelException(where + ": the storage is missing from the archive (incomplete or corrupt file)");
            }
            buf = archive.read("data/" + ref.key()).order(byteOrder);
            storages.put(ref.key(), buf);
            storedValues += Math.min(Math.max(ref.numel(), 0), buf.capacity() / ref.dtype().size);
        }
        return buf;
    }

    private long toLong(Object o) throws IOException {
        if (o instanceof Long v) {
            return v;
        }
        throw new BadModelException(source + ": expected an int in tensor arguments, got " + brief(o, 0));
    }

    private long[] toLongs(Object o) throws IOException {
        if (!(o instanceof List<?> list)) {
            throw new BadModelException(source + ": expected a tuple of ints in tensor arguments, got " + brief(o, 0));
        }
        long[] out = tuples.get(list);
        if (out == null) {
            if (list.size() > MAX_RANK) {
                throw new BadModelException(source + ": a tensor has " + list.size() + " dimensions, more than "
                        + MAX_RANK + " (corrupt or crafted file)");
            }
            List<Object> items = new ArrayList<>(list);
            out = new long[items.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = toLong(items.get(i));
            }
            tuples.put(list, out);
        }
        return out;
    }

    /**
     * A pickled value for a message, in bounded time and length: a crafted value can be nested
     * or shared without end, or be an int of millions of digits. Sequences are opened
     * {@code depth} levels.
     */
    static String brief(Object o, int depth) {
        if (o instanceof String s) {
            return "'" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
        }
        if (o instanceof Long || o instanceof Boolean || o instanceof Double) {
            return o.toString();
        }
        if (o instanceof BigInteger b) {
            return "an int of " + b.bitLength() + " bits";
        }
        if (o instanceof List<?> list) {
            if (depth <= 0 || list.size() > 8) {
                return "a sequence of " + list.size() + " items";
            }
            StringBuilder b = new StringBuilder("(");
            for (Object item : list) {
                b.append(b.length() > 1 ? ", " : "").append(brief(item, depth - 1));
            }
            return b.append(')').toString();
        }
        return Unpickler.describe(o);
    }
}
