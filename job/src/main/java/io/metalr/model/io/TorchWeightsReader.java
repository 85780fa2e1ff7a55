package io.metalr.model.io;

import io.metalr.model.BadModelException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the tensors of a PyTorch weight file without PyTorch and without running anything in it.
 *
 * <p>Accepted, all in the zip format torch has written by default since 1.6:
 * <ul>
 *   <li>{@code torch.save(model.state_dict(), f)}: names as in the state dict;</li>
 *   <li>a checkpoint dict that wraps the state dict under {@code state_dict}, {@code model} or
 *       {@code model_state_dict} (other entries such as {@code epoch} are ignored);</li>
 *   <li>{@code torch.jit.save} of a scripted or traced module: every tensor attribute reachable
 *       from the root module (parameters and buffers), named by attribute path like
 *       {@code layer1.0.bn1.running_mean}; the code and {@code constants.pkl} are not read.</li>
 * </ul>
 * A {@code module.} prefix (from {@code nn.DataParallel}) is stripped when every name has it.
 * The order is the file's, which for torch is the state-dict order.
 *
 * <p>Refused with a {@link BadModelException} naming the source (and the tensor or zip entry,
 * where there is one): the legacy pre-1.6 format, anything that is not a (complete) zip, sizes
 * that do not fit the file, missing or too-short storages, views repeating their storage far
 * beyond its size, and any pickled Python global outside the whitelist in {@link TorchGlobals}
 * (e.g. a whole pickled model class). Memory stays within a small multiple of the file's size
 * (see {@link io.metalr.formats.BoundedZip} and {@link TorchGlobals#materialise}). Tensors are read only when
 * they are part of what is returned.
 */
public final class TorchWeightsReader {

    /** Checkpoint keys that may hold the state dict, in the order they are tried. */
    private static final List<String> WRAPPER_KEYS = List.of("state_dict", "model", "model_state_dict");
    private static final String DATA_PARALLEL_PREFIX = "module.";
    /**
     * Limits for naming TorchScript tensors: submodules visited, and characters of names made,
     * the latter also at most {@value #NAME_CHARS_PER_BYTE} per byte of the file (plus
     * {@value #NAME_CHARS_SLACK}), since a few pickle bytes can name a shared tensor again under
     * a long path. A ResNet-152 needs about 500 and 30 000; only a crafted file comes near these.
     */
    private static final long MAX_MODULE_VISITS = 1_000_000;
    private static final long MAX_NAME_CHARS = 200_000_000;
    private static final long NAME_CHARS_PER_BYTE = 16;
    private static final long NAME_CHARS_SLACK = 1 << 20;

    private TorchWeightsReader() {
    }

    public static LinkedHashMap<String, TensorData> read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads the whole stream into memory (the zip directory is at the end) and returns the
     * tensors by name, in file order.
     *
     * @param sourceName used only in error messages, e.g. the file name or URI
     */
    public static LinkedHashMap<String, TensorData> read(InputStream in, String sourceName) throws IOException {
        TorchArchive archive = TorchArchive.open(in.readAllBytes(), sourceName);
        TorchGlobals globals = new TorchGlobals(archive);
        Object root = new Unpickler(archive.readBytes("data.pkl"), sourceName + " (data.pkl)", globals).load();
        LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
        if (root instanceof Unpickler.PickledObject module) {
            long nameBudget = Math.min(MAX_NAME_CHARS, NAME_CHARS_PER_BYTE * archive.length() + NAME_CHARS_SLACK);
            collectModule(module, tensors, globals, nameBudget, sourceName);
        } else {
            collectStateDict(findStateDict(root, sourceName), tensors, globals);
        }
        return stripDataParallelPrefix(tensors);
    }

    /** The top-level dict if it is all tensors, else the first wrapper key that holds one. */
    private static Map<?, ?> findStateDict(Object root, String source) throws IOException {
        if (!(root instanceof Map<?, ?> top)) {
            throw new BadModelException(source + ": data.pkl holds " + describe(root)
                    + ", not a state dict or a TorchScript module");
        }
        if (isTensorDict(top)) {
            return top;
        }
        for (String key : WRAPPER_KEYS) {
            if (top.get(key) instanceof Map<?, ?> inner && isTensorDict(inner)) {
                return inner;
            }
        }
        List<String> keys = top.keySet().stream().limit(20).map(k -> TorchGlobals.brief(k, 1)).toList();
        throw new BadModelException(source + ": no state dict found; top-level keys are " + keys
                + (top.size() > keys.size() ? " and " + (top.size() - keys.size()) + " more" : "")
                + " (expected a dict of tensors, or one under " + WRAPPER_KEYS + ")");
    }

    private static boolean isTensorDict(Map<?, ?> map) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String) || !(e.getValue() instanceof TorchGlobals.TensorView)) {
                return false;
            }
        }
        return true;
    }

    private static void collectStateDict(Map<?, ?> stateDict, Map<String, TensorData> out, TorchGlobals globals)
            throws IOException {
        for (Map.Entry<?, ?> e : stateDict.entrySet()) {
            String name = (String) e.getKey();
            out.put(name, globals.materialise((TorchGlobals.TensorView) e.getValue(), name));
        }
    }

    /**
     * Depth-first over a TorchScript module's attribute dicts, in attribute order. TorchScript
     * orders a module's attributes as parameters, buffers, submodules (then flags such as
     * {@code training}), which is the order of torch's own {@code state_dict()}. Non-tensor
     * attributes ({@code training}, hyper-parameters, None biases) are skipped. A submodule
     * reachable under two names is listed under both, as {@code state_dict()} does.
     *
     * <p>Iterative, with a cycle check and a work budget, so a crafted file can neither overflow
     * the Java stack nor make a chain of shared submodules expand exponentially.
     */
    private static void collectModule(Unpickler.PickledObject root, LinkedHashMap<String, TensorData> out,
                                      TorchGlobals globals, long nameBudget, String source) throws IOException {
        // One shared path buffer, cut back on the way up, keeps deep trees linear in time.
        record Frame(Unpickler.PickledObject module, int prefixLength, Iterator<? extends Map.Entry<?, ?>> attributes) {
        }
        StringBuilder prefix = new StringBuilder();
        Deque<Frame> path = new ArrayDeque<>();
        Set<Object> onPath = Collections.newSetFromMap(new IdentityHashMap<>());
        path.push(new Frame(root, 0, attributes(root, "", source)));
        onPath.add(root);
        long visits = 0;
        long nameChars = 0;
        while (!path.isEmpty()) {
            Frame frame = path.peek();
            prefix.setLength(frame.prefixLength());
            if (!frame.attributes().hasNext()) {
                onPath.remove(path.pop().module());
                continue;
            }
            Map.Entry<?, ?> e = frame.attributes().next();
            if (e.getValue() instanceof TorchGlobals.TensorView t) {
                String name = prefix.toString() + e.getKey();
                nameChars += name.length();
                out.put(name, globals.materialise(t, name));
            } else if (e.getValue() instanceof Unpickler.PickledObject child && onPath.add(child)) {
                visits++;
                prefix.append(e.getKey());
                path.push(new Frame(child, prefix.length() + 1, attributes(child, prefix, source)));
                prefix.append('.');
            }
            if (visits > MAX_MODULE_VISITS || nameChars > nameBudget) {
                throw new BadModelException(source + ": TorchScript module tree is implausibly large or deep"
                        + " (corrupt or crafted file)");
            }
        }
    }

    private static Iterator<? extends Map.Entry<?, ?>> attributes(Unpickler.PickledObject module, CharSequence path,
                                                                  String source) throws IOException {
        if (!(module.state instanceof Map<?, ?> attributes)) {
            throw new BadModelException(source + ": TorchScript object " + module.className
                    + (path.length() == 0 ? " (the root)" : " at '" + path + "'")
                    + " has a custom __getstate__, so its tensors cannot be named");
        }
        return attributes.entrySet().iterator();
    }

    private static LinkedHashMap<String, TensorData> stripDataParallelPrefix(LinkedHashMap<String, TensorData> in) {
        if (in.isEmpty() || !in.keySet().stream().allMatch(k -> k.startsWith(DATA_PARALLEL_PREFIX))) {
            return in;
        }
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        for (TensorData t : in.values()) {
            String name = t.name().substring(DATA_PARALLEL_PREFIX.length());
            out.put(name, t.withName(name));
        }
        return out;
    }

    private static String describe(Object o) {
        if (o instanceof List<?>) {
            return "a list or tuple";
        }
        if (o instanceof TorchGlobals.TensorView) {
            return "a single tensor";
        }
        return o == null ? "None" : "a " + o.getClass().getSimpleName();
    }
}
