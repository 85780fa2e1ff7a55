package io.metalr.udf.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PreprocessorTest {

    @Test
    void convertsResizesAndNormalisesInThatOrder() {
        Image in = TestImages.random(1, 5, 7, 3, 0, 1);
        Preprocessor p = new Preprocessor(4, 4, 3, new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f});
        Image out = p.apply(in, "a.png");
        Image expected = Normalize.apply(Resize.bilinear(Channels.convert(in, 3), 4, 4),
                new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
        assertEquals(3, out.channels());
        assertEquals(4, out.height());
        assertEquals(4, out.width());
        assertArrayEquals(expected.data(), out.data());
    }

    @Test
    void sameSizeStillReturnsANewNormalisedImage() {
        Image in = new Image(new float[] {0, 1}, 1, 1, 2);
        Image out = Preprocessor.of(1, 2, 1, 0.5f, 0.5f).apply(in, "a.png");
        assertNotSame(in, out);
        assertArrayEquals(new float[] {-1, 1}, out.data());
    }

    @Test
    void nanInTheInputNamesSourceAndPosition() {
        float[] v = new float[2 * 3 * 4];
        v[1 * 12 + 2 * 4 + 3] = Float.NaN; // (c,y,x) = (1,2,3)
        Image in = new Image(v, 2, 3, 4);
        Preprocessor p = new Preprocessor(8, 8, 2, new float[] {0}, new float[] {1});
        BadRecordException e = assertThrows(BadRecordException.class, () -> p.apply(in, "vol.npz:train[17]"));
        assertTrue(e.getMessage().contains("vol.npz:train[17]"), e.getMessage());
        assertTrue(e.getMessage().contains("(1,2,3)"), e.getMessage());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void infinityAfterNormalisingIsCaughtToo() {
        Image in = new Image(new float[] {0, Float.MAX_VALUE}, 1, 1, 2);
        Preprocessor p = Preprocessor.of(1, 2, 1, 0f, 1e-3f);
        BadRecordException e = assertThrows(BadRecordException.class, () -> p.apply(in, "big.png"));
        assertTrue(e.getMessage().startsWith("big.png: "), e.getMessage());
        assertTrue(e.getMessage().contains("(0,0,1)"), e.getMessage());
    }

    @Test
    void impossibleChannelConversionIsABadRecord() {
        Image in = new Image(new float[8], 2, 2, 2);
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> Preprocessor.of(2, 2, 3, 0.5f, 0.5f).apply(in, "two.png"));
        assertTrue(e.getMessage().startsWith("two.png: "), e.getMessage());
    }

    @Test
    void invalidSettingsAreRejectedAndArraysAreCopied() {
        assertThrows(IllegalArgumentException.class, () -> Preprocessor.of(0, 2, 1, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new Preprocessor(2, 2, 3, new float[] {0, 0}, new float[] {1}));
        assertThrows(IllegalArgumentException.class, () -> Preprocessor.of(2, 2, 1, 0, 0));
        float[] mean = {0.5f};
        Preprocessor p = new Preprocessor(2, 2, 1, mean, new float[] {0.5f});
        mean[0] = 100;
        assertEquals(0.5f, p.mean()[0]);
        assertEquals(Preprocessor.of(2, 2, 1, 0.5f, 0.5f), p);
        assertEquals(Preprocessor.of(2, 2, 1, 0.5f, 0.5f).hashCode(), p.hashCode());
    }
}
