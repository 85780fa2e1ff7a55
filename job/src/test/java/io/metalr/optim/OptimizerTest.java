package io.metalr.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.nn.Autograd;
import io.metalr.nn.Scratch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The optimizers against a plain double-precision re-implementation of torch.optim's Adam, AdamW
 * and SGD (no dampening), driven as TrainStep drives them: beginStep, direction, theta -= lr * u.
 */
class OptimizerTest {

    private static final Shape SHAPE = new Shape(3, 5);
    private static final int N = 15;
    private static final int STEPS = 5;

    private NDManager root;

    @BeforeEach
    void setUp() {
        root = NDManager.newBaseManager(Device.cpu());
        Autograd.disableOnThisThread(); // after the engine is loaded

    }

    @AfterEach
    void tearDown() {
        root.close();
    }

    /** The step's learning rate: changes every step, as MetaLR's do. */
    private static double lrAt(int t) {
        return 0.01 * (1 + 0.3 * t);
    }

    private static float[] randomFloats(Random rng, double scale) {
        float[] v = new float[N];
        for (int i = 0; i < N; i++) {
            v[i] = (float) (rng.nextGaussian() * scale);
        }
        return v;
    }

    // ---- reference implementations, in double ----

    /** torch.optim.Adam / AdamW: returns theta after each of the steps. */
    static double[][] referenceAdam(float[] theta0, float[][] grads, double b1, double b2, double eps, double wd, boolean decoupled) {
        double[] theta = toDouble(theta0);
        double[] m = new double[N], v = new double[N];
        double[][] out = new double[grads.length][];
        for (int t = 1; t <= grads.length; t++) {
            double lr = lrAt(t - 1);
            double[] g = toDouble(grads[t - 1]);
            if (decoupled) {
                for (int i = 0; i < N; i++) {
                    theta[i] *= 1 - lr * wd;
                }
            } else {
                for (int i = 0; i < N; i++) {
                    g[i] += wd * theta[i];
                }
            }
            double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
            double stepSize = lr / bc1;
            for (int i = 0; i < N; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
                theta[i] -= stepSize * m[i] / denom;
            }
            out[t - 1] = theta.clone();
        }
        return out;
    }

    /** torch.optim.SGD (dampening 0). */
    static double[][] referenceSgd(float[] theta0, float[][] grads, double mu, double wd, boolean nesterov) {
        double[] theta = toDouble(theta0);
        double[] buf = null;
        double[][] out = new double[grads.length][];
        for (int t = 1; t <= grads.length; t++) {
            double lr = lrAt(t - 1);
            double[] g = toDouble(grads[t - 1]);
            for (int i = 0; i < N; i++) {
                g[i] += wd * theta[i];
            }
            double[] d = g;
            if (mu != 0) {
                if (buf == null) {
                    buf = g.clone();
                } else {
                    for (int i = 0; i < N; i++) {
                        buf[i] = mu * buf[i] + g[i];
                    }
                }
                if (nesterov) {
                    d = new double[N];
                    for (int i = 0; i < N; i++) {
                        d[i] = g[i] + mu * buf[i];
                    }
                } else {
                    d = buf;
                }
            }
            for (int i = 0; i < N; i++) {
                theta[i] -= lr * d[i];
            }
            out[t - 1] = theta.clone();
        }
        return out;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    // ---- the engine side ----

    /** One step as TrainStep does it; theta is the persistent parameter. */
    private void step(Optimizer opt, String name, NDArray theta, float[] grad, double lr) {
        opt.beginStep();
        try (NDManager scratch = root.newSubManager()) {
            NDArray t = Scratch.alias(theta, scratch);
            NDArray g = scratch.create(grad, SHAPE);
            NDArray u = opt.direction(name, t, g, scratch);
            t.subi(u.muli(lr));
        }
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-5 * Math.max(Math.abs(expected[i]), 1e-2);
            assertEquals(expected[i], actual[i], tol, what + " element " + i);
        }
    }

