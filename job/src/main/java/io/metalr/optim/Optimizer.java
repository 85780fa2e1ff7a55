package io.metalr.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.metalr.nn.Scratch;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The true update, split in two so MetaLR can look ahead along it: {@link #direction} advances
 * the optimizer's state with this step's gradient and returns the step {@code u} taken per unit of
 * learning rate; the caller then applies {@code theta -= lr_group * u} with whatever rate the meta
 * step chose. Per-group learning rates therefore live with the caller, not here.
 *
 * <p>State tensors (moments, momentum buffers) live in this optimizer's own manager, keyed by
 * parameter name so they can be saved and moved between JVMs.
 */
public abstract class Optimizer implements AutoCloseable {

    private static final String PREVIOUS_DIRECTION = "previous_direction";

    private final NDManager stateManager;
    private final LinkedHashMap<String, NDArray> state = new LinkedHashMap<>();
    private long step;

    protected Optimizer(NDManager parent) {
        this.stateManager = parent.newSubManager();
    }

    /** Call once per optimizer step, before the {@link #direction} calls of that step. */
    public void beginStep() {
        step++;
    }

    /** The number of steps begun so far (PyTorch's {@code state['step']}). */
    public long step() {
        return step;
    }

    /**
     * Advances the state of one parameter and returns its step direction.
     *
     * @param name the parameter's name
     * @param theta an alias of the parameter in {@code scratch} (see {@link Scratch})
     * @param grad the gradient of the loss at theta, without weight decay
     * @param scratch the step's manager, which owns every temporary and the result
     */
    public abstract NDArray direction(String name, NDArray theta, NDArray grad, NDManager scratch);

    /** A persistent state tensor (zeros at first) of the parameter, aliased into scratch. */
    protected NDArray state(String name, String slot, NDArray like, NDManager scratch) {
        NDArray s = state.computeIfAbsent(
                name + "#" + slot, k -> stateManager.zeros(like.getShape(), DataType.FLOAT32));
        return Scratch.alias(s, scratch);
    }

    /**
     * The direction u this parameter's previous step proposed (hypergradient descent's u_{t-1}),
     * aliased into scratch; null before any was remembered. It is kept with the state, so
     * checkpoints carry it.
     */
    public NDArray previousDirection(String name, NDManager scratch) {
        NDArray u = state.get(name + "#" + PREVIOUS_DIRECTION);
        return u == null ? null : Scratch.alias(u, scratch);
    }

    /** Keeps a copy of this step's direction for the next step's {@link #previousDirection}. */
    public void rememberDirection(String name, NDArray u) {
        NDArray copy = u.duplicate();
        copy.attach(stateManager);
        NDArray old = state.put(name + "#" + PREVIOUS_DIRECTION, copy);
        if (old != null) {
            old.close();
        }
    }

    /** Every state tensor on the host, for checkpoints; the step count is {@link #step()}. */
    public Map<String, float[]> stateToHost() {
        Map<String, float[]> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /** Restores what {@link #stateToHost()} saved. */
    public void loadState(Map<String, float[]> values, long stepCount, Map<String, long[]> shapes) {
        state.values().forEach(NDArray::close);
        state.clear();
        values.forEach(
                (k, v) -> {
                    NDArray a = stateManager.create(FloatBuffer.wrap(v), new ai.djl.ndarray.types.Shape(shapes.get(k)));
                    state.put(k, a);
                });
        step = stepCount;
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
