package io.metalr.udf.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NormalizeTest {

    @Test
    void perChannelMeanAndStd() {
        Image in = new Image(new float[] {0, 1, 0.5f, 1}, 2, 1, 2);
        Image out = Normalize.apply(in, new float[] {0.5f, 0.25f}, new float[] {0.5f, 0.25f});
        assertArrayEquals(new float[] {-1, 1, 1, 3}, out.data(), 1e-6f);
        assertArrayEquals(new float[] {0, 1, 0.5f, 1}, in.data()); // input untouched
    }

    @Test
    void lengthOneBroadcastsToEveryChannel() {
        Image in = new Image(new float[] {0, 1, 0.5f, 0.25f, 0.75f, 1}, 3, 1, 2);
        Image out = Normalize.apply(in, new float[] {0.5f}, new float[] {0.5f});
        assertArrayEquals(new float[] {-1, 1, 0, -0.5f, 0.5f, 1}, out.data(), 1e-6f);
    }

    @Test
    void mixedLengthsWork() {
        Image in = new Image(new float[] {1, 2, 3}, 3, 1, 1);
        Image out = Normalize.apply(in, new float[] {1}, new float[] {1, 2, 4});
        assertArrayEquals(new float[] {0, 0.5f, 0.5f}, out.data(), 1e-6f);
    }

    @Test
    void badLengthsAndValuesAreRejected() {
        Image in = new Image(new float[6], 3, 1, 2);
        assertThrows(IllegalArgumentException.class,
                () -> Normalize.apply(in, new float[] {0, 0}, new float[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> Normalize.apply(in, new float[] {0}, new float[] {1, 1, 1, 1}));
        assertThrows(IllegalArgumentException.class,
                () -> Normalize.apply(in, new float[] {0}, new float[] {0}));
        assertThrows(IllegalArgumentException.class,
                () -> Normalize.apply(in, new float[] {Float.NaN}, new float[] {1}));
    }
}