    private Optimizer create(String kind, double wd, boolean nesterov) {
        return switch (kind) {
            case "adam" -> Optimizers.create(new Optimizers.Settings("adam", wd, 0.9, 0.999, 1e-8, 0.9, false), root);
            case "adamw" -> Optimizers.create(new Optimizers.Settings("adamw", wd, 0.8, 0.99, 1e-6, 0.9, false), root);
            case "sgd" -> Optimizers.create(new Optimizers.Settings("sgd", wd, 0.9, 0.999, 1e-8, 0.9, nesterov), root);
            case "sgd0" -> Optimizers.create(new Optimizers.Settings("sgd", wd, 0.9, 0.999, 1e-8, 0.0, nesterov), root);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static double[][] reference(String kind, float[] theta0, float[][] grads, double wd, boolean nesterov) {
        return switch (kind) {
            case "adam" -> referenceAdam(theta0, grads, 0.9, 0.999, 1e-8, wd, false);
            case "adamw" -> referenceAdam(theta0, grads, 0.8, 0.99, 1e-6, wd, true);
            case "sgd" -> referenceSgd(theta0, grads, 0.9, wd, nesterov);
            case "sgd0" -> referenceSgd(theta0, grads, 0.0, wd, nesterov);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest(name = "{0} wd={1} nesterov={2}")
    @CsvSource({
        "adam, 0, false", "adam, 0.05, false",
        "adamw, 0, false", "adamw, 0.05, false",
        "sgd, 0, false", "sgd, 0.05, false", "sgd, 0, true", "sgd, 0.05, true",
        "sgd0, 0, false", "sgd0, 0.05, false",
    })
    void matchesTorchSemantics(String kind, double wd, boolean nesterov) {
        Random rng = new Random(kind.hashCode() * 31L + (long) (wd * 100) + (nesterov ? 7 : 0));
        float[] theta0 = randomFloats(rng, 1.0);
        float[][] grads = new float[STEPS][];
        for (int t = 0; t < STEPS; t++) {
            grads[t] = randomFloats(rng, 0.5 + t);
        }
        double[][] expected = reference(kind, theta0, grads, wd, nesterov);
        try (Optimizer opt = create(kind, wd, nesterov)) {
            NDArray theta = root.create(theta0, SHAPE);
            for (int t = 0; t < STEPS; t++) {
                step(opt, "w", theta, grads[t], lrAt(t));
                assertClose(expected[t], theta.toFloatArray(), kind + " step " + (t + 1));
            }
            assertEquals(STEPS, opt.step());
            // the weights moved (a no-op optimizer would fail above, but make it explicit)
            assertTrue(Math.abs(theta.toFloatArray()[0] - theta0[0]) > 1e-4);
        }
    }

    @Test
    void referencesDiffer() {
        // the reference implementations are not accidentally the same (so the test above can fail)
        Random rng = new Random(3);
        float[] theta0 = randomFloats(rng, 1);
        float[][] grads = {randomFloats(rng, 1), randomFloats(rng, 1), randomFloats(rng, 1)};
        double a = referenceAdam(theta0, grads, 0.9, 0.999, 1e-8, 0.1, false)[2][0];
        double w = referenceAdam(theta0, grads, 0.9, 0.999, 1e-8, 0.1, true)[2][0];
        double s = referenceSgd(theta0, grads, 0.9, 0.1, false)[2][0];
        double n = referenceSgd(theta0, grads, 0.9, 0.1, true)[2][0];
        assertTrue(Math.abs(a - w) > 1e-6 && Math.abs(s - n) > 1e-6, a + " " + w + " " + s + " " + n);
    }

    @Test
    void separateStatePerParameter() {
        Random rng = new Random(11);
        float[] a0 = randomFloats(rng, 1), b0 = randomFloats(rng, 1);
        float[][] ga = new float[STEPS][], gb = new float[STEPS][];
        for (int t = 0; t < STEPS; t++) {
            ga[t] = randomFloats(rng, 1);
            gb[t] = randomFloats(rng, 2);
        }
        try (Optimizer opt = create("adam", 0.01, false)) {
            NDArray a = root.create(a0, SHAPE), b = root.create(b0, SHAPE);
            for (int t = 0; t < STEPS; t++) {
                opt.beginStep();
                try (NDManager scratch = root.newSubManager()) {
                    for (Object[] p : new Object[][] {{"a", a, ga[t]}, {"b", b, gb[t]}}) {
                        NDArray th = Scratch.alias((NDArray) p[1], scratch);
                        NDArray u = opt.direction((String) p[0], th, scratch.create((float[]) p[2], SHAPE), scratch);
                        th.subi(u.muli(lrAt(t)));
                    }
                }
            }
            assertClose(referenceAdam(a0, ga, 0.9, 0.999, 1e-8, 0.01, false)[STEPS - 1], a.toFloatArray(), "a");
            assertClose(referenceAdam(b0, gb, 0.9, 0.999, 1e-8, 0.01, false)[STEPS - 1], b.toFloatArray(), "b");
            assertEquals(java.util.Set.of("a#exp_avg", "a#exp_avg_sq", "b#exp_avg", "b#exp_avg_sq"), opt.stateToHost().keySet());
        }
    }

    @ParameterizedTest(name = "{0} nesterov={1}")
    @CsvSource({"adam, false", "adamw, false", "sgd, false", "sgd, true"})
    void stateRoundTripContinuesIdentically(String kind, boolean nesterov) {
        Random rng = new Random(5);
        float[] theta0 = randomFloats(rng, 1);
        float[][] grads = new float[STEPS][];
        for (int t = 0; t < STEPS; t++) {
            grads[t] = randomFloats(rng, 1);
        }
        try (Optimizer a = create(kind, 0.02, nesterov); Optimizer b = create(kind, 0.02, nesterov)) {
            NDArray thetaA = root.create(theta0, SHAPE);
            for (int t = 0; t < 3; t++) {
                step(a, "w", thetaA, grads[t], lrAt(t));
            }
            Map<String, float[]> saved = a.stateToHost();
            assertEquals(kind.startsWith("adam") ? java.util.Set.of("w#exp_avg", "w#exp_avg_sq") : java.util.Set.of("w#momentum_buffer"),
                    saved.keySet());
            Map<String, long[]> shapes = new LinkedHashMap<>();
            saved.keySet().forEach(k -> shapes.put(k, SHAPE.getShape()));
            // b first gets unrelated state, which loading must replace
            NDArray junk = root.create(randomFloats(rng, 1), SHAPE);
            step(b, "w", junk, randomFloats(rng, 5), 0.1);
            b.loadState(saved, a.step(), shapes);
            assertEquals(3, b.step());
            NDArray thetaB = root.create(thetaA.toFloatArray(), SHAPE);
            for (int t = 3; t < STEPS; t++) {
                step(a, "w", thetaA, grads[t], lrAt(t));
                step(b, "w", thetaB, grads[t], lrAt(t));
                assertArrayEquals(thetaA.toFloatArray(), thetaB.toFloatArray(), kind + " step " + (t + 1));
            }
            Map<String, float[]> sa = a.stateToHost(), sb = b.stateToHost();
            for (String k : sa.keySet()) {
                assertArrayEquals(sa.get(k), sb.get(k), k);
            }
            // and both still match the uninterrupted reference
            assertClose(reference(kind, theta0, grads, 0.02, nesterov)[STEPS - 1], thetaB.toFloatArray(), kind);
        }
    }

    @Test
    void stateToHostIsACopy() {
        try (Optimizer opt = create("adam", 0, false)) {
            NDArray theta = root.create(new float[N], SHAPE);
            step(opt, "w", theta, randomFloats(new Random(1), 1), 0.01);
            float[] m = opt.stateToHost().get("w#exp_avg");
            m[0] = 1234f;
            assertTrue(opt.stateToHost().get("w#exp_avg")[0] != 1234f);
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Adam(root, 1.0, 0.999, 1e-8, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Adam(root, 0.9, -0.1, 1e-8, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Adam(root, 0.9, 0.999, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Adam(root, 0.9, 0.999, 1e-8, -1, false));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(root, -0.1, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(root, 0.9, -1, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Optimizers.create(new Optimizers.Settings("rmsprop", 0, 0.9, 0.999, 1e-8, 0.9, false), root));
        assertTrue(e.getMessage().contains("train.optimizer"), e.getMessage());
    }
}
