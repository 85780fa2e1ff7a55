package io.metalr.meta;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.metalr.data.Batch;
import io.metalr.groups.LayerGroups;
import io.metalr.model.Models;
import io.metalr.nn.Loss;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;
import io.metalr.nn.Scratch;
import io.metalr.nn.Weights;
import io.metalr.optim.Adam;
import io.metalr.train.MetaGradient;
import io.metalr.train.ModelCompute;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The hypergradient against central finite differences of the validation loss in float64:
 * {@code h_j} vs {@code (L(alpha + eps e_j) - L(alpha - eps e_j)) / 2 eps}, on a randomly
 * initialised residual network, for the lookahead along the gradient (the paper) and along
 * Adam's own step (with optimizer state from earlier steps), in both lookahead signs.
 */
class HypergradientFiniteDifferenceTest {

    /**
     * Small, because ReLU kinks make L(alpha) only piecewise smooth: at 1e-4 the difference
     * quotient already straddles kinks (measured: 4-10% off in the stem); float64 keeps 1e-6
     * far above rounding.
     */
    private static final double EPS = 1e-6;
    private static final double TOL = 1e-3;

    @ParameterizedTest(name = "direction={0}, sign={1}")
    @CsvSource({"SGD, 1", "SGD, -1", "OPTIMIZER, 1", "OPTIMIZER, -1"})
    void hypergradientMatchesFiniteDifferences(MetaLrSettings.Direction direction, int sign) {
        Network net = Models.create("small_resnet", 1, 3);
        LayerGroups groups = LayerGroups.auto(net);
        List<String> params = groups.all().stream().flatMap(g -> g.params().stream()).toList();
        int[] groupOf = MetaGradient.groupIndex(groups, params);
        double[] lr = {0.02, 0.05, 0.03, 0.04, 0.08};
        Random rng = new Random(42);

        try (Weights w = Weights.initialize(net, 7, Device.cpu());
                NDManager m = w.manager().newSubManager();
                Adam adam = new Adam(w.manager(), 0.9, 0.999, 1e-8, 1e-4, false)) {
            Batch train = randomBatch(m, rng, 8);
            Batch meta = randomBatch(m, rng, 8);
            Map<String, NDArray> g = ModelCompute.lossAndGradients(net, w.lookup(), params, train, m).grads();
            Map<String, NDArray> theta = new LinkedHashMap<>();
            params.forEach(p -> theta.put(p, Scratch.alias(w.get(p), m)));
            Map<String, NDArray> d = g;
            if (direction == MetaLrSettings.Direction.OPTIMIZER) {
                // two earlier steps on other gradients, so the moments are not trivial
                for (int step = 0; step < 3; step++) {
                    Map<String, NDArray> grads = step < 2
                            ? ModelCompute.lossAndGradients(net, w.lookup(), params, randomBatch(m, rng, 8), m).grads()
                            : g;
                    adam.beginStep();
                    Map<String, NDArray> u = new HashMap<>();
                    grads.forEach((p, gp) -> u.put(p, adam.direction(p, theta.get(p), gp, m)));
                    d = u;
                }
            }
            Map<String, NDArray> buffers = w.scratchBuffers(m);
            MetaGradient.Result analytic = MetaGradient.compute(
                    net, params, groupOf, groups.size(), theta, d, lr, sign,
                    p -> buffers.getOrDefault(p, w.get(p)), meta, true, m);

            double[] fd = new double[groups.size()];
            double maxFd = 0;
            for (int j = 0; j < groups.size(); j++) {
                double[] up = lr.clone(), down = lr.clone();
                up[j] += EPS;
                down[j] -= EPS;
                fd[j] = (lossAt64(net, w, params, groupOf, d, up, sign, meta, m)
                        - lossAt64(net, w, params, groupOf, d, down, sign, meta, m)) / (2 * EPS);
                maxFd = Math.max(maxFd, Math.abs(fd[j]));
            }
            for (int j = 0; j < groups.size(); j++) {
                double h = -sign * analytic.sums().dot()[j];
                // a group whose derivative is orders below the others is compared at their scale
                double scale = Math.max(Math.abs(fd[j]), 1e-3 * maxFd);
                double rel = Math.abs(h - fd[j]) / scale;
                assertTrue(rel <= TOL, "group " + j + " (" + groups.get(j).name() + "): analytic " + h
                        + ", finite difference " + fd[j] + ", relative error " + rel);
            }
        }
    }

    /** L_val(theta - s * alpha * d), all in float64, batch statistics, no gradient. */
    private static double lossAt64(Network net, Weights w, List<String> params, int[] groupOf,
            Map<String, NDArray> d, double[] lr, int sign, Batch meta, NDManager parent) {
        try (NDManager s = parent.newSubManager()) {
            Map<String, NDArray> t = new HashMap<>();
            for (int i = 0; i < params.size(); i++) {
                String p = params.get(i);
                NDArray theta = Scratch.alias(w.get(p), s).toType(DataType.FLOAT64, true);
                NDArray dir = Scratch.alias(d.get(p), s).toType(DataType.FLOAT64, true);
                t.put(p, theta.sub(dir.mul(sign * lr[groupOf[i]])));
            }
            for (ParamSpec spec : net.params()) {
                if (!spec.trainable()) {
                    t.put(spec.name(), s.zeros(spec.shape(), DataType.FLOAT64));
                }
            }
            NDArray x = Scratch.alias(meta.x(), s).toType(DataType.FLOAT64, true);
            return Loss.crossEntropy(net.forward(t::get, x, true), meta.y()).getDouble();
        }
    }

    private static Batch randomBatch(NDManager m, Random rng, int n) {
        float[] x = new float[n * 16 * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(3);
        }
        return new Batch(m.create(x, new Shape(n, 1, 16, 16)), m.create(y));
    }
}
