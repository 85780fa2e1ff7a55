package io.metalr.udf.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ChannelsTest {

    @Test
    void sameCountIsReturnedAsIs() {
        Image in = TestImages.random(3, 2, 2, 1, 0, 1);
        assertSame(in, Channels.convert(in, 3));
    }

    @Test
    void grayIsReplicatedToRgb() {
        Image out = Channels.convert(new Image(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 1, 2, 2), 3);
        assertEquals(3, out.channels());
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.1f, 0.2f, 0.3f, 0.4f, 0.1f, 0.2f, 0.3f, 0.4f},
                out.data());
    }

    @Test
    void rgbToGrayIsBt601Luma() {
        // pixels: red, green, blue, white, (0.2, 0.4, 0.6)
        Image in = new Image(new float[] {1, 0, 0, 1, 0.2f, 0, 1, 0, 1, 0.4f, 0, 0, 1, 1, 0.6f}, 3, 1, 5);
        Image out = Channels.convert(in, 1);
        assertEquals(1, out.channels());
        assertArrayEquals(new float[] {0.299f, 0.587f, 0.114f, 1f, 0.299f * 0.2f + 0.587f * 0.4f + 0.114f * 0.6f},
                out.data(), 1e-6f);
    }

    @Test
    void otherConversionsAreRejected() {
        Image two = new Image(new float[8], 2, 2, 2);
        assertThrows(IllegalArgumentException.class, () -> Channels.convert(two, 3));
        Image rgb = new Image(new float[12], 3, 2, 2);
        assertThrows(IllegalArgumentException.class, () -> Channels.convert(rgb, 4));
        assertThrows(IllegalArgumentException.class, () -> Channels.convert(rgb, 2));
    }
}
