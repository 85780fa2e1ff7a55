package io.metalr.model;

import ai.djl.ndarray.types.Shape;
import io.metalr.model.io.TensorData;
import io.metalr.nn.Initializer;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fits a weights file to a network: every tensor must be there with the network's shape. The
 * classification head is the exception when {@code replaceHead} is set: a head of another class
 * count (or none) is dropped and initialised afresh, which is what fine-tuning on a new task
 * needs. Anything else that does not fit is an error naming the tensor.
 */
public final class Pretrained {

    private Pretrained() {}

    public static LinkedHashMap<String, float[]> fit(
            Network net, Map<String, TensorData> file, boolean replaceHead, long seed, String source) {
        Map<String, ParamSpec> byName = new LinkedHashMap<>();
        net.params().forEach(s -> byName.put(s.name(), s));
        List<String> extra = new ArrayList<>();
        for (String name : file.keySet()) {
            if (!byName.containsKey(name) && !name.endsWith("num_batches_tracked")
                    && !(replaceHead && name.startsWith(net.headPrefix()))) {
                extra.add(name);
            }
        }
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException(
                    source + " has tensor" + (extra.size() > 1 ? "s " : " ") + String.join(", ", extra)
                            + " that " + net.name() + " does not have");
        }
        LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
        for (ParamSpec spec : net.params()) {
            TensorData t = file.get(spec.name());
            boolean head = spec.name().startsWith(net.headPrefix());
            if (t == null) {
                if (head && replaceHead) {
                    out.put(spec.name(), Initializer.initial(spec, byName, seed));
                    continue;
                }
                throw new IllegalArgumentException(source + " has no tensor " + spec.name() + ", which " + net.name() + " needs");
            }
            Shape shape = new Shape(t.shape());
            if (!shape.equals(spec.shape())) {
                if (head && replaceHead) {
                    out.put(spec.name(), Initializer.initial(spec, byName, seed));
                    continue;
                }
                throw new IllegalArgumentException(
                        source + ": tensor " + spec.name() + " has shape " + shape + " but " + net.name()
                                + " expects " + spec.shape());
            }
            if (t.floats() == null) {
                throw new IllegalArgumentException(source + ": tensor " + spec.name() + " is " + t.dtype() + ", not floating point");
            }
            out.put(spec.name(), t.floats());
        }
        return out;
    }
}
