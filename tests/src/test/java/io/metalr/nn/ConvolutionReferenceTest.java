package io.metalr.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * libtorch's convolutions, as the layers call them, against plain float64 loops: the output, the
 * gradient of the input and of the weights for a weighted sum of the output. On AMD CPUs without
 * a cache topology, oneDNN got channel counts that are not a multiple of the vector width wrong
 * (and 1x1 stride-2 convolutions crashed) until CpuQuirks stepped in; the shapes here are those.
 * Each shape runs three times: the wrong results came and went from one run to the next.
 */
class ConvolutionReferenceTest {

    @ParameterizedTest(name = "{1}->{2} {3}x{3} stride {4} pad {5} on {6}px, batch {0}")
    @CsvSource({
        "8, 3, 4, 3, 1, 1, 12",    // the golden CNN's first layer
        "8, 4, 8, 3, 1, 1, 10",    // its second: backward data wrong at AVX-512
        "4, 17, 17, 3, 1, 1, 7",   // forward wrong at AVX-512 and AVX2
        "4, 16, 3, 3, 1, 1, 8",
        "4, 12, 16, 5, 1, 2, 9",
        "4, 16, 32, 3, 2, 1, 9",   // strided, brgemm
        "2, 512, 1024, 1, 2, 0, 8" // ResNet-50's downsample: SIGFPE in backward data
    })
    void matchesFloat64Loops(int n, int c, int o, int k, int stride, int pad, int size) {
        SplittableRandom rng = new SplittableRandom(11L * c + o);
        float[] x = random(rng, n * c * size * size);
        float[] w = random(rng, o * c * k * k);
        int out = (size + 2 * pad - k) / stride + 1;
        float[] r = random(rng, n * o * out * out); // d loss / d output
        Reference ref = new Reference(n, c, o, k, stride, pad, size, out);
        double[] y = ref.forward(x, w);
        double[] dx = ref.gradInput(w, r);
        double[] dw = ref.gradWeight(x, r);
        for (int repeat = 0; repeat < 3; repeat++) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray xa = m.create(x, new Shape(n, c, size, size));
                NDArray wa = m.create(w, new Shape(o, c, k, k));
                xa.setRequiresGradient(true);
                wa.setRequiresGradient(true);
                NDArray ya;
                try (Autograd tape = Autograd.record()) {
                    ya = Layers.conv(Map.of("c.weight", wa)::get, "c", xa, stride, pad, false);
                    tape.backward(ya.mul(m.create(r, ya.getShape())).sum());
                }
                close(y, ya.toFloatArray(), "output", repeat);
                close(dx, xa.getGradient().toFloatArray(), "d input", repeat);
                close(dw, wa.getGradient().toFloatArray(), "d weight", repeat);
            }
        }
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** Within 1e-4 of the largest magnitude: float32 sums of up to a few thousand terms. */
    private static void close(double[] expected, float[] actual, String what, int repeat) {
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            double d = Math.abs(expected[i] - actual[i]);
            worst = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
        }
        assertTrue(worst <= 1e-4 * scale, what + " (run " + (repeat + 1) + "): largest difference " + worst
                + " against magnitude " + scale);
    }

    /** Direct convolution in float64, NCHW, no bias, no dilation, one group. */
    private record Reference(int n, int c, int o, int k, int stride, int pad, int size, int out) {

        double[] forward(float[] x, float[] w) {
            double[] y = new double[n * o * out * out];
            each((b, oc, i, j, ic, ki, kj, xi, yi, wi) -> y[yi] += (double) x[xi] * w[wi]);
            return y;
        }

        double[] gradInput(float[] w, float[] r) {
            double[] dx = new double[n * c * size * size];
            each((b, oc, i, j, ic, ki, kj, xi, yi, wi) -> dx[xi] += (double) r[yi] * w[wi]);
            return dx;
        }

        double[] gradWeight(float[] x, float[] r) {
            double[] dw = new double[o * c * k * k];
            each((b, oc, i, j, ic, ki, kj, xi, yi, wi) -> dw[wi] += (double) r[yi] * x[xi]);
            return dw;
        }

        interface Term {
            void add(int b, int oc, int i, int j, int ic, int ki, int kj, int xi, int yi, int wi);
        }

        /** Every (output pixel, input pixel, weight) triple of the convolution. */
        void each(Term t) {
            for (int b = 0; b < n; b++) {
                for (int oc = 0; oc < o; oc++) {
                    for (int i = 0; i < out; i++) {
                        for (int j = 0; j < out; j++) {
                            int yi = ((b * o + oc) * out + i) * out + j;
                            for (int ic = 0; ic < c; ic++) {
                                for (int ki = 0; ki < k; ki++) {
                                    int row = i * stride - pad + ki;
                                    if (row < 0 || row >= size) {
                                        continue;
                                    }
                                    for (int kj = 0; kj < k; kj++) {
                                        int col = j * stride - pad + kj;
                                        if (col < 0 || col >= size) {
                                            continue;
                                        }
                                        int xi = ((b * c + ic) * size + row) * size + col;
                                        int wi = ((oc * c + ic) * k + ki) * k + kj;
                                        t.add(b, oc, i, j, ic, ki, kj, xi, yi, wi);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
