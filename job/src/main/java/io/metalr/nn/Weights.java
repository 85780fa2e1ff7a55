package io.metalr.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors of one network on one device, in state-dict order, owned by a manager of their own
 * that {@link #close()} releases. The arrays never require gradients themselves: a step takes
 * detached leaves of them (see {@code ModelCompute}), so no gradient accumulates here across steps.
 */
public final class Weights implements AutoCloseable {

    private final Network network;
    private final NDManager manager;
    private final LinkedHashMap<String, NDArray> arrays = new LinkedHashMap<>();

    private Weights(Network network, NDManager manager) {
        this.network = network;
        this.manager = manager;
    }

    /** Fresh weights from the deterministic initializer. */
    public static Weights initialize(Network network, long seed, Device device) {
        Map<String, ParamSpec> byName = specsByName(network);
        Map<String, float[]> values = new LinkedHashMap<>();
        for (ParamSpec spec : network.params()) {
            values.put(spec.name(), Initializer.initial(spec, byName, seed));
        }
        return fromHost(network, values, device);
    }

    /** Weights holding the given host values; every tensor of the network must be present. */
    public static Weights fromHost(Network network, Map<String, float[]> values, Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        Weights w = new Weights(network, manager);
        try {
            for (ParamSpec spec : network.params()) {
                float[] v = values.get(spec.name());
                if (v == null) {
                    throw new IllegalArgumentException("no value for tensor " + spec.name());
                }
                if (v.length != spec.size()) {
                    throw new IllegalArgumentException(
                            "tensor " + spec.name() + " has " + v.length + " values, expected "
                                    + spec.size() + " for shape " + spec.shape());
                }
                NDArray a = manager.create(v, spec.shape());
                a.setName(spec.name());
                w.arrays.put(spec.name(), a);
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return w;
    }

    public Network network() {
        return network;
    }

    public NDManager manager() {
        return manager;
    }

    public Device device() {
        return manager.getDevice();
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException("network " + network.name() + " has no tensor " + name);
        }
        return a;
    }

    public ParamLookup lookup() {
        return this::get;
    }

    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(arrays.keySet()));
    }

    /** A copy of every tensor on the host, in state-dict order. */
    public LinkedHashMap<String, float[]> toHost() {
        LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /** Overwrites the named tensors in place (all of them or a subset) from host values. */
    public void load(Map<String, float[]> values) {
        values.forEach(
                (name, v) -> {
                    NDArray a = get(name);
                    if (v.length != a.size()) {
                        throw new IllegalArgumentException(
                                "tensor " + name + " has " + v.length + " values, expected " + a.size());
                    }
                    a.set(FloatBuffer.wrap(v));
                });
    }

    /** A new set of scratch buffers (same shapes) for forward passes that must not move the real running stats. */
    public Map<String, NDArray> scratchBuffers(NDManager owner) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (ParamSpec spec : network.params()) {
            if (!spec.trainable()) {
                out.put(spec.name(), owner.zeros(spec.shape(), DataType.FLOAT32));
            }
        }
        return out;
    }

    static Map<String, ParamSpec> specsByName(Network network) {
        Map<String, ParamSpec> byName = new LinkedHashMap<>();
        network.params().forEach(s -> byName.put(s.name(), s));
        return byName;
    }

    @Override
    public void close() {
        manager.close();
    }
}
