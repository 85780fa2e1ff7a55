package io.metalr.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.metalr.groups.LayerGroups;
import io.metalr.nn.Scratch;
import io.metalr.nn.Weights;
import io.metalr.optim.Optimizer;
import io.metalr.optim.Optimizers;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model's weights and optimizer state at a numbered version (one version per applied update).
 * Every shard's replica advances its own with this same code from the same reduced inputs, so all
 * copies stay bitwise equal and weights never travel between steps.
 */
final class ModelState implements AutoCloseable {

    private final JobSpec spec;
    private final LayerGroups groups;
    private final Weights weights;
    private final Optimizer opt;
    private long version;

    /**
     * Tests only: runs after each tensor an update changes (null: off), so that a test can fail an
     * update partway, as an out-of-memory error would.
     */
    static volatile Runnable betweenTensors;

    ModelState(JobSpec spec, LayerGroups groups, Weights weights) {
        this.spec = spec;
        this.groups = groups;
        this.weights = weights;
        this.opt = Optimizers.create(spec.optimizer(), weights.manager());
    }

    Weights weights() {
        return weights;
    }

    Optimizer optimizer() {
        return opt;
    }

    long version() {
        return version;
    }

    /**
     * Advances the optimizer with the step's mean gradient (on the device, by tensor name) and
     * returns the direction u of every learnable tensor, owned by {@code owner}.
     */
    Map<String, NDArray> directions(Map<String, NDArray> meanGrad, NDManager owner) {
        opt.beginStep();
        Map<String, NDArray> u = new LinkedHashMap<>();
        for (String name : spec.learnable().names()) {
            NDArray theta = Scratch.alias(weights.get(name), owner);
            u.put(name, opt.direction(name, theta, Scratch.alias(meanGrad.get(name), owner), owner));
            probe();
        }
        return u;
    }

    /**
     * Applies {@code theta -= lr[group] * u} (u is scaled in place) and the step's mean batch-norm
     * statistics, and moves to the next version. In place, tensor by tensor: a failure partway
     * leaves a state that is no version at all (its task fails, and with it the replica), as does
     * one in {@link #directions}, which advances the optimizer's moments.
     */
    void apply(Map<String, NDArray> u, double[] lr, float[] meanBuffers) {
        for (Map.Entry<String, NDArray> e : u.entrySet()) {
            weights.get(e.getKey()).subi(e.getValue().muli(lr[groups.groupOf(e.getKey())]));
            probe();
        }
        if (meanBuffers != null) {
            List<String> names = spec.buffers().names();
            for (int i = 0; i < names.size(); i++) {
                weights.get(names.get(i)).set(spec.buffers().view(meanBuffers, i));
            }
        }
        version++;
    }

    private static void probe() {
        Runnable r = betweenTensors;
        if (r != null) {
            r.run();
        }
    }

    /** Everything needed to put another copy at this version. */
    FullState snapshot() {
        Map<String, float[]> state = opt.stateToHost();
        return new FullState(version, spec.all().pack(weights.toHost()), new LinkedHashMap<>(state),
                shapes(state), opt.step());
    }

    /** The shape of each optimizer state tensor ({@code name#slot}): its parameter's. */
    Map<String, long[]> shapes(Map<String, float[]> optimizerState) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        optimizerState.keySet().forEach(k -> shapes.put(k, weights.get(k.substring(0, k.indexOf('#'))).getShape().getShape()));
        return shapes;
    }

    void restore(FullState s) {
        List<String> names = spec.all().names();
        for (int i = 0; i < names.size(); i++) {
            weights.get(names.get(i)).set(spec.all().view(s.tensors(), i));
        }
        opt.loadState(s.optimizerState(), s.optimizerStep(), s.shapes());
        version = s.version();
    }

    /** Sets the version of a state loaded from elsewhere (a checkpoint). */
    void setVersion(long v) {
        version = v;
    }

    @Override
    public void close() {
        opt.close();
    }
}
