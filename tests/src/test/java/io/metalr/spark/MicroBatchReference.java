package io.metalr.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.metalr.data.Batch;
import io.metalr.groups.LayerGroups;
import io.metalr.nn.Autograd;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One process over a step's micro-batches, in float64, written from the method's definition and
 * sharing none of the code it checks: not MetaGradient, MetaLrRule, the optimizers, ModelCompute
 * or the shards' averaging. It uses the production network's forward pass and the layer groups
 * (which parameter is in which group), nothing else.
 *
 * <ul>
 *   <li>g: one gradient of the mean of the micro-batches' losses (batch norm per micro-batch, as
 *       each shard runs it), one backward pass;
 *   <li>u: Adam (L2 weight decay) written out from torch.optim.Adam's documented update;
 *   <li>h_j = dL_val/d alpha_j by central finite differences of the whole meta batch's validation
 *       loss (the mean over its micro-batches, forward passes only) at theta - s * alpha * d;
 *   <li>the cosine rule's norms from one gradient over the meta micro-batches at the lookahead;
 *   <li>the rule alpha_j (1 - eta h_j) clamped, and theta - alpha_new * u; running statistics the
 *       mean of the micro-batches' (what the project defines a distributed step's to be).
 * </ul>
 */
final class MicroBatchReference {

    /** The settings of the step, as plain numbers. */
    record Settings(int sign, boolean optimizerDirection, boolean cosine, double hyperLr, double lrLower, double lrUpper,
            double beta1, double beta2, double adamEps, double weightDecay) {}

    /** What one step gives: per group h (raw), the two squared norms, the new rates; the tensors after it. */
    record Step(double[] h, double[] valNormSq, double[] dirNormSq, double[] lrAfter, Map<String, double[]> after) {}

    private final Network net;
    private final Settings s;
    private final List<String> learnable = new ArrayList<>();
    private final List<String> buffers = new ArrayList<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Map<String, Integer> groupOf = new LinkedHashMap<>();
    private final int groupCount;

    MicroBatchReference(Network net, LayerGroups groups, Settings settings) {
        this.net = net;
        this.s = settings;
        this.groupCount = groups.size();
        for (ParamSpec p : net.params()) {
            shapes.put(p.name(), p.shape().getShape());
            if (p.trainable()) {
                learnable.add(p.name());
                groupOf.put(p.name(), groups.groupOf(p.name()));
            } else {
                buffers.add(p.name());
            }
        }
    }

