package io.metalr.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The 1x1 convolution that replaces oneDNN's on CPUs that crash it (CpuQuirks) equals libtorch's
 * own convolution, forward and backward (shapes chosen among those oneDNN runs everywhere).
 */
class Conv1x1AsMatmulTest {

    @ParameterizedTest(name = "n{0} c{1} o{2} {3}px stride {4} bias {5}")
    @CsvSource({"4, 8, 16, 6, 1, false", "3, 16, 8, 7, 2, true", "2, 32, 64, 9, 2, false", "5, 4, 4, 5, 1, true"})
    void equalsLibtorchConvolution(int n, int c, int o, int size, int stride, boolean bias) {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            NDArray x = m.randomNormal(new Shape(n, c, size, size));
            NDArray w = m.randomNormal(new Shape(o, c, 1, 1));
            NDArray b = bias ? m.randomNormal(new Shape(o)) : null;
            Result ref = run(x, w, b, stride, true);
            Result mine = run(x, w, b, stride, false);
            assertEquals(ref.y.getShape(), mine.y.getShape());
            close(ref.y, mine.y, "output");
            close(ref.dx, mine.dx, "d input");
            close(ref.dw, mine.dw, "d weight");
            if (bias) {
                close(ref.db, mine.db, "d bias");
            }
        }
    }

    private record Result(NDArray y, NDArray dx, NDArray dw, NDArray db) {}

    private static Result run(NDArray x0, NDArray w0, NDArray b0, int stride, boolean libtorch) {
        NDArray x = x0.duplicate();
        NDArray w = w0.duplicate();
        NDArray b = b0 == null ? null : b0.duplicate();
        for (NDArray a : new NDArray[] {x, w, b}) {
            if (a != null) {
                a.setRequiresGradient(true);
            }
        }
        NDArray y;
        try (Autograd tape = Autograd.record()) {
            y = libtorch
                    ? Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(0, 0), new Shape(1, 1), 1)
                            .singletonOrThrow()
                    : Layers.conv1x1AsMatmul(x, w, b, stride);
            // a weighted sum, so that every output element has its own gradient
            NDArray weights = y.getManager().arange((float) y.size()).reshape(y.getShape()).sin();
            tape.backward(y.mul(weights).sum());
        }
        return new Result(y.stopGradient(), x.getGradient(), w.getGradient(), b == null ? null : b.getGradient());
    }

    /** Equal within 1e-5 of the largest magnitude (float sums in another order). */
    private static void close(NDArray expected, NDArray actual, String what) {
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        assertEquals(e.length, a.length, what);
        float scale = 0;
        float worst = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            worst = Math.max(worst, Math.abs(e[i] - a[i]));
        }
        assertTrue(scale > 0, what + " is all zero");
        assertTrue(worst <= 1e-5f * scale, what + ": largest difference " + worst + " against magnitude " + scale);
    }
}
