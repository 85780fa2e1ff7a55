package io.metalr.udf.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Expected values come from this numpy transcription of PyTorch's CPU bilinear kernel
 * ({@code compute_source_index_and_lambda}, float32), checked against the hand computations below
 * and against the well-known {@code F.interpolate} result for {@code [[1,2],[3,4]]} to 4x4:
 *
 * <pre>
 * import numpy as np
 * def axis(n_in, n_out):
 *     scale = np.float32(n_in) / np.float32(n_out)
 *     d = np.arange(n_out, dtype=np.float32)
 *     src = np.maximum(scale * (d + np.float32(0.5)) - np.float32(0.5), np.float32(0))
 *     i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
 *     i1 = i0 + (i0 &lt; n_in - 1)
 *     l1 = (src - i0).astype(np.float32)
 *     return i0, i1, (np.float32(1) - l1), l1
 * def bilinear(x, h, w):  # x: (C, H, W) float32
 *     y0, y1, ly0, ly1 = axis(x.shape[1], h)
 *     x0, x1, lx0, lx1 = axis(x.shape[2], w)
 *     t0 = x[:, y0][:, :, x0] * lx0 + x[:, y0][:, :, x1] * lx1
 *     t1 = x[:, y1][:, :, x0] * lx0 + x[:, y1][:, :, x1] * lx1
 *     return t0 * ly0[:, None] + t1 * ly1[:, None]
 * a = np.arange(15, dtype=np.float32).reshape(1, 3, 5)
 * print(bilinear(a, 4, 2)); print(bilinear(a, 2, 7))
 * b = (np.arange(2 * 5 * 5, dtype=np.float32).reshape(2, 5, 5) ** 2) / 100
 * print(bilinear(b, 3, 3))
 * </pre>
 */
class ResizeTest {

    private static final float EPS = 1e-5f;

    @Test
    void sameSizeIsTheIdentity() {
        Image in = TestImages.random(3, 4, 5, 1, 0, 1);
        assertSame(in, Resize.bilinear(in, 4, 5));
    }

    @Test
    void upscale2x2To4x4MatchesPyTorch() {
        // torch.nn.functional.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), size=(4, 4),
        //     mode="bilinear", align_corners=False)
        Image in = new Image(new float[] {1, 2, 3, 4}, 1, 2, 2);
        assertArrayEquals(new float[] {
            1.0f, 1.25f, 1.75f, 2.0f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2.5f, 2.75f, 3.25f, 3.5f,
            3.0f, 3.25f, 3.75f, 4.0f}, Resize.bilinear(in, 4, 4).data(), EPS);
    }

    @Test
    void downscaleByTwoSamplesBetweenPixels() {
        // By hand: scale 2, src = 2 * (d + 0.5) - 0.5 = 0.5, 2.5: the mean of each 2x2 block
        // (no antialias, so nothing wider is averaged).
        Image in = new Image(range(16), 1, 4, 4);
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, Resize.bilinear(in, 2, 2).data(), EPS);
    }

    @Test
    void mixedDownAndUpscale3x5To4x2() {
        // By hand: value = 5*row + col. Columns: scale 2.5, src = 0.75, 3.25. Rows: scale 0.75,
        // src = max(-0.125, 0) = 0, 0.625, 1.375, 2.125 (clamped to the last row: i0 = i1 = 2, value 10).
        Image in = new Image(range(15), 1, 3, 5);
        assertArrayEquals(new float[] {0.75f, 3.25f, 3.875f, 6.375f, 7.625f, 10.125f, 10.75f, 13.25f},
                Resize.bilinear(in, 4, 2).data(), EPS);
    }

    @Test
    void mixedUpAndDownscale3x5To2x7() {
        Image in = new Image(range(15), 1, 3, 5);
        assertArrayEquals(new float[] {
            1.25f, 1.8214285f, 2.5357144f, 3.25f, 3.9642859f, 4.6785717f, 5.25f,
            8.75f, 9.321428f, 10.035714f, 10.75f, 11.464286f, 12.178572f, 12.75f},
                Resize.bilinear(in, 2, 7).data(), EPS);
    }

    @Test
    void downscaleTwoChannels5x5To3x3() {
        float[] v = new float[50];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * i / 100f;
        }
        Image out = Resize.bilinear(new Image(v, 2, 5, 5), 3, 3);
        assertEquals(2, out.channels());
        assertArrayEquals(new float[] {
            0.09777778f, 0.19f, 0.3422222f, 1.07f, 1.44f, 1.87f, 3.542222f, 4.1899996f, 4.8977776f,
            7.3477774f, 8.273333f, 9.258888f, 12.486667f, 13.69f, 14.953333f, 19.125555f, 20.606667f, 22.147778f},
                out.data(), 1e-5f * 20);
    }

    @Test
    void constantImageStaysConstant() {
        float[] v = new float[3 * 7 * 9];
        java.util.Arrays.fill(v, 0.3f);
        for (float x : Resize.bilinear(new Image(v, 3, 7, 9), 13, 4).data()) {
            assertEquals(0.3f, x, 1e-6f);
        }
    }

    @Test
    void rejectsEmptySizes() {
        Image in = new Image(new float[] {1}, 1, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> Resize.bilinear(in, 0, 3));
    }

    static float[] range(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }
}