    /**
     * @param tensors every tensor before the step; {@code adamState} its Adam moments
     *     ("name#exp_avg", "name#exp_avg_sq"; empty before the first step) after {@code adamSteps} steps
     */
    Step step(Map<String, float[]> tensors, Map<String, float[]> adamState, long adamSteps, List<Batch> train,
            List<Batch> meta, double[] lr, double fdStep) {
        Map<String, double[]> theta = new LinkedHashMap<>();
        tensors.forEach((k, v) -> theta.put(k, toDouble(v)));
        Map<String, double[]> after = new LinkedHashMap<>(theta);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            // g, and the running statistics each micro-batch's forward leaves, averaged
            List<Map<String, double[]>> moved = new ArrayList<>();
            Map<String, double[]> g = gradient(m, theta, train, moved);
            for (String b : buffers) {
                double[] mean = new double[theta.get(b).length];
                for (Map<String, double[]> one : moved) {
                    add(mean, one.get(b), 1.0 / moved.size());
                }
                after.put(b, mean);
            }
            Map<String, double[]> u = adam(theta, g, adamState, adamSteps + 1);
            Map<String, double[]> d = s.optimizerDirection() ? u : g;

            double[] h = new double[groupCount];
            for (int j = 0; j < groupCount; j++) {
                double[] up = lr.clone(), down = lr.clone();
                up[j] += fdStep;
                down[j] -= fdStep;
                h[j] = (metaLoss(m, lookahead(theta, d, up), meta) - metaLoss(m, lookahead(theta, d, down), meta)) / (2 * fdStep);
            }
            Map<String, double[]> gv = gradient(m, lookahead(theta, d, lr), meta, new ArrayList<>());
            double[] valNormSq = groupNormsSq(gv);
            double[] dirNormSq = groupNormsSq(d);

            double[] lrAfter = new double[groupCount];
            for (int j = 0; j < groupCount; j++) {
                double hj = h[j];
                if (s.cosine()) {
                    double denom = Math.sqrt(valNormSq[j] * dirNormSq[j]);
                    hj = denom > 0 ? hj / denom : 0;
                }
                lrAfter[j] = Math.min(s.lrUpper(), Math.max(s.lrLower(), lr[j] * (1 - s.hyperLr() * hj)));
            }
            for (String p : learnable) {
                double[] t = theta.get(p).clone();
                add(t, u.get(p), -lrAfter[groupOf.get(p)]);
                after.put(p, t);
            }
            return new Step(h, valNormSq, dirNormSq, lrAfter, after);
        }
    }

    /** theta - s * alpha_group * d on the learnable tensors, the rest as they are. */
    private Map<String, double[]> lookahead(Map<String, double[]> theta, Map<String, double[]> d, double[] alpha) {
        Map<String, double[]> out = new LinkedHashMap<>(theta);
        for (String p : learnable) {
            double[] t = theta.get(p).clone();
            add(t, d.get(p), -s.sign() * alpha[groupOf.get(p)]);
            out.put(p, t);
        }
        return out;
    }

    /** torch.optim.Adam: g' = g + wd theta; m, v moved; u = (m / bc1) / (sqrt(v) / sqrt(bc2) + eps). */
    private Map<String, double[]> adam(Map<String, double[]> theta, Map<String, double[]> g, Map<String, float[]> state,
            long t) {
        Map<String, double[]> u = new LinkedHashMap<>();
        double bc1 = 1 - Math.pow(s.beta1(), t), bc2 = 1 - Math.pow(s.beta2(), t);
        for (String p : learnable) {
            double[] th = theta.get(p), gp = g.get(p), out = new double[th.length];
            float[] m0 = state.get(p + "#exp_avg"), v0 = state.get(p + "#exp_avg_sq");
            for (int i = 0; i < th.length; i++) {
                double gi = gp[i] + s.weightDecay() * th[i];
                double mi = s.beta1() * (m0 == null ? 0 : m0[i]) + (1 - s.beta1()) * gi;
                double vi = s.beta2() * (v0 == null ? 0 : v0[i]) + (1 - s.beta2()) * gi * gi;
                out[i] = (mi / bc1) / (Math.sqrt(vi) / Math.sqrt(bc2) + s.adamEps());
            }
            u.put(p, out);
        }
        return u;
    }

    /** The mean over micro-batches of their mean cross-entropy, training-mode forward passes only. */
    private double metaLoss(NDManager parent, Map<String, double[]> tensors, List<Batch> batches) {
        try (NDManager m = parent.newSubManager()) {
            Map<String, NDArray> t = toDevice(m, tensors);
            double sum = 0;
            for (Batch b : batches) {
                Map<String, NDArray> own = withOwnBuffers(t);
                sum += crossEntropy(net.forward(own::get, b.x().toType(DataType.FLOAT64, false), true), b).getDouble();
            }
            return sum / batches.size();
        }
    }

    /**
     * The gradient of the micro-batches' mean loss over the learnable tensors, one backward pass;
     * {@code moved} receives each micro-batch's running statistics after its forward.
     */
    private Map<String, double[]> gradient(NDManager parent, Map<String, double[]> tensors, List<Batch> batches,
            List<Map<String, double[]>> moved) {
        try (NDManager m = parent.newSubManager()) {
            Map<String, NDArray> t = toDevice(m, tensors);
            for (String p : learnable) {
                t.get(p).setRequiresGradient(true);
            }
            List<Map<String, NDArray>> owns = new ArrayList<>();
            try (Autograd tape = Autograd.record()) {
                NDArray total = null;
                for (Batch b : batches) {
                    Map<String, NDArray> own = withOwnBuffers(t);
                    owns.add(own);
                    NDArray loss = crossEntropy(net.forward(own::get, b.x().toType(DataType.FLOAT64, false), true), b);
                    total = total == null ? loss : total.add(loss);
                }
                tape.backward(total.div(batches.size()));
            }
            for (Map<String, NDArray> own : owns) {
                Map<String, double[]> one = new LinkedHashMap<>();
                buffers.forEach(b -> one.put(b, own.get(b).toDoubleArray()));
                moved.add(one);
            }
            Map<String, double[]> g = new LinkedHashMap<>();
            learnable.forEach(p -> g.put(p, t.get(p).getGradient().toDoubleArray()));
            return g;
        }
    }

    private static NDArray crossEntropy(NDArray logits, Batch b) {
        NDArray picked = logits.logSoftmax(1).mul(b.y().oneHot(Math.toIntExact(logits.getShape().get(1)))
                .toType(DataType.FLOAT64, false)).sum(new int[] {1});
        return picked.mean().neg();
    }

    /** The same tensors with fresh copies of the running statistics, which a training forward moves. */
    private Map<String, NDArray> withOwnBuffers(Map<String, NDArray> t) {
        Map<String, NDArray> own = new LinkedHashMap<>(t);
        buffers.forEach(b -> own.put(b, t.get(b).duplicate()));
        return own;
    }

    private Map<String, NDArray> toDevice(NDManager m, Map<String, double[]> tensors) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, m.create(v, new ai.djl.ndarray.types.Shape(shapes.get(k)))));
        return out;
    }

    private double[] groupNormsSq(Map<String, double[]> v) {
        double[] out = new double[groupCount];
        for (String p : learnable) {
            for (double x : v.get(p)) {
                out[groupOf.get(p)] += x * x;
            }
        }
        return out;
    }

    private static void add(double[] into, double[] v, double scale) {
        for (int i = 0; i < into.length; i++) {
            into[i] += scale * v[i];
        }
    }

    private static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
