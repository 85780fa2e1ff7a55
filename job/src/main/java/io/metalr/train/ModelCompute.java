package io.metalr.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.metalr.data.Batch;
import io.metalr.nn.Autograd;
import io.metalr.nn.Loss;
import io.metalr.nn.Network;
import io.metalr.nn.ParamLookup;
import io.metalr.nn.Scratch;
import io.metalr.nn.Weights;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** One forward and backward pass of the training objective: the unit of work of every step. */
public final class ModelCompute {

    /**
     * The loss, the number of correct predictions and the gradients of the named leaves, all
     * owned by the step's scratch manager.
     */
    public record Gradients(NDArray loss, NDArray correct, Map<String, NDArray> grads) {}

    private ModelCompute() {}

    /**
     * Copies of the named tensors (the batch-norm buffers) in the step's manager: a training-mode
     * forward moves these instead of the model's own, which the caller updates only once it knows
     * the loss is finite.
     */
    public static Map<String, NDArray> stagedCopies(Weights weights, Collection<String> names, NDManager scratch) {
        Map<String, NDArray> staged = new LinkedHashMap<>();
        for (String name : names) {
            staged.put(name, Scratch.alias(weights.get(name), scratch).duplicate());
        }
        return staged;
    }

    /**
     * Mean cross-entropy at the given tensors, in training mode (batch-norm uses the batch's
     * statistics and updates whatever running buffers {@code tensors} hands out).
     *
     * @param leaves the parameters to differentiate: each is taken as a fresh detached leaf of the
     *     tensor {@code tensors} gives, so gradients never accumulate on the model's own arrays
     */
    public static Gradients lossAndGradients(
            Network net, ParamLookup tensors, Collection<String> leaves, Batch batch, NDManager scratch) {
        // The pass's activations live in their own manager, freed as soon as the gradients are
        // out: a MetaLR step runs two passes, and keeping the first one's activations alive
        // through the second doubled the step's peak memory (and, on CPU, the pages glibc maps
        // afresh every step). Operations attach their results to their first operand's manager,
        // so the input is aliased into that manager too.
        try (NDManager pass = scratch.newSubManager()) {
            Map<String, NDArray> leaf = new LinkedHashMap<>();
            for (String name : leaves) {
                NDArray a = Scratch.alias(tensors.get(name), pass);
                a.setRequiresGradient(true);
                leaf.put(name, a);
            }
            ParamLookup p = name -> {
                NDArray l = leaf.get(name);
                return l != null ? l : tensors.get(name);
            };
            NDArray logits;
            NDArray loss;
            try (Autograd tape = Autograd.record()) {
                logits = net.forward(p, Scratch.alias(batch.x(), pass), true);
                loss = Loss.crossEntropy(logits, batch.y());
                tape.backward(loss);
            }
            NDArray correct = logits.argMax(1).eq(batch.y()).sum();
            Map<String, NDArray> grads = new LinkedHashMap<>();
            leaf.forEach((name, a) -> grads.put(name, keep(a.getGradient(), scratch)));
            return new Gradients(keep(loss, scratch), keep(correct, scratch), grads);
        }
    }

    private static NDArray keep(NDArray a, NDManager scratch) {
        a.attach(scratch);
        return a;
    }
}
