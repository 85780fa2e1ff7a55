package io.metalr.udf.image;

import static io.metalr.udf.image.TestImages.grayAlpha8;
import static io.metalr.udf.image.TestImages.gray16;
import static io.metalr.udf.image.TestImages.gray8;
import static io.metalr.udf.image.TestImages.jpeg;
import static io.metalr.udf.image.TestImages.noiseRgb;
import static io.metalr.udf.image.TestImages.palette;
import static io.metalr.udf.image.TestImages.png;
import static io.metalr.udf.image.TestImages.rgb16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageDecoderTest {

    private static final String SRC = "scans/patient-7/slice-12.png";

    @Test
    void gray8PngIsOneChannelOver255() {
        Image img = ImageDecoder.decode(png(gray8(3, 2, 0, 1, 2, 128, 254, 255)), SRC);
        assertEquals(1, img.channels());
        assertEquals(2, img.height());
        assertEquals(3, img.width());
        assertArrayEquals(new float[] {0f, 1 / 255f, 2 / 255f, 128 / 255f, 254 / 255f, 1f}, img.data());
    }

    @Test
    void gray16PngKeepsAllSixteenBits() {
        int[] raw = {0, 1, 40000, 65535, 256, 65534};
        Image img = ImageDecoder.decode(png(gray16(2, 3, raw)), SRC);
        assertEquals(1, img.channels());
        assertEquals(3, img.height());
        assertEquals(2, img.width());
        float[] expected = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            expected[i] = raw[i] / 65535f;
        }
        // Exact: 1/65535 and 65534/65535 would collapse onto 0 and 1 through 8-bit getRGB.
        assertArrayEquals(expected, img.data());
        assertEquals(40000 / 65535f, img.get(0, 1, 0));
        assertTrue(img.get(0, 0, 1) > 0f && img.get(0, 2, 1) < 1f);
    }

    @Test
    void rgbPngIsThreeChannelsInChannelMajorOrder() {
        BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(0, 0, 0x0A141E); // (10, 20, 30)
        rgb.setRGB(1, 0, 0xFF8001); // (255, 128, 1)
        Image img = ImageDecoder.decode(png(rgb), SRC);
        assertEquals(3, img.channels());
        assertArrayEquals(new float[] {10 / 255f, 1f, 20 / 255f, 128 / 255f, 30 / 255f, 1 / 255f}, img.data());
    }

    @Test
    void rgbaPngDropsAlphaWithoutPremultiplying() {
        BufferedImage argb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0xFF0A141E);
        argb.setRGB(1, 0, 0x800A141E); // half transparent: colour must not be scaled by alpha
        argb.setRGB(2, 0, 0x00C86432); // fully transparent (200, 100, 50)
        Image img = ImageDecoder.decode(png(argb), SRC);
        assertEquals(3, img.channels());
        assertArrayEquals(new float[] {10 / 255f, 10 / 255f, 200 / 255f, 20 / 255f, 20 / 255f, 100 / 255f,
            30 / 255f, 30 / 255f, 50 / 255f}, img.data());
    }

    @Test
    void rgb16PngKeepsAllSixteenBits() {
        Image img = ImageDecoder.decode(png(rgb16(2, 1, new int[] {0, 65535}, new int[] {1, 40000},
                new int[] {65534, 256})), SRC);
        assertEquals(3, img.channels());
        assertArrayEquals(new float[] {0f, 1f, 1 / 65535f, 40000 / 65535f, 65534 / 65535f, 256 / 65535f},
                img.data());
    }

    @Test
    void palettePngIsLookedUpToRgb() {
        int[] pal = {0xFF0000, 0x00FF00, 0x0000FF, 0x808080};
        Image img = ImageDecoder.decode(png(palette(4, 1, pal, 3, 2, 1, 0)), SRC);
        assertEquals(3, img.channels());
        float h = 128 / 255f;
        assertArrayEquals(new float[] {h, 0, 0, 1, h, 0, 1, 0, h, 1, 0, 0}, img.data());
    }

    @Test
    void grayPaletteAndOneBitPngAreOneChannel() {
        Image img = ImageDecoder.decode(png(palette(3, 1, new int[] {0x000000, 0x404040, 0xFFFFFF}, 2, 0, 1)), SRC);
        assertEquals(1, img.channels());
        assertArrayEquals(new float[] {1f, 0f, 64 / 255f}, img.data());

        BufferedImage bw = new BufferedImage(9, 1, BufferedImage.TYPE_BYTE_BINARY);
        bw.getRaster().setSamples(0, 0, 9, 1, 0, new int[] {1, 0, 1, 1, 0, 0, 0, 1, 1});
        Image bits = ImageDecoder.decode(png(bw), SRC);
        assertEquals(1, bits.channels());
        assertArrayEquals(new float[] {1, 0, 1, 1, 0, 0, 0, 1, 1}, bits.data());
    }

    @Test
    void grayAlphaPngKeepsTheGray() {
        Image img = ImageDecoder.decode(png(grayAlpha8(2, 1, new int[] {7, 250}, new int[] {0, 255})), SRC);
        assertEquals(1, img.channels());
        assertArrayEquals(new float[] {7 / 255f, 250 / 255f}, img.data());
    }

    @Test
    void grayJpegIsOneChannelCloseToTheOriginal() {
        int[] samples = new int[16 * 16];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = 60 + (i % 16) * 4; // a smooth ramp survives JPEG well
        }
        Image img = ImageDecoder.decode(jpeg(gray8(16, 16, samples), 1.0f), "x.jpg");
        assertEquals(1, img.channels());
        assertEquals(16, img.height());
        assertEquals(16, img.width());
        for (int i = 0; i < samples.length; i++) {
            assertEquals(samples[i] / 255f, img.data()[i], 3 / 255f, "pixel " + i);
        }
    }

    @Test
    void rgbJpegIsThreeChannelsCloseToTheOriginal() {
        BufferedImage rgb = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                rgb.setRGB(x, y, 0xC86432); // (200, 100, 50)
            }
        }
        Image img = ImageDecoder.decode(jpeg(rgb, 1.0f), "x.jpg");
        assertEquals(3, img.channels());
        float[] want = {200 / 255f, 100 / 255f, 50 / 255f};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 256; i++) {
                assertEquals(want[c], img.data()[c * 256 + i], 3 / 255f, "channel " + c + " pixel " + i);
            }
        }
    }

    @Test
    void pngWithTrailingBytesAfterIendIsAccepted() {
        byte[] ok = png(gray8(2, 1, 5, 6));
        byte[] padded = Arrays.copyOf(ok, ok.length + 5);
        assertArrayEquals(ImageDecoder.decode(ok, SRC).data(), ImageDecoder.decode(padded, SRC).data());
    }

    @Test
    void emptyAndNullBytesAreBadRecords() {
        assertBad(new byte[0], "empty");
        assertBad(null, "null");
    }

    @Test
    void unknownFormatsAreBadRecords() {
        assertBad("hello, world".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "not a PNG or JPEG");
        assertBad(new byte[] {0, 0, 1, 1, 0}, "not a PNG or JPEG"); // ImageIO's WBMP reader would take this
        assertBad(TestImages.encode(gray8(2, 2, 1, 2, 3, 4), "bmp"), "not a PNG or JPEG");
        assertBad(TestImages.encode(gray8(2, 2, 1, 2, 3, 4), "gif"), "not a PNG or JPEG");
    }

    @Test
    void corruptBytesAreBadRecords() {
        Random rnd = new Random(3);
        byte[] noise = new byte[500];
        rnd.nextBytes(noise);
        assertBad(noise, SRC);

        byte[] good = png(noiseRgb(32, 32, 1));
        byte[] pngGarbage = Arrays.copyOf(good, good.length);
        for (int i = 8; i < pngGarbage.length; i++) {
            pngGarbage[i] = (byte) rnd.nextInt();
        }
        assertBad(pngGarbage, "PNG");

        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x10; // one bit inside IDAT: only the CRC notices
        assertBad(flipped, "CRC mismatch in chunk IDAT");

        byte[] goodJpeg = jpeg(noiseRgb(32, 32, 2), 0.9f);
        byte[] jpegGarbage = goodJpeg.clone();
        for (int i = 3; i < jpegGarbage.length; i++) {
            jpegGarbage[i] = (byte) rnd.nextInt();
        }
        assertBad(jpegGarbage, "jpeg");
    }

    @ParameterizedTest(name = "PNG cut to {0} of its bytes")
    @ValueSource(doubles = {0.1, 0.25, 0.5, 0.75, 0.9, 0.99})
    void truncatedPngIsABadRecord(double fraction) {
        byte[] good = png(noiseRgb(48, 48, 7));
        assertBad(Arrays.copyOf(good, (int) (good.length * fraction)), "truncated PNG");
    }

    @Test
    void pngCutAtEveryPlaceNearTheEndsIsABadRecord() {
        byte[] good = png(noiseRgb(48, 48, 8));
        ImageDecoder.decode(good, SRC); // the whole file is fine
        // The last 13 bytes are the end of IDAT's CRC and IEND: ImageIO alone decodes these silently.
        for (int cut = 1; cut <= 40; cut++) {
            assertBad(Arrays.copyOf(good, good.length - cut), SRC);
        }
        for (int len = 1; len <= 60; len++) {
            assertBad(Arrays.copyOf(good, len), SRC);
        }
    }

    @ParameterizedTest(name = "JPEG cut to {0} of its bytes")
    @ValueSource(doubles = {0.02, 0.3, 0.6, 0.9, 0.999})
    void truncatedJpegIsABadRecord(double fraction) {
        byte[] good = jpeg(noiseRgb(48, 48, 9), 0.9f);
        ImageDecoder.decode(good, "x.jpg");
        assertBad(Arrays.copyOf(good, Math.max(3, (int) (good.length * fraction))), SRC);
        assertBad(Arrays.copyOf(good, good.length - 1), SRC); // only the EOI marker's last byte missing
    }

    private static void assertBad(byte[] bytes, String expectedInMessage) {
        BadRecordException e = assertThrows(BadRecordException.class, () -> ImageDecoder.decode(bytes, SRC));
        assertTrue(e.getMessage().startsWith(SRC + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
    }
}
